"""Fuzzing every parser and the whole pipeline (issue 12): no exception escapes, every
failure is a located error. A fixed small budget here, derandomized so every run draws
the same examples (a few seconds); ``python tools/fuzz.py --minutes 10`` runs longer."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from fuzzing import INPUTS, PARSERS, check_parser, check_pipeline, repository

BUDGET = settings(max_examples=25, derandomize=True, deadline=None, database=None, print_blob=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])


@pytest.mark.parametrize("target", sorted(PARSERS))
def test_parser_raises_only_located_errors(target):
    @BUDGET
    @given(INPUTS[target])
    def run(text):
        check_parser(target, text)

    run()


@settings(BUDGET, max_examples=12)
@given(repository())
def test_pipeline_raises_nothing_and_locates_every_error(files):
    check_pipeline(files)


def test_the_checks_can_fail():
    """The property is not vacuous: an unlocated error, an escaped exception and an
    error outside the files are each caught."""
    from fuzzing import Failure, _check_errors, _located

    from iamlint.model.units import SourceError

    class Located(ValueError):
        line, column = 0, 1

    with pytest.raises(Failure):
        _located("x", "a\nb", Located())
    with pytest.raises(Failure):
        _located("x", "a", ValueError("no position"))
    with pytest.raises(Failure):
        _check_errors("pipeline", {"main.tf": "a"}, "/tmp", [SourceError("/etc/passwd", 1, "x")])
    with pytest.raises(Failure):
        _check_errors("pipeline", {"main.tf": "a"}, "/tmp/x", [SourceError("/tmp/x/main.tf", 9, "x")])
