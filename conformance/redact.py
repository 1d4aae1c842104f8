"""The one redactor: every text or record that leaves memory passes through here.

It knows the configured secrets (client secrets, user passwords) and learns every
token and code the run sees. It redacts structurally (the Authorization header,
secret form fields, secret JSON fields) and then literally (any known secret value,
and its URL- and form-encoded spellings, wherever else it appears).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode

from conformance.exchange import Exchange, RecordedRequest, RecordedResponse
from conformance.reproduce import curl_line

MASK = "[REDACTED]"
# Field names whose values are secrets wherever they appear (form or JSON).
SECRET_FIELDS = frozenset(
    {"password", "client_secret", "code", "refresh_token", "access_token", "id_token", "token"}
)
# In a JSON body `code` is the platform's error code (CMN_90004), never a secret: an
# authorization code travels in forms, and the run learns each one when it fetches it.
SECRET_JSON_FIELDS = SECRET_FIELDS - {"code"}
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
EVIDENCE_BODY_LIMIT = 4096
MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words
# text() finds secrets through an index of GRAM-character pieces of each value, looking up
# only every `stride`-th piece of the text (see Redactor._candidates). The index holds
# `stride` pieces per value: at 8, about 1 KB per value (3 MB for the ~2,800 values of a
# default run) for ~30x the speed of one `value in text` per value; 16 doubles the memory
# for a third less time, on bodies only (benchmarks/redact_bench.py measures this).
GRAM = MIN_SECRET_LENGTH  # so that every value has at least one piece
MAX_STRIDE = 8


class Redactor:
    """Masks secrets; safe to share between threads."""

    def __init__(
        self, secrets: Iterable[str | None] = (), variables: Mapping[str, str] | None = None
    ) -> None:
        # The CONFORMANCE_* variables a curl reproduction reads instead of showing values.
        self._variables = dict(variables or {})
        self._lock = threading.Lock()  # guards _values, _grams and _stride
        self._values: set[str] = set()
        # A GRAM-character piece -> the values that have it among their last `_stride`
        # pieces. learn() adds to it and nothing rebuilds it, so text() costs the same
        # however learn() and text() interleave.
        self._grams: dict[str, list[str]] = {}
        self._stride = MAX_STRIDE  # shrinks to fit the shortest value, never grows
        for secret in secrets:
            self.learn(secret)

    def learn(self, value: str | None) -> None:
        """Remember a secret value (and its encoded spellings) to mask from now on."""
        if not value or len(value) < MIN_SECRET_LENGTH:
            return
        spellings = {value, quote(value, safe=""), quote_plus(value)}
        spellings.add(base64.b64encode(value.encode()).decode())
        with self._lock:
            for spelling in spellings - self._values:
                if len(spelling) < MIN_SECRET_LENGTH:
                    continue
                self._values.add(spelling)
                self._stride = min(self._stride, len(spelling) - GRAM + 1)
                # The last pieces, not the first: tokens that share anything share a
                # prefix (JWT headers, vendor prefixes), and one crowded piece would make
                # every text holding that prefix check all of them.
                end = len(spelling) - GRAM + 1
                for start in range(end - self._stride, end):
                    self._grams.setdefault(spelling[start : start + GRAM], []).append(spelling)

    def learn_from_body(self, body: Any) -> None:
        """Remember the secret fields of a parsed JSON response body."""
        if isinstance(body, dict):
            for key, value in body.items():
                if key in SECRET_JSON_FIELDS and isinstance(value, str):
                    self.learn(value)

    def text(self, text: str) -> str:
        """`text` with every occurrence of every known secret value masked.

        Overlapping occurrences become one MASK over their whole stretch, so the longest
        value at a position wins and no part of any secret is left showing.
        """
        spans = []
        for value in self._candidates(text):
            start = text.find(value)
            while start >= 0:
                spans.append((start, start + len(value)))
                start = text.find(value, start + 1)
        return _mask_spans(text, spans) if spans else text

    def _candidates(self, text: str) -> set[str]:
        """The known values that may occur in `text`: a superset of those that do.

        An occurrence of value v covers len(v) - GRAM + 1 consecutive piece positions
        of the text, the last `stride` of which hold the pieces v is indexed under; any
        `stride` consecutive positions include a multiple of `stride`, so looking up
        the pieces at those positions finds v. The stride only shrinks, so values
        indexed under an older, larger stride have the pieces the current one needs.
        Scanning a 4 KiB body once beats one `value in text` per value (thousands).
        """
        with self._lock:
            sampled = {text[i : i + GRAM] for i in range(0, len(text) - GRAM + 1, self._stride)}
            return {value for piece in self._grams.keys() & sampled for value in self._grams[piece]}

    def headers(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Headers with secret-bearing values masked, keeping the auth scheme visible."""
        out = []
        for name, value in headers:
            if name.lower() in SECRET_HEADERS:
                scheme = value.split(" ", 1)[0] if " " in value else ""
                value = f"{scheme} {MASK}".strip()
            out.append((name, self.text(value)))
        return out

    def body(self, body: bytes, media_type: str) -> str:
        """A body as text for evidence, secret fields masked, truncated."""
        text = body[:EVIDENCE_BODY_LIMIT].decode("utf-8", errors="replace")
        # Shape decides, not the declared media type: the suite sends forms labelled as
        # something else on purpose, and targets mislabel their answers.
        if "json" in media_type or text.lstrip().startswith(("{", "[")):
            text = self._json_text(text)
        else:
            text = self._form_text(text)
        suffix = (
            f"... [{len(body) - EVIDENCE_BODY_LIMIT} more bytes]"
            if len(body) > EVIDENCE_BODY_LIMIT
            else ""
        )
        return self.text(text) + suffix

    def _json_text(self, text: str) -> str:
        try:
            parsed = json.loads(text)
        except ValueError:
            return text
        return json.dumps(_mask_json(parsed), ensure_ascii=False)

    def _form_text(self, text: str) -> str:
        try:
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            return text
        return urlencode([(k, MASK if k in SECRET_FIELDS else v) for k, v in pairs], safe="[]")

    def request(self, request: RecordedRequest) -> dict[str, Any]:
        media = (request.header("content-type") or "").lower()
        return {
            "method": request.method,
            "url": self.text(request.url),
            "headers": self.headers(request.headers),
            "body": self.body(request.body, media),
        }

    def response(self, response: RecordedResponse) -> dict[str, Any]:
        return {
            "status": response.status,
            "headers": self.headers(response.headers),
            "body": self.body(response.body, response.media_type),
            "truncated": response.truncated,
            "elapsed_ms": round(response.elapsed_ms, 1),
        }

    def evidence(self, exchange: Exchange) -> dict[str, Any]:
        """An exchange as a redacted, JSON-ready record with its curl reproduction."""
        return {
            "scenario": exchange.scenario,
            "label": exchange.label,
            "grant": exchange.grant,
            "request": self.request(exchange.request),
            "response": self.response(exchange.response) if exchange.response else None,
            "transport_error": self.text(exchange.transport_error or "") or None,
            "curl": self.curl(exchange.request),
        }

    def curl(self, request: RecordedRequest) -> str:
        """A curl command reproducing `request`, its credentials read from the environment
        (`conformance.reproduce`)."""
        return curl_line(request, self._variables, self.text, MASK, SECRET_FIELDS)


def _mask_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each stretch that (start, end) spans cover, overlapping, as one MASK."""
    spans.sort()
    parts: list[str] = []
    done = 0  # text[:done] is in parts already
    start, end = spans[0]
    for next_start, next_end in spans[1:]:
        if next_start < end:
            end = max(end, next_end)
            continue
        parts += (text[done:start], MASK)
        done, start, end = end, next_start, next_end
    parts += (text[done:start], MASK, text[end:])
    return "".join(parts)


def _mask_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: MASK if k in SECRET_JSON_FIELDS and v else _mask_json(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mask_json(v) for v in value]
    return value
