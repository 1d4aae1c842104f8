"""Settings built from their three sources, and validated.

Precedence: a flag beats the file, the file beats the environment, the environment
beats the default (`settings.Settings` says what each setting is). Every problem is a
ConfigError naming the setting to fix.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance.contract import EDITIONS, RFC6749
from conformance.errors import ConfigError
from conformance.pacing import RateLimit, default_rate_limit
from conformance.settings import (
    BOOL_SETTINGS,
    CONTRACTS,
    CREDENTIAL_SETTINGS,
    EMBEDDED,
    EMPTY_ALLOWED,
    ENV_PREFIX,
    FLOAT_SETTINGS,
    INT_SETTINGS,
    PROFILES,
    SECRET_SETTINGS,
    SECURITY_FAILS,
    SETTING_NAMES,
    Settings,
)


def _describe(name: str) -> str:
    flag = "" if name in SECRET_SETTINGS else f"--{name.replace('_', '-')}, "
    return f"{flag}{ENV_PREFIX}{name.upper()} or '{name}' in the config file"


def _suggest(value: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(value, choices, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _coerce(name: str, value: Any) -> Any:
    try:
        if name == "rate_limit":
            return RateLimit.parse(value)
        if name in BOOL_SETTINGS:
            if isinstance(value, str):
                if value.lower() not in {"1", "0", "true", "false", "yes", "no"}:
                    raise ValueError(value)
                return value.lower() in {"1", "true", "yes"}
            return bool(value)
        if name in INT_SETTINGS:
            number: int | float = int(value)
        elif name in FLOAT_SETTINGS:
            number = float(value)
        else:
            return None if value is None else str(value)
    except (TypeError, ValueError):
        forms = " to 0, N, auto or auto:N" if name == "rate_limit" else ""
        raise ConfigError(
            f"Setting {name} has an invalid value {value!r}.\n\nSet {_describe(name)}{forms}.",
            setting=name,
        ) from None
    if number < 0 or (name in INT_SETTINGS - {"wrong_password_cap", "seed"} and number == 0):
        raise ConfigError(f"Setting {name} must be positive, got {value!r}.", setting=name)
    return number


def read_toml(path: Path, what: str, setting: str) -> dict[str, Any]:
    """A TOML file's tables; a missing or invalid file is a ConfigError naming `setting`."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist (--{setting}).", setting=setting) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what} {path} is not valid TOML: {exc}", setting=setting) from None


def read_config_file(path: Path) -> dict[str, Any]:
    """The settings of a TOML file; unknown keys are errors with a suggestion."""
    data = read_toml(path, "Config file", "config")
    data = data.get("conformance", data)  # accept a [conformance] table or top-level keys
    for key in data:
        if key not in SETTING_NAMES:
            raise ConfigError(
                f"Unknown setting {key!r} in {path}{_suggest(key, SETTING_NAMES)}",
                setting=key,
            )
    return dict(data)


ENV_NAMES = tuple(ENV_PREFIX + name.upper() for name in SETTING_NAMES)
# Variables of the project's own tests, not of a run (docs/spec-diff.md): a shell that
# exports one for pytest must still run `conformance run`.
NOT_SETTINGS = frozenset({ENV_PREFIX + "VENDOR_DOCS"})


