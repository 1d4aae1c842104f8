"""Building blocks of the HTML report: style sheet, filter script, wording, escaping, evidence.

`html.py` assembles the page from these. The style sheet and script are constants with no
run data in them: the script reads what it needs from the page's escaped `data-*`
attributes, so no run data is ever written inside a `<script>` element. Every value from
the run or the target goes through `esc` (HTML escaping, quotes included).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from conformance.results import OUTCOMES, READING_ORDER

# C0 controls (but tab and newline) and DEL are shown as escapes: a CR smuggled into a header
# value should be seen, not silently turn into a line break.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# The report opens from disk, in a mail attachment or a CI artifact viewer: it may load
# nothing. Inline style and script are the only things it needs.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
)

GRANTS = ("client_credentials", "password", "authorization_code", "refresh_token")
GRANT_LABELS = {
    "client_credentials": "client credentials",
    "password": "password",
    "authorization_code": "authorization code",
    "refresh_token": "refresh token",
}
NOT_PER_GRANT = "—"

# Symbol and word go together: colour is never the only signal.
SYMBOLS = {
    "passed": "✓",
    "failed": "✗",
    "warned": "⚠",
    "waived": "⊘",
    "skipped": "↷",
    "error": "‼",
}
# Detail sections: what needs attention first, passing checks last (collapsed).
GROUP_ORDER = READING_ORDER
GROUP_TITLES = {
    "error": "Errors: the suite could not judge these",
    "failed": "Failed",
    "warned": "Warnings",
    "waived": "Waived failures",
    "skipped": "Skipped",
    "passed": "Passed",
}
# What the top of the page lists before anything else, each linking to its evidence.
ATTENTION = ("error", "failed", "warned")
REASON_LENGTH = 160  # characters of a message's first line shown in that list
FILTERS = ("all", "failed", "warned", "skipped", "waived", "error", "passed")

VERDICT_TEXT = {
    "PASS": "every MUST requirement holds",
    "FAIL": "at least one requirement failed",
    "ERROR": "the suite could not run every check",
}
WAIVER_TEXT = {
    "applied": "Waiver applied: the failure is accepted until {expires}.",
    "expired": "Waiver expired on {expires}: the failure counts again.",
    "stale": "Stale waiver (expires {expires}): the requirement now passes; remove the waiver.",
}

_OUTCOME_COLOURS = {
    # (background, text); every pair is above 7:1 contrast.
    "passed": ("#e3f3e6", "#0b4f1c"),
    "failed": ("#fde4e6", "#8c0c18"),
    "warned": ("#fff1c2", "#5a4100"),
    "waived": ("#ebe6fb", "#3f2387"),
    "skipped": ("#eceff2", "#323c46"),
    "error": ("#fae0f4", "#74175c"),
}


def _outcome_css() -> str:
    rules = []
    for kind, (background, text) in _OUTCOME_COLOURS.items():
        rules.append(f".outcome-{kind}{{background:{background};color:{text}}}")
        rules.append(f".check-{kind}{{border-left-color:{text}}}")
        # While a filter is on, the matching cells of the matrix are outlined.
        rules.append(
            f'table[data-filter="{kind}"] td[data-cell~="{kind}"]'
            f"{{outline:3px solid {text};outline-offset:-3px}}"
        )
    return "\n".join(rules)


assert set(_OUTCOME_COLOURS) == set(OUTCOMES) == set(SYMBOLS) == set(GROUP_ORDER)

CSS = """
[hidden]{display:none!important}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
  color:#1b1f24;background:#fff}
