"""The HTML report: one self-contained page a person reads after a run.

Layout: the verdict; what needs attention (every failed, warned and errored case: its
requirement, level, one-line reason and a link to its evidence), so a failing run opens on
it rather than on a matrix of some eighty rows; the run's facts and counts; the
requirement matrix (rows: requirements, columns: grants), collapsed when something needs
attention; then one section per check, non-passing first, with its evidence and curl
line. Nothing of it needs JavaScript: the script only adds the filters. Everything that
comes from the target or the run goes through `esc` (HTML escaping with quotes); the only
unescaped text is this module's and `html_template`'s own.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from conformance.reports import html_template as t
from conformance.reports.html_template import badge, esc, exchange_html
from conformance.reports.terminal import pacing_line
from conformance.results import OUTCOMES, Outcome, untested_musts, verdict, verdict_line

_NOT_ID = re.compile(r"[^A-Za-z0-9_-]+")
Anchored = list[tuple[Outcome, str]]


def render_html(outcomes: Sequence[Outcome], header: Mapping[str, Any]) -> str:
    """The whole report as one HTML document (no external resources)."""
    anchored = _anchor(outcomes)
    result = verdict(outcomes, bool(header.get("require_complete")))
    attention = [(o, a) for o, a in anchored if o.outcome in t.ATTENTION]
    body = "\n".join(
        [
            _run_header(outcomes, header, result),
            _attention(attention),
            _security(header),
            _run_facts_section(outcomes, header),
            _filters(),
            "<main>",
            _matrix(anchored, collapsed=bool(attention)),
            _checks(anchored),
            "</main>",
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{t.CONTENT_SECURITY_POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Conformance {result}: {esc(header.get('target', ''))}</title>\n"
        f"<style>{t.CSS}</style>\n</head>\n<body>\n{body}\n<script>{t.JS}</script>\n"
        "</body>\n</html>\n"
    )


def write_html(path: Path, outcomes: Sequence[Outcome], header: Mapping[str, Any]) -> Path:
    """Write the report to `path` (parents created) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # errors="replace": a stray surrogate in a target's body must not lose the whole report.
    path.write_text(render_html(outcomes, header), encoding="utf-8", errors="replace")
    return path


# --- helpers -----------------------------------------------------------------------------
def _anchor(outcomes: Sequence[Outcome]) -> Anchored:
    """Pair each outcome with a unique element id derived from its case id."""
    used: set[str] = set()
    anchored = []
    for outcome in outcomes:
        base = candidate = "case-" + _NOT_ID.sub("-", outcome.case_id).strip("-")
        number = 1
        while candidate in used:  # a repeated case, or two ids that slug alike
            number += 1
            candidate = f"{base}-{number}"
        used.add(candidate)
        anchored.append((outcome, candidate))
    return anchored


def _duration(seconds: object) -> str:
    if not isinstance(seconds, int | float):
        return "not recorded"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


# --- header ---------------------------------------------------------------------------
def _run_header(outcomes: Sequence[Outcome], header: Mapping[str, Any], result: str) -> str:
    return (
        '<header class="run">\n<h1>OAuth 2.0 token endpoint conformance report</h1>\n'
        f'<p class="verdict verdict-{result}" id="verdict">Verdict: '
        f"{esc(verdict_line(outcomes, bool(header.get('require_complete'))))} "
        f"<small>({t.VERDICT_TEXT[result]})</small></p>\n{_untested(outcomes)}</header>"
    )


def _attention(members: Anchored) -> str:
    """Every failed, warned and errored case, worst first, each linking to its evidence."""
    if not members:
        return ""
    counts = Counter(o.outcome for o, _ in members)
    order = [kind for kind in t.GROUP_ORDER if kind in counts]
    title = ", ".join(f"{counts[kind]} {kind}" for kind in order)
    rows = "\n".join(
        _attention_row(o, anchor) for kind in order for o, anchor in members if o.outcome == kind
    )
    return (
        '<section class="top attention" id="attention" aria-labelledby="attention-title">\n'
        f'<h2 id="attention-title">Needs attention: {title}</h2>\n'
        '<table class="attention"><caption class="sr-only">Each failed, warned or errored '
        "check, linking to its evidence</caption>\n"
        '<thead><tr><th scope="col">Outcome</th><th scope="col">Requirement</th>'
        '<th scope="col">Level</th><th scope="col">Why</th></tr></thead>\n'
        f"<tbody>\n{rows}\n</tbody></table>\n</section>"
    )


