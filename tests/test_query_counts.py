"""Database statements per request: bounded constants, whatever the number of authenticators (no N+1).

Counted from Tortoise's `tortoise.db_client` logger, which logs every statement a client
runs (SQLite and PostgreSQL alike). Only the statements made in the request's own task
(and tasks it starts) count: the outbox worker polls in the background with its own context.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import (
    LOGIN,
    MY_TWO_FACTOR,
    PASSWORD,
    SET_UP_APP,
    SUBMIT,
    VERIFY_LOGIN,
    Harness,
    add_app,
    login,
    secret_of,
    signed_in,
)

from twofactor.models import Authenticator, Method
from twofactor.models.policy import POLICY_ID, Policy
from twofactor.security import totp

SEND_LOGIN_CODE = """
mutation($id: ID!) { sendLoginCode(authenticatorId: $id) { expiresAt error { code message } } }"""

_counting: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("counting", default=None)

# Upper bounds, with what each statement is for; a change that adds a query per request
# has to say so here. The policy is counted apart: it may come from a short-lived cache, so
# whether a request reads it depends on the clock, not on the request.
# The session with its user, authenticators and recovery codes left: one statement.
MY_TWO_FACTOR_MAX = 1
# The session (with user and authenticators); the user's failure in a row, the TOTP step claim
# and the challenge's try (compare-and-swap), written together; the failures reset, the session
# done, the audit row and the device marked as known (models/devices.py), written together. The
# same statements on both databases (models/attempts.py): on PostgreSQL each group is one
# statement, three in all (VERIFY_LOGIN_POSTGRES). A compare-and-swap that lost to a parallel
# request reads back and retries.
VERIFY_LOGIN_MAX = 8
VERIFY_LOGIN_POSTGRES = 3
# submitCode of a first authenticator app with a right code (no try is counted for it while a
# try is left), a rare write (once per device): the session, the set-up, then one plain
# transaction of one statement per write, on both databases (models/setups.py): the set-up
# claimed, the failures ended, whether the user had an authenticator, the authenticator, the
# recovery codes (delete, insert), the session proved, other set-up sessions ended, other
# sessions that never proved a factor looked for (and moved to the challenge when there are
# some), the audit row, the notice mail.
SUBMIT_CODE_MAX = 13
# login of a user without 2FA from a new device: the user, a failure reserved for the account and
# for the address (one atomic upsert each while no wait is near, models/throttles.py), the
# account's forgotten and the address's given back, the device remembered and the user's devices
# pruned, the authenticators and recovery codes left, the session, the user's sessions (one read
# for both caps), the audit row.
LOGIN_MAX = 12
# sendLoginCode at a sign-in challenge: the session (with user and authenticators), the
# challenge's live code, a mail of the hourly budget (one atomic update), then one transaction:
# the code, its mail, the audit row.
SEND_LOGIN_CODE_MAX = 6
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


async def counted(
    app: Harness, query: str, variables: dict[str, Any] | None, token: str | None
) -> tuple[dict[str, Any], int]:
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


@pytest.mark.postgres_only
async def test_verify_login_is_three_round_trips_on_postgres(app: Harness) -> None:
    """The session lookup, the try counted with the step claimed, the sign-in passed: each
    round trip to PostgreSQL costs more than the rest of the request (bench/run --against)."""
    assert await _verify_count(app, "one@example.test", 1) == VERIFY_LOGIN_POSTGRES


async def test_submit_code_runs_a_bounded_number_of_statements(app: Harness) -> None:
    _, token = await signed_in(app)
    setup = (await app.gql(SET_UP_APP, token=token))["data"]["myTwoFactor"]["setUpApp"]["setup"]
    code = totp.code_at(secret_of(setup), totp.current_step())
    body, statements = await counted(app, SUBMIT, {"id": setup["id"], "code": code, "name": "Phone"}, token)
    assert body["data"]["myTwoFactor"]["submitCode"]["error"] is None, body
    assert len(body["data"]["myTwoFactor"]["submitCode"]["recoveryCodes"]) == 10
    assert 0 < statements <= SUBMIT_CODE_MAX


async def test_login_runs_a_bounded_number_of_statements(app: Harness) -> None:
    await signed_in(app)  # the user exists and the address has signed in before
    body, statements = await counted(app, LOGIN, {"email": "ada@example.test", "password": PASSWORD}, None)
    assert body["data"]["login"]["session"]["nextStep"] == "DONE", body
    assert 0 < statements <= LOGIN_MAX


async def test_send_login_code_runs_a_bounded_number_of_statements(app: Harness) -> None:
    user, _ = await signed_in(app)
    email = await Authenticator.create(
        user_id=user.id, method=Method.EMAIL, name="Mail", name_key="mail", email=user.email
    )
    challenged = await login(app)
    assert challenged["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE", challenged
    body, statements = await counted(app, SEND_LOGIN_CODE, {"id": str(email.id)}, challenged["token"])
    assert body["data"]["sendLoginCode"]["error"] is None, body
    assert 0 < statements <= SEND_LOGIN_CODE_MAX


async def test_a_repeated_document_is_validated_once(app: Harness) -> None:
    """The caches are keyed by the rules too: rule classes made per request would never hit them."""
    from twofactor.schema import operation_checks

    _, token = await signed_in(app)
    await app.gql(MY_TWO_FACTOR, token=token)
    parsed, validated = operation_checks._parse.cache_info(), operation_checks._validate.cache_info()
    for _ in range(3):
        await app.gql(MY_TWO_FACTOR, token=token)
    assert operation_checks._parse.cache_info().misses == parsed.misses
    assert operation_checks._parse.cache_info().hits == parsed.hits + 3
    assert operation_checks._validate.cache_info().misses == validated.misses
    assert operation_checks._validate.cache_info().hits == validated.hits + 3


def _fields(instance: Any) -> dict[str, Any]:
    """Every stored field of a model instance, and the flags Tortoise keeps on it."""
    found = {name: getattr(instance, name) for name in instance._meta.fields_db_projection}
    found.update(saved=instance._saved_in_db, partial=instance._partial, pk=instance._custom_generated_pk)
    return found


async def test_the_request_reads_build_the_models_tortoise_would(app: Harness) -> None:
    """request_reads builds instances itself (datetimes by fromisoformat): they must equal Tortoise's own."""
    from datetime import UTC, datetime

    from twofactor.models import Authenticator, EmailChallenge, Method, RecoveryCode, Session, User
    from twofactor.models.request_reads import (
        authenticator_of,
        authenticators_and_codes_left,
        email_challenge_of,
        session_with_user,
    )
    from twofactor.models.request_reads import signed_in as signed_in_read
    from twofactor.security.tokens import token_hash

    user, token = await signed_in(app)
    await add_app(app, token, "Phone")
    await Authenticator.filter(user_id=user.id).update(last_used_at=datetime(2030, 1, 1, tzinfo=UTC))
    await add_app(app, token, "Tablet")  # last_used_at stays NULL on this one
    ids = await RecoveryCode.filter(user_id=user.id).limit(3).values_list("id", flat=True)
    await RecoveryCode.filter(id__in=ids).update(used_at=datetime(2030, 1, 2, tzinfo=UTC))
    await User.filter(id=user.id).update(
        verification_blocked_until=datetime(2031, 2, 3, 4, 5, 6, 789, tzinfo=UTC), failed_verifications=2
    )

    session = await session_with_user(token_hash(token))
    assert session is not None
    assert _fields(session) == _fields(await Session.get(id=session.id))
    assert _fields(session.user) == _fields(await User.get(id=user.id))
    assert session.user.verification_blocked_until == datetime(2031, 2, 3, 4, 5, 6, 789, tzinfo=UTC)

    authenticators, left = await authenticators_and_codes_left(user.id)
    expected = await Authenticator.filter(user_id=user.id).order_by("created_at", "id")
    assert [_fields(a) for a in authenticators] == [_fields(a) for a in expected]
    # The same rows through the JSON array of the sign-in read.
    found = await signed_in_read(token_hash(token))
    assert found is not None
    assert _fields(found.session) == _fields(session) and _fields(found.session.user) == _fields(session.user)
    assert [_fields(a) for a in found.authenticators] == [_fields(a) for a in expected]
    assert found.recovery_codes_left == left == 7
    assert [a.method for a in authenticators] == [Method.APP, Method.APP]
    assert left == await RecoveryCode.filter(user_id=user.id, used_at=None).count()
    one = await authenticator_of(user.id, expected[1].id)
    assert one is not None and _fields(one) == _fields(expected[1])
    # An emailed code as sendLoginCode reads it (its used_at NULL, then set).
    assert await email_challenge_of(session.id, expected[0].id) is None
    stored = await EmailChallenge.create(
        session_id=session.id,
        authenticator_id=expected[0].id,
        code_digest="d" * 64,
        expires_at=datetime(2030, 1, 3, tzinfo=UTC),
    )
    challenge = await email_challenge_of(session.id, expected[0].id)
    assert challenge is not None and _fields(challenge) == _fields(await EmailChallenge.get(id=stored.id))
    await EmailChallenge.filter(id=stored.id).update(used_at=datetime(2030, 1, 2, 3, 4, 5, 6, tzinfo=UTC))
    challenge = await email_challenge_of(session.id, expected[0].id)
    assert challenge is not None and challenge.used_at == datetime(2030, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert _fields(challenge) == _fields(await EmailChallenge.get(id=stored.id))

    other, other_token = await signed_in(app, "bea@example.test")
    assert await authenticators_and_codes_left(other.id) == ([], 0)
    nothing = await signed_in_read(token_hash(other_token))
    assert nothing is not None and (nothing.authenticators, nothing.recovery_codes_left) == ([], 0)
    assert await signed_in_read(token_hash("no such token")) is None
    assert await authenticator_of(other.id, expected[0].id) is None


async def test_writes_run_together_all_or_none_with_each_ones_row_count(app: Harness) -> None:
    """`execute_together`: one statement on PostgreSQL, one transaction on SQLite; a write that
    fails takes the others with it."""
    from datetime import UTC, datetime

    from tortoise.exceptions import IntegrityError

    from twofactor.models import raw_sql

    insert = 'INSERT INTO "login_throttles" ("key", "window_start", "failures") VALUES (?, ?, ?)'
    bump = 'UPDATE "login_throttles" SET "failures" = "failures" + 1 WHERE "key" = ?'
    moment = datetime.now(UTC)
    assert await raw_sql.execute_together([(insert, ("k1", moment, 1)), (insert, ("k2", moment, 5))]) == [1, 1]
    changed = await raw_sql.execute_together([(bump, ("k1",)), (bump, ("none",)), (insert, ("k3", moment, 1))])
    assert changed == [1, 0, 1]
    with pytest.raises(IntegrityError):
        await raw_sql.execute_together([(bump, ("k2",)), (insert, ("k1", moment, 1))])  # k1 exists
    rows = await raw_sql.fetch('SELECT "key", "failures" FROM "login_throttles" ORDER BY "key"')
    assert rows == [("k1", 2), ("k2", 5), ("k3", 1)]  # k2 was not bumped


async def test_a_question_mark_in_a_string_literal_is_text_not_a_parameter(app: Harness) -> None:
    """PostgreSQL's `$n` replace only the `?` placeholders, not a `?` inside quotes."""
    from datetime import UTC, datetime

    from twofactor.models import raw_sql

    insert = """INSERT INTO "login_throttles" ("key", "window_start", "failures") VALUES ('who?', ?, ?)"""
    assert await raw_sql.execute(insert, datetime.now(UTC), 3) == 1
    assert await raw_sql.fetch(
        'SELECT "failures" FROM "login_throttles" WHERE "key" = \'who?\' AND "failures" = ?', 3
    ) == [(3,)]


async def test_writes_together_may_not_return_rows(app: Harness) -> None:
    """Its rows would be counted as rows changed (on PostgreSQL): refused on both databases alike."""
    from twofactor.models import raw_sql

    bump = 'UPDATE "login_throttles" SET "failures" = "failures" + 1 WHERE "key" = ?'
    with pytest.raises(ValueError, match="may not return rows"):
        await raw_sql.execute_together([(bump, ("k1",)), (f'{bump} RETURNING "key"', ("k2",))])


async def test_raw_sql_counts_the_rows_each_statement_changed(app: Harness) -> None:
    """Row counts decide claims: an INSERT that did nothing must say 0 (PostgreSQL reports an oid too)."""
    from datetime import UTC, datetime

    from twofactor.models import raw_sql

    insert = 'INSERT INTO "login_throttles" ("key", "window_start", "failures") VALUES (?, ?, 1) ON CONFLICT DO NOTHING'
    moment = datetime.now(UTC)
    assert await raw_sql.execute(insert, "k1", moment) == 1
    assert await raw_sql.execute(insert, "k1", moment) == 0
    assert await raw_sql.execute(insert, "k2", moment) == 1
    bump = 'UPDATE "login_throttles" SET "failures" = "failures" + 1 WHERE "failures" < ?'
    assert await raw_sql.execute(bump, 2) == 2
    assert await raw_sql.execute(bump, 2) == 0
    assert await raw_sql.execute('DELETE FROM "login_throttles" WHERE "key" = ?', "k1") == 1
    assert await raw_sql.fetch('SELECT "key", "failures" FROM "login_throttles"') == [("k2", 2)]


@pytest.mark.postgres_only
async def test_pooled_postgres_connections_skip_the_reset_query_but_not_the_rollback(app: Harness) -> None:
    """The pool hands connections back without asyncpg's reset round trip (twofactor.server.database),
    yet a transaction that failed leaves nothing behind for the next statement on that connection."""
    from tortoise import Tortoise
    from tortoise.transactions import in_transaction

    from twofactor.models import User, raw_sql
    from twofactor.server.database import _keep_session

    connection: Any = Tortoise.get_connection("default")
    assert connection._pool._reset is _keep_session
    user, _ = await signed_in(app)
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await raw_sql.execute('UPDATE "users" SET "name" = ? WHERE "id" = ?', "Changed", user.id)
            raise RuntimeError("rolled back")
    for _ in range(30):  # every pooled connection in turn
        assert (await User.get(id=user.id)).name == "Ada"
    rows = await raw_sql.fetch(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'"
    )
    assert rows == [(0,)]


@pytest.mark.sqlite_only
async def test_the_statements_run_per_request_or_per_mail_search_an_index(app: Harness) -> None:
    """A statement that scans a whole table gets slower with every user and every mail sent
    (a session DELETE cost 1.6 ms per submitCode in bench/ before its index). SQLite's plan
    says SCAN for a full scan; PostgreSQL plans tiny test tables with scans either way."""
    from tortoise import Tortoise

    from twofactor.mail import outbox
    from twofactor.models import mail_queue, request_reads, setups
    from twofactor.models.sessions import other_setup_sessions

    statements = [
        other_setup_sessions(0, 0).delete().sql(),
        mail_queue.claim_sql("sqlite", outbox.BATCH_SIZE),
        setups._MAIL_SETTLED,
        setups._DUE_TO_EXPIRE,
        *request_reads._sql("sqlite").values(),
    ]
    connection: Any = Tortoise.get_connection("default")
    for sql in statements:
        values = [None] * (sql.count("?") - sql.count("?1") - sql.count("?2") + ("?1" in sql) + ("?2" in sql))
        _, plan = await connection.execute_query(f"EXPLAIN QUERY PLAN {sql}", values)
        details = [str(row[3]) for row in plan]
        # Scans of what the statement built itself (a CTE, a one-row subquery) are fine.
        scans = [d for d in details if d.startswith("SCAN") and d.split()[1] not in {"due", "c", "CONSTANT"}]
        assert not scans, (sql, details)


async def test_reads_on_the_event_loop_see_every_commit_and_transactions_see_their_own_writes(app: Harness) -> None:
    """On SQLite the hot reads use a connection of their own outside transactions (request_reads._reader)."""
    from datetime import UTC, datetime

    from tortoise import Tortoise
    from tortoise.transactions import in_transaction

    from twofactor.models import raw_sql
    from twofactor.models.request_reads import _reader, authenticators_and_codes_left

    user, _ = await signed_in(app)
    insert = (
        'INSERT INTO "authenticators" ("user_id", "method", "name", "name_key", "last_step", "created_at") '
        "VALUES (?, 'APP', ?, ?, -1, ?)"
    )
    async with in_transaction() as connection:
        await raw_sql.execute(insert, user.id, "Phone", "phone", datetime.now(UTC), connection=connection)
        assert _reader(connection) is None  # the transaction reads through itself...
        inside, _ = await authenticators_and_codes_left(user.id)
        assert [a.name for a in inside] == ["Phone"]  # ...and sees its uncommitted row
    # Committed: the very next read outside sees it.
    assert [a.name for a in (await authenticators_and_codes_left(user.id))[0]] == ["Phone"]
    await raw_sql.execute(insert, user.id, "Tablet", "tablet", datetime.now(UTC))
    assert [a.name for a in (await authenticators_and_codes_left(user.id))[0]] == ["Phone", "Tablet"]
    with pytest.raises(RuntimeError):
        async with in_transaction() as connection:
            await raw_sql.execute(insert, user.id, "Laptop", "laptop", datetime.now(UTC), connection=connection)
            raise RuntimeError("rolled back")
    assert [a.name for a in (await authenticators_and_codes_left(user.id))[0]] == ["Phone", "Tablet"]
    if app.backend == "sqlite":
        assert _reader(Tortoise.get_connection("default")) is not None


@pytest.mark.sqlite_only
async def test_a_busy_reader_falls_back_to_the_database_thread(app: Harness) -> None:
    import sqlite3

    from tortoise import Tortoise

    from twofactor.models.request_reads import _reader, authenticators_and_codes_left

    class Busy:
        def execute(self, *_: Any) -> Any:
            raise sqlite3.OperationalError("database is locked")

    user, token = await signed_in(app)
    await add_app(app, token, "Phone")
    connection: Any = Tortoise.get_connection("default")
    real = _reader(connection)
    connection._twofactor_reader = Busy()
    try:
        with counting() as statements:
            authenticators, _ = await authenticators_and_codes_left(user.id)
    finally:
        connection._twofactor_reader = real
    assert [a.name for a in authenticators] == ["Phone"]
    assert len(statements) == 2  # tried on the loop, then run by the database thread


async def test_a_read_on_the_event_loop_never_sees_an_older_snapshot_than_the_last_commit(app: Harness) -> None:
    """Each read ends its read transaction: a statement left unreset kept an old snapshot, and a
    later read of another statement on the same connection missed rows committed meanwhile."""
    from datetime import UTC, datetime

    from twofactor.models import raw_sql
    from twofactor.models.request_reads import authenticators_and_codes_left
    from twofactor.models.request_reads import signed_in as signed_in_read
    from twofactor.security.tokens import token_hash

    user, token = await signed_in(app)
    insert = (
        'INSERT INTO "authenticators" ("user_id", "method", "name", "name_key", "last_step", "created_at") '
        "VALUES (?, 'APP', ?, ?, -1, ?)"
    )
    # Unreset statements of dropped cursors lingered until a garbage collection: none here.
    gc.disable()
    try:
        for count in range(1, 11):
            assert await signed_in_read(token_hash(token)) is not None  # one statement...
            await raw_sql.execute(insert, user.id, f"App {count}", f"app {count}", datetime.now(UTC))
            authenticators, _ = await authenticators_and_codes_left(user.id)  # ...then another
            assert len(authenticators) == count
    finally:
        gc.enable()


async def test_authenticators_of_every_kind_are_read_whatever_their_null_columns(app: Harness) -> None:
    """An app has no email and an email factor no secret: neither may read as the LEFT JOIN's
    row of NULLs. (Tortoise lists columns in a hash-seed order; a check of the first column
    dropped every app factor in some processes, and sign-in then skipped the second factor.)"""
    from datetime import UTC, datetime

    from twofactor.models import Method, raw_sql
    from twofactor.models.request_reads import AUTHENTICATORS, SESSIONS, SETUPS, USERS, authenticators_and_codes_left

    for loader in (AUTHENTICATORS, SESSIONS, SETUPS, USERS):
        assert loader.columns[0] == loader.model._meta.db_pk_column
    user, token = await signed_in(app)
    await add_app(app, token, "Phone")
    await raw_sql.execute(
        'INSERT INTO "authenticators" ("user_id", "method", "name", "name_key", "email", "last_step", "created_at") '
        "VALUES (?, 'EMAIL', 'Work', 'work', ?, -1, ?)",
        user.id,
        user.email,
        datetime.now(UTC),
    )
    authenticators, _ = await authenticators_and_codes_left(user.id)
    assert [(a.name, a.method) for a in authenticators] == [("Phone", Method.APP), ("Work", Method.EMAIL)]
    assert (await login(app))["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE"


def _policy_reads(statements: list[str]) -> int:
    return sum('FROM "policy"' in statement for statement in statements)


async def test_requests_that_find_the_policy_out_of_date_share_one_read(app: Harness) -> None:
    await Policy.current()  # the row exists
    Policy.forget_cached()
    with counting() as statements:
        policies = await asyncio.gather(*(Policy.current() for _ in range(20)))
        again = await Policy.current()
    assert _policy_reads(statements) == 1, statements
    assert {id(policy) for policy in [*policies, again]} == {id(again)}


async def test_a_policy_read_under_way_when_the_policy_changes_is_not_kept(app: Harness) -> None:
    await Policy.current()
    Policy.forget_cached()
    early = asyncio.ensure_future(Policy.current())
    await asyncio.sleep(0)  # it started the shared read, which has not read yet
    # Meanwhile an administrator's change commits and is forgotten, as `admin.set_policy` does:
    # the read under way may have seen the row before it.
    Policy.forget_cached()
    await early
    with counting() as statements:
        await Policy.current()
    assert _policy_reads(statements) == 1, statements


async def test_a_request_cancelled_while_the_policy_is_read_leaves_the_others_theirs(app: Harness) -> None:
    await Policy.current()
    Policy.forget_cached()
    cancelled = asyncio.ensure_future(Policy.current())
    waiting = asyncio.ensure_future(Policy.current())
    await asyncio.sleep(0)  # both wait for the one read
    cancelled.cancel()
    assert (await waiting).id == POLICY_ID
    await asyncio.wait([cancelled])
    assert cancelled.cancelled()
