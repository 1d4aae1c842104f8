"""A Markdown summary for CI job summaries (`--summary-md PATH`), appended to the file."""

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
    threats = (header.get("security") or {}).get("threats") or []
    if threats:
        mode = (header.get("security") or {}).get("mode", "warn")
        lines += ["", f"### Security: threats (`--security {mode}`)", ""]
        lines += ["| threat | state | why |", "|---|---|---|"]
        lines += [
            f"| {_cell(e['title'])} | {_cell(e['state'])} | {_cell(e['why'])} |" for e in threats
        ]
    shown = [o for o in outcomes if o.outcome not in {"passed"}]
    if shown:
        lines += ["", "| outcome | level | case | reason |", "|---|---|---|---|"]
        for o in sorted(shown, key=lambda o: (OUTCOMES.index(o.outcome), o.case_id)):
            reason = (o.message.splitlines() or [""])[0]
            lines.append(f"| {o.outcome} | {o.level} | `{o.case_id}` | {_cell(reason)} |")
    return "\n".join(lines) + "\n"


def write_markdown(path: Path, outcomes: Sequence[Outcome], header: Mapping[str, Any]) -> Path:
    """Append the summary to `path`: a CI job summary ($GITHUB_STEP_SUMMARY) is one file
    every step of the job appends to, and a write would erase the steps before."""
    path.parent.mkdir(parents=True, exist_ok=True)
    earlier = path.read_bytes()[-1:] if path.is_file() else b""
    with path.open("a", encoding="utf-8") as summary:
        if earlier and earlier != b"\n":
            summary.write("\n")  # a heading must start a line of its own
        summary.write(("\n" if earlier else "") + render_markdown(outcomes, header))
    return path
