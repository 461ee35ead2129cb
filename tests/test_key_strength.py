"""Production refuses a secret key that does not look random; generated keys pass."""

from __future__ import annotations

import secrets

import pytest

from twofactor.security.keyring import estimated_bits, key_weakness
from twofactor.security.rules import SECRET_KEY_MIN_BITS
from twofactor.server.settings import SettingsError, load_settings

# Made once by the commands the README names (fixed here, so the test cannot flake).
GENERATED = {
    "secrets.token_urlsafe(32)": "iWtBbVhAIbut7b5H56skkgf0eSH-7jOWq1Ywywz1fSM",
    "secrets.token_urlsafe(48)": "N3QdIwxfciHtJ9_Ky9GrT4Mfw1_lPHyTK8alZ0fiycl6n9ZRn_l3ydOQBsEQs3d0",
    "openssl rand -base64 32": "8cq+K5RXNhBSRSXHb2ZVmZO2pegc4Yx+2xD4Z35M2ws=",
    "openssl rand -hex 32": "211efebc25b05b2d519269780e1f8fbb7bb25a3038ca9ace9236feb6dd74455d",
    "openssl rand -hex 16": "d937e224f23f15fd3fe542902cb9f55f",
}
WEAK = {
    "32 x a": "a" * 32,
    "aaaabbbb repeated": "aaaabbbb" * 4,
    "a phrase repeated": "correcthorsebatterystaple" * 2,
    "a phrase with spaces repeated": "my company secret! " * 2,
    "the alphabet": "abcdefghijklmnopqrstuvwxyz012345",
    "digits counting down": "Key-9876543210-" + "x7Qp2LmZ4rTb9WcNv",
    "ten different characters, shuffled": "0918273645" * 2 + "5463728190" * 2,
}


@pytest.fixture
def env(env: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """conftest's clean environment, in production with a real mail server named."""
    env.setenv("TWOFACTOR_ENV", "production")
    env.setenv("TWOFACTOR_MAIL_URL", "smtp://mail.example.test:587?starttls=true")
    return env


@pytest.mark.parametrize("key", GENERATED.values(), ids=GENERATED.keys())
def test_a_generated_key_is_accepted_in_production(env: pytest.MonkeyPatch, key: str) -> None:
    env.setenv("TWOFACTOR_SECRET_KEY", key)
    assert load_settings().secret_keys == (key,)


def test_fresh_keys_pass() -> None:
    for _ in range(50):
        assert key_weakness(secrets.token_urlsafe(32)) is None
        assert estimated_bits(secrets.token_urlsafe(32)) >= 2 * SECRET_KEY_MIN_BITS


@pytest.mark.parametrize("key", WEAK.values(), ids=WEAK.keys())
def test_a_key_that_does_not_look_random_is_refused_in_production(env: pytest.MonkeyPatch, key: str) -> None:
    assert len(key) >= 32  # long enough: the length check alone lets each of them through
    env.setenv("TWOFACTOR_SECRET_KEY", key)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    message = str(refused.value)
    assert message.startswith("TWOFACTOR_SECRET_KEY does not look random")
    assert "secrets.token_urlsafe(48)" in message and "openssl rand" in message
    assert key not in message and key[:8] not in message


def test_development_does_not_check_the_key(env: pytest.MonkeyPatch) -> None:
    env.setenv("TWOFACTOR_ENV", "development")
    env.setenv("TWOFACTOR_SECRET_KEY", "a" * 32)
    assert load_settings().secret_keys == ("a" * 32,)


def test_an_old_weak_key_is_kept_to_decrypt(env: pytest.MonkeyPatch) -> None:
    """Rotating away from a weak key needs it to decrypt until `twofactor rotate-secrets` has run."""
    env.setenv("TWOFACTOR_SECRET_KEY", GENERATED["secrets.token_urlsafe(48)"])
    env.setenv("TWOFACTOR_OLD_SECRET_KEYS", "a" * 32)
    assert load_settings().secret_keys == (GENERATED["secrets.token_urlsafe(48)"], "a" * 32)
