"""Subscription events and query results: the plan gives what graphql-core gives, and the
per-event memo stays bounded."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import pytest
import strawberry
from graphql import parse
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info

from twofactor.models import Method
from twofactor.schema.executor import OperationExecutor
from twofactor.schema.my_two_factor import MyTwoFactor
from twofactor.schema.root import build_schema
from twofactor.schema.types import Authenticator


@strawberry.enum
class Color(Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Item:
    id: strawberry.ID
    color: Color
    label: str | None

    @strawberry.field
    def shout(self) -> str:
        return (self.label or "").upper()


@strawberry.type
class View:
    name: str
    count: int
    colors: list[Color]
    items: list[Item]
    maybe: Item | None
    required: str


@dataclass
class Events:
    views: list[Any] = field(default_factory=list)


@strawberry.type
class Query:
    ok: bool = True

    @strawberry.field
    def view(self, info: Info[Events, None], first: int = 100) -> View:
        first_view: View = info.context.views[0]
        return first_view


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def views(self, info: Info[Events, None], first: int = 100) -> AsyncGenerator[View, None]:
        for view in info.context.views[:first]:
            yield view


PLANNED = strawberry.Schema(query=Query, subscription=Subscription, execution_context_class=OperationExecutor)
PLAIN = strawberry.Schema(query=Query, subscription=Subscription)

ITEMS = [
    Item(id=strawberry.ID("1"), color=Color.RED, label="one"),
    Item(id=strawberry.ID("2"), color=Color.BLUE, label=None),
]
VIEW = View(name="v", count=2, colors=[Color.BLUE, Color.RED], items=ITEMS, maybe=None, required="r")

DOCUMENTS = {
    "plain": "subscription { views { name count colors items { id color label } maybe { id } required } }",
    "aliases and __typename": """subscription { views { __typename n: name again: name
        items { __typename key: id c: color } } }""",
    "fragments": """subscription { views { ...V items { ... on Item { id } ...I } } }
        fragment V on View { count colors }
        fragment I on Item { label color }""",
    "skip and include": """subscription($on: Boolean!) { views {
        name @include(if: $on) count @skip(if: $on) items { id @skip(if: $on) label } } }""",
    "an argument of the subscription": "subscription { views(first: 2) { name count } }",
    "a field with a resolver": "subscription { views { name items { id shout } } }",
}

VIEWS = {
    "one": VIEW,
    "empty lists, an object": View(name="", count=0, colors=[], items=[], maybe=ITEMS[0], required="r"),
    "null where none is allowed": View(name="v", count=1, colors=[], items=[], maybe=None, required=None),  # type: ignore[arg-type]
    "a value that does not coerce": View(name="v", count="many", colors=[], items=[], maybe=None, required="r"),  # type: ignore[arg-type]
    "an item that is not an item": View(name="v", count=1, colors=["green"], items=[], maybe=None, required="r"),  # type: ignore[list-item]
}


async def results(schema: strawberry.Schema, document: str, views: list[Any]) -> list[tuple[Any, list[Any]]]:
    stream = await schema.subscribe(document, variable_values={"on": True}, context_value=Events(views))
    return [(result.data, [e.formatted for e in result.errors or []]) async for result in stream]


@pytest.fixture
def graphql_core_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Every time graphql-core executes a selection set (which a planned event never does)."""
    calls: list[object] = []
    original = StrawberryGraphQLCoreExecutionContext.execute_fields

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(args[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_fields", counted)
    yield calls


@pytest.mark.parametrize("document", DOCUMENTS)
@pytest.mark.parametrize("view", VIEWS)
async def test_every_event_gives_what_graphql_core_gives(document: str, view: str) -> None:
    views = [VIEWS[view], VIEW, VIEWS[view]]
    assert await results(PLANNED, DOCUMENTS[document], views) == await results(PLAIN, DOCUMENTS[document], views)


@pytest.mark.parametrize("document", [d for d in DOCUMENTS if d != "a field with a resolver"])
async def test_plain_views_are_executed_by_the_plan(document: str, graphql_core_calls: list[object]) -> None:
    assert len(await results(PLANNED, DOCUMENTS[document], [VIEW, VIEW, VIEW])) == (
        2 if document == "an argument of the subscription" else 3
    )
    assert graphql_core_calls == []


async def test_a_selection_with_a_resolver_is_executed_by_graphql_core(graphql_core_calls: list[object]) -> None:
    [(data, errors)] = await results(PLANNED, DOCUMENTS["a field with a resolver"], [VIEW])
    assert data == {"views": {"name": "v", "items": [{"id": "1", "shout": "ONE"}, {"id": "2", "shout": ""}]}}
    assert errors == []
    assert graphql_core_calls


async def test_my_two_factor_changed_is_planned(graphql_core_calls: list[object]) -> None:
    schema = build_schema(introspection=False)
    view = MyTwoFactor(
        enabled=True,
        mandatory=False,
        setup_required=False,
        available_methods=[Method.EMAIL, Method.APP],
        authenticators=[
            Authenticator(
                id=strawberry.ID("7"),
                name="Phone",
                method=Method.APP,
                email=None,
                created_at=datetime.now(UTC),
                last_used_at=None,
            )
        ],
        recovery_codes_remaining=10,
        user_id=1,
    )
    document = parse(
        "subscription { myTwoFactorChanged { enabled availableMethods authenticators { id name method } } }"
    )
    executor = OperationExecutor.build(schema._schema, document)
    assert isinstance(executor, OperationExecutor)
    result = executor.build_per_event_executor(view).execute_operation(False)
    assert result.data == {
        "myTwoFactorChanged": {
            "enabled": True,
            "availableMethods": ["EMAIL", "APP"],
            "authenticators": [{"id": "7", "name": "Phone", "method": "APP"}],
        }
    }
    assert executor.event_plan() is not None
    assert graphql_core_calls == []


@pytest.mark.parametrize("executor_class", [StrawberryGraphQLCoreExecutionContext, OperationExecutor])
def test_the_memo_of_a_subscription_does_not_grow_with_its_events(executor_class: type[Any]) -> None:
    # A resolver keeps the plan out: this is graphql-core's own execution of each event.
    executor = executor_class.build(PLAIN._schema, parse(DOCUMENTS["a field with a resolver"]))
    for _ in range(50):
        assert executor.build_per_event_executor(VIEW).execute_operation(False).errors is None
    memo = len(executor._relevant_sub_fields)
    if executor_class is OperationExecutor:
        assert memo == 0
    else:
        assert memo >= 50  # graphql-core 3.3.2's growth, which OperationExecutor avoids


def as_query(document: str) -> str:
    return document.replace("subscription", "query", 1).replace("views", "view")


async def query_result(schema: strawberry.Schema, document: str, view: Any) -> tuple[Any, list[Any]]:
    result = await schema.execute(as_query(document), variable_values={"on": True}, context_value=Events([view]))
    return result.data, [e.formatted for e in result.errors or []]


@pytest.mark.parametrize("document", DOCUMENTS)
@pytest.mark.parametrize("view", VIEWS)
async def test_every_query_result_is_what_graphql_core_gives(document: str, view: str) -> None:
    for _ in range(2):  # compiled on the first request, run from the cache on the second
        assert await query_result(PLANNED, DOCUMENTS[document], VIEWS[view]) == await query_result(
            PLAIN, DOCUMENTS[document], VIEWS[view]
        )


async def test_plain_query_results_are_completed_by_the_plan(graphql_core_calls: list[object]) -> None:
    for document in ("plain", "aliases and __typename", "fragments", "an argument of the subscription"):
        graphql_core_calls.clear()
        data, errors = await query_result(PLANNED, DOCUMENTS[document], VIEW)
        assert data is not None and errors == []
        assert len(graphql_core_calls) == 1, document  # the root selection only


async def test_query_selections_with_a_directive_or_a_resolver_go_to_graphql_core(
    graphql_core_calls: list[object],
) -> None:
    for document in ("skip and include", "a field with a resolver"):
        graphql_core_calls.clear()
        await query_result(PLANNED, DOCUMENTS[document], VIEW)
        assert len(graphql_core_calls) > 1, document


def test_subscribers_of_one_document_share_its_plan_unless_a_directive_needs_their_variables() -> None:
    shared = parse(DOCUMENTS["plain"])
    first = OperationExecutor.build(PLANNED._schema, shared)
    second = OperationExecutor.build(PLANNED._schema, shared)
    assert isinstance(first, OperationExecutor) and isinstance(second, OperationExecutor)
    assert first.event_plan() is not None
    assert second.event_plan() is first.event_plan()

    directed = parse(DOCUMENTS["skip and include"])
    on = OperationExecutor.build(PLANNED._schema, directed, raw_variable_values={"on": True})
    off = OperationExecutor.build(PLANNED._schema, directed, raw_variable_values={"on": False})
    assert isinstance(on, OperationExecutor) and isinstance(off, OperationExecutor)
    assert on.event_plan() is not None and off.event_plan() is not None
    assert on.event_plan() is not off.event_plan()
    assert on.build_per_event_executor(VIEW).execute_operation(False).data == {
        "views": {"name": "v", "items": [{"label": "one"}, {"label": None}]}
    }
    assert off.build_per_event_executor(VIEW).execute_operation(False).data == {
        "views": {"count": 2, "items": [{"id": "1", "label": "one"}, {"id": "2", "label": None}]}
    }
