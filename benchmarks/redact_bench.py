"""Benchmark: ways to mask known secrets in text, side by side in one run.

`.venv/bin/python benchmarks/redact_bench.py [--values N] [--texts N] [--seed N]` (about
30 s) learns random 43-character base64url-ish tokens with their quote/quote_plus/base64
spellings (2,800 values by default) and masks the same texts
(mostly 20-120 character header-like strings, 3% 4 KiB bodies, 2% holding a secret) with:

1. the old `Redactor.text`: `value in text` for every value, longest first;
2. one compiled regex alternation of the values, longest first;
3. a regex built from a prefix trie of the values;
4. the current `Redactor.text` (an index of 4-character pieces of the values, sampled
   every `stride` characters of the text), also with a 4-character secret known, which
   forces stride 1, its slowest case.

It checks that all of them mask the same, then prints build time (learn or compile),
masking time (best of up to 3 passes) and the speed-up over the old way; then two
harder cases, old against new: learn() and text() interleaved, and values that share
a long prefix (JWTs); then the time and index memory for each stride cap. A benchmark,
not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import base64
import random
import re
import string
import time
import tracemalloc
from collections.abc import Callable, Iterable
from urllib.parse import quote, quote_plus

from conformance import redact
from conformance.redact import MASK, Redactor

URLSAFE = string.ascii_letters + string.digits + "-_"
Masker = Callable[[str], str]


def spellings(value: str) -> set[str]:
    """What `Redactor.learn` remembers for one value."""
    b64 = base64.b64encode(value.encode()).decode()
    return {value, quote(value, safe=""), quote_plus(value), b64}


def make_tokens(rng: random.Random, values: int) -> list[str]:
    """base64url tokens, half with a '+', '/' or ' ' so their spellings differ."""
    tokens: list[str] = []
    seen: set[str] = set()
    while len(seen) < values:
        chars = [rng.choice(URLSAFE) for _ in range(43)]
        if rng.random() < 0.5:
            chars[rng.randrange(43)] = rng.choice("+/ ")
        tokens.append("".join(chars))
        seen |= spellings(tokens[-1])
    return tokens


def make_texts(rng: random.Random, values: list[str], count: int) -> list[str]:
    def noise(n: int) -> str:
        return "".join(rng.choice(URLSAFE + "+/=.:;, ") for _ in range(n))

    heads = ["Bearer ", "https://t.test/oauth2/v1/token?state=", "transactionId: ", "curl -i '"]
    texts = []
    for _ in range(count):
        if rng.random() < 0.03:
            text = ('{"items": [' + ", ".join(f'"{noise(40)}"' for _ in range(90)))[:4096]
        else:
            text = rng.choice(heads) + noise(rng.randint(10, 100))
        if rng.random() < 0.02:
            at = rng.randrange(len(text))
            text = text[:at] + rng.choice(values) + text[at:]
        texts.append(text)
    return texts


class OldRedactor:
    """Redactor.learn and Redactor.text as they were before the piece index."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._longest_first: list[str] = []

    def learn(self, value: str) -> None:
        new = spellings(value) - self._values
        if new:
            self._values |= new
            self._longest_first = sorted(self._values, key=len, reverse=True)

    def text(self, text: str) -> str:
        for value in self._longest_first:
            if value in text:
                text = text.replace(value, MASK)
        return text


def old_redactor(tokens: Iterable[str]) -> Masker:
    r = OldRedactor()
    for token in tokens:
        r.learn(token)
    return r.text


def regex_alternation(values: Iterable[str]) -> Masker:
    pattern = re.compile("|".join(map(re.escape, sorted(values, key=len, reverse=True))))
    return lambda text: pattern.sub(MASK, text)


def regex_trie(values: Iterable[str]) -> Masker:
    trie: dict[str, dict] = {}  # type: ignore[type-arg]
    for value in values:
        node = trie
        for char in value:
            node = node.setdefault(char, {})
        node[""] = {}  # a value ends here

    def pattern(node: dict) -> str:  # type: ignore[type-arg]
        branches = []
        for char, child in node.items():
            if not char:
                continue
            run = re.escape(char)
            while len(child) == 1 and "" not in child:  # fold single-child chains
                ((char, child),) = child.items()
                run += re.escape(char)
            branches.append(run if list(child) == [""] else run + pattern(child))
        group = f"(?:{'|'.join(branches)})"
        return group + "?" if "" in node else group  # greedy: a longer value first

    compiled = re.compile(pattern(trie))
    return lambda text: compiled.sub(MASK, text)


