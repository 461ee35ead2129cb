"""Users as models/users.py creates and finds them."""

from __future__ import annotations

import pytest

from twofactor.models import User
from twofactor.models.users import create_user, user_by_id


@pytest.mark.usefixtures("app")
async def test_create_user_refuses_a_taken_address_also_after_losing_a_race(monkeypatch: pytest.MonkeyPatch) -> None:
    created = await create_user("grace@example.test", "Grace", is_admin=True, password_hash="hash")
    assert created is not None and created.is_admin
    assert await user_by_id(created.id) == created
    assert await create_user("grace@example.test", "Other", is_admin=False, password_hash="hash") is None

    # A create that passed the check while a parallel one took the address meets the unique index.
    async def nobody_has_it(**_: object) -> bool:
        return False

    monkeypatch.setattr(User, "exists", nobody_has_it)
    assert await create_user("grace@example.test", "Other", is_admin=False, password_hash="hash") is None
    assert [u.name for u in await User.filter(email="grace@example.test")] == ["Grace"]
    assert await user_by_id(created.id + 1000) is None
