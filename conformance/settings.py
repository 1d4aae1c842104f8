"""Settings: one frozen record built from flags, a TOML file and CONFORMANCE_* variables.

Precedence: a flag beats the file, the file beats the environment, the environment
beats the default. Every setting has one name used three ways: `--token-path` (flag),
`token_path` (TOML key), `CONFORMANCE_TOKEN_PATH` (environment). Secrets have no flag:
they come from the file or the environment, so they never sit in shell history.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from conformance.contract import RFC6749
from conformance.pacing import RateLimit

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
    {
        "strict",
        "strict_typing",
        "insecure",
        "skip_properties",
        "exitfirst",
        "require_complete",
        "certification",
    }
)
# `--target embedded` asks for the embedded reference by name (Settings.target None).
EMBEDDED = "embedded"
# The roles' settings, in the order a reader meets them: the main client and user, then
# the optional clients and institution.
ROLE_SETTINGS = (
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
    "other_institution_id",
)
# What only a real target needs: set without a target, they say the user meant one.
CREDENTIAL_SETTINGS = (*ROLE_SETTINGS, "auth_code_command")
# What a curl reproduction reads from the environment instead of printing: the clients'
# ids and secrets (the Basic header is built from them in the shell) and the password.
SHELL_VARIABLE_SETTINGS = tuple(
    name
    for name in ROLE_SETTINGS
    if name not in {"institution_id", "username", "other_institution_id"}
)
# Each `security` mode, and the levels of the findings it lets fail the run.
SECURITY_FAILS: dict[str, tuple[str, ...]] = {
    "warn": (),
    "fail-on=MUST": ("MUST",),
    "fail-on=SHOULD": ("MUST", "SHOULD"),
}
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
    # An institution that exists but the main client does not belong to (D26); not a secret
    other_institution_id: str | None = None
    auth_code_command: str | None = None
    # The main client's scopes, every one it is allowed (optional): the platform's success
    # requests carry them as `scopes`, comma-separated; under rfc6749 they are the `scope`
    # of client_credentials and password requests, and refreshes ask for what was granted
    scope: str | None = None
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
    # a MUST failed on the fixed scenarios: the property-based phase is not sent
    exitfirst: bool = False
    # a MUST left unjudged (a role, a deselection, the budget) fails the run
    require_complete: bool = False
    # the contract judged: the platform's, or RFC 6749 alone (any OAuth 2.0 server)
    contract: str = "platform"
    # every role, no MUST waivers, every MUST tested, a bundle
    certification: bool = False
    # given: an alias of the two above; after validation, their name in reports
    profile: str = "default"
    waivers: str | None = None  # TOML file of accepted deviations
    # which security findings fail the run: "warn" (none), "fail-on=MUST", "fail-on=SHOULD"
    security: str = "warn"
    summary_md: str | None = None  # also append a Markdown summary here (CI job summaries)
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

    def shell_variables(self) -> dict[str, str]:
        """The configured credentials by the variable a curl reproduction reads them from."""
        names = SHELL_VARIABLE_SETTINGS
        return {ENV_PREFIX + n.upper(): v for n in names if (v := getattr(self, n))}

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
            # RFC 6749 has no institutions: no run of that contract needs one
            **({"other_institution": missing("other_institution_id")} if self.platform else {}),
        }

    def security_fails(self, level: str) -> bool:
        """Whether a security finding of `level` that does not hold fails the run."""
        return level in SECURITY_FAILS.get(self.security, ())

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
    "other_institution_id": "role: an institutionId that exists but the client does not "
    "belong to (D26: 403, never 401)",
    "scope": "the main client's scopes, space-separated: sent as `scopes` (comma-separated) "
    "in the platform's client_credentials and password success requests; contract rfc6749: "
    "the `scope` of client_credentials and password requests, and refreshes ask for the "
    "scope granted",
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
    "exitfirst": "stop sending once a MUST has failed: the fixed scenarios are judged first, "
    "and the property-based phase is not sent if one failed (the verdict says the run was "
    "cut short; never a PASS)",
    "require_complete": "a MUST requirement left untested (missing role, deselected, budget) "
    "fails the run (implied by --certification)",
    "contract": "platform (default: the platform's contract) or rfc6749 (any OAuth 2.0 token "
    "endpoint, judged by RFC 6749 alone)",
    "certification": "certify: every role required, no MUST waivers, every MUST tested, a "
    "signed bundle",
    "profile": "deprecated alias: certification is --certification, rfc6749 is --contract rfc6749",
    "waivers": "TOML file of accepted deviations (requirement, reason, expires)",
    "security": "security findings (TLS, token entropy, RFC 9700): warn (default: reported, "
    "never failing), fail-on=MUST, or fail-on=SHOULD (those levels fail the run)",
    "summary_md": "also append a Markdown summary to this file (CI job summaries: "
    "$GITHUB_STEP_SUMMARY)",
    "signing_key": "PEM Ed25519 private key that signs the certification bundle",
}