def _attention_row(outcome: Outcome, anchor: str) -> str:
    kind = esc(outcome.outcome)
    grant = f" · {esc(outcome.grant)}" if outcome.grant else ""
    return (
        f'<tr data-attention="{kind}"><td><span class="badge outcome-{kind}">'
        f"{badge(outcome.outcome)}</span></td>"
        f'<th scope="row"><a href="#{anchor}"><code>{esc(outcome.requirement_id)}</code>'
        f"{grant}</a></th><td>{esc(outcome.level)}</td>"
        f'<td class="reason">{esc(_one_line(outcome))}</td></tr>'
    )


def _security(header: Mapping[str, Any]) -> str:
    """The threat roll-up: one row per threat, its state and why (security findings)."""
    security = header.get("security") or {}
    threats = security.get("threats") or []
    if not threats:
        return ""
    rows = "\n".join(
        f'<tr data-threat-state="{esc(entry["state"])}"><th scope="row">{esc(entry["title"])}</th>'
        f'<td><span class="badge threat-{esc(entry["state"].replace(" ", "-"))}">'
        f"{esc(entry['state'])}</span></td>"
        f'<td class="reason">{esc(entry["why"])}</td></tr>'
        for entry in threats
    )
    mode = security.get("mode", "warn")
    effect = (
        "findings are reported and never fail the run"
        if mode == "warn"
        else f"findings at {mode.removeprefix('fail-on=')} level fail the run"
    )
    return (
        '<section class="top security" id="security" aria-labelledby="security-title">\n'
        '<h2 id="security-title">Security: threats</h2>\n'
        f"<p>Security findings beside the contract (--security {esc(mode)}: {effect}).</p>\n"
        '<table class="security"><caption class="sr-only">Each threat, whether the findings '
        "show it mitigated, and why</caption>\n"
        '<thead><tr><th scope="col">Threat</th><th scope="col">State</th>'
        '<th scope="col">Why</th></tr></thead>\n'
        f"<tbody>\n{rows}\n</tbody></table>\n</section>"
    )


def _one_line(outcome: Outcome) -> str:
    """The message's title line (the summary when there is none), cut to a line's length."""
    line = outcome.message.strip().partition("\n")[0].strip() or outcome.summary
    return line if len(line) <= t.REASON_LENGTH else line[: t.REASON_LENGTH - 1] + "…"


def _run_facts_section(outcomes: Sequence[Outcome], header: Mapping[str, Any]) -> str:
    counts = Counter(o.outcome for o in outcomes)
    items = "".join(
        f'<li class="outcome-{kind}" data-count="{kind}">'
        f'<span aria-hidden="true">{t.SYMBOLS[kind]}</span> <strong>{counts.get(kind, 0)}</strong>'
        f" {kind}</li>"
        for kind in OUTCOMES
    )
    rows = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in _run_facts(header))
    return (
        '<section class="top run-facts" id="run" aria-labelledby="run-title">\n'
        f'<h2 id="run-title">The run</h2>\n<dl class="run">{rows}</dl>\n'
        f'<h3 class="sr-only">Counts</h3><ul class="counts" aria-label="Checks per outcome">'
        f"{items}</ul>\n</section>"
    )


def _untested(outcomes: Sequence[Outcome]) -> str:
    """The MUST requirements the verdict does not cover, right under it."""
    untested = untested_musts(outcomes)
    if not untested:
        return ""
    names = ", ".join(f"<code>{esc(u)}</code>" for u in untested)
    return f'<p class="untested" id="untested">MUST requirements not tested: {names}</p>\n'


