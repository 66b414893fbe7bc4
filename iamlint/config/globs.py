"""Path globs matched in linear time: ``*`` ``?`` ``[..]`` ``{a,b}`` within a path
component, ``**`` across components.

A glob is compiled into a Thompson NFA (one state per pattern position, epsilon moves
for ``*``, ``**`` and ``{a,b}``) and run as a lazily built DFA: each step of the text
is one dictionary look-up once the DFA state it needs exists, and a DFA state is built
once, from the NFA, in time proportional to the pattern. So matching costs
O(len(text) + DFA states built x pattern size), never the exponential backtracking a
regular expression such as ``[^/]*a[^/]*a...b`` gives on a long name (issue 12 item 6);
:attr:`GlobMatcher.steps` counts the work, for the tests. The number of DFA states kept
per pattern is bounded (:data:`MAX_DFA_STATES`); past it, steps are simulated on the NFA
without being kept (still linear in the text).

Semantics (as the regular-expression translation had them): ``**/`` matches zero or
more whole folders, ``**`` anything (``/`` included), ``*`` any run of characters but
``/``, ``?`` one character but ``/``; ``[abc]``, ``[a-z]``, ``[!a]`` / ``[^a]`` one
character of (not of) the set; ``{a,b}`` one of the comma-separated alternatives (up to
the first ``}``; each may hold wildcards); a ``[`` or ``{`` that is never closed, and any
other character, is itself. ``.`` and ``**`` do not match a newline.
"""

from __future__ import annotations

from typing import Callable

MAX_DFA_STATES = 4096

Test = Callable[[str], bool]


def _not_slash(char: str) -> bool:
    return char != "/"


def _not_newline(char: str) -> bool:
    return char != "\n"


def _literal(expected: str) -> Test:
    return expected.__eq__


def _char_class(body: str) -> Test:
    negated = body[:1] in ("!", "^")
    if negated:
        body = body[1:]
    singles: set[str] = set()
    ranges: list[tuple[str, str]] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            singles.add(body[index + 1])
            index += 2
        elif index + 2 < len(body) and body[index + 1] == "-":
            ranges.append((char, body[index + 2]))
            index += 3
        else:
            singles.add(char)
            index += 1

    def test(candidate: str) -> bool:
        inside = candidate in singles or any(low <= candidate <= high for low, high in ranges)
        return inside != negated

    return test


class _Nfa:
    """States are integers; ``moves[s]`` the (test, target) pairs that consume one
    character, ``empty[s]`` the epsilon targets."""

    def __init__(self) -> None:
        self.moves: list[list[tuple[Test, int]]] = []
        self.empty: list[list[int]] = []

    def state(self) -> int:
        self.moves.append([])
        self.empty.append([])
        return len(self.moves) - 1

    def size(self) -> int:
        return len(self.moves) + sum(len(m) + len(e) for m, e in zip(self.moves, self.empty, strict=True))


def _compile(pattern: str, nfa: _Nfa, current: int) -> int:
    """Add ``pattern`` after state ``current``; returns the state reached at its end."""
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):  # zero or more whole folders
            loop, after = nfa.state(), nfa.state()
            nfa.empty[current] += [after, loop]
            nfa.moves[loop] += [(_not_newline, loop), (_literal("/"), after)]
            current, index = after, index + 3
        elif pattern.startswith("**", index):
            loop = nfa.state()
            nfa.empty[current].append(loop)
            nfa.moves[loop].append((_not_newline, loop))
            current, index = loop, index + 2
        elif char == "*":
            loop = nfa.state()
            nfa.empty[current].append(loop)
            nfa.moves[loop].append((_not_slash, loop))
            current, index = loop, index + 1
        elif char == "?":
            following = nfa.state()
            nfa.moves[current].append((_not_slash, following))
            current, index = following, index + 1
        elif char in "[{" and pattern.find("]" if char == "[" else "}", index + 1) > index:
            end = pattern.find("]" if char == "[" else "}", index + 1)
            body = pattern[index + 1 : end]
            joined = nfa.state()
            if char == "[":
                nfa.moves[current].append((_char_class(body), joined))
            else:
                for alternative in body.split(","):
                    start = nfa.state()
                    nfa.empty[current].append(start)
                    nfa.empty[_compile(alternative, nfa, start)].append(joined)
            current, index = joined, end + 1
        else:
            following = nfa.state()
            nfa.moves[current].append((_literal(char), following))
            current, index = following, index + 1
    return current


class GlobMatcher:
    """One compiled glob. :meth:`full` tells whether the whole text matches,
    :meth:`prefix` whether the text or one of its leading folders (the text cut before
    a ``/``) does."""

    __slots__ = ("_nfa", "_accept", "_start", "_states", "_ids", "_table", "_spill", "steps")

    def __init__(self, pattern: str) -> None:
        self._nfa = _Nfa()
        start = self._nfa.state()
        self._accept = _compile(pattern, self._nfa, start)
        self._states: list[frozenset[int]] = []
        self._ids: dict[frozenset[int], int] = {}
        self._table: list[dict[str, int]] = []  # DFA state -> character -> DFA state
        self.steps = 0  # work done: DFA steps, plus NFA moves examined building DFA states
        self._spill: frozenset[int] = frozenset()  # the current state when past MAX_DFA_STATES
        self._start = self._intern(self._closure({start}))

    @property
    def nfa_size(self) -> int:
        return self._nfa.size()

    def full(self, text: str) -> bool:
        self.steps += len(text)
        table, state = self._table, self._start
        for char in text:
            following = table[state].get(char) if state >= 0 else None
            state = self._step(state, char) if following is None else following
        return self._accepts(state)

    def prefix(self, text: str) -> bool:
        self.steps += len(text)
        table, state = self._table, self._start
        for char in text:
            if char == "/" and self._accepts(state):
                return True
            following = table[state].get(char) if state >= 0 else None
            state = self._step(state, char) if following is None else following
        return self._accepts(state)

    def _accepts(self, state: int) -> bool:
        return self._accept in (self._states[state] if state >= 0 else self._spill)

    def _step(self, state: int, char: str) -> int:
        """The DFA state after ``char`` (built from the NFA: the first time only)."""
        current = self._states[state] if state >= 0 else self._spill
        targets = set()
        for nfa_state in current:
            for test, target in self._nfa.moves[nfa_state]:
                self.steps += 1
                if test(char):
                    targets.add(target)
        following = self._closure(targets)
        if following in self._ids:
            number = self._ids[following]
        elif len(self._states) < MAX_DFA_STATES:
            number = self._intern(following)
        else:  # too many DFA states for this pattern: go on without keeping them
            self._spill = following
            return -1
        if state >= 0:
            self._table[state][char] = number
        return number

    def _intern(self, states: frozenset[int]) -> int:
        self._ids[states] = len(self._states)
        self._states.append(states)
        self._table.append({})
        return len(self._states) - 1

    def _closure(self, states: set[int]) -> frozenset[int]:
        seen = set(states)
        stack = list(states)
        while stack:
            for target in self._nfa.empty[stack.pop()]:
                self.steps += 1
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
        return frozenset(seen)
