"""Checks: pure functions over recorded exchanges, one per requirement id.

Grouped by area: `correlation` (transactionId), `rejections` (requests the target must
refuse), `grants` (the grants, revocation, lifecycles), `responses` (response shape,
error bodies, rules over the whole run). Importing this package registers them all.
"""

from __future__ import annotations

from conformance.checks import (  # noqa: F401 - importing registers the checks
    correlation,
    generated,
    grants,
    rejections,
    responses,
    rfc6749,
    schema,
)
from conformance.checks._registry import ALL, CHECKS, Check, CheckContext, check, register

__all__ = ["ALL", "CHECKS", "Check", "CheckContext", "check", "register"]
