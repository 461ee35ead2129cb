"""Key rotation: older keys keep decrypting, and `rotate-secrets` moves every secret to the new key."""

from __future__ import annotations

import secrets

import pytest
from helpers import SET_UP_APP, Harness, add_app, signed_in

from twofactor.models import Authenticator, Setup
from twofactor.resolvers.admin import rotate_secrets
from twofactor.resolvers.code_checks import secret_context
from twofactor.security.keyring import DecryptionError, Keyring


async def test_rotation_re_encrypts_every_stored_secret_with_the_new_key(app: Harness) -> None:
    user, token = await signed_in(app)
    _, secret, _ = await add_app(app, token)
    await app.gql(SET_UP_APP, token=token)  # a set-up left pending holds a secret too
    old = app.app.state.services.keyring
    new_key = secrets.token_urlsafe(48)
    new = Keyring([new_key, *app.settings.secret_keys])

    assert await rotate_secrets(new) == 2
    assert await rotate_secrets(new) == 0  # nothing left on the old key

    only_new = Keyring([new_key])
    authenticator = await Authenticator.get(user_id=user.id)
    assert authenticator.secret_encrypted is not None
    assert only_new.decrypt(authenticator.secret_encrypted, secret_context(user.id)) == secret
    pending = await Setup.get(user_id=user.id, secret_encrypted__isnull=False)
    assert pending.secret_encrypted is not None
    only_new.decrypt(pending.secret_encrypted, secret_context(user.id))
    with pytest.raises(DecryptionError):
        old.decrypt(authenticator.secret_encrypted, secret_context(user.id))


async def test_rotation_without_the_old_key_fails_closed_and_changes_nothing(app: Harness) -> None:
    user, token = await signed_in(app)
    await add_app(app, token)
    before = (await Authenticator.get(user_id=user.id)).secret_encrypted
    with pytest.raises(DecryptionError):
        await rotate_secrets(Keyring([secrets.token_urlsafe(48)]))
    assert (await Authenticator.get(user_id=user.id)).secret_encrypted == before
