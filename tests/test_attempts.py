"""A try of a sign-in challenge or a set-up and the user's failure in a row are both counted
before a code is checked. At a sign-in with an app code they are written together with the
step's claim while the rows are as read (`count_try_and_claim`), else one by one. Rows
changed since they were read (a parallel request) are counted exactly.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from helpers import SET_UP_APP, Harness, add_app, login, signed_in
from tortoise.expressions import F

from twofactor.models import Authenticator, Session, Setup, User, attempts
from twofactor.resolvers import code_checks
from twofactor.schema.errors import ErrorCode, Refused
from twofactor.security.rules import ATTEMPTS_PER_VERIFICATION
from twofactor.security.tokens import token_hash
from twofactor.server.context import now


async def _session_and_user(app: Harness) -> tuple[Session, User]:
    await signed_in(app)
    payload = await login(app, "ada@example.test")
    session = await Session.get(token_hash=token_hash(payload["token"])).prefetch_related("user")
    return session, session.user


async def _counts(session: Session, user: User) -> tuple[int, int]:
    return (
        (await Session.get(id=session.id)).failed_attempts,
        (await User.get(id=user.id)).failed_verifications,
    )


async def test_a_try_and_the_users_failure_are_counted_together(app: Harness) -> None:
    session, user = await _session_and_user(app)
    left = await code_checks.reserve_session_and_user_attempt(session, user)
    assert left == ATTEMPTS_PER_VERIFICATION - 1
    assert await _counts(session, user) == (1, 1)
    assert (session.failed_attempts, user.failed_verifications) == (1, 1)
    left = await code_checks.reserve_session_and_user_attempt(session, user)
    assert left == ATTEMPTS_PER_VERIFICATION - 2
    assert await _counts(session, user) == (2, 2)


async def test_rows_changed_since_they_were_read_are_counted_exactly(app: Harness) -> None:
    session, user = await _session_and_user(app)
    # A parallel request took a try and counted a failure after these rows were read.
    await Session.filter(id=session.id).update(failed_attempts=2)
    await User.filter(id=user.id).update(failed_verifications=1)
    left = await code_checks.reserve_session_and_user_attempt(session, user)
    assert left == ATTEMPTS_PER_VERIFICATION - 3
    assert await _counts(session, user) == (3, 2)


async def test_a_spent_challenge_leaves_the_users_count_as_it_was(app: Harness) -> None:
    session, user = await _session_and_user(app)
    # Read with one try left; parallel requests spent it meanwhile.
    await Session.filter(id=session.id).update(failed_attempts=ATTEMPTS_PER_VERIFICATION)
    session.failed_attempts = ATTEMPTS_PER_VERIFICATION - 1
    with pytest.raises(Refused) as refused:
        await code_checks.reserve_session_and_user_attempt(session, user)
    assert refused.value.error.code == ErrorCode.TOO_MANY_ATTEMPTS
    assert await _counts(session, user) == (ATTEMPTS_PER_VERIFICATION, 0)
    assert user.failed_verifications == 0


async def test_a_user_who_must_wait_keeps_the_challenges_try(app: Harness) -> None:
    session, user = await _session_and_user(app)
    # Another request made the user wait after the rows were read.
    blocked = now() + timedelta(minutes=5)
    await User.filter(id=user.id).update(failed_verifications=7, verification_blocked_until=blocked)
    with pytest.raises(Refused) as refused:
        await code_checks.reserve_session_and_user_attempt(session, user)
    assert refused.value.error.code == ErrorCode.RATE_LIMITED
    assert await _counts(session, user) == (0, 7)


async def test_a_user_read_as_waiting_is_refused_before_anything_is_counted(app: Harness) -> None:
    session, user = await _session_and_user(app)
    blocked = now() + timedelta(minutes=5)
    await User.filter(id=user.id).update(failed_verifications=7, verification_blocked_until=blocked)
    user = await User.get(id=user.id)
    with pytest.raises(Refused) as refused:
        await code_checks.reserve_session_and_user_attempt(session, user)
    assert refused.value.error.code == ErrorCode.RATE_LIMITED
    assert await _counts(session, user) == (0, 7)


async def test_a_set_up_try_and_the_users_failure_are_counted_together(app: Harness) -> None:
    _, token = await signed_in(app)
    started = (await app.gql(SET_UP_APP, token=token))["data"]["myTwoFactor"]["setUpApp"]["setup"]
    setup = await Setup.get(id=started["id"])
    user = await User.get(id=setup.user_id)
    left = await code_checks.reserve_setup_and_user_attempt(setup, user)
    assert left == ATTEMPTS_PER_VERIFICATION - 1
    assert (await Setup.get(id=setup.id)).failed_attempts == 1
    assert (await User.get(id=user.id)).failed_verifications == 1
    # Ended meanwhile: refused, and the user's count stays where it was.
    await Setup.filter(id=setup.id).update(status="CANCELLED")
    with pytest.raises(Refused) as refused:
        await code_checks.reserve_setup_and_user_attempt(setup, user)
    assert refused.value.error.code == ErrorCode.NOT_FOUND
    assert (await User.get(id=user.id)).failed_verifications == 1


async def _challenge_with_app(app: Harness) -> tuple[Session, User, Authenticator, int]:
    """A session at the sign-in challenge of a user with an app; the app's next step."""
    _, token = await signed_in(app)
    _, _, step = await add_app(app, token)
    payload = await login(app, "ada@example.test")
    session = await Session.get(token_hash=token_hash(payload["token"])).prefetch_related("user")
    return session, session.user, await Authenticator.get(user_id=session.user.id), step + 1


