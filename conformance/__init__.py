"""Contract and conformance test suite for the Candescent OAuth 2.0 token endpoint."""

from __future__ import annotations

__version__ = "0.1.0"

from conformance.contract import Contract, Requirement, load_contract  # noqa: E402
from conformance.errors import (  # noqa: E402
    ConfigError,
    ConformanceError,
    Failure,
    Skipped,
    TargetUnreachable,
)
from conformance.settings import Settings  # noqa: E402
from conformance.settings_load import load_settings  # noqa: E402

__all__ = [
    "ConfigError",
    "ConformanceError",
    "Contract",
    "Failure",
    "Requirement",
    "Settings",
    "Skipped",
    "TargetUnreachable",
    "__version__",
    "load_contract",
    "load_settings",
]
