"""django-oauth-toolkit 3.4 (Django 5.2, oauthlib 4) as an independent OAuth 2.0 server.

Django is configured in-process the first time `create_app()` runs (settings.configure can
run only once per process), with this module as its ROOT_URLCONF. The token endpoint is
DOT's own `/o/token/`. Clients, the user and the expected verdicts are below; the verdicts
come from RFC 6749 and from probing this server by hand with httpx, not from the suite.

Deployment choices, and why:
- DOT gives an Application one `authorization_grant_type`. The main and second clients are
  authorization-code applications (so DOT's own rules allow them the authorization code and
  refresh token grants) and `_GrantsValidator` adds client_credentials and password through
  DOT's documented hook, OAUTH2_VALIDATOR_CLASS. No application has the native `password`
  type, so DOT's RFC 9700 nag (a DeprecationWarning on every password request, which
  pytest's filterwarnings=error turns into a 500 in the server thread: tried) never runs;
  password requests behave as DOT's default, COMPLIANT_BCP_RFC9700_PASSWORD_GRANT=False.
- PKCE_REQUIRED is off: DOT 3 requires PKCE by default and the suite sends no
  code_verifier (RFC 6749 itself has no PKCE).
- A fast password hasher: DOT hashes client secrets with Django's hasher and PBKDF2 at a
  million rounds would cost seconds per run; the hashing algorithm changes no behaviour.
- The database is a sqlite file in a temporary folder: each request thread of the WSGI
  server opens its own connection, and a file (unlike shared-cache memory) lets them wait
  for each other's locks instead of failing with "table is locked".
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.oauth_servers.harness import Expected, security_on_loopback

TOKEN_PATH = "/o/token/"
REDIRECT_URI = "https://client.example/cb"

SETTINGS: dict[str, object] = {
    "client_id": "dot-main",
    "username": "alice",
    "token_path": TOKEN_PATH,
    "scope": "read",
    "second_client_id": "dot-second",
    "restricted_client_id": "dot-restricted",
    # RFC 6749 2.3.1: form-urlencoded before Basic, so every one of these must survive it.
    "special_client_id": "dot:spé cial%+id",
}

SECRETS: dict[str, str] = {
    "client_secret": "main-secret-0123456789",
    "password": "alice-password-0123",
    "second_client_secret": "second-secret-0123456789",
    "restricted_client_secret": "restricted-secret-0123456789",
    "special_client_secret": "s:ecr%et+ wörd",
}

# Grants a client has beyond the one its Application's authorization_grant_type gives it.
_EXTRA_GRANTS: dict[object, frozenset[str]] = {
    SETTINGS["client_id"]: frozenset({"client_credentials", "password"}),
    SETTINGS["second_client_id"]: frozenset({"client_credentials", "password"}),
}

_lock = threading.Lock()
_app: Any = None
urlpatterns: list[Any] = []  # filled by _configure(): DOT's urls need Django set up


def _configure() -> None:
    """Configure Django, migrate a fresh database and create the clients and the user."""
    import django
    from django.conf import settings

    if settings.configured:
        raise RuntimeError("Django is already configured in this process by someone else")
    db_dir = tempfile.mkdtemp(prefix="dot-server-")
    atexit.register(shutil.rmtree, db_dir, ignore_errors=True)
    settings.configure(
        DEBUG=False,
        SECRET_KEY="dot-server-test-only-key",
        ALLOWED_HOSTS=["127.0.0.1"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "oauth2_provider",
        ],
        # Sessions only carry the login of fetch_code to DOT's authorization view.
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": f"{db_dir}/db.sqlite3",
                # The suite sends 4 scenarios at once: WAL lets readers run beside a writer
                # and IMMEDIATE takes the write lock up front, so no transaction has to
                # upgrade its lock and fail with "database is locked".
                "OPTIONS": {
                    "init_command": "PRAGMA journal_mode=WAL",
                    "transaction_mode": "IMMEDIATE",
                    "timeout": 20,
                },
            }
        },
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        TEMPLATES=[
            {"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}
        ],
        USE_TZ=True,
        OAUTH2_PROVIDER={
            "SCOPES": {"read": "Read scope", "write": "Write scope"},
            "PKCE_REQUIRED": False,
        },
    )
    django.setup()

    from django.urls import include, path
    from oauth2_provider.oauth2_validators import OAuth2Validator
    from oauth2_provider.settings import oauth2_settings

    class _GrantsValidator(OAuth2Validator):
        def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
            if grant_type in _EXTRA_GRANTS.get(request.client.client_id, ()):
                return True
            return super().validate_grant_type(
                client_id, grant_type, client, request, *args, **kwargs
            )

    # A class, not an import string (DOT takes a non-string as the class itself): the class
    # needs the app registry, which did not exist yet when settings.configure ran.
    settings.OAUTH2_PROVIDER["OAUTH2_VALIDATOR_CLASS"] = _GrantsValidator
    oauth2_settings.reload()

    urlpatterns[:] = [
        path("o/", include("oauth2_provider.urls")),
        path("test-login/", _test_login),
    ]

    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    _create_clients_and_user()


def _test_login(request: Any) -> Any:
    """Test only: log the one user in, so fetch_code can drive DOT's authorization view."""
    from django.contrib.auth import authenticate, login
    from django.http import HttpResponse

    user = authenticate(request, username=SETTINGS["username"], password=SECRETS["password"])
    login(request, user)
    return HttpResponse("logged in")


