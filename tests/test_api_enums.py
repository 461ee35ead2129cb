"""The API's TwoFactorMethod and VerificationStatus are the stored enums themselves: one definition
each, described as the contract describes them, and a member added there is an API value."""

from __future__ import annotations

from pathlib import Path

import pytest
import strawberry
from graphql import GraphQLEnumType, GraphQLSchema, build_schema
from strawberry.types.enum import StrawberryEnumDefinition

from twofactor.models import Method, SetupStatus
from twofactor.models.two_factor import DescribedEnum
from twofactor.schema.root import build_schema as build_api_schema
from twofactor.schema.types import api_enum

CONTRACT = Path(__file__).resolve().parent.parent.parent / "shared" / "contract" / "schema.graphql"


def exported() -> GraphQLSchema:
    """The schema as `twofactor export-schema` writes it."""
    return build_schema(build_api_schema(introspection=True).as_str())


@pytest.mark.parametrize(("name", "stored"), [("TwoFactorMethod", Method), ("VerificationStatus", SetupStatus)])
def test_the_api_enum_is_the_stored_one(name: str, stored: type[DescribedEnum]) -> None:
    definition = build_api_schema(introspection=True).get_type_by_name(name)
    assert isinstance(definition, StrawberryEnumDefinition)
    # No conversion between a stored row and the API: the values are the stored members.
    assert definition.wrapped_cls is stored
    api = exported().get_type(name)
    assert isinstance(api, GraphQLEnumType)
    assert {value: api.values[value].description for value in api.values} == {
        member.name: member.description for member in stored
    }


@pytest.mark.skipif(not CONTRACT.is_file(), reason="no API contract next to the project")
def test_every_enum_describes_its_values_as_the_contract_does() -> None:
    contract = build_schema(CONTRACT.read_text())
    ours = exported()
    checked = 0
    for name, theirs in contract.type_map.items():
        if not isinstance(theirs, GraphQLEnumType) or name.startswith("__"):
            continue
        mine = ours.get_type(name)
        assert isinstance(mine, GraphQLEnumType), name
        assert mine.description == theirs.description, name
        for value, definition in theirs.values.items():
            assert mine.values[value].description == definition.description, f"{name}.{value}"
            checked += 1
    assert checked >= len(Method) + len(SetupStatus)


class Kind(DescribedEnum):
    """A stored enum with one more member than Method, as adding security keys would make it."""

    EMAIL = "EMAIL", "A code mailed."
    SECURITY_KEY = "SECURITY_KEY", "A security key (WebAuthn)."
    UNDESCRIBED = "UNDESCRIBED"


api_enum(Kind, "Kind")


@strawberry.type
class KindQuery:
    @strawberry.field
    def kinds(self) -> list[Kind]:
        return list(Kind)


def test_a_member_added_to_a_stored_enum_is_an_api_value_with_its_description() -> None:
    schema = strawberry.Schema(query=KindQuery)
    sdl = schema.as_str()
    assert '"""A security key (WebAuthn)."""\n  SECURITY_KEY' in sdl
    assert "\n  UNDESCRIBED\n" in sdl
    result = schema.execute_sync("{ kinds }")
    assert result.errors is None
    assert result.data == {"kinds": ["EMAIL", "SECURITY_KEY", "UNDESCRIBED"]}
