"""Token entropy (RFC 6749 10.10, SEC-TOKEN-ENTROPY): each estimate and each line, both sides.

Random tokens come from seeded generators built as the `secrets` functions build theirs
(token_urlsafe: 32 bytes in unpadded base64url; token_hex: 16 bytes in hex), so every
figure a test asserts is the same on every run.
"""

from __future__ import annotations

import base64
import json
import random
import time
import uuid

import pytest

from conformance.token_entropy import (
    MUST_BITS,
    REQUIREMENT_ID,
    SHOULD_BITS,
    SIGNED,
    EntropyEstimate,
    estimate,
    judge,
)

KIND = "access token"


def token_urlsafe(rng: random.Random, nbytes: int = 32) -> str:
    return base64.urlsafe_b64encode(rng.randbytes(nbytes)).rstrip(b"=").decode()


def token_hex(rng: random.Random, nbytes: int = 16) -> str:
    return rng.randbytes(nbytes).hex()


def many(make, count: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    return [make(rng) for _ in range(count)]


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def jwt(rng: random.Random, claims: dict[str, object]) -> str:
    """A JWT's shape: the signature random bytes, which is all a black box sees of one."""
    return f"{_b64({'alg': 'RS256', 'typ': 'JWT'})}.{_b64(claims)}.{token_urlsafe(rng, 64)}"


def _estimate_at(bits: float, samples: int = 50, **fields: object) -> EntropyEstimate:
    return EntropyEstimate(KIND, samples, bits, "a method", "high", **fields)  # type: ignore[arg-type]


# --- the lines --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bits", "outcome", "level"),
    [
        (MUST_BITS - 0.1, "failed", "MUST"),
        (MUST_BITS, "warned", "SHOULD"),
        (SHOULD_BITS - 0.1, "warned", "SHOULD"),
        (SHOULD_BITS, "passed", "SHOULD"),
    ],
)
def test_judge__fails_below_128_bits_and_warns_below_160(
    bits: float, outcome: str, level: str
) -> None:
    verdict = judge(_estimate_at(bits))
    assert (verdict.requirement_id, verdict.outcome, verdict.level) == (
        REQUIREMENT_ID,
        outcome,
        level,
    )
    # the reason names the bits, the method and both lines
    assert f"{bits:.1f} bits" in verdict.reason
    assert "a method" in verdict.reason
    assert "MUST >= 128" in verdict.reason and "SHOULD >= 160" in verdict.reason


def test_judge__not_estimable_is_not_judged() -> None:
    verdict = judge(EntropyEstimate(KIND, 3, None, "JWT without jti", "none", "the reason"))
    assert (verdict.outcome, verdict.level) == ("skipped", "MUST")
    assert "not estimable: the reason" in verdict.reason


def test_judge__positions_perhaps_constant_by_chance_leave_a_near_miss_unjudged() -> None:
    # 124 bits, 4 of which went with positions two samples may share by coincidence
    assert judge(_estimate_at(124.0, 2, ambiguous_bits=4.0)).outcome == "skipped"
    assert "chance" in judge(_estimate_at(124.0, 2, ambiguous_bits=4.0)).reason
    # they could not lift it to the line: a failure all the same
    assert judge(_estimate_at(100.0, 2, ambiguous_bits=4.0)).outcome == "failed"


# --- opaque tokens ----------------------------------------------------------------------


def test_estimate__token_urlsafe_32_passes_both_lines() -> None:
    found = estimate(KIND, many(token_urlsafe, 50))
    assert found.bits is not None and found.bits >= SHOULD_BITS
    assert found.evidence["alphabet"] == "base64url"
    assert found.evidence["lengths"] == [43]
    assert "length x log2(alphabet)" in found.method
    assert judge(found).outcome == "passed"


def test_estimate__token_hex_16_is_128_bits_passes_the_must_and_warns_the_should() -> None:
    found = estimate(KIND, many(token_hex, 50))
    assert found.bits == 128.0
    assert (found.evidence["alphabet"], found.evidence["alphabet_size"]) == ("hex", 16)
    assert found.confidence == "high"
    assert judge(found).outcome == "warned"