def _create_clients_and_user() -> None:
    from django.contrib.auth import get_user_model
    from oauth2_provider.models import get_application_model

    Application = get_application_model()
    get_user_model().objects.create_user(str(SETTINGS["username"]), password=SECRETS["password"])
    code, client_credentials = (
        Application.GRANT_AUTHORIZATION_CODE,
        Application.GRANT_CLIENT_CREDENTIALS,
    )
    for role, grant in (("", code), ("second_", code), ("restricted_", client_credentials)):
        Application.objects.create(
            name=f"{role or 'main_'}client",
            client_id=SETTINGS[f"{role}client_id"],
            client_secret=SECRETS[f"{role}client_secret"],  # DOT stores it hashed
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=grant,
            redirect_uris=REDIRECT_URI,
            # fetch_code gets its code without a consent page
            skip_authorization=True,
        )
    Application.objects.create(
        name="special_client",
        client_id=SETTINGS["special_client_id"],
        client_secret=SECRETS["special_client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=client_credentials,
    )


def create_app() -> Any:
    """The WSGI app (Django is configured and migrated on the first call only)."""
    global _app
    with _lock:
        if _app is None:
            _configure()
            from django.core.wsgi import get_wsgi_application

            _app = get_wsgi_application()
        return _app


def fetch_code(base_url: str) -> str:
    """A fresh authorization code for the main client and the user, from DOT's own
    authorization endpoint (no redirect_uri sent, so the token request needs none)."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        client.get("/test-login/").raise_for_status()
        answer = client.get(
            "/o/authorize/",
            params={"response_type": "code", "client_id": SETTINGS["client_id"], "scope": "read"},
        )
    if answer.status_code != 302:
        raise RuntimeError(f"authorization answered {answer.status_code}: {answer.text[:200]}")
    return parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]


def _passed(why: str) -> Expected:
    return Expected("passed", why)


# The verdict per case (requirement id, or "id:grant"), from the probe of every scenario.
EXPECTED: dict[str, Expected] = {
    "RFC-CC-SUCCESS": _passed(
        "Both client_credentials requests with HTTP Basic get 200 and a Bearer token (2.3.1, 4.4)."
    ),
    "RFC-PASSWORD-SUCCESS": _passed(
        "The user's password request gets 200, an access token and a refresh token (4.3.3)."
    ),
    "RFC-CODE-SUCCESS": _passed(
        "A code from DOT's authorization view is exchanged for 200 and tokens; no redirect_uri "
        "is needed since the authorization request sent none (4.1.3)."
    ),
    "RFC-REFRESH-SUCCESS": _passed("The refresh token from the password login gets 200 (6)."),
    **{
        f"RFC-SUCCESS-FIELDS:{grant}": _passed(
            f"Every 200 to a {grant} request is application/json with string access_token and "
            "token_type Bearer (5.1)."
        )
        for grant in ("client_credentials", "password", "authorization_code", "refresh_token")
    },
    "RFC-TOKEN-SYNTAX": _passed(
        "Tokens are 30 alphanumerics, token_type Bearer, expires_in the integer 36000, scope "
        "'read' or 'read write' (5.1, A.12-A.14, 3.3)."
    ),
    "RFC-EXPIRES-IN": _passed("Every token answer carries expires_in (5.1)."),
    "RFC-NO-STORE": _passed("oauthlib puts Cache-Control: no-store on every token answer (5.1)."),
    "RFC-PRAGMA": _passed("oauthlib puts Pragma: no-cache on every token answer (5.1)."),
    "RFC-PARAMS-ONCE": _passed("Answers are json.dumps of a dict: no member twice (3.2)."),
    "RFC-CC-NO-REFRESH": _passed(
        "oauthlib issues client_credentials tokens without a refresh token (4.4.3)."
    ),
    "RFC-REFRESH-ROTATION": _passed(
        "Information: DOT rotates (ROTATE_REFRESH_TOKEN) and the old refresh token then gets "
        "400 invalid_grant (grace period 0); both are allowed (6)."
    ),
    "RFC-ERROR-BODY": _passed(
        "Every 400/401 to a POST is application/json with a string error (5.2); the GET's 405 "
        "is not a POST."
    ),
    "RFC-ERROR-CHARSET": _passed(
        "Error codes and descriptions such as 'Missing code parameter.' are printable ASCII "
        "without quote or backslash (5.2)."
    ),
    "RFC-ERROR-STATUS": _passed(
        "invalid_client comes with 401, every other 5.2 error with 400 (5.2)."
    ),
    "RFC-ERROR-CODE-KNOWN": _passed(
        "Every 400 and 401 names one of 5.2's six codes, with the property phase on as "
        "well (seed 7)."
    ),
    "RFC-NO-5XX": _passed(
        "No request got a 5xx: a chunked body, which the WSGI server hands on empty, gets 400 "
        "unsupported_grant_type. With the property phase on as well (seed 7), the D31 bodies "
        "(non-ASCII and control characters in a user name, bad %-escapes, bytes that are not "
        "UTF-8, repeated parameters, 1 MiB) got no 5xx either."
    ),
    "RFC-INVALID-CLIENT": _passed(
        "No header, a wrong secret, an unknown client and each header without usable "
        "credentials (Bearer, Basic not base64, Basic without ':', a bare 'Basic', not UTF-8, "
        "a %-escape to no UTF-8) get 401 invalid_client (5.2)."
    ),
    "RFC-INVALID-CLIENT-401": Expected(
        "failed",
        "The client used Basic (a wrong secret, an unknown client, a malformed Basic header: not "
        "base64, no ':', a bare 'Basic') but oauthlib answers 401 with a Bearer challenge "
        '(WWW-Authenticate: Bearer error="invalid_client"); 5.2 requires the challenge of the '
        "scheme the client used.",
    ),
    "RFC-401-CHALLENGE": _passed(
        "Every 401 carries a WWW-Authenticate header (a Bearer one), which is all RFC 9110 "
        "15.5.2 asks."
    ),
    "RFC-BASIC-ENCODING": _passed(
        "DOT splits the Basic credentials at the first ':' and unquote_plus-decodes both halves, "
        "so the special client gets 200 (2.3.1)."
    ),
    "RFC-ONE-AUTH-METHOD": Expected(
        "warned",
        "Basic plus client_id/client_secret in the body gets 200 and a token: DOT tries Basic "
        "first and never notices the second method (2.3, 5.2 invalid_request).",
    ),
    "RFC-GRANT-TYPE-MISSING": Expected(
        "failed",
        "An empty body and 'grant_type=' both get 400 unsupported_grant_type: oauthlib routes "
        "a missing grant_type to its default authorization_code handler, which rejects it as "
        "unsupported instead of invalid_request (3.2, 5.2).",
    ),
    "RFC-UNSUPPORTED-GRANT": _passed("The unknown grant gets 400 unsupported_grant_type (5.2)."),
    "RFC-PARAM-REPEATED": Expected(
        "failed",
        "grant_type twice gets 200 and a token: DOT's extract_body keeps only the last value "
        "of a repeated parameter, so oauthlib's duplicate check never sees it (3.2, 5.2).",
    ),
    "RFC-FIELD-MISSING": _passed(
        "No code, no refresh_token, no username and no password each get 400 invalid_request "
        "(4.1.3, 4.3.2, 6)."
    ),
    "RFC-UNKNOWN-PARAM-IGNORED": _passed(
        "The unrecognized parameter is ignored and the request gets 200 (3.2)."
    ),
    "RFC-POST-ONLY": _passed("GET gets 405 (Allow: POST, OPTIONS) and no token (3.2)."),
    "RFC-BODY-FORM": _passed(
        "A JSON body is not read (request.POST is empty), so it gets 400 with a JSON "
        "unsupported_grant_type error and no token (3.2)."
    ),
    "RFC-SCOPE-UNKNOWN": _passed(
        "'read conformance-unknown-scope' and 'conformance-unknown-scope' alone both get 400 "
        "invalid_scope: DOT only accepts SCOPES (3.3)."
    ),
    "RFC-INVALID-GRANT:authorization_code": _passed(
        "A never-issued code gets 400 invalid_grant (5.2)."
    ),
    "RFC-INVALID-GRANT:refresh_token": _passed(
        "A never-issued refresh token gets 400 invalid_grant (5.2)."
    ),
    "RFC-PASSWORD-WRONG": _passed(
        "A wrong password gets 400 invalid_grant 'Invalid credentials given.' (4.3.2, 5.2)."
    ),
    "RFC-CODE-SINGLE-USE": _passed(
        "DOT deletes the Grant on exchange, so the second use gets 400 invalid_grant (4.1.2)."
    ),
    "RFC-REFRESH-CLIENT-BOUND": _passed(
        "DOT checks the refresh token's application, so the second client gets 400 "
        "invalid_grant (6)."
    ),
    "RFC-REFRESH-SCOPE-NOT-WIDER": _passed(
        "'read conformance-extra-scope' on refresh gets 400 invalid_scope: oauthlib compares "
        "with the original scope (6)."
    ),
    "RFC-UNAUTHORIZED-CLIENT": _passed(
        "The restricted client (a client-credentials Application) gets 400 unauthorized_client "
        "for the password grant (5.2)."
    ),
    # --- security findings (specs/security.toml), judged beside the contract -------------
    **security_on_loopback(),
    "SEC-TOKEN-ENTROPY": _passed(
        "oauthlib's generate_token draws 30 characters from 62 letters and digits, about 178 "
        "bits, for tokens and codes alike; the samples show every position varying."
    ),
    "SEC-TOKEN-ENTROPY-160": _passed("As SEC-TOKEN-ENTROPY: about 178 bits, over 160."),
    "SEC-CODE-REUSE-REVOKES": Expected(
        "warned",
        "A reused code is refused (the Grant row is deleted once exchanged), but the "
        "tokens it issued are not revoked: the first exchange's refresh token keeps working "
        "(RFC 6749 4.1.2's SHOULD).",
    ),
}