async def _last_step(authenticator: Authenticator) -> int | None:
    last: int | None = (await Authenticator.get(id=authenticator.id)).last_step
    return last


async def test_a_try_the_users_failure_and_the_step_are_written_together(app: Harness) -> None:
    session, user, authenticator, step = await _challenge_with_app(app)
    first = await code_checks.count_try_and_claim(session, user, authenticator, step)
    assert first.counted is not None and first.counted[0] == ATTEMPTS_PER_VERIFICATION - 1
    assert first.claimed is True
    assert await _counts(session, user) == (1, 1)
    assert (session.failed_attempts, user.failed_verifications) == (1, 1)
    assert await _last_step(authenticator) == step
    # The same step again: counted, and the claim lost.
    again = await code_checks.count_try_and_claim(session, user, authenticator, step)
    assert again.counted is not None and again.claimed is False
    assert await _counts(session, user) == (2, 2)
    await again.counted[1]()  # a replayed code gives its try back
    assert await _counts(session, user) == (1, 1)


async def test_a_wrong_code_is_counted_and_claims_nothing(app: Harness) -> None:
    session, user, authenticator, _ = await _challenge_with_app(app)
    before = await _last_step(authenticator)
    first = await code_checks.count_try_and_claim(session, user, authenticator, None)
    assert first.counted is not None and first.claimed is None
    assert await _counts(session, user) == (1, 1)
    assert await _last_step(authenticator) == before


async def test_a_try_taken_since_it_was_read_is_counted_on_the_row_and_the_claim_stands(app: Harness) -> None:
    session, user, authenticator, step = await _challenge_with_app(app)
    await Session.filter(id=session.id).update(failed_attempts=2)  # a parallel request's tries
    first = await code_checks.count_try_and_claim(session, user, authenticator, step)
    assert first.counted is not None and first.claimed is True
    # The user's failure stands; the try is counted after the parallel ones.
    assert first.counted[0] == ATTEMPTS_PER_VERIFICATION - 3
    assert await _counts(session, user) == (3, 1)
    assert await _last_step(authenticator) == step
    await first.counted[1]()  # a replayed code gives both back
    assert await _counts(session, user) == (2, 0)


