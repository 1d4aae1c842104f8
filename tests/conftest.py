"""Root fixtures. Fixture modules are listed here (style.md 10)."""

import os

pytest_plugins = ["tests.fixtures.environment", "tests.fixtures.targets"]

# Opt-in tests that read files outside the project are collected only when asked for, so
# a clean clone skips nothing for want of them.
collect_ignore = [] if os.environ.get("CONFORMANCE_VENDOR_DOCS") else ["test_vendor_docs.py"]
