"""JUnit XML (GitLab unit test reports, Jenkins, Azure Pipelines): one test suite per
file, one failing test case per finding (unique names: rule, resource and line), input
errors as errors. A clean run is one passing test case, so the report is never empty."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from iamlint.report import Report
from iamlint.reporters.paths import display, source_root


def render(report: Report, root: str | None = None, **_: object) -> str:
    root = root or source_root()
    suites: dict[str, list[ET.Element]] = defaultdict(list)
    failures = errors = 0
    for f in report.findings:
        path = display(f.path, root)
        case = ET.Element("testcase", name=f"{f.rule} {f.resource or f.name} line {f.line}".strip(),
                          classname=path, file=path, line=str(f.line))
        failure = ET.SubElement(case, "failure", message=f.message, type=f"{f.rule} {f.name}")
        failure.text = f"{path}:{f.line}:{f.column}: {f.severity.label} {f.rule} [{f.name}] {f.message}"
        suites[path].append(case)
        failures += 1
    for e in report.errors:
        path = display(e.path, root)
        case = ET.Element("testcase", name=f"input error line {e.line}", classname=path, file=path, line=str(e.line))
        ET.SubElement(case, "error", message=e.message, type="input-error").text = f"{path}:{e.line}: {e.message}"
        suites[path].append(case)
        errors += 1
    if not suites:
        suites["iamlint"].append(ET.Element("testcase", name="no findings", classname="iamlint"))
    top = ET.Element("testsuites", name="iamlint", tests=str(sum(map(len, suites.values()))),
                     failures=str(failures), errors=str(errors))
    for name in sorted(suites):
        cases = suites[name]
        suite = ET.SubElement(top, "testsuite", name=name, tests=str(len(cases)),
                              failures=str(sum(1 for c in cases if c.find("failure") is not None)),
                              errors=str(sum(1 for c in cases if c.find("error") is not None)))
        suite.extend(cases)
    ET.indent(top)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(top, encoding="unicode") + "\n"
