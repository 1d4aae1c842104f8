"""Opt-in: docs/spec-diff.md shows what `conformance spec diff` says of the platform's own
documents. Those are not the project's: a directory holding them is given by
CONFORMANCE_VENDOR_DOCS (docs/spec-diff.md), and without it tests/conftest.py does not
collect this module, so a clean clone runs every test it collects (tests/test_spec_diff.py
holds the page to the project's stand-ins for them either way)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEC_DIFF = ROOT / "docs" / "spec-diff.md"
# Read at import, before the autouse fixture clears CONFORMANCE_* variables.
VENDOR_DOCS = os.environ.get("CONFORMANCE_VENDOR_DOCS", "")


@pytest.mark.parametrize("edition", ["1.3.1", "1.11.0"])
def test_docs__spec_diff_output_is_current(edition: str) -> None:
    from conformance.contract import load_contract
    from conformance.openapi import build_openapi
    from conformance.spec_diff import diff_documents, load_document, render_diff

    vendor = load_document(Path(VENDOR_DOCS) / f"candescent-di-api-{edition}.oauth.yaml")
    fresh = render_diff(diff_documents(build_openapi(load_contract(), edition), vendor)).rstrip(
        "\n"
    )
    page = SPEC_DIFF.read_text(encoding="utf-8")
    shown = re.search(rf"<!-- spec-diff {re.escape(edition)} -->\n```text\n(.*?)\n```", page, re.S)
    assert shown is not None, f"docs/spec-diff.md lacks the spec-diff {edition} markers"
    assert shown.group(1) == fresh, (
        "docs/spec-diff.md is stale: paste the output of conformance spec diff"
    )
