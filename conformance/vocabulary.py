"""Words the scenarios and the checks share: the grants, the contract families, the
values the suite invents.

Standard library only (it imports nothing), so the checks, which must stay pure, read
the same names the scenarios send without importing the scenarios or the sender.
"""

from __future__ import annotations

CC = "client_credentials"
PW = "password"
CODE = "authorization_code"
RT = "refresh_token"

# The contract families a scenario serves and a check judges by: the platform's
# (editions 1.3.1 and 1.11.0) and RFC 6749 alone (`conformance.contract.RFC6749`).
PLATFORM = "platform"

# Scope values no server grants: asked for, they must be refused or left out of the
# scope a token response reports (RFC 6749 3.3).
UNKNOWN_SCOPE = "conformance-unknown-scope"
EXTRA_SCOPE = "conformance-extra-scope"