def read_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The CONFORMANCE_* variables. A name no setting has is an error, as an unknown key
    in the file is: a misspelt CONFORMANCE_TRAGET would otherwise run another target.

    An empty variable is what CI gives for a secret it does not have, so it counts as
    unset, except the target (an empty one is an error: the user meant a target) and the
    settings whose empty value means something."""
    found: dict[str, Any] = {}
    for variable, value in environ.items():
        if not variable.startswith(ENV_PREFIX) or variable in NOT_SETTINGS:
            continue
        if variable not in ENV_NAMES:
            raise ConfigError(
                f"Unknown environment variable {variable}{_suggest(variable, ENV_NAMES)}\n\n"
                f"Expected: one of the CONFORMANCE_* settings the README lists. "
                f"Rename or unset {variable}.",
                setting=variable,
            )
        name = variable.removeprefix(ENV_PREFIX).lower()
        if value == "" and name == "target":
            raise ConfigError(
                "CONFORMANCE_TARGET is set but empty (a CI secret that is not defined?).\n\n"
                "Expected: the target's base URL. Set CONFORMANCE_TARGET, or unset it and "
                f"give --target {EMBEDDED} to run against the embedded reference.",
                setting="target",
            )
        if value != "" or name in EMPTY_ALLOWED:
            found[name] = value
    return found


def _resolve_profile(settings: Settings) -> Settings:
    """The alias `profile` turned into `contract` and `certification`, and then the name
    of the two together, which reports show."""
    given = settings.profile.split()  # also the name it gives back: "rfc6749 certification"
    if not given or any(name not in PROFILES for name in given):
        raise ConfigError(
            f"Unknown profile {settings.profile!r}{_suggest(settings.profile, PROFILES)}\n\n"
            f"Expected: one of {', '.join(PROFILES)}. Better: --contract and --certification.",
            setting="profile",
        )
    if settings.contract not in CONTRACTS:
        raise ConfigError(
            f"Unknown contract {settings.contract!r}{_suggest(settings.contract, CONTRACTS)}"
            f"\n\nExpected: one of {', '.join(CONTRACTS)}. Set {_describe('contract')}.",
            setting="contract",
        )
    if "certification" in given:
        settings = replace(settings, certification=True)
    if RFC6749 in given:
        settings = replace(settings, contract=RFC6749)
    names = [RFC6749] if settings.contract == RFC6749 else []
    names += ["certification"] if settings.certification else []
    return replace(settings, profile=" ".join(names) or "default")


def validate(settings: Settings) -> Settings:
    """Reject values no run could use, naming the setting to fix."""
    settings = _resolve_profile(settings)
    if settings.certification:
        if settings.exitfirst:
            raise ConfigError(
                "The certification profile judges every MUST requirement; --exitfirst would "
                "leave some unsent.\n\nDrop --exitfirst (CONFORMANCE_EXITFIRST).",
                setting="exitfirst",
            )
        settings = replace(settings, require_complete=True)  # a certificate covers every MUST
    if settings.rate_limit is None:
        settings = replace(settings, rate_limit=default_rate_limit(settings.target))
    settings = replace(settings, security=_security_mode(settings.security))
    if settings.contract == RFC6749:
        return _validate_rfc6749(settings)
    if settings.edition not in EDITIONS:
        raise ConfigError(
            f"Unknown edition {settings.edition!r}{_suggest(settings.edition, EDITIONS)}\n\n"
            f"Expected: one of {', '.join(EDITIONS)}. Set {_describe('edition')}.",
            setting="edition",
        )
    _validate_other_institution(settings)
    _validate_target(
        settings, ("client_id", "client_secret", "institution_id", "username", "password")
    )
    return settings


def _security_mode(value: str) -> str:
    """The security setting in its one spelling (the level's case does not matter)."""
    spelled = {mode.lower(): mode for mode in SECURITY_FAILS}.get(value.strip().lower())
    if spelled is None:
        raise ConfigError(
            f"Unknown security mode {value!r}.\n\nExpected: one of {', '.join(SECURITY_FAILS)}. "
            f"Set {_describe('security')}.",
            setting="security",
        )
    return spelled


def _validate_other_institution(settings: Settings) -> None:
    """An institution id the client does not belong to: digits, as every institutionId
    (spec section 2), and not the client's own, which would make a valid request look
    like a refused one."""
    other = settings.other_institution_id
    if other is None:
        return
    if not other.isascii() or not other.isdigit():
        raise ConfigError(
            f"Setting other_institution_id must be digits (an institutionId), got {other!r}."
            f"\n\nSet {_describe('other_institution_id')}.",
            setting="other_institution_id",
        )
    if other == settings.institution_id:
        raise ConfigError(
            f"Setting other_institution_id is the client's own institution ({other}).\n\n"
            "Expected: an institution that exists but the client does not belong to. "
            f"Set {_describe('other_institution_id')}, or unset it.",
            setting="other_institution_id",
        )


def _validate_rfc6749(settings: Settings) -> Settings:
    """RFC 6749 alone: one edition, only the client is required (the user is a role)."""
    if settings.edition not in (RFC6749, Settings.edition):
        raise ConfigError(
            f"The rfc6749 contract has one edition, rfc6749; got edition {settings.edition!r}.\n\n"
            f"Drop {_describe('edition')}.",
            setting="edition",
        )
    settings = replace(settings, edition=RFC6749)
    _validate_target(settings, ("client_id", "client_secret"))
    return settings


def _validate_target(settings: Settings, required: tuple[str, ...]) -> None:
    for path_name in ("token_path", "revoke_path"):
        value = getattr(settings, path_name)
        if value and not value.startswith("/"):
            raise ConfigError(f"{path_name} must start with '/', got {value!r}.", setting=path_name)
    if settings.target is None:
        return
    parts = urlsplit(settings.target)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(
            f"Target {settings.target!r} is not an http(s) URL.\n\nSet {_describe('target')}.",
            setting="target",
        )
    missing = [n for n in required if not getattr(settings, n)]
    if missing:
        raise ConfigError(
            "A target needs credentials: missing "
            + ", ".join(ENV_PREFIX + n.upper() for n in missing)
            + ".\n\nSet them in the environment or the config file (--config).",
            setting=missing[0],
        )


def _choose_target(values: dict[str, Any]) -> None:
    """The embedded reference only when asked for by name, or when nothing points at a
    real target: credentials without a target mean a target setting went missing."""
    target = values.get("target")
    if target == EMBEDDED:
        values["target"] = None
        return
    if target:
        values["target"] = target.rstrip("/")
        return
    configured = [name for name in CREDENTIAL_SETTINGS if values.get(name)]
    if configured and target is None:
        raise ConfigError(
            "Credentials are configured ("
            + ", ".join(ENV_PREFIX + n.upper() for n in configured)
            + ") but no target.\n\n"
            f"Expected: the target they belong to. Set {_describe('target')}; or, to run "
            f"against the embedded reference, give --target {EMBEDDED}.",
            setting="target",
        )


def load_settings(
    flags: Mapping[str, Any] | None = None,
    config_path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    notices: list[str] | None = None,
) -> Settings:
    """Merge the three sources (flags > file > environment > defaults) and validate.
    `notices` hears what the user should change although it still works."""
    merged: dict[str, Any] = read_environment(os.environ if environ is None else environ)
    if config_path is not None:
        merged.update(read_config_file(config_path))
    merged.update({k: v for k, v in (flags or {}).items() if v is not None})
    for key in merged:
        if key not in SETTING_NAMES:
            raise ConfigError(f"Unknown setting {key!r}{_suggest(key, SETTING_NAMES)}", setting=key)
    values = {k: _coerce(k, v) for k, v in merged.items()}
    if "profile" in values and notices is not None:
        notices.append(
            f"profile {values['profile']!r} is an alias kept for one release: use "
            + {
                "certification": "--certification (CONFORMANCE_CERTIFICATION=1)",
                RFC6749: "--contract rfc6749 (CONFORMANCE_CONTRACT=rfc6749)",
            }.get(values["profile"], "no option (the default)")
            + "."
        )
    _choose_target(values)
    return validate(replace(Settings(), **values))


def report_dir_of(
    flags: Mapping[str, Any], config_path: Path | None, environ: Mapping[str, str]
) -> Path:
    """Where this run's reports go, read as leniently as possible: a run whose settings
    were refused still replaces the previous run's reports with its error."""
    found: Any = flags.get("report_dir")
    if found is None and config_path is not None:
        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8"))
            found = data.get("conformance", data).get("report_dir")
        except (OSError, ValueError, AttributeError):
            found = None
    if found is None:
        found = environ.get(ENV_PREFIX + "REPORT_DIR") or Settings.report_dir
    return Path(str(found))
