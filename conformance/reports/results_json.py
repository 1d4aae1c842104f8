"""results.json: the result model as versioned JSON, described by results.schema.json.

Version 1 shape: {schema_version, run: {the header}, verdict, verdict_text, exit_code,
complete, untested_must, counts,
stale_waivers, results: [{case, requirement_id, level, grant, edition, outcome,
message, summary, evidence, duration_s, area, source, decision, waiver}]}.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import Any

from conformance.results import (
    READING_ORDER,
    Outcome,
    exit_code,
    untested_musts,
    verdict,
    verdict_line,
)

RESULTS_SCHEMA_VERSION = 1


def results_schema() -> dict[str, Any]:
    """The JSON Schema of results.json (shipped with the package)."""
    text = resources.files("conformance.reports").joinpath("results.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def _order(outcome: Outcome) -> tuple[int, str]:
    return (READING_ORDER.index(outcome.outcome), outcome.case_id)


def results_document(outcomes: Sequence[Outcome], header: Mapping[str, Any]) -> dict[str, Any]:
    """The results.json document."""
    complete = bool(header.get("require_complete"))
    untested = untested_musts(outcomes)
    return {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "run": dict(header),
        "verdict": verdict(outcomes, complete),
        "verdict_text": verdict_line(outcomes, complete),
        "exit_code": exit_code(outcomes, complete),
        "complete": not untested,
        "untested_must": untested,
        "counts": {kind: n for kind, n in Counter(o.outcome for o in outcomes).items()},
        "stale_waivers": sorted(
            o.case_id for o in outcomes if o.waiver and o.waiver.get("state") == "stale"
        ),
        "results": [asdict(o) | {"case": o.case_id} for o in sorted(outcomes, key=_order)],
    }


def write_results(path: Path, outcomes: Sequence[Outcome], header: Mapping[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = results_document(outcomes, header)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
