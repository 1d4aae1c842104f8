"""How hard a run's tokens are to guess (RFC 6749 10.10, SEC-TOKEN-ENTROPY).

A black box sees tokens, not their generator: every figure is the most the samples
allow, never proof of randomness (a hashed counter looks random). What samples do show
is how tokens fall short: too short, a small alphabet, a fixed prefix or tag, a counter,
a skewed character distribution, a repeat. The estimate is the smallest of three bounds
over the characters that vary between samples: length x log2(alphabet), the pooled
character entropy, the sum of each position's entropy. The empirical two are read
generously (the shortfall a uniform source shows in as many draws is forgiven), so a
128-bit token does not fail the 128-bit line by sampling noise.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import os
import string
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

REQUIREMENT_ID = "SEC-TOKEN-ENTROPY"
MUST_BITS, SHOULD_BITS = 128, 160  # RFC 6749 10.10: guessing at most 2^-128, 2^-160

# Character classes, smallest first: a token's alphabet is the first holding every
# character it varies in (a smaller class is a tighter bound).
_ALNUM = string.ascii_letters + string.digits
_BASE64URL = frozenset(_ALNUM + "-_")
ALPHABETS: tuple[tuple[str, frozenset[str]], ...] = (
    ("decimal", frozenset(string.digits)),
    ("hex", frozenset("0123456789abcdef")),
    ("hex", frozenset("0123456789ABCDEF")),
    ("alphanumeric", frozenset(_ALNUM)),
    ("base64url", _BASE64URL),
    ("base64", frozenset(_ALNUM + "+/=")),
    ("printable", frozenset(map(chr, range(0x20, 0x7F)))),
)
# Standard deviations of a uniform source's entropy shortfall tolerated before the
# counts lower the estimate; chosen so that clean 128-bit tokens essentially never drop
# below the line (tests/test_token_entropy.py measures the rate).
_Z = 8.0
# Odds below which constant positions are structure (a prefix, a tag), not a coincidence.
_CHANCE = 1e-4
_SHOWN_PREFIX = 12  # at most this much of a shared prefix, and a quarter of a token, shown

SIGNED = (
    "a signed structure; its unpredictability is in the signature key, "
    "which a black-box test cannot see"
)


@dataclass(frozen=True)
class EntropyEstimate:
    """The guessing resistance of one kind of token, from the samples a run collected."""

    kind: str  # "access token", "refresh token", "authorization code"
    samples: int
    bits: float | None  # None: not estimable, and `reason` says why
    method: str  # one sentence: how the bits were reached
    confidence: str  # "none", "bound only", "low", "medium" or "high"
    reason: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)  # no token text but a shared head
    # bits the removed constant positions would add were they the coincidence of too few
    # samples: a verdict this could turn is not given
    ambiguous_bits: float = 0.0


@dataclass(frozen=True)
class EntropyVerdict:
    """An estimate against RFC 6749 10.10's lines, in the result model's outcome words."""

    requirement_id: str
    kind: str
    outcome: str  # "passed", "warned" (below the SHOULD), "failed" (below the MUST), "skipped"
    level: str  # the line the outcome answers: MUST when failed or not judged, else SHOULD
    reason: str


def estimate(kind: str, samples: Sequence[str]) -> EntropyEstimate:
    """The bits an attacker must guess for a token of this kind, as far as samples show."""
    samples = list(samples)
    n = len(samples)
    if not samples:
        return EntropyEstimate(kind, 0, None, "no samples", "none", "the run collected none")
    if repeated := _repeated(kind, samples, lead="", evidence={}):
        return repeated
    jwts = [parsed for parsed in map(_jwt, samples) if parsed is not None]
    if not jwts:
        return _opaque(kind, samples, lead="", evidence={})
    structure = {"structure": "JWT", "alg": sorted({str(h[0]["alg"]) for h in jwts})}
    if len(jwts) < n:
        reason = f"{len(jwts)} of the {n} samples are JWTs, the others not: no one shape"
        return EntropyEstimate(kind, n, None, "mixed shapes", "none", reason, structure)
    jtis = [p.get("jti") for _, p in jwts]
    missing = sum(not isinstance(j, str | int) or isinstance(j, bool) for j in jtis)
    if missing:
        reason = f"{SIGNED} (no jti claim in {missing} of the {n} samples)"
        return EntropyEstimate(kind, n, None, "JWT without jti", "none", reason, structure)
    return _opaque(kind, [str(j) for j in jtis], lead="JWT, on its jti claim: ", evidence=structure)


def judge(found: EntropyEstimate) -> EntropyVerdict:
    """SEC-TOKEN-ENTROPY: fail below 128 bits (MUST), warn below 160 (SHOULD)."""
    lines = f"MUST >= {MUST_BITS} bits, SHOULD >= {SHOULD_BITS} (RFC 6749 10.10)"
    if found.bits is None:
        reason = f"{found.kind}: not estimable: {found.reason}; {lines}"
        return EntropyVerdict(REQUIREMENT_ID, found.kind, "skipped", "MUST", reason)
    said = (
        f"{found.kind}: about {found.bits:.1f} bits over {found.samples} sample(s), "
        f"confidence {found.confidence} ({found.method}); {lines}"
    )
    if found.bits < MUST_BITS <= found.bits + found.ambiguous_bits:
        reason = f"{said}; too few samples to tell fixed positions from chance: collect more"
        # counting those positions back would reach the line: neither verdict is safe
        return EntropyVerdict(REQUIREMENT_ID, found.kind, "skipped", "MUST", reason)
    if found.bits < MUST_BITS:
        # with one sample the bits are an upper limit, so below the line is still a failure
        return EntropyVerdict(REQUIREMENT_ID, found.kind, "failed", "MUST", said)
    if found.confidence == "bound only":
        # a fixed prefix or a counter is invisible in one token: no pass on the bound alone
        reason = f"{said}; one sample cannot show which characters vary: collect more"
        return EntropyVerdict(REQUIREMENT_ID, found.kind, "skipped", "MUST", reason)
    outcome = "warned" if found.bits < SHOULD_BITS else "passed"
    return EntropyVerdict(REQUIREMENT_ID, found.kind, outcome, "SHOULD", said)


def _repeated(
    kind: str, samples: list[str], lead: str, evidence: dict[str, Any]
) -> EntropyEstimate | None:
    """Zero bits when a sample repeats: a token seen twice is guessed by replaying it."""
    repeats = len(samples) - len(set(samples))
    if not repeats:
        return None
    method = f"{lead}samples repeating an earlier one: {repeats} of {len(samples)}"
    evidence = {**evidence, "repeats": repeats, "lengths": sorted({len(s) for s in samples})}
    return EntropyEstimate(kind, len(samples), 0.0, method, "high", evidence=evidence)


def _jwt(token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """A JWT's header and claims (the claims empty when not a JSON object), or None."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    header = _json_part(parts[0])
    if not isinstance(header, dict) or "alg" not in header:
        return None
    claims = _json_part(parts[1])
    return header, claims if isinstance(claims, dict) else {}