def _run_facts(header: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, escaped value) pairs describing the run."""
    get = header.get
    endpoint = f"{get('base_url', '')}{get('token_path', '')}"
    requests = (
        f"{esc(get('requests_sent', '?'))} sent ({esc(get('generated_requests', 0))} generated "
        f"by the property-based phase); wrong-password attempts "
        f"{esc(get('wrong_password_attempts', 0))}/{esc(get('wrong_password_cap', '?'))}; "
        f"{esc(pacing_line(header))}"
    )
    facts = [
        ("Target", esc(get("target", ""))),
        ("Token endpoint", esc(endpoint)),
        ("Profile", esc(get("profile") or "default")),
        ("Edition", esc(get("edition", "")) + (" (strict)" if get("strict") else "")),
        ("Seed", esc(get("seed", ""))),
        ("Suite version", esc(get("suite_version", ""))),
        ("Duration", esc(_duration(get("duration_s")))),
        ("Requests", requests),
    ]
    if get("started"):
        facts.append(("Started", esc(get("started"))))
    if get("finished"):
        facts.append(("Finished", esc(get("finished"))))
    return facts


def _filters() -> str:
    """Filter buttons, `hidden` until the script shows them: without JS everything shows."""
    buttons = "".join(
        f'<button type="button" data-filter="{kind}" aria-pressed="false">'
        f"{badge(kind) if kind != 'all' else 'all'}</button>"
        for kind in t.FILTERS
    )
    return (
        '<nav class="filters" id="filters" aria-label="Filter checks by outcome" hidden>'
        f'<span>Show: </span>{buttons}<p id="filter-status" aria-live="polite"></p></nav>\n'
        # Not <noscript>: the script hides this note, which also covers a script that fails.
        '<p class="noscript" id="no-filters">Filtering by outcome needs JavaScript; '
        "every check is shown.</p>"
    )


# --- requirement matrix -------------------------------------------------------------------
def _matrix(anchored: Anchored, collapsed: bool) -> str:
    rows: dict[str, Anchored] = {}
    for outcome, anchor in anchored:  # contract order: first appearance
        rows.setdefault(outcome.requirement_id, []).append((outcome, anchor))
    extra = sorted({o.grant for o, _ in anchored if o.grant and o.grant not in t.GRANTS})
    columns: list[str | None] = [*t.GRANTS, *extra, None]
    head = "".join(
        f'<th scope="col">{esc(t.GRANT_LABELS.get(g, g))}</th>'
        if g
        else f'<th scope="col"><abbr title="not checked per grant">{t.NOT_PER_GRANT}</abbr></th>'
        for g in columns
    )
    body = "\n".join(_matrix_row(cells, columns) for cells in rows.values())
    # Collapsed under a list of what needs attention: that list is the way in, and the
    # matrix (a screen a row) is there for the whole picture, a click away.
    state = "" if collapsed else " open"
    return (
        '<section id="matrix" aria-labelledby="matrix-title">\n'
        f'<details class="matrix" id="matrix-details"{state}><summary>'
        f'<h2 id="matrix-title">Requirement matrix</h2> ({len(rows)} requirements)</summary>\n'
        '<table class="matrix" id="matrix-table" data-filter="all">\n'
        '<caption class="sr-only">Outcome per requirement and grant; each cell links to the '
        "check's details</caption>\n"
        '<thead><tr><th scope="col">Requirement</th><th scope="col">Level</th>'
        f'<th scope="col">Decision</th><th scope="col">Summary</th>{head}</tr></thead>\n'
        f"<tbody>\n{body}\n</tbody>\n</table>\n</details>\n</section>"
    )


def _matrix_row(cells: Anchored, columns: Sequence[str | None]) -> str:
    first = cells[0][0]
    kinds = " ".join(sorted({o.outcome for o, _ in cells}))
    tds = "".join(_matrix_cell([c for c in cells if c[0].grant == g]) for g in columns)
    return (
        f'<tr data-outcomes="{esc(kinds)}"><th scope="row"><code>{esc(first.requirement_id)}'
        f"</code></th><td>{esc(first.level)}</td><td>{esc(first.decision or '')}</td>"
        f'<td class="summary">{esc(first.summary)}</td>{tds}</tr>'
    )


def _matrix_cell(cells: Anchored) -> str:
    if not cells:
        return '<td class="na"><span class="sr-only">not applicable</span></td>'
    kinds = " ".join(o.outcome for o, _ in cells)
    links = "".join(
        f'<a href="#{anchor}">{badge(o.outcome)}{_waiver_note(o)}</a>' for o, anchor in cells
    )
    css = esc(cells[0][0].outcome)
    return f'<td class="cell outcome-{css}" data-cell="{esc(kinds)}">{links}</td>'


def _waiver_note(outcome: Outcome) -> str:
    state = (outcome.waiver or {}).get("state")
    if state in ("expired", "stale"):
        return f'<span class="note">({esc(state)} waiver)</span>'
    return ""


# --- per-check details --------------------------------------------------------------------
def _checks(anchored: Anchored) -> str:
    parts = [
        '<section id="checks" aria-labelledby="checks-title">',
        '<h2 id="checks-title">Checks</h2>',
    ]
    known = set(t.GROUP_ORDER)
    for kind in (*t.GROUP_ORDER, *sorted({o.outcome for o, _ in anchored} - known)):
        members = [(o, a) for o, a in anchored if o.outcome == kind]
        if members:
            parts.append(_group(kind, members))
    parts.append("</section>")
    return "\n".join(parts)


def _group(kind: str, members: Anchored) -> str:
    title = f"{esc(t.GROUP_TITLES.get(kind, kind))} ({len(members)})"
    articles = "\n".join(_check(o, anchor) for o, anchor in members)
    if kind == "passed":  # passing checks are there for the record, collapsed
        return (
            f'<details class="group" data-group="{kind}"><summary><h3>{title}</h3></summary>\n'
            f"{articles}\n</details>"
        )
    return (
        f'<section class="group" data-group="{esc(kind)}"><h3>{title}</h3>\n{articles}\n</section>'
    )


def _check(outcome: Outcome, anchor: str) -> str:
    kind = esc(outcome.outcome)
    grant = f" · {esc(outcome.grant)}" if outcome.grant else ""
    evidence = "\n".join(
        exchange_html(number, record, open_=number == 1 and outcome.outcome != "passed")
        for number, record in enumerate(outcome.evidence, start=1)
    )
    if evidence:
        count = len(outcome.evidence)
        evidence = f"<h5>Evidence ({count} exchange{'s' if count != 1 else ''})</h5>\n{evidence}"
    return (
        f'<article class="check check-{kind}" id="{anchor}" data-outcome="{kind}">\n'
        f'<h4><span class="badge outcome-{kind}">{badge(outcome.outcome)}</span>'
        f"<code>{esc(outcome.requirement_id)}</code>{grant}</h4>\n"
        f'<p class="summary">{esc(outcome.summary)}</p>\n{_facts(outcome)}\n'
        f"{_message(outcome.message)}{_waiver(outcome.waiver)}{evidence}\n"
        '<p><a href="#matrix-details">Back to the matrix</a></p>\n</article>'
    )


def _facts(outcome: Outcome) -> str:
    pairs = [
        ("Level", outcome.level),
        ("Grant", outcome.grant or t.NOT_PER_GRANT),
        ("Edition", outcome.edition),
        ("Decision", outcome.decision),
        ("Area", outcome.area),
        ("Source", outcome.source),
        ("Duration", f"{outcome.duration_s:.3f} s"),
    ]
    items = "".join(f"<div><dt>{label}</dt><dd>{esc(v)}</dd></div>" for label, v in pairs if v)
    return f'<dl class="facts">{items}</dl>'


def _message(message: str) -> str:
    """The title line in bold, the rest (Expected / Received) preformatted."""
    if not message.strip():
        return ""
    title, _, rest = message.strip("\n").partition("\n")
    detail = f'<pre class="message">{esc(rest.strip(chr(10)))}</pre>\n' if rest.strip() else ""
    return f'<p class="message-title">{esc(title)}</p>\n{detail}'


def _waiver(waiver: Mapping[str, Any] | None) -> str:
    if not waiver:
        return ""
    state = str(waiver.get("state", "applied"))
    template = t.WAIVER_TEXT.get(state, "Waiver ({state}), expires {expires}.")
    text = template.format(state=state, expires=waiver.get("expires", "?"))
    return (
        f'<div class="waiver waiver-{esc(state)}"><p><strong>{esc(text)}</strong></p>'
        f"<p>Reason: {esc(waiver.get('reason', ''))}</p></div>\n"
    )
