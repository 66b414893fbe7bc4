"""Glob matching in linear time (issue 12 item 6), with the semantics the regular
expression translation had (kept here as the oracle)."""

from __future__ import annotations

import random
import re

import pytest

from iamlint.config import Glob
from iamlint.config.globs import GlobMatcher


def _translate(pattern: str) -> str:
    """The translation to a regular expression iamlint used before (the oracle)."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] in "*?":
            out.append("[^/]*" if pattern[i] == "*" else "[^/]")
            i += 1
        elif pattern[i] in "[{" and pattern.find("]}"["[{".index(pattern[i])], i + 1) > i:
            end = pattern.find("]}"["[{".index(pattern[i])], i + 1)
            body = pattern[i + 1 : end]
            if pattern[i] == "[":
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            else:
                out.append("(?:" + "|".join(_translate(alt) for alt in body.split(",")) + ")")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


CASES = [
    ("*.tf", "main.tf", True), ("*.tf", "main.tf.json", False), ("*.tf", "a/main.tf", False),
    ("?.tf", "a.tf", True), ("?.tf", "ab.tf", False), ("?", "/", False),
    ("**/*.tf", "main.tf", True), ("**/*.tf", "a/b/main.tf", True), ("a/**/b", "a/b", True),
    ("a/**/b", "a/x/y/b", True), ("a/**", "a/x/y", True), ("a**b", "a/x/b", True),
    ("[abc].tf", "b.tf", True), ("[a-c].tf", "d.tf", False), ("[!a-c].tf", "d.tf", True),
    ("[^a-c].tf", "a.tf", False), ("{a,b}.tf", "b.tf", True), ("{a,b*}.tf", "bxx.tf", True),
    ("{a,b}.tf", "c.tf", False), ("[abc", "[abc", True), ("{ab", "{ab", True), ("a.b", "axb", False),
    ("", "", True), ("*", "", True), ("x*", "x", True), ("**", "", True),
]


@pytest.mark.parametrize("pattern,text,expected", CASES)
def test_semantics(pattern, text, expected):
    assert GlobMatcher(pattern).full(text) is expected
    assert (re.match(_translate(pattern) + r"\Z", text) is not None) is expected  # the oracle agrees


def test_the_same_answers_as_the_regular_expressions_on_random_globs():
    rng = random.Random(12)
    atoms = ["a", "b", "/", ".", "*", "?", "**", "**/", "[ab]", "[!a]", "{a,b/}", "{*a,b}", "x"]
    for _ in range(3000):
        pattern = "".join(rng.choice(atoms) for _ in range(rng.randint(0, 6)))
        matcher, regex = GlobMatcher(pattern), re.compile(_translate(pattern) + r"\Z")
        for _ in range(8):
            text = "".join(rng.choice("ab/.x") for _ in range(rng.randint(0, 9)))
            assert matcher.full(text) == (regex.match(text) is not None), (pattern, text)
            prefixes = [text.split("/")[: i + 1] for i in range(len(text.split("/")))]
            assert matcher.prefix(text) == any(regex.match("/".join(p)) for p in prefixes), (pattern, text)


def test_a_pathological_glob_takes_linear_work():
    """The issue's case: *a*a*a...b against a long folder name made of a's. A
    backtracking matcher does ~n^k steps; this one does O(n) DFA steps plus DFA states
    built once (each at most the NFA's size)."""
    pattern = "*a" * 25 + "b"
    for length in (1_000, 4_000):
        matcher = GlobMatcher(pattern)
        assert matcher.full("a" * length) is False
        assert matcher.steps <= length + 60 * matcher.nfa_size, (length, matcher.steps)
    glob = Glob.compile(pattern, "/repo")
    assert glob.matches("/repo/" + "a" * 5_000 + "/main.tf") is False
    assert glob.matches("/repo/" + "a" * 30 + "b/main.tf") is True


def test_the_work_grows_linearly_with_the_text():
    pattern = "**/*a*a*a*a*a*a*a*a*b/**"
    small, large = GlobMatcher(pattern), GlobMatcher(pattern)
    small.prefix("a/" * 500)
    large.prefix("a/" * 5_000)
    assert large.steps <= 10 * small.steps + 10 * large.nfa_size


def test_many_dfa_states_are_not_kept_beyond_the_bound(monkeypatch):
    from iamlint.config import globs

    monkeypatch.setattr(globs, "MAX_DFA_STATES", 3)
    matcher = GlobMatcher("*a*b*c*d")
    assert matcher.full("xaxbxcxd") is True
    assert matcher.full("xaxbxcx") is False


def test_exclude_globs_in_a_configuration_are_matched_fast(tmp_path):
    """End to end: the pathological exclude against a long folder name ends at once."""
    import subprocess
    import sys

    long = tmp_path / ("a" * 200)
    long.mkdir()
    (long / "main.tf").write_text('resource "aws_instance" "x" {\n  ami = "ami-1"\n}\n')
    (tmp_path / ".iamlint.toml").write_text('exclude = ["' + "*a" * 30 + 'b"]\n')
    done = subprocess.run([sys.executable, "-m", "iamlint", "check", "--format", "json", "--no-cache", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert '"EC2001"' in done.stdout