def _json_part(part: str) -> Any:
    if not part or not set(part) <= _BASE64URL:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except ValueError:  # binascii.Error, UnicodeDecodeError and JSONDecodeError among them
        return None


def _opaque(kind: str, samples: list[str], lead: str, evidence: dict[str, Any]) -> EntropyEstimate:
    """Estimate strings as random characters once their constant parts are gone."""
    if repeated := _repeated(kind, samples, lead, evidence):
        return repeated
    n = len(samples)
    cores, removed, perhaps_chance = _varying_parts(samples)
    length = min(len(core) for core in cores)
    name, size = _alphabet(set().union(*map(set, cores)))
    per_char_max = math.log2(size)
    bound = length * per_char_max
    evidence = {
        **evidence,
        "lengths": sorted({len(s) for s in samples}),
        "varying_characters": length,
        "alphabet": name,
        "alphabet_size": size,
        **removed,
        "bounds": {"length_x_alphabet": round(bound, 1)},
    }
    where = f"{length} varying characters of {name} ({size} symbols)"
    if length == 0:
        method = f"{lead}the shortest sample has no character the others lack: nothing varies"
        return EntropyEstimate(kind, n, 0.0, method, "high", evidence=evidence)
    if n == 1:
        method = (
            f"{lead}one sample, so only length x log2(alphabet) over {where}; "
            "constant parts and character counts need several samples"
        )
        return EntropyEstimate(kind, 1, bound, method, "bound only", evidence=evidence)
    # truncated to the shortest, so the three bounds weigh the same characters
    columns = [[core[i] for core in cores] for i in range(length)]
    pooled = _shannon(Counter(c for column in columns for c in column).values())
    slack = _slack(n * length, size)
    pooled_bits = length * min(per_char_max, pooled + slack)
    position_bits = sum(
        min(per_char_max, _shannon(Counter(column).values()) + _slack(n, size))
        for column in columns
    )
    resolution = length * slack  # a shortfall the pooled counts could not see
    evidence["bounds"] |= {"pooled": round(pooled_bits, 1), "per_position": round(position_bits, 1)}
    evidence |= {
        "pooled_bits_per_character": round(pooled, 3),
        "distinct_per_position": [len(set(column)) for column in columns],
        "resolution_bits": round(resolution, 1),
    }
    confidence = "high" if resolution <= 2 else "medium" if resolution <= 8 else "low"
    confidence = "low" if perhaps_chance else confidence
    bits = min(pooled_bits, position_bits)
    if bits >= bound - 1e-9:  # the sums meet the product but for rounding
        method = f"length x log2(alphabet) over {where}; {n} samples' counts agree"
        bits = bound
    else:
        which = "pooled" if pooled_bits <= position_bits else "per-position"
        method = (
            f"{which} character entropy of {n} samples over {where}, "
            f"below the length x alphabet bound of {bound:.1f} bits"
        )
    return EntropyEstimate(
        kind, n, bits, lead + method, confidence, "", evidence, perhaps_chance * per_char_max
    )


