"""The HTTP handlers: token, revocation, and the reference-only authorize route.

All three share rules 1 to 4 (transactionId, printable headers, client
authentication, a strict form body); failures are raised as ApiError and rendered
by the app's exception handler. Edition "rfc6749" skips the platform's header rules
(transactionId, institutionId: accepted and ignored) and refuses a second client
authentication method in the body.
"""

from __future__ import annotations

import asyncio
import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .accounts import Client
from .context import ReferenceContext
from .credentials import AUTHORIZATION, authenticate_client
from .errors import ApiError, Problem
from .forms import Params, parse_query, read_form
from .grants import (
    INSTITUTION_GRANTS,
    GrantRequest,
    TokenBody,
    authenticate_user,
    check_authorize_scope,
    check_rfc_request,
    run_grant,
    select_grant,
)
from .headers import (
    check_institution,
    check_printable_headers,
    check_transaction_id,
    header_values,
)
from .store import Outcome

RACE_WINDOW = 0.05  # seconds between the check and the spend, under `code-race`, `refresh-race`

_NO_FAULTS: frozenset[str] = frozenset()


class Endpoints:
    """Request handlers bound to one app's context."""

    def __init__(self, ctx: ReferenceContext) -> None:
        self.ctx = ctx

    async def token(self, request: Request) -> Response:
        """`POST /oauth2/v1/token`: validate in the documented order, then grant."""
        ctx = self.ctx
        # GET reaches here only under the `get-issues-token` fault (D16).
        # `query-params-accepted` (D27): a POST whose body is empty is read from its query.
        query_post = ctx.has_fault("query-params-accepted") and bool(request.url.query)
        try:
            client, params = await self._accepted(
                request, ctx.faults, from_query=request.method != "POST" or query_post
            )
        except ApiError:
            if ctx.has_fault("refresh-without-client-auth"):
                # The bug under test: a refresh with no Authorization header is served for
                # the client its refresh token was issued to.
                if header_values(request.scope["headers"], AUTHORIZATION):
                    raise
                params = await read_form(request)
                owner = ctx.store.refresh_owner(params.get("refresh_token", ""))
                found = ctx.accounts.client(owner) if owner else None
                if params.get("grant_type") != "refresh_token" or found is None:
                    raise
                client = found
            else:
                raise
        if ctx.rfc6749:
            check_rfc_request(params, client, ctx.faults)
        grant = select_grant(params, ctx.faults)
        if not ctx.rfc6749:
            check_institution(
                request.scope["headers"],
                ctx.accounts,
                client,
                required=self._institution_required(grant),
                unchecked=ctx.has_fault("institution-unchecked"),
                membership_ignored=ctx.has_fault("institution-membership-ignored"),
                foreign_401=ctx.has_fault("institution-foreign-401"),
            )
        if grant not in client.grants and not ctx.has_fault("grant-restrictions-ignored"):
            if ctx.has_fault("grant-forbidden-401"):  # D26: reads as failed authentication
                raise ApiError(Problem.INVALID_CLIENT)
            raise ApiError(Problem.GRANT_NOT_ALLOWED, "the client may not use this grant")
        checked_earlier = await self._checked_earlier(grant, params, client.client_id)
        body = run_grant(grant, GrantRequest(ctx, client, params, checked_earlier))
        return self._token_response(body, client)

    def _institution_required(self, grant: str) -> bool:
        """D5: for client_credentials and password; optional for refresh_token, and not
        asserted for authorization_code."""
        if self.ctx.has_fault("institution-required-everywhere"):
            return True  # the bug under test
        return grant in INSTITUTION_GRANTS and not self.ctx.has_fault("institution-optional")

    async def _checked_earlier(self, grant: str, params: Params, client_id: str) -> bool:
        """Under `code-race` or `refresh-race` (D30): the code or refresh token is checked,
        then spent a moment later, so requests arriving together all find it unspent; one
        after another, the second is refused. True when it was found unspent."""
        store = self.ctx.store
        if grant == "authorization_code" and self.ctx.has_fault("code-race"):
            found, _ = store.redeem_code(params.get("code", ""), client_id, consume=False)
        elif grant == "refresh_token" and self.ctx.has_fault("refresh-race"):
            found = store.check_refresh(params.get("refresh_token", ""), client_id)
        else:
            return False
        if found is not Outcome.OK:
            return False
        await asyncio.sleep(RACE_WINDOW)
        return True

    async def revoke(self, request: Request) -> Response:
        """`DELETE` (or `POST`) `/oauth2/v1/revoke`: revoke a token of this client."""
        client, params = await self._accepted(request, _NO_FAULTS)
        token = params.get("token", "")
        if not token:
            raise ApiError(Problem.INVALID_REQUEST, "token is required")
        if self.ctx.has_fault("revoke-access-token-500") and self.ctx.store.access_token_valid(
            token
        ):
            raise ApiError(Problem.INTERNAL, "the token could not be revoked")
        rejects = self.ctx.has_fault("revoke-rejects")
        apply = not (rejects or self.ctx.has_fault("revoke-noop"))
        outcome = self.ctx.store.revoke(token, client.client_id, apply=apply)
        if outcome is Outcome.FOREIGN:
            raise ApiError(Problem.FORBIDDEN, "the token was issued to another client")
        if rejects:
            raise ApiError(Problem.INVALID_REQUEST)
        # RFC 7009 2.2: an unknown token is answered like a revoked one.
        return Response(status_code=204)

    async def authorize(self, request: Request) -> Response:
        """`POST /reference/v1/authorize`: a user's consent, as a single-use code."""
        ctx = self.ctx
        client, params = await self._accepted(request, _NO_FAULTS)
        if not ctx.rfc6749:
            check_institution(request.scope["headers"], ctx.accounts, client, required=False)
        if "authorization_code" not in client.grants:
            raise ApiError(Problem.GRANT_NOT_ALLOWED, "the client may not use this grant")
        user = authenticate_user(ctx.accounts, client, params, _NO_FAULTS)
        scopes = check_authorize_scope(params.get("scope"), client)
        code = ctx.store.issue_code(
            client.client_id,
            user.username,
            offline_access="offline_access" in scopes,
            scope=scopes or client.scopes,  # RFC 6749 3.3: a default when none is asked
        )
        return JSONResponse({"code": code})

    async def _accepted(
        self, request: Request, faults: frozenset[str], *, from_query: bool = False
    ) -> tuple[Client, Params]:
        """Rules 1 to 4, in order; `faults` holds those that apply to this route."""
        headers = request.scope["headers"]
        if not self.ctx.rfc6749:
            check_transaction_id(
                headers,
                optional="txid-optional" in faults,
                fail_500="invalid-txid-500" in faults,
                upper_500="txid-uppercase-500" in faults,
                long_500="txid-long-500" in faults,
            )
        check_printable_headers(headers)
        client = authenticate_client(headers, self.ctx.accounts, faults)
        if from_query:
            return client, parse_query(request.url.query)
        return client, await read_form(
            request,
            accept_json="json-body-accepted" in faults,
            first_wins="rfc-repeated-param-first-wins" in faults,
            large_500="large-body-500" in faults,
            escapes_500="percent-escape-500" in faults,
        )

    def _token_response(self, body: TokenBody, client: Client) -> Response:
        if self.ctx.has_fault("success-echoes-client-secret"):
            body["client_secret"] = client.client_secret  # the leak D18 forbids, on purpose
        duplicate = self.ctx.has_fault("rfc-duplicate-json-member")
        if not (duplicate or self.ctx.has_fault("token-content-type-text")):
            return JSONResponse(body)
        text = json.dumps(body)
        if duplicate:
            # The same member twice in the JSON text, both times with the same value.
            text = '{"token_type": ' + json.dumps(body["token_type"]) + ", " + text[1:]
        if self.ctx.has_fault("token-content-type-text"):
            return Response(text, media_type="text/plain")
        return Response(text, media_type="application/json")