async def test_a_challenge_spent_since_it_was_read_forgives_the_users_failure(app: Harness) -> None:
    session, user, authenticator, step = await _challenge_with_app(app)
    await Session.filter(id=session.id).update(failed_attempts=ATTEMPTS_PER_VERIFICATION)
    first = await code_checks.count_try_and_claim(session, user, authenticator, step)
    assert first.counted is None and first.claimed is True
    assert await _counts(session, user) == (ATTEMPTS_PER_VERIFICATION, 0)
    with pytest.raises(Refused) as refused:
        await code_checks.reserve_challenge_attempt(session, user)
    assert refused.value.error.code == ErrorCode.TOO_MANY_ATTEMPTS


async def test_a_failure_counted_just_after_the_write_is_not_counted_twice(
    app: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, user, authenticator, step = await _challenge_with_app(app)
    # A parallel request of this sign-in took its try; its failure of the user comes next.
    await Session.filter(id=session.id).update(failed_attempts=1)
    take = attempts.take_tries_and_claim

    async def then_the_parallel_failure(**kwargs: Any) -> attempts.TriesTaken:
        taken = await take(**kwargs)
        await User.filter(id=user.id).update(failed_verifications=F("failed_verifications") + 1)
        return taken

    monkeypatch.setattr(attempts, "take_tries_and_claim", then_the_parallel_failure)
    first = await code_checks.count_try_and_claim(session, user, authenticator, step)
    left, _ = first.counted or await code_checks.reserve_challenge_attempt(session, user)
    assert first.claimed is True
    assert left == ATTEMPTS_PER_VERIFICATION - 2
    # Two tries of the challenge, two failures of the user: this request's and the parallel one's.
    assert await _counts(session, user) == (2, 2)


async def test_a_failure_counted_since_it_was_read_is_left_as_it_is(app: Harness) -> None:
    session, user, authenticator, step = await _challenge_with_app(app)
    await User.filter(id=user.id).update(failed_verifications=1)  # a parallel request's failure
    first = await code_checks.count_try_and_claim(session, user, authenticator, step)
    assert first.counted is None and first.claimed is True
    assert await _counts(session, user) == (0, 1)  # the try taken is given back
    left, _ = await code_checks.reserve_challenge_attempt(session, user)
    assert left == ATTEMPTS_PER_VERIFICATION - 1
    assert await _counts(session, user) == (1, 2)


async def test_a_replayed_code_gives_back_only_its_own_failure(app: Harness) -> None:
    session, user, authenticator, step = await _challenge_with_app(app)
    await User.filter(id=user.id).update(failed_verifications=1)  # a parallel request's wrong code
    first = await code_checks.count_try_and_claim(session, user, authenticator, step)
    _, give_back = first.counted or await code_checks.reserve_challenge_attempt(session, user)
    assert await _counts(session, user) == (1, 2)
    await give_back()  # the code was used before
    # The parallel request's failure stays counted.
    assert await _counts(session, user) == (0, 1)


async def test_a_user_read_as_waiting_writes_nothing_and_claims_nothing(app: Harness) -> None:
    session, user, authenticator, step = await _challenge_with_app(app)
    blocked = now() + timedelta(minutes=5)
    await User.filter(id=user.id).update(failed_verifications=7, verification_blocked_until=blocked)
    user = await User.get(id=user.id)
    before = await _last_step(authenticator)
    first = await code_checks.count_try_and_claim(session, user, authenticator, step)
    assert (first.counted, first.claimed) == (None, None)
    assert await _counts(session, user) == (0, 7)
    assert await _last_step(authenticator) == before


async def test_a_spent_challenge_as_read_writes_nothing(app: Harness) -> None:
    session, user, authenticator, step = await _challenge_with_app(app)
    session.failed_attempts = ATTEMPTS_PER_VERIFICATION
    first = await code_checks.count_try_and_claim(session, user, authenticator, step)
    assert (first.counted, first.claimed) == (None, None)
    assert await _counts(session, user) == (0, 0)
