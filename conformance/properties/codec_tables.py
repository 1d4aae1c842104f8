"""Hypothesis' codec tables, written down before it computes them.

`st.characters(codec=...)` (schemathesis asks for "utf-8" and "ascii"; so does
`strategies.py`) makes hypothesis work out which code points the codec can encode by
encoding all 1,114,112 of them, about 2 s per process for these two. It keeps the
answer in its storage directory (`tuning.private_hypothesis_home`: the user's cache
directory, or a fresh temporary one where none can be made), so a first run, a new
hypothesis version or a run without a cache directory would pay those 2 s. The
answers are facts of the codecs, not of the data: UTF-8 encodes every code point but
the surrogates (RFC 3629 3), ASCII the first 128, and both decode back what they
encoded. `prime` writes them where hypothesis looks, in its
own format, before the first strategy asks; hypothesis then reads them instead of
computing them. Were hypothesis to rename or reshape the file, it would ignore or fail
to read ours and compute its own, as before: slower, never different.
`tests/properties/test_codec_tables.py` checks the tables against the codecs and
against what hypothesis reads back.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import sys
import tempfile

from hypothesis.internal import charmap

Intervals = tuple[tuple[int, int], ...]

# codec -> (code points it encodes, those among them that do not decode back)
CODEC_TABLES: dict[str, tuple[Intervals, Intervals]] = {
    "utf-8": (((0, 0xD7FF), (0xE000, sys.maxunicode)), ()),
    "ascii": (((0, 0x7F),), ()),
}
FILE_PREFIX = "codec-v2-"  # hypothesis' name for its cached codec tables


def prime() -> None:
    """Write the codec tables into hypothesis' current storage directory, once each."""
    for codec, (encodable, non_roundtrip) in CODEC_TABLES.items():
        path = charmap.charmap_file(FILE_PREFIX + codec)
        if path.exists():
            continue
        with contextlib.suppress(OSError):  # unwritable: hypothesis computes them itself
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=path.parent)
            os.close(fd)
            with gzip.GzipFile(temporary, "wb", mtime=1) as out:
                out.write(json.dumps([encodable, non_roundtrip]).encode())
            os.replace(temporary, path)
