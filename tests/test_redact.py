"""The redactor's literal masking: every occurrence of every learned spelling, in full.

The structural masking (headers, form and JSON fields, curl) is covered end to end in
test_secrets.py; these tests pin `Redactor.text`, whose index of value pieces must never
miss an occurrence, wherever it falls in the text and whatever was learned when.
"""

from __future__ import annotations

import base64
import random
import string
import threading
from urllib.parse import quote, quote_plus

import pytest

from conformance.redact import MASK, MIN_SECRET_LENGTH, Redactor

URLSAFE = string.ascii_letters + string.digits + "-_"


def token(rng: random.Random, length: int = 43) -> str:
    return "".join(rng.choice(URLSAFE) for _ in range(length))


def brute_force(text: str, values: list[str]) -> str:
    """What `text` must be: positions inside any occurrence masked, one MASK for each
    run of positions that occurrences join (two occurrences that only touch stay two)."""
    covered, joined = [False] * len(text), [False] * len(text)  # joined[i]: i with i + 1
    for value in values:
        for a in (i for i in range(len(text)) if text.startswith(value, i)):
            covered[a : a + len(value)] = [True] * len(value)
            joined[a : a + len(value) - 1] = [True] * (len(value) - 1)
    out = []
    for i, char in enumerate(text):
        if not covered[i]:
            out.append(char)
        elif i == 0 or not joined[i - 1]:
            out.append(MASK)
    return "".join(out)


def test_text__overlapping_values_at_one_position__longest_wins() -> None:
    redactor = Redactor(["abcdefgh", "abcdefgh-longer"])
    assert redactor.text("x abcdefgh-longer y") == f"x {MASK} y"
    assert redactor.text("x abcdefgh-long y") == f"x {MASK}-long y"


def test_text__values_overlapping_at_different_positions__masked_as_one() -> None:
    # Masking "secret-AAAA" first would leave "-BBBB" of the other secret showing.
    redactor = Redactor(["secret-AAAA", "AAAA-BBBB"])
    assert redactor.text("<secret-AAAA-BBBB>") == f"<{MASK}>"


def test_text__occurrences_that_only_touch__masked_separately() -> None:
    assert Redactor(["secret"]).text("secretsecret") == MASK + MASK


def test_text__value_appearing_several_times__every_occurrence_masked() -> None:
    redactor = Redactor(["hunter22"])
    text = "hunter22 hunter22,hunter22\nhunter22"
    assert redactor.text(text) == f"{MASK} {MASK},{MASK}\n{MASK}"
    # Occurrences that overlap themselves: "abab" twice inside "ababab".
    assert Redactor(["abab"]).text("-ababab-") == f"-{MASK}-"


@pytest.mark.parametrize("value", ["a.*+?[](){}|\\^$z", "....", ".*.*", "(a|b)+x", "\\d\\d\\d\\d"])
def test_text__regex_metacharacters__matched_literally(value: str) -> None:
    redactor = Redactor([value])
    assert redactor.text(f"[{value}]") == f"[{MASK}]"
    # What the value would match as a pattern is left alone.
    for lookalike in ("aXYZz", "abcd", "ab", "aaax", "1234"):
        assert redactor.text(lookalike) == lookalike


def test_text__value_learned_after_a_text_call__masked_by_the_next_call() -> None:
    redactor = Redactor(["first-secret"])
    text = "first-secret then second-secret"
    assert redactor.text(text) == f"{MASK} then second-secret"
    redactor.learn("second-secret")
    assert redactor.text(text) == f"{MASK} then {MASK}"


def test_text__shorter_value_learned_later__longer_ones_still_found_at_every_offset() -> None:
    rng = random.Random(1)
    long_value = token(rng)
    redactor = Redactor([long_value])
    texts = [" " * offset + long_value + " " * 3 for offset in range(20)]
    assert all(redactor.text(t) == t.replace(long_value, MASK) for t in texts)
    redactor.learn("abcd")  # the shortest value so far: the index samples more densely
    assert all(redactor.text(t) == t.replace(long_value, MASK) for t in texts)
    assert redactor.text("xabcdx " + long_value) == f"x{MASK}x {MASK}"


def test_text__value_inside_a_longer_one__the_longer_one_masked_whole() -> None:
    redactor = Redactor(["outer-secret-value", "secret"])
    assert redactor.text("[outer-secret-value]") == f"[{MASK}]"


@pytest.mark.parametrize("length", range(MIN_SECRET_LENGTH, 14))
def test_text__value_at_either_end_of_the_text__masked_at_every_offset(length: int) -> None:
    value = "0123456789abcdef"[:length]  # the length sets how sparsely the index samples
    redactor = Redactor([value])
    for pad in ("", "-", "--", "----", "-------", "--------", "-" * 13):
        assert redactor.text(pad + value) == pad + MASK
        assert redactor.text(value + pad) == MASK + pad
    assert redactor.text(value[:-1]) == value[:-1]


def test_text__encoded_spellings__each_masked() -> None:
    secret = "p@ss w/rd+1=ok"
    redactor = Redactor([secret])
    spellings = [
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(secret.encode()).decode(),
    ]
    assert len(set(spellings)) == 4
    for spelling in spellings:
        assert redactor.text(f"a={spelling}&b=2") == f"a={MASK}&b=2"


def test_text__values_shorter_than_the_minimum__ignored() -> None:
    redactor = Redactor(["x" * (MIN_SECRET_LENGTH - 1), None, ""])
    assert redactor.text("xxx and xx") == "xxx and xx"


def test_text__many_values__all_masked_and_nothing_else() -> None:
    rng = random.Random(2)
    values = [token(rng) for _ in range(3000)]
    redactor = Redactor(values)
    planted = rng.sample(values, 50)
    text = " ".join(f"{token(rng, rng.randint(5, 60))} {value}" for value in planted)
    expected = text
    for value in planted:
        expected = expected.replace(value, MASK)
    assert redactor.text(text) == expected
    body = token(rng, 4096)
    for value in planted[:10]:
        at = rng.randrange(len(body))
        body = body[:at] + value + body[at:]
    assert redactor.text(body) == brute_force(body, planted[:10])


@pytest.mark.parametrize("shortest", [4, 8, 11, 16])
def test_text__random_overlapping_values__agrees_with_brute_force(shortest: int) -> None:
    # A two-letter alphabet makes occurrences overlap and repeat everywhere; the
    # shortest value sets how sparsely the index samples the text.
    rng = random.Random(shortest)
    for _ in range(150):
        values = [
            "".join(rng.choice("ab") for _ in range(rng.randint(shortest, shortest + 8)))
            for _ in range(rng.randint(1, 5))
        ]
        redactor = Redactor(values)
        text = "".join(rng.choice("ab.") for _ in range(rng.randint(0, 60)))
        assert redactor.text(text) == brute_force(text, values), (values, text)


def test_text__learning_in_other_threads__no_error_and_every_value_masked() -> None:
    rng = random.Random(3)
    batches = [[token(rng) for _ in range(200)] for _ in range(4)]
    redactor = Redactor()
    start = threading.Barrier(len(batches) + 1)

    def learn(batch: list[str]) -> None:
        start.wait()
        for value in batch:
            redactor.learn(value)

    threads = [threading.Thread(target=learn, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    start.wait()
    text = " ".join(batch[-1] for batch in batches)
    while any(thread.is_alive() for thread in threads):
        redactor.text(text)  # a value is masked once learned; never an error meanwhile
    for thread in threads:
        thread.join()
    every = " ".join(value for batch in batches for value in batch)
    assert set(redactor.text(every).split()) == {MASK}
