"""junit.xml from the result model: one <testcase> per requirement and grant.

The target breaking a rule is a <failure>; the suite unable to judge is an <error>;
a skip carries its reason. Only the elements and attributes the common JUnit schema
(Jenkins' junit-10.xsd, which Ant's output follows) allows are written, since Jenkins'
xUnit refuses others: a <testcase> may not hold <properties>, so its facts (requirement,
level, edition, grant, outcome, decision) are lines of its <system-out>, and the run's
are the <testsuite>'s <properties>. Each (classname, name) pair is unique: GitLab keeps
one test case per pair. ElementTree escapes text and attributes, and control characters
XML 1.0 cannot carry are replaced first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from conformance.results import Outcome

# XML 1.0 allows tab, LF, CR and printable characters only.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: object) -> str:
    """`value` as text XML 1.0 can carry (ElementTree escapes <, >, & and quotes)."""
    return _NOT_XML.sub("\N{REPLACEMENT CHARACTER}", str(value))


def testcase_name(outcome: Outcome) -> str:
    """Stable across runs: the requirement id, and the grant in brackets when per grant."""
    return f"{outcome.requirement_id}[{outcome.grant}]" if outcome.grant else outcome.requirement_id


def _testcase(outcome: Outcome, require_complete: bool = False) -> ET.Element:
    case = ET.Element(
        "testcase",
        classname=f"conformance.{outcome.area.replace(' ', '_') or 'contract'}",
        name=testcase_name(outcome),
        time=f"{outcome.duration_s:.3f}",
    )
    title = xml_text(outcome.message.splitlines()[0] if outcome.message else "")
    detail = xml_text(_detail(outcome))
    if outcome.outcome == "failed":
        ET.SubElement(case, "failure", message=title, type=outcome.level).text = detail
    elif outcome.outcome == "error":
        ET.SubElement(case, "error", message=title, type="ConformanceError").text = detail
    elif outcome.outcome == "skipped" and require_complete and outcome.level == "MUST":
        # The run failed on it (--require-complete): a JUnit reader must not see a skip.
        ET.SubElement(
            case, "failure", message=f"not tested (require_complete): {title}"
        ).text = detail
    elif outcome.outcome == "skipped":
        ET.SubElement(case, "skipped", message=title)
    facts = "\n".join(f"{name}: {xml_text(value)}" for name, value in case_facts(outcome))
    said = f"\n\n{outcome.outcome.upper()}: {detail}" if outcome.outcome in SAID else ""
    ET.SubElement(case, "system-out").text = facts + said
    return case


# Outcomes with no element of their own, whose message goes to <system-out>.
SAID = frozenset({"warned", "waived"})


def case_facts(outcome: Outcome) -> tuple[tuple[str, str], ...]:
    """What a CI reader may group or filter by, as `name: value` lines of <system-out>."""
    return (
        ("requirement", outcome.requirement_id),
        ("level", outcome.level),
        ("edition", outcome.edition),
        ("grant", outcome.grant or "-"),
        ("outcome", outcome.outcome),
        ("decision", outcome.decision or "-"),
    )


def _detail(outcome: Outcome) -> str:
    parts = [outcome.message]
    if outcome.waiver:
        parts.append(
            f"Waiver ({outcome.waiver.get('state')}): {outcome.waiver.get('reason')} "
            f"(expires {outcome.waiver.get('expires')})"
        )
    curls = [e["curl"] for e in outcome.evidence[:1] if e.get("curl")]
    if curls:
        parts.append(f"Reproduce: {curls[0]}")
    return "\n\n".join(p for p in parts if p)


def render_junit(outcomes: Sequence[Outcome], header: Mapping[str, Any]) -> bytes:
    """The JUnit XML document for `outcomes`."""
    complete = bool(header.get("require_complete"))
    counts = Counter(o.outcome for o in outcomes)
    untested = (
        sum(o.outcome == "skipped" and o.level == "MUST" for o in outcomes) if complete else 0
    )
    suites = ET.Element("testsuites", name="conformance")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="conformance",
        tests=str(len(outcomes)),
        failures=str(counts["failed"] + untested),
        errors=str(counts["error"]),
        skipped=str(counts["skipped"] - untested),
        time=f"{sum(o.duration_s for o in outcomes):.3f}",
    )
    properties = ET.SubElement(suite, "properties")
    for key in ("target", "edition", "seed", "suite_version", "profile", "embedded"):
        if key in header:
            ET.SubElement(properties, "property", name=key, value=xml_text(header[key]))
    for outcome in sorted(outcomes, key=lambda o: testcase_name(o)):
        suite.append(_testcase(outcome, complete))
    ET.indent(suites)
    document: bytes = ET.tostring(suites, encoding="utf-8", xml_declaration=True)
    return document


def write_junit(path: Path, outcomes: Sequence[Outcome], header: Mapping[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render_junit(outcomes, header))
    return path