@pytest.mark.parametrize("count", [5, 20, 100])
def test_estimate__sampling_noise_does_not_pull_128_random_bits_under_the_line(
    count: int,
) -> None:
    # exactly on the MUST line, the tolerated shortfall must cover what a uniform source
    # shows: 40 seeded sets of each size, none below 128 bits
    for seed in range(40):
        assert estimate(KIND, many(token_hex, count, seed)).bits == 128.0, seed


def test_estimate__counter_tokens_fail() -> None:
    found = estimate(KIND, [f"tok-{i:06d}" for i in range(100, 400)])
    assert found.bits is not None and found.bits < 10  # three decimal digits at most
    assert found.evidence["shared_prefix"]["length"] == len("tok-000")
    assert found.evidence["alphabet"] == "decimal"
    assert judge(found).outcome == "failed"


def test_estimate__counter_of_growing_length_fails() -> None:
    found = estimate(KIND, [f"tok-{i}" for i in range(95, 105)])
    assert found.evidence["lengths"] == [6, 7]
    assert found.bits is not None and found.bits < 10
    assert judge(found).outcome == "failed"


def test_estimate__fixed_20_character_prefix_and_8_random_hex_fails() -> None:
    prefix = "ACME-tokens-v2-2024."
    assert len(prefix) == 20
    found = estimate(KIND, many(lambda rng: prefix + token_hex(rng, 4), 30))
    assert found.bits == 32.0  # the 8 hex characters, the prefix nothing
    assert found.evidence["shared_prefix"]["length"] == 20
    assert found.evidence["shared_prefix"]["shown"] == "ACME-to…"  # a head, never more
    assert judge(found).outcome == "failed"


def test_estimate__fixed_separators_carry_no_bits() -> None:
    # a UUID4: 32 hex digits, but 4 dashes and the version digit are fixed and the
    # variant digit takes 4 values: 122 random bits, under the line though it looks long
    found = estimate(
        KIND, many(lambda rng: str(uuid.UUID(int=rng.getrandbits(128), version=4)), 200)
    )
    assert found.evidence["other_constant_positions"] == 5
    assert found.bits is not None and 121 < found.bits < 124
    assert "per-position" in found.method
    assert judge(found).outcome == "failed"


def test_estimate__a_skewed_alphabet_is_judged_by_its_character_counts() -> None:
    # 43 characters from four letters: the class (alphanumeric) allows 256 bits, the
    # counts about 2 a character
    found = estimate(KIND, many(lambda rng: "".join(rng.choices("wxyz", k=43)), 100))
    assert found.evidence["bounds"]["length_x_alphabet"] > 250
    assert found.bits is not None and 86 <= found.bits < 100
    assert "pooled" in found.method
    assert judge(found).outcome == "failed"
    # the same length drawn from the whole class stands at the bound
    fair = estimate(KIND, many(lambda rng: "".join(rng.choices("wxyzABCD" * 8, k=43)), 100))
    assert fair.bits is not None and fair.bits >= 128


def test_estimate__two_equal_samples_fail() -> None:
    token = token_urlsafe(random.Random(3))
    found = estimate(KIND, [token, token_urlsafe(random.Random(4)), token])
    assert found.bits == 0.0
    assert found.evidence["repeats"] == 1
    assert "repeat" in found.method
    assert judge(found).outcome == "failed"


def test_estimate__a_coincidence_of_two_samples_is_not_a_failure() -> None:
    # two 128-bit hex tokens sharing one position, as two in three pairs do: it may be
    # a fixed digit, or chance
    first = "0123456789abcdef0123456789abcdef"
    second = "".join(c if i == 5 else f"{(int(c, 16) + 8) % 16:x}" for i, c in enumerate(first))
    found = estimate(KIND, [first, second])
    assert found.bits == 124.0
    assert found.evidence["constant_positions_perhaps_chance"] == 1
    assert found.confidence == "low"
    assert judge(found).outcome == "skipped"
    # a 20-character run is no coincidence: removed, and the verdict stands
    prefix = "ACME-tokens-v2-2024."
    found = estimate(KIND, [prefix + "0123abcd", prefix + "4567ef01"])
    assert found.evidence["constant_positions_perhaps_chance"] == 0
    assert judge(found).outcome == "failed"


# --- structured tokens ------------------------------------------------------------------


