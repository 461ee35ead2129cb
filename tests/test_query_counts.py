"""Database statements per request: bounded constants, whatever the number of authenticators (no N+1).

Counted from Tortoise's `tortoise.db_client` logger, which logs every statement a client
runs (SQLite and PostgreSQL alike). Only the statements made in the request's own task
(and tasks it starts) count: the outbox worker polls in the background with its own context.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from typing import Any

from conftest import LOGIN, MY_TWO_FACTOR, PASSWORD, VERIFY_LOGIN, Harness, add_app, signed_in

from twofactor.security import totp

_counting: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("counting", default=None)

# Upper bounds, with what each statement is for; a change that adds a query per request
# has to say so here. The policy is counted apart: it may come from a short-lived cache, so
# whether a request reads it depends on the clock, not on the request.
MY_TWO_FACTOR_MAX = 3  # session + user, authenticators, recovery codes left
# session + user, authenticator, the challenge's try (update, read back), the user's
# failures in a row (read, compare-and-swap), the TOTP step claim, the session done, the
# failures reset, the audit row.
VERIFY_LOGIN_MAX = 10
POLICY_READS_MAX = 1


class _StatementCounter(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        statements = _counting.get()
        message = record.getMessage()
        if statements is not None and not message.startswith(("Created connection", "Closed connection")):
            statements.append(message)


@contextlib.contextmanager
def counting() -> Iterator[list[str]]:
    """The statements run inside the block, by this task."""
    logger = logging.getLogger("tortoise.db_client")
    handler = _StatementCounter(level=logging.DEBUG)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    statements: list[str] = []
    token = _counting.set(statements)
    try:
        yield statements
    finally:
        _counting.reset(token)
        logger.removeHandler(handler)
        logger.setLevel(level)


async def counted(app: Harness, query: str, variables: dict[str, Any] | None, token: str) -> tuple[dict[str, Any], int]:
    """The answer, and how many statements other than policy reads the request ran."""
    with counting() as statements:
        body = await app.gql(query, variables, token=token)
    assert "errors" not in body, body
    policy = [s for s in statements if 'FROM "policy"' in s]
    assert len(policy) <= POLICY_READS_MAX, policy
    return body, len(statements) - len(policy)


async def test_my_two_factor_runs_the_same_few_statements_for_one_or_three_authenticators(app: Harness) -> None:
    _, token = await signed_in(app)
    await add_app(app, token, "Phone")
    body, one = await counted(app, MY_TWO_FACTOR, None, token)
    assert len(body["data"]["myTwoFactor"]["authenticators"]) == 1

    await add_app(app, token, "Tablet")
    await add_app(app, token, "Laptop")
    body, three = await counted(app, MY_TWO_FACTOR, None, token)
    assert len(body["data"]["myTwoFactor"]["authenticators"]) == 3

    assert one == three
    assert 0 < three <= MY_TWO_FACTOR_MAX


async def _verify_count(app: Harness, email: str, authenticators: int) -> int:
    _, token = await signed_in(app, email)
    added = [await add_app(app, token, f"App {i}") for i in range(authenticators)]
    payload = (await app.gql(LOGIN, {"email": email, "password": PASSWORD}))["data"]["login"]
    assert payload["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE", payload
    result, secret, step = added[0]
    variables = {"id": result["authenticator"]["id"], "code": totp.code_at(secret, step + 1)}
    body, statements = await counted(app, VERIFY_LOGIN, variables, payload["token"])
    assert body["data"]["verifyLogin"]["error"] is None, body
    assert body["data"]["verifyLogin"]["session"]["nextStep"] == "DONE"
    return statements


async def test_verify_login_runs_the_same_few_statements_for_one_or_three_authenticators(app: Harness) -> None:
    one = await _verify_count(app, "one@example.test", 1)
    three = await _verify_count(app, "three@example.test", 3)
    assert one == three
    assert 0 < three <= VERIFY_LOGIN_MAX


async def test_a_repeated_document_is_validated_once(app: Harness) -> None:
    """The validation cache is keyed by the rules too: rule classes made per request would never hit it."""
    from strawberry.extensions.validation_cache import _get_validate_cache

    from twofactor.schema.root import CACHE_SIZE

    _, token = await signed_in(app)
    cache: Any = _get_validate_cache(CACHE_SIZE)
    await app.gql(MY_TWO_FACTOR, token=token)
    before = cache.cache_info()
    for _ in range(3):
        await app.gql(MY_TWO_FACTOR, token=token)
    after = cache.cache_info()
    assert after.misses == before.misses
    assert after.hits == before.hits + 3
