"""Settings: one frozen record built from flags, a TOML file and CONFORMANCE_* variables.

Precedence: a flag beats the file, the file beats the environment, the environment
beats the default. Every setting has one name used three ways: `--token-path` (flag),
`token_path` (TOML key), `CONFORMANCE_TOKEN_PATH` (environment). Secrets have no flag:
they come from the file or the environment, so they never sit in shell history.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance.contract import EDITIONS, RFC6749
from conformance.errors import ConfigError
from conformance.pacing import RateLimit, default_rate_limit

ENV_PREFIX = "CONFORMANCE_"
CONTRACTS = ("platform", RFC6749)
# `--profile`, one release longer, as an alias of --contract and --certification.
PROFILES = ("default", "certification", RFC6749)
SECRET_SETTINGS = frozenset(
    {
        "client_secret",
        "password",
        "second_client_secret",
        "restricted_client_secret",
        "special_client_secret",
    }
)
INT_SETTINGS = frozenset(
    {"max_requests", "wrong_password_cap", "concurrency", "max_response_bytes", "seed", "examples"}
)
FLOAT_SETTINGS = frozenset({"timeout", "max_time", "run_timeout"})
BOOL_SETTINGS = frozenset(
    {"strict", "strict_typing", "insecure", "skip_properties", "require_complete", "certification"}
)
# `--target embedded` asks for the embedded reference by name (Settings.target None).
EMBEDDED = "embedded"
# What only a real target needs: set without a target, they say the user meant one.
CREDENTIAL_SETTINGS = (
    "client_id",
    "client_secret",
    "institution_id",
    "username",
    "password",
    "second_client_id",
    "second_client_secret",
    "restricted_client_id",
    "restricted_client_secret",
    "special_client_id",
    "special_client_secret",
    "auth_code_command",
)
# Settings whose empty value means something ("" turns revocation checks off).
EMPTY_ALLOWED = frozenset({"revoke_path"})


@dataclass(frozen=True)
class Client:
    """A client's credentials; the secret never shows in repr()."""

    client_id: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know. `target` None means the embedded reference."""

    target: str | None = None
    token_path: str = "/oauth2/v1/token"
    revoke_path: str = "/oauth2/v1/revoke"  # "" turns revocation checks off (skipped)
    edition: str = "1.3.1"  # with contract rfc6749 it is "rfc6749": RFC 6749 has one edition
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    institution_id: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    second_client_id: str | None = None
    second_client_secret: str | None = field(default=None, repr=False)
    restricted_client_id: str | None = None
    restricted_client_secret: str | None = field(default=None, repr=False)
    special_client_id: str | None = None
    special_client_secret: str | None = field(default=None, repr=False)
    auth_code_command: str | None = None
    scope: str | None = None  # rfc6749: sent as `scope` with client_credentials and password
    redirect_uri: str | None = None  # rfc6749: sent with codes, when their request named one
    report_dir: str = "reports"
    strict: bool = False
    strict_typing: bool = False
    insecure: bool = False
    timeout: float = 10.0  # seconds for a whole exchange, connect to last body byte
    run_timeout: float = 900.0  # seconds for the whole run; later requests are not sent
    max_requests: int = 2000
    # None until validated: adaptive for a remote target, unlimited on loopback
    rate_limit: RateLimit | None = None
    wrong_password_cap: int = 2
    concurrency: int = 50
    max_response_bytes: int = 65_536  # token answers are small; a hostile one is cut here
    seed: int | None = None  # None: a fresh seed, printed and stored so the run can be replayed
    examples: int = 100  # generated examples per property (schemathesis and hypothesis)
    max_time: float = 120.0  # seconds for the property-based phase; it stops generating after
    skip_properties: bool = False
    # a MUST left unjudged (a role, a deselection, the budget) fails the run
    require_complete: bool = False
    # the contract judged: the platform's, or RFC 6749 alone (any OAuth 2.0 server)
    contract: str = "platform"
    # every role, no MUST waivers, every MUST tested, a bundle
    certification: bool = False
    # given: an alias of the two above; after validation, their name in reports
    profile: str = "default"
    waivers: str | None = None  # TOML file of accepted deviations
    summary_md: str | None = None  # also write a Markdown summary here (CI job summaries)
    signing_key: str | None = None  # PEM Ed25519 private key that signs the bundle

    def client(self, role: str = "") -> Client | None:
        """The credentials of `role` ('' main, 'second', 'restricted', 'special')."""
        prefix = f"{role}_" if role else ""
        client_id = getattr(self, f"{prefix}client_id")
        secret = getattr(self, f"{prefix}client_secret")
        return Client(client_id, secret) if client_id and secret is not None else None

    def secrets(self) -> list[str]:
        """Every configured secret value, for the redactor."""
        return [v for name in sorted(SECRET_SETTINGS) if (v := getattr(self, name))]

    def roles(self) -> dict[str, str | None]:
        """Each optional role, mapped to None when configured or to the reason it is not."""

        def missing(*names: str) -> str | None:
            absent = [ENV_PREFIX + n.upper() for n in names if not getattr(self, n)]
            return f"needs {' and '.join(absent)}" if absent else None

        return {
            "second_client": missing("second_client_id", "second_client_secret"),
            "restricted_client": missing("restricted_client_id", "restricted_client_secret"),
            "special_client": missing("special_client_id", "special_client_secret"),
            "auth_code": missing("auth_code_command"),
            "revocation": None if self.revoke_path else "revocation is off (revoke_path is empty)",
            "user": missing("username", "password"),
        }

    @property
    def platform(self) -> bool:
        """True for the platform's contract (transactionId, institutionId, CMN codes)."""
        return self.edition != RFC6749