def _varying_parts(samples: list[str]) -> tuple[list[str], dict[str, Any], int]:
    """The samples without what all of them share: a prefix, a suffix and, where the
    rest aligns (one length), each position no sample differs in; and how many of those
    positions so few samples could share by chance."""
    n = len(samples)
    if n == 1:
        return samples, {}, 0
    prefix = os.path.commonprefix(samples)
    rest = [s[len(prefix) :] for s in samples]
    suffix = len(os.path.commonprefix([r[::-1] for r in rest]))
    cores = [r[: len(r) - suffix] for r in rest]
    runs = [len(prefix), suffix]
    interior = 0
    if len({len(core) for core in cores}) == 1:
        columns = list(zip(*cores, strict=True))
        constant = [len(set(column)) == 1 for column in columns]
        runs += [len(list(run)) for same, run in itertools.groupby(constant) if same]
        interior = sum(constant)
        kept = [column for column, same in zip(columns, constant, strict=True) if not same]
        cores = ["".join(chars) for chars in zip(*kept, strict=True)] if kept else [""] * n
    # A run of r constant positions in n random samples has odds about
    # places x size^-(r(n-1)): likely enough, and it may be chance, not structure.
    _, size = _alphabet(set().union(*map(set, samples)))
    places = math.log2(max(1, min(map(len, samples))))
    perhaps_chance = sum(
        r for r in runs if r and places - r * (n - 1) * math.log2(size) >= math.log2(_CHANCE)
    )
    # a shared prefix is no one token's secret, but a coincidence may run long: a head only
    shown = min(_SHOWN_PREFIX, min(map(len, samples)) // 4)
    head = prefix[:shown] + ("…" if len(prefix) > shown else "")
    removed = {
        "shared_prefix": {"length": len(prefix), "shown": head},
        "shared_suffix_length": suffix,
        "other_constant_positions": interior,
        "constant_positions_perhaps_chance": perhaps_chance,
    }
    return cores, removed, perhaps_chance


def _alphabet(chars: set[str]) -> tuple[str, int]:
    for name, alphabet in ALPHABETS:
        if chars <= alphabet:
            return name, len(alphabet)
    return "printable and beyond", len(ALPHABETS[-1][1] | chars)


def _shannon(counts: Iterable[int]) -> float:
    """Shannon entropy in bits of the distribution the counts draw (plug-in estimate)."""
    counts = list(counts)
    total = sum(counts)
    return math.log2(total) - sum(c * math.log2(c) for c in counts) / total


def _slack(draws: int, size: int) -> float:
    """How far below log2(size) a uniform source's plug-in entropy may fall in `draws`:
    the shortfall is about chi-square(size - 1) / (2 draws ln 2), taken at _Z deviations."""
    freedom = size - 1
    return (freedom + _Z * math.sqrt(2 * freedom)) / (2 * draws * math.log(2))
