"""A Markdown summary for CI job summaries (`--summary-md PATH`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from conformance.results import OUTCOMES, Outcome, untested_musts, verdict_line


def _cell(text: str) -> str:
    """Table-safe text: no pipes, no newlines, no HTML a renderer would run."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("|", "\\|")
        .replace("\r", " ")
        .replace("\n", " ")
    )


def render_markdown(outcomes: Sequence[Outcome], header: Mapping[str, Any]) -> str:
    counts = Counter(o.outcome for o in outcomes)
    lines = [
        f"## Conformance: {verdict_line(outcomes, bool(header.get('require_complete')))}",
        "",
        f"Target `{_cell(str(header.get('target')))}`, edition {header.get('edition')}, "
        f"profile {header.get('profile', 'default')}, seed {header.get('seed')}, "
        f"suite {header.get('suite_version')}.",
        "",
        "| " + " | ".join(OUTCOMES) + " |",
        "|" + "---|" * len(OUTCOMES),
        "| " + " | ".join(str(counts.get(k, 0)) for k in OUTCOMES) + " |",
    ]
    untested = untested_musts(outcomes)
    if untested:
        lines += ["", "MUST requirements not tested: " + ", ".join(f"`{u}`" for u in untested)]
    shown = [o for o in outcomes if o.outcome not in {"passed"}]
    if shown:
        lines += ["", "| outcome | level | case | reason |", "|---|---|---|---|"]
        for o in sorted(shown, key=lambda o: (OUTCOMES.index(o.outcome), o.case_id)):
            reason = (o.message.splitlines() or [""])[0]
            lines.append(f"| {o.outcome} | {o.level} | `{o.case_id}` | {_cell(reason)} |")
    return "\n".join(lines) + "\n"


def write_markdown(path: Path, outcomes: Sequence[Outcome], header: Mapping[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(outcomes, header), encoding="utf-8")
    return path
