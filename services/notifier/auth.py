"""Bearer API-key authentication, with the rate limits: the first thing every keyed route does.

A plain call rather than a FastAPI dependency: resolving dependencies and validating a declared header
cost ~30 of the ~110 µs the app spent on a `POST /v1/events` in process (docs/benchmarks.md), and the
answers stay the same. One difference: a group route checks its path before the key, so a malformed
group or user id gets its 422 before a missing key gets its 401.
"""

from __future__ import annotations

from starlette.requests import Request

from herald.notifier.api_keys import ApiKey
from herald.notifier.deps import notifier_deps
from herald.notifier.problems import Problem
from herald.notifier.rate_limits import client_address

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="herald"'}


def authenticated(request: Request, *scopes: str) -> ApiKey:
    """The request's API key if it holds any one of `scopes`; else a 401, 403 or 429 problem.

    A request without a known key is counted against its client address (429 past that limit, else
    401), one with a known key against the key's own limit: guessing keys cannot spend a real key's budget.
    """
    deps = notifier_deps(request)
    limits = deps.rate_limits
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        limits.charge_failure(client_address(request))
        raise Problem(401, "Send your API key as `Authorization: Bearer <key>`.", headers=_CHALLENGE)
    key = deps.keyring.authenticate(token.strip())
    if key is None:
        limits.charge_failure(client_address(request))
        raise Problem(401, "The API key is not known. Check for typos, or make a new key.", headers=_CHALLENGE)
    limits.charge_key(key.name, key.rate_limit)
    if key.scopes.isdisjoint(scopes):
        wanted = " or ".join(f"'{scope}'" for scope in scopes)
        raise Problem(403, f"The API key '{key.name}' lacks the scope {wanted}.")
    return key
