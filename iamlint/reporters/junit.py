"""JUnit XML (GitLab unit test reports, Jenkins, Azure Pipelines): one test suite per
file, one test case per finding, input errors as errors. A clean run is one passing test
case, so the report is never empty.

A finding at or above ``--fail-on`` (of its file's configuration) is a failing case; one
below it does not fail the build, so it is a skipped case carrying the same text
(``<skipped message=...>``): visible in the report, never red. Case names are unique
(rule, resource, file, line and column, and an index if two still coincide): GitLab
keeps only the first of cases with the same name."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from typing import Callable, Union

from iamlint.model.findings import Severity
from iamlint.report import Report
from iamlint.reporters.paths import display, source_root

FailOn = Union[Severity, Callable[[str], Severity]]


def render(report: Report, root: str | None = None, fail_on: FailOn = Severity.ERROR, **_: object) -> str:
    root = root or source_root()
    threshold = fail_on if callable(fail_on) else (lambda path, level=fail_on: level)
    suites: dict[str, list[ET.Element]] = defaultdict(list)
    names: Counter = Counter()
    failures = errors = skipped = 0
    for f in report.findings:
        path = display(f.path, root)
        name = f"{f.rule} {f.resource or f.name} {path}:{f.line}:{f.column}".strip()
        names[name] += 1
        if names[name] > 1:
            name = f"{name} #{names[name]}"
        case = ET.Element("testcase", name=name, classname=path, file=path, line=str(f.line))
        text = f"{path}:{f.line}:{f.column}: {f.severity.label} {f.rule} [{f.name}] {f.message}"
        limit = threshold(f.path)
        if f.severity >= limit:
            ET.SubElement(case, "failure", message=f.message, type=f"{f.rule} {f.name}").text = text
            failures += 1
        else:
            note = f"{f.severity.label}, below --fail-on {limit.label}: {f.message}"
            ET.SubElement(case, "skipped", message=note).text = text
            ET.SubElement(case, "system-out").text = text
            skipped += 1
        suites[path].append(case)
    for e in report.errors:
        path = display(e.path, root)
        case = ET.Element("testcase", name=f"input error {path}:{e.line}", classname=path, file=path, line=str(e.line))
        ET.SubElement(case, "error", message=e.message, type="input-error").text = f"{path}:{e.line}: {e.message}"
        suites[path].append(case)
        errors += 1
    if not suites:
        suites["iamlint"].append(ET.Element("testcase", name="no findings", classname="iamlint"))
    top = ET.Element("testsuites", name="iamlint", tests=str(sum(map(len, suites.values()))),
                     failures=str(failures), errors=str(errors), skipped=str(skipped))
    for name in sorted(suites):
        cases = suites[name]
        suite = ET.SubElement(top, "testsuite", name=name, tests=str(len(cases)),
                              failures=str(sum(1 for c in cases if c.find("failure") is not None)),
                              errors=str(sum(1 for c in cases if c.find("error") is not None)),
                              skipped=str(sum(1 for c in cases if c.find("skipped") is not None)))
        suite.extend(cases)
    ET.indent(top)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(top, encoding="unicode") + "\n"
