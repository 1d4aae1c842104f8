"""The codec tables written for hypothesis: the codecs' own answers, read back by hypothesis."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir, storage_directory
from hypothesis.internal import charmap

from conformance.properties import codec_tables

BLOCK = 4096


def _roundtrips(text: str, codec: str) -> bool:
    try:
        return text.encode(codec).decode(codec) == text
    except UnicodeError:
        return False


def _table(codec: str) -> tuple[tuple[int, int], ...]:
    """The code points `codec` encodes and decodes back, as intervals (block by block,
    one by one only in a block that neither round-trips whole nor fails whole)."""
    good: list[int] = []
    for start in range(0, sys.maxunicode + 1, BLOCK):
        points = range(start, min(start + BLOCK, sys.maxunicode + 1))
        text = "".join(map(chr, points))
        if _roundtrips(text, codec):
            good += points
        elif text.encode(codec, errors="ignore"):  # else: not one of them encodes
            good += [p for p in points if _roundtrips(chr(p), codec)]
    intervals: list[tuple[int, int]] = []
    for point in good:
        if intervals and intervals[-1][1] == point - 1:
            intervals[-1] = (intervals[-1][0], point)
        else:
            intervals.append((point, point))
    return tuple(intervals)


@pytest.mark.parametrize("codec", sorted(codec_tables.CODEC_TABLES))
def test_tables__are_what_the_codec_encodes_and_decodes_back(codec: str) -> None:
    encodable, non_roundtrip = codec_tables.CODEC_TABLES[codec]
    assert encodable == _table(codec)
    assert non_roundtrip == ()


@pytest.fixture
def fresh_hypothesis_home(tmp_path: Path) -> Iterator[Path]:
    previous = storage_directory(intent_to_write=False).path
    set_hypothesis_home_dir(tmp_path / "hypothesis")
    try:
        yield tmp_path / "hypothesis"
    finally:
        set_hypothesis_home_dir(previous)


def test_prime__hypothesis_reads_the_tables_instead_of_computing_them(
    fresh_hypothesis_home: Path,
) -> None:
    codec_tables.prime()
    codec_tables.prime()  # once is enough; again changes nothing
    for codec, (encodable, non_roundtrip) in codec_tables.CODEC_TABLES.items():
        assert charmap.charmap_file(codec_tables.FILE_PREFIX + codec).is_file()
        # the uncached function: it reads the file from the storage directory
        read, not_back = charmap.intervals_from_codec.__wrapped__(codec)
        assert (read.intervals, not_back.intervals) == (encodable, non_roundtrip)