main,header.run,section.top,nav.filters{max-width:78rem;margin:0 auto;padding:0 1.25rem}
h1{font-size:1.6rem;margin:1.25rem 0 .5rem}
h2{font-size:1.3rem;margin:2rem 0 .75rem;border-bottom:2px solid #d0d7de;padding-bottom:.25rem}
h3{font-size:1.1rem;margin:1.5rem 0 .5rem}
h4{font-size:1rem;margin:0 0 .25rem}
h5{font-size:.95rem;margin:.75rem 0 .25rem}
h6{font-size:.85rem;margin:.5rem 0 .15rem;text-transform:uppercase;letter-spacing:.03em;
  color:#444c56}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f4f6f8;border:1px solid #d0d7de;
  border-radius:4px;padding:.5rem .75rem;margin:.25rem 0}
a{color:#0645ad}
.verdict{display:inline-block;font-size:1.4rem;font-weight:700;padding:.4rem 1rem;
  border-radius:6px;color:#fff;margin:.25rem 0 .75rem}
.verdict-PASS{background:#1a6e2e}.verdict-FAIL{background:#a3161a}
.verdict-ERROR{background:#5e2575}
.verdict small{font-weight:400;font-size:1rem}
dl.run{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:0}
dl.run dt{font-weight:600}dl.run dd{margin:0;overflow-wrap:anywhere}
ul.counts{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.5rem;margin:.75rem 0}
ul.counts li{padding:.2rem .7rem;border-radius:999px;border:1px solid currentColor}
nav.filters{position:sticky;top:0;background:#fff;padding-top:.5rem;padding-bottom:.5rem;
  border-bottom:1px solid #d0d7de;z-index:1}
nav.filters button{font:inherit;padding:.2rem .8rem;margin:0 .25rem .25rem 0;cursor:pointer;
  border:1px solid #57606a;border-radius:4px;background:#fff;color:#1b1f24}
nav.filters button[aria-pressed="true"]{background:#1b1f24;color:#fff}
nav.filters p{display:inline;margin-left:.5rem}
.noscript{color:#444c56;max-width:78rem;margin:.5rem auto;padding:0 1.25rem}
table.matrix{border-collapse:collapse;width:100%}
table.matrix th,table.matrix td{border:1px solid #d0d7de;padding:.3rem .45rem;
  vertical-align:top;text-align:left}
table.matrix thead th{background:#f4f6f8}
table.matrix tbody th{white-space:nowrap}
table.matrix td.summary{font-size:.85rem;min-width:16rem}
table.matrix td.cell{white-space:nowrap}
table.matrix td.cell a{color:inherit;text-decoration:none;display:block}
table.matrix td.cell a:hover,table.matrix td.cell a:focus{text-decoration:underline}
table.matrix td.na{background:repeating-linear-gradient(45deg,#fff,#fff 4px,#f4f6f8 4px,
  #f4f6f8 8px)}
.note{font-size:.8rem;display:block}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);
  white-space:nowrap}
.check{border:1px solid #d0d7de;border-left:6px solid;border-radius:4px;padding:.75rem 1rem;
  margin:.75rem 0;background:#fff;color:#1b1f24}
.badge{display:inline-block;padding:0 .5rem;border-radius:4px;font-weight:700;
  margin-right:.35rem}
dl.facts{display:flex;flex-wrap:wrap;gap:.1rem 1.25rem;margin:.25rem 0;font-size:.85rem}
dl.facts dt{font-weight:600}dl.facts dt::after{content:":"}dl.facts dd{margin:0 0 0 .3rem}
dl.facts div{display:flex}
p.message-title{font-weight:600;margin:.5rem 0 .25rem}
.waiver{border:1px dashed #3f2387;border-radius:4px;padding:.35rem .75rem;margin:.5rem 0}
details>summary{cursor:pointer}
/* a section reached from the matrix is not left under the sticky filter bar */
.check,section{scroll-margin-top:4.5rem}
details.group>summary h3{display:inline}
details.matrix>summary h2{display:inline-block;border:0;margin:1.25rem 0 .5rem}
table.attention{border-collapse:collapse;width:100%}
table.attention th,table.attention td{border-bottom:1px solid #d0d7de;padding:.3rem .45rem;
  text-align:left;vertical-align:top}
table.attention tbody th{white-space:nowrap;font-weight:400}
table.attention td.reason{overflow-wrap:anywhere}
table.security{border-collapse:collapse;width:100%}
table.security th,table.security td{border-bottom:1px solid #d0d7de;padding:.3rem .45rem;
  text-align:left;vertical-align:top}
table.security td.reason{overflow-wrap:anywhere}
.threat-mitigated{background:#e3f3e6;color:#0b4f1c}
.threat-partly-mitigated{background:#fff1c2;color:#5a4100}
.threat-unmitigated{background:#fde4e6;color:#8c0c18}
.threat-not-judged{background:#eceff2;color:#323c46}
details.exchange{margin:.35rem 0;border:1px solid #d0d7de;border-radius:4px;
  padding:.25rem .75rem}
.transport{color:#8c0c18;font-weight:600}
@media print{nav.filters{display:none}details{display:block}}
""" + _outcome_css()

# Progressive enhancement: without this script every row and section stays visible and the
# filter bar (rendered `hidden`) stays out of the way.
JS = """
(function () {
  "use strict";
  var nav = document.getElementById("filters");
  if (!nav) { return; }
  var buttons = Array.prototype.slice.call(nav.querySelectorAll("button[data-filter]"));
  var rows = document.querySelectorAll("tr[data-outcomes]");
  var checks = document.querySelectorAll("article[data-outcome]");
  var groups = document.querySelectorAll("[data-group]");
  var matrix = document.getElementById("matrix-table");
  var collapsedMatrix = document.getElementById("matrix-details");
  var status = document.getElementById("filter-status");

  function matches(kind, words) {
    return kind === "all" || words.split(" ").indexOf(kind) !== -1;
  }

  function apply(kind) {
    var shown = 0;
    rows.forEach(function (row) {
      row.hidden = !matches(kind, row.getAttribute("data-outcomes"));
    });
    checks.forEach(function (check) {
      var on = matches(kind, check.getAttribute("data-outcome"));
      check.hidden = !on;
      if (on) { shown += 1; }
    });
    groups.forEach(function (group) {
      var on = matches(kind, group.getAttribute("data-group"));
      group.hidden = !on;
      if (on && kind !== "all" && group.tagName === "DETAILS") { group.open = true; }
    });
    if (matrix) { matrix.setAttribute("data-filter", kind); }
    // A filter is asked for to see rows: a matrix collapsed under the list opens.
    if (collapsedMatrix && kind !== "all") { collapsedMatrix.open = true; }
    buttons.forEach(function (button) {
      var pressed = button.getAttribute("data-filter") === kind;
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
    });
    status.textContent = kind === "all"
      ? "Showing all " + checks.length + " checks."
      : "Showing " + shown + " " + kind + " of " + checks.length + " checks.";
  }

  // A link into a collapsed or filtered-out section opens it instead of going nowhere.
  function reveal(target) {
    for (var node = target; node; node = node.parentElement) {
      if (node.hidden) { apply("all"); }
      if (node.tagName === "DETAILS") { node.open = true; }
    }
  }

  nav.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-filter]");
    if (button) { apply(button.getAttribute("data-filter")); }
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    var target = link && document.getElementById(link.getAttribute("href").slice(1));
    if (target) { reveal(target); }
  });
  var initial = location.hash && document.getElementById(location.hash.slice(1));
  nav.hidden = false;
  var note = document.getElementById("no-filters");
  if (note) { note.hidden = true; }
  apply("all");
  if (initial) { reveal(initial); initial.scrollIntoView(); }
})();
"""


# --- escaping and evidence fragments ---------------------------------------------------
def esc(value: object) -> str:
    """Escape anything for element text and quoted attribute values."""
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n")
    text = _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return html.escape(text, quote=True)


def esc_line(value: object) -> str:
    """Escape a value that must stay on one line (header names and values)."""
    text = "" if value is None else str(value)
    return esc(text.replace("\r", "\\r").replace("\n", "\\n"))


def badge(kind: str) -> str:
    symbol = SYMBOLS.get(kind, "?")
    return f'<span aria-hidden="true">{symbol}</span> {esc(kind)}'


def exchange_html(number: int, record: Mapping[str, Any], open_: bool) -> str:
    response = record.get("response")
    answer = f"HTTP {response.get('status')}" if response else "no HTTP answer"
    label = " · ".join(str(v) for v in (record.get("label"), record.get("grant")) if v)
    summary = f"{number}. {record.get('scenario', '')}" + (f" — {label}" if label else "")
    parts = [
        f'<details class="exchange"{" open" if open_ else ""}>',
        f"<summary>{esc(summary)} → {esc(answer)}</summary>",
        _request(record.get("request") or {}),
    ]
    if response:
        parts.append(_response(response))
    if record.get("transport_error"):
        parts.append(f'<p class="transport">Transport error: {esc(record["transport_error"])}</p>')
    if record.get("curl"):
        parts.append(f'<h6>Reproduce with curl</h6><pre class="curl">{esc(record["curl"])}</pre>')
        hint = _curl_hint(str(record["curl"]))
        parts += [hint] if hint else []
    parts.append("</details>")
    return "\n".join(parts)


def _curl_hint(curl: str) -> str:
    """Which variables the line reads: it shows no credential, so the shell must hold them."""
    names = sorted(set(re.findall(r"\$([A-Z][A-Z0-9_]*)", curl)))
    if not names:
        return ""
    return (
        f'<p class="note">Set {esc(", ".join(names))} in the shell first (the values the run '
        "used; a fresh token or code for any other): the line reads them, it shows none.</p>"
    )


def _request(request: Mapping[str, Any]) -> str:
    start = f"{esc(request.get('method', ''))} {esc_line(request.get('url', ''))}"
    return f'<h6>Request</h6><pre class="http">{_http(start, request)}</pre>'


def _response(response: Mapping[str, Any]) -> str:
    notes = [f"{response.get('elapsed_ms')} ms"] if response.get("elapsed_ms") is not None else []
    if response.get("truncated"):
        notes.append("body truncated")
    start = esc(f"HTTP {response.get('status')}" + (f" ({', '.join(notes)})" if notes else ""))
    return f'<h6>Response</h6><pre class="http">{_http(start, response)}</pre>'


def _http(start: str, message: Mapping[str, Any]) -> str:
    """An escaped start line (given), escaped headers and the escaped, prettified body."""
    lines = [start, *(f"{esc_line(n)}: {esc_line(v)}" for n, v in _pairs(message))]
    body = message.get("body")
    if body:
        lines += ["", esc(_pretty(str(body)))]
    return "\n".join(lines)


def _pairs(message: Mapping[str, Any]) -> Iterable[tuple[object, object]]:
    for pair in message.get("headers") or ():
        if isinstance(pair, list | tuple) and len(pair) == 2:
            yield pair[0], pair[1]


def _pretty(body: str) -> str:
    """JSON bodies indented for reading, but only when indenting loses nothing.

    The redactor stores JSON as `json.dumps` output; a body that does not round-trip to the
    same text (duplicate keys, `1e3`, a truncation suffix) is shown exactly as recorded.
    """
    if not body.lstrip().startswith(("{", "[")):
        return body
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    if json.dumps(parsed, ensure_ascii=False) != body:
        return body
    return json.dumps(parsed, indent=2, ensure_ascii=False)