SETTING_NAMES = tuple(f.name for f in fields(Settings))

# The settings that have a flag (`--name-with-dashes` on the CLI, `--conformance-...` in
# pytest), with their help. Secrets are deliberately absent.
FLAG_HELP: dict[str, str] = {
    "target": "base URL of the target, or 'embedded' for the embedded reference (the default "
    "when no target and no credentials are configured)",
    "token_path": "path of the token endpoint (default /oauth2/v1/token)",
    "revoke_path": "path of the revocation endpoint; empty turns revocation checks off",
    "edition": "contract edition: 1.3.1 (default) or 1.11.0 (contract rfc6749: rfc6749 only)",
    "client_id": "the main client's id (its secret: CONFORMANCE_CLIENT_SECRET or the config file)",
    "institution_id": "the institutionId the client belongs to",
    "scope": "rfc6749 contract: scope sent with client_credentials and password requests",
    "redirect_uri": "rfc6749 contract: redirect_uri sent with each code (4.1.3), if codes need it",
    "username": "the digital-banking user (password: CONFORMANCE_PASSWORD or the config file)",
    "report_dir": "where reports are written (default reports/)",
    "strict": "SHOULD failures fail the run too",
    "strict_typing": "flag expires_in types the edition does not document",
    "insecure": "do not verify the target's TLS certificate",
    "timeout": "seconds per request, connect to last byte (default 10)",
    "run_timeout": "seconds for the whole run (default 900)",
    "max_requests": "request budget for the run (default 2000)",
    "rate_limit": "requests per second: N at most, 0 unlimited, auto (adaptive: slower on "
    "back-pressure, faster while answers are clean), auto:N (adaptive, never above N); "
    "default auto, and 0 on loopback and for the embedded reference",
    "wrong_password_cap": "wrong-password attempts against the user per run (default 2)",
    "concurrency": "concurrent requests in the correlation check (default 50)",
    "seed": "seed of the property-based phase (default: fresh, printed in the header)",
    "examples": "generated examples per property (default 100)",
    "max_time": "seconds the property-based phase may take (default 120)",
    "skip_properties": "run the scenario checks only, no property-based phase",
    "require_complete": "a MUST requirement left untested (missing role, deselected, budget) "
    "fails the run (implied by --certification)",
    "contract": "platform (default: the platform's contract) or rfc6749 (any OAuth 2.0 token "
    "endpoint, judged by RFC 6749 alone)",
    "certification": "certify: every role required, no MUST waivers, every MUST tested, a "
    "signed bundle",
    "profile": "deprecated alias: certification is --certification, rfc6749 is --contract rfc6749",
    "waivers": "TOML file of accepted deviations (requirement, reason, expires)",
    "summary_md": "also write a Markdown summary to this path (CI job summaries)",
    "signing_key": "PEM Ed25519 private key that signs the certification bundle",
}


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


def read_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The CONFORMANCE_* variables. A name no setting has is an error, as an unknown key
    in the file is: a misspelt CONFORMANCE_TRAGET would otherwise run another target.

    An empty variable is what CI gives for a secret it does not have, so it counts as
    unset, except the target (an empty one is an error: the user meant a target) and the
    settings whose empty value means something."""
    found: dict[str, Any] = {}
    for variable, value in environ.items():
        if not variable.startswith(ENV_PREFIX):
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
        settings = replace(settings, require_complete=True)  # a certificate covers every MUST
    if settings.rate_limit is None:
        settings = replace(settings, rate_limit=default_rate_limit(settings.target))
    if settings.contract == RFC6749:
        return _validate_rfc6749(settings)
    if settings.edition not in EDITIONS:
        raise ConfigError(
            f"Unknown edition {settings.edition!r}{_suggest(settings.edition, EDITIONS)}\n\n"
            f"Expected: one of {', '.join(EDITIONS)}. Set {_describe('edition')}.",
            setting="edition",
        )
    _validate_target(
        settings, ("client_id", "client_secret", "institution_id", "username", "password")
    )
    return settings


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
