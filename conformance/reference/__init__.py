"""The reference target: a small ASGI app implementing the token endpoint contract.

It imports nothing from the conformance checks (only the stdlib, starlette and
uvicorn), so it cannot agree with them by sharing code. Named faults (`FAULTS`) make
variants that each break one requirement.
"""

from __future__ import annotations

from .accounts import Accounts, default_accounts, describe_credentials, load_accounts
from .app import create_app
from .faults import FAULTS, Fault, parse_faults
from .server import ReferenceServer

__all__ = [
    "Accounts",
    "FAULTS",
    "Fault",
    "ReferenceServer",
    "create_app",
    "default_accounts",
    "describe_credentials",
    "load_accounts",
    "parse_faults",
]