def test_estimate__a_jwt_is_estimated_on_its_jti() -> None:
    found = estimate(KIND, many(lambda rng: jwt(rng, {"sub": "u", "jti": token_urlsafe(rng)}), 20))
    assert found.evidence["structure"] == "JWT"
    assert found.evidence["alg"] == ["RS256"]
    assert found.evidence["lengths"] == [43]  # the jti's, not the token's
    assert found.method.startswith("JWT, on its jti claim")
    assert judge(found).outcome == "passed"
    # a repeated jti is a repeat, though the tokens differ
    reused = [
        jwt(random.Random(i), {"sub": "u", "jti": "j-1" if i < 2 else f"j-{i}"}) for i in range(5)
    ]
    found = estimate(KIND, reused)
    assert (found.bits, found.evidence["repeats"]) == (0.0, 1)
    assert judge(found).outcome == "failed"
    # a counter jti fails, however random the signature looks
    counted = [jwt(random.Random(i), {"sub": "u", "jti": str(1000 + i)}) for i in range(20)]
    found = estimate(KIND, counted)
    assert found.bits is not None and found.bits < 10
    assert judge(found).outcome == "failed"


def test_estimate__a_jwt_without_jti_is_not_estimable() -> None:
    found = estimate(KIND, many(lambda rng: jwt(rng, {"sub": "u", "exp": 1_900_000_000}), 20))
    assert found.bits is None
    assert SIGNED in found.reason
    assert judge(found).outcome == "skipped"


def test_estimate__jwts_mixed_with_opaque_tokens_are_not_estimable() -> None:
    rng = random.Random(5)
    found = estimate(KIND, [jwt(rng, {"jti": token_urlsafe(rng)}), token_urlsafe(rng)])
    assert found.bits is None
    assert "1 of the 2 samples are JWTs" in found.reason


def test_estimate__three_dotted_parts_without_a_jwt_header_are_opaque() -> None:
    found = estimate(KIND, many(lambda rng: ".".join(token_hex(rng) for _ in range(3)), 20))
    assert "structure" not in found.evidence
    assert found.bits is not None and found.bits >= SHOULD_BITS


# --- few samples, none, and what the evidence shows -------------------------------------


def test_estimate__one_sample_is_estimated_by_the_bound_and_says_so() -> None:
    found = estimate(KIND, many(token_urlsafe, 1))
    assert found.confidence == "bound only"
    assert "one sample" in found.method
    assert found.bits is not None and found.bits > SHOULD_BITS
    # an upper limit: it cannot pass, since a fixed prefix hides in one token...
    assert judge(found).outcome == "skipped"
    # ...but under the line it fails whatever the other samples would have shown
    short = estimate(KIND, ["tok-000123"])
    assert short.confidence == "bound only"
    assert judge(short).outcome == "failed"


def test_estimate__no_samples_is_not_estimable() -> None:
    found = estimate(KIND, [])
    assert (found.samples, found.bits, found.confidence) == (0, None, "none")
    assert judge(found).outcome == "skipped"


def test_estimate__confidence_grows_with_the_samples() -> None:
    confidences = [estimate(KIND, many(token_urlsafe, n)).confidence for n in (3, 20, 100)]
    assert confidences == ["low", "medium", "high"]


def test_estimate__no_token_reaches_the_estimate_or_the_verdict() -> None:
    cases = [
        many(token_urlsafe, 10),
        many(lambda rng: "ACME-tokens-v2-2024." + token_hex(rng, 4), 10),
        ["same-token-twice-0123456789", "same-token-twice-0123456789"],
        many(token_urlsafe, 1),
    ]
    for samples in cases:
        found = estimate(KIND, samples)
        said = repr(found) + judge(found).reason
        assert not [s for s in samples if s in said]
        assert not [s[-8:] for s in samples if s[-8:] in said]


def test_estimate__a_few_hundred_tokens_take_well_under_a_second() -> None:
    opaque = many(token_urlsafe, 300)
    jwts = many(lambda rng: jwt(rng, {"sub": "u", "jti": token_urlsafe(rng)}), 300)
    started = time.perf_counter()
    estimate(KIND, opaque)
    estimate(KIND, jwts)
    assert time.perf_counter() - started < 1.0  # about 20 ms, with room for a busy machine
