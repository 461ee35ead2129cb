"""Authenticator names must show something: names of only blank or invisible characters are refused."""

from __future__ import annotations

import pytest
from helpers import SET_UP_EMAIL, Harness, signed_in

from twofactor.security.names import clean_name

VISIBLE = "The name must contain a visible character."
BLANK = {
    "hangul filler": "\u3164",
    "hangul choseong filler": "\u115f",
    "hangul jungseong filler": "\u1160",
    "halfwidth hangul filler": "\uffa0",
    "braille blank": "\u2800",
    "fillers between spaces": " \u3164\u2800\u3164 ",
    "fillers and an ideographic space": "\u3164\u3000\u115f",
    "a variation selector": "\u3164\ufe0f",
    "a combining mark alone": "\u0301",
    "a combining grapheme joiner": "\u034f\u3164",
    "a Khmer inherent vowel": "\u17b4",
    "a Mongolian free variation selector": "\u180b",
}
SHOWN = ["Phone", "내 폰", "📱", "📱\ufe0f", "Téléphone", "फ़ोन", "A\u3164B", "·"]


@pytest.mark.parametrize("raw", BLANK.values(), ids=BLANK.keys())
def test_a_name_with_no_visible_character_is_refused(raw: str) -> None:
    assert clean_name(raw) == (None, VISIBLE)


@pytest.mark.parametrize("raw", SHOWN)
def test_a_name_with_a_visible_character_is_kept(raw: str) -> None:
    name, problem = clean_name(raw)
    assert problem is None and name is not None and name.strip() == name


async def test_the_api_refuses_an_invisible_name(app: Harness) -> None:
    _, token = await signed_in(app)
    body = await app.gql(SET_UP_EMAIL, {"name": "\u3164\u3164"}, token=token)
    payload = body["data"]["myTwoFactor"]["setUpEmail"]
    assert payload["setup"] is None
    assert payload["error"] == {"code": "INVALID_INPUT", "message": VISIBLE, "field": "name", "retryAfterSeconds": None}
    assert app.smtp.received == []