def redactor(tokens: Iterable[str], secrets: Iterable[str] = ()) -> Masker:
    r = Redactor(secrets)
    for token in tokens:
        r.learn(token)
    return r.text


def timed(build: Callable[[], Masker], texts: list[str]) -> tuple[float, float, list[str]]:
    """(build seconds, best masking seconds, masked texts)."""
    started = time.perf_counter()
    mask = build()
    built = time.perf_counter() - started
    best, spent = float("inf"), 0.0
    for _ in range(3):
        started = time.perf_counter()
        out = [mask(text) for text in texts]
        took = time.perf_counter() - started
        best, spent = min(best, took), spent + took
        if spent > 5:
            break
    return built, best, out


def interleaved(mask: Masker, learn: Callable[[str], None], tokens: list[str]) -> float:
    """Learn one token, mask one header, and again: as sender threads and records do."""
    started = time.perf_counter()
    for token in tokens:
        learn(token)
        mask(f"Bearer {token[:20]} transactionId: 7d1c0a")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--values", type=int, default=2800, help="secret values to learn")
    parser.add_argument("--texts", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tokens = make_tokens(rng, args.values)
    values = sorted(set().union(*map(spellings, tokens)))
    texts = make_texts(rng, values, args.texts)
    bodies = sum(len(t) > 1000 for t in texts)
    lengths = sorted({len(v) for v in values})
    print(f"{len(tokens)} tokens -> {len(values)} values ({lengths[0]}-{lengths[-1]} chars);")
    print(f"{len(texts)} texts, {sum(map(len, texts)) / 1e6:.2f} M chars, {bodies} 4 KiB bodies\n")

    approaches: dict[str, Callable[[], Masker]] = {
        "old: `value in text` per value": lambda: old_redactor(tokens),
        "regex alternation, longest first": lambda: regex_alternation(values),
        "regex from a prefix trie": lambda: regex_trie(values),
        "new: piece index (Redactor.text)": lambda: redactor(tokens),
        "new, a 4-char secret known (stride 1)": lambda: redactor(tokens, ["abcd"]),
    }
    print(f"{'approach':40} {'build ms':>9} {'mask ms':>9} {'us/text':>8} {'vs old':>7}")
    old_time, expected = 0.0, None
    for name, build in approaches.items():
        built, took, out = timed(build, texts)
        if expected is None:
            old_time, expected = took, out
            assert not any(v in t for t in out for v in values), "a value survived"
        assert out == expected, f"{name} masks differently from the old way"
        per_text = took / len(texts) * 1e6
        print(
            f"{name:40} {built * 1e3:9.1f} {took * 1e3:9.1f} {per_text:8.1f} "
            f"{old_time / took:6.1f}x"
        )

    print(f"\nlearn() and text() interleaved, {len(tokens)} rounds:")
    for name, make in (("old", OldRedactor), ("new", Redactor)):
        r = make()
        print(f"  {name} {interleaved(r.text, r.learn, tokens) * 1e3:8.1f} ms")

    header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."  # every HS256 JWT starts so
    jwts = [header + "".join(rng.choice(URLSAFE) for _ in range(120)) for _ in tokens]
    # 1 text in 50 holds a known JWT, 1 in 50 an unknown one sharing all but its end.
    jwt_texts = [
        t if i % 25 else f"id_token={rng.choice(jwts)[: -3 if i % 50 else None]}&x=1"
        for i, t in enumerate(texts)
    ]
    print(f"\n{len(jwts)} JWT-like values sharing a {len(header)}-char prefix:")
    expected_jwt = None
    for name, build in (("old", lambda: old_redactor(jwts)), ("new", lambda: redactor(jwts))):
        _, took, out = timed(build, jwt_texts)
        assert expected_jwt in (None, out), "new masks JWTs differently from the old way"
        expected_jwt = out
        print(f"  {name} {took * 1e3:8.1f} ms")

    print("\nstride cap (redact.MAX_STRIDE): masking time, and memory for learning the values")
    default = redact.MAX_STRIDE
    for cap in (1, 2, 4, 8, 16, 43):
        redact.MAX_STRIDE = cap  # read by Redactor() when made
        _, took, out = timed(lambda: redactor(tokens), texts)
        assert out == expected
        tracemalloc.start()
        kept = redactor(tokens)  # noqa: F841  (held while measuring)
        memory = tracemalloc.get_traced_memory()[0] / 1e6
        tracemalloc.stop()
        mark = "   (default)" if cap == default else ""
        print(f"  {cap:3} {took * 1e3:8.1f} ms  {memory:5.1f} MB{mark}")
    redact.MAX_STRIDE = default
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
