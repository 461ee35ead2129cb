"""What a document may be before validation runs: size, shape caps, caches, one operation to run.

Validation of a document within the caps takes milliseconds (bench/worst_documents.py measures
the worst shapes). These tests hold the deterministic part: a document over a cap is refused
without graphql-core's validation ever running on it, and counting is linear in the document.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from graphql import OperationDefinitionNode, get_introspection_query, parse
from helpers import Harness, signed_in
from test_subscriptions import refused_code, signed_socket

from twofactor.schema import operation_checks
from twofactor.schema.limits import DocumentShape
from twofactor.schema.root import MAX_TOKENS
from twofactor.security.rules import (
    CACHED_DOCUMENT_MAX_CHARS,
    MAX_DOCUMENT_BYTES,
    MAX_NESTING,
    MAX_OPERATIONS,
    MAX_SAME_FIELD,
    MAX_SELECTIONS,
)

POLICY = "twoFactorPolicy { mandatory }"
PROBE = "{ __typename }"


def repeated(times: int, text: str) -> str:
    return " ".join([text] * times)


def doubling(levels: int) -> str:
    """F{levels} spreads 2**levels copies of F0: exponential if fragments were expanded naively."""
    fragments = "".join(f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }} " for i in range(1, levels + 1))
    return f"{{ ...F{levels} }} {fragments}fragment F0 on Query {{ {POLICY} }}"


def spreading_each_other(size: int) -> str:
    """Every fragment spreads every other: size! paths for a walk that only avoids repeats on its path."""
    fragments = "".join(
        f"fragment F{i} on Query {{ {' '.join(f'...F{j}' for j in range(size) if j != i)} }} " for i in range(size)
    )
    return "{ ...F0 } " + fragments


def nested(levels: int) -> str:
    return "{ " + "... on Query { " * (levels - 1) + "__typename" + " }" * (levels - 1) + " }"


SHARED = (
    "fragment F on Query { session { user { id email name isAdmin } nextStep expiresAt } "
    "twoFactorPolicy { mandatory enabledMethods recoveryCodesEnabled } __typename }"
)  # 13 selections


def selections(extra: int = 0) -> str:
    """MAX_SELECTIONS (+ extra) selections with fragments expanded, no name over MAX_SAME_FIELD in one place."""
    assert MAX_SELECTIONS == 400 and MAX_OPERATIONS == 10, "rebuild this document for the new caps"
    full = [f"query Q{i} {{ ...F ...F ...F }}" for i in range(9)]  # 9 x (3 spreads + 39)
    last = "query Q9 { ...F " + repeated(4, "... on Query { __typename }") + repeated(extra, " __typename") + " }"
    return " ".join([*full, last, SHARED])


# Over a cap, each of these would cost validation from tens of milliseconds to hours.
OVER_A_CAP = {
    "the same field repeated": ("{ " + repeated(MAX_SAME_FIELD + 1, POLICY) + " }", "more than 8 times"),
    "a fragment spread repeatedly": (
        "{ " + repeated(MAX_SAME_FIELD + 1, "...F") + " } fragment F on Query { " + POLICY + " }",
        "more than 8 times",
    ),
    "repeats multiplied by nesting": (
        "{ " + repeated(3, "session { " + repeated(3, "user { id }") + " }") + " }",
        "'user' more than 8 times",
    ),
    "fragments doubling 30 times": (doubling(30), f"more than {MAX_SELECTIONS} selections"),
    "fragments spreading each other": (spreading_each_other(10), "within itself"),
    "too many selections": (selections(extra=1), f"more than {MAX_SELECTIONS} selections"),
    "an unused fragment with a field repeated": (
        "{ __typename } fragment Unused on Query { " + repeated(MAX_SAME_FIELD + 1, POLICY) + " }",
        "more than 8 times",
    ),
    "a second fragment of the same name": (
        "{ ...F } fragment F on Query { __typename } fragment F on Query { " + repeated(9, POLICY) + " }",
        "only one fragment named 'F'",
    ),
    "an unknown fragment": ("{ ...Nowhere }", "Unknown fragment 'Nowhere'."),
    "too many operations": (
        " ".join(f"query Q{i} {{ __typename }}" for i in range(MAX_OPERATIONS + 1)),
        f"more than {MAX_OPERATIONS} operations",
    ),
    "nested too deeply": (nested(MAX_NESTING + 1), f"more than {MAX_NESTING} deep"),
}

# At each cap, exactly: these are validated and answered.
AT_THE_CAPS = {
    "the same field at the cap": ("{ " + repeated(MAX_SAME_FIELD, POLICY) + " }", "twoFactorPolicy"),
    "nesting at the cap": (nested(MAX_NESTING), "__typename"),
    "fragments doubling 3 times": (doubling(3), "twoFactorPolicy"),
}


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """The documents graphql-core's validation ran on (the real validation, counted)."""
    seen: list[Any] = []
    validate = operation_checks.validate_document  # type: ignore[attr-defined]

    def counted(schema: Any, document: Any, rules: Any) -> Any:
        seen.append(document)
        return validate(schema, document, rules)

    monkeypatch.setattr(operation_checks, "validate_document", counted)
    operation_checks._validate.cache_clear()
    yield seen
    operation_checks._validate.cache_clear()


def messages(body: dict[str, Any]) -> list[str]:
    return [e["message"] for e in body.get("errors") or []]


@pytest.mark.parametrize(("document", "why"), OVER_A_CAP.values(), ids=OVER_A_CAP.keys())
async def test_a_document_over_a_cap_is_refused_before_validation(
    app: Harness, validations: list[Any], document: str, why: str
) -> None:
    assert len(document.encode()) <= MAX_DOCUMENT_BYTES
    body = await app.gql(document)
    assert body.get("data") is None
    assert len(body["errors"]) == 1 and why in body["errors"][0]["message"], body
    assert body["errors"][0]["extensions"]["code"] == "DOCUMENT_TOO_COMPLEX"
    assert validations == []


@pytest.mark.parametrize(("document", "field"), AT_THE_CAPS.values(), ids=AT_THE_CAPS.keys())
async def test_a_document_at_the_caps_is_validated_and_answered(
    app: Harness, validations: list[Any], document: str, field: str
) -> None:
    body = await app.gql(document)
    assert "errors" not in body, body
    assert field in body["data"]
    assert len(validations) == 1


async def test_selections_at_the_cap_are_validated_and_answered(app: Harness, validations: list[Any]) -> None:
    document = selections()
    shape = DocumentShape(parse(document))
    assert shape.error() is None
    # What the cap counts: each operation with F expanded; F itself is reached, so not counted again.
    operations = [d for d in parse(document).definitions if isinstance(d, OperationDefinitionNode)]
    assert sum(shape._count(operation.selection_set, 1) for operation in operations) == MAX_SELECTIONS
    async with app.client() as client:
        response = await client.post("/graphql", json={"query": document, "operationName": "Q9"})
    assert response.json()["data"]["twoFactorPolicy"] == {
        "mandatory": False,
        "enabledMethods": ["EMAIL", "APP"],
        "recoveryCodesEnabled": True,
    }
    assert len(validations) == 1


async def test_the_introspection_query_of_graphiql_fits(app: Harness, validations: list[Any]) -> None:
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    body = await app.gql(query)
    assert "errors" not in body, body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


def test_counting_visits_each_fragment_once() -> None:
    """Linear in the document, whatever its spreads expand to: no selection set is counted twice."""
    visits: list[int] = []

    class Counted(DocumentShape):
        def _count(self, selection_set: Any, nesting: int) -> int:
            visits.append(id(selection_set))
            return super()._count(selection_set, nesting)

    document = parse(doubling(12))  # 2**12 copies of F0 when expanded: within the cap only when not expanded
    error = Counted(document).error()
    assert error is not None and f"more than {MAX_SELECTIONS} selections" in error.message
    # Every selection set of the document once: the operation's, F0..F12's and twoFactorPolicy's.
    assert len(visits) == len(set(visits)) == 15


async def test_the_probe_answers_while_the_worst_documents_are_sent(app: Harness) -> None:
    worst = [document for document, _ in OVER_A_CAP.values()] * 3
    # The issue's document: 499 copies, far over the token limit now.
    worst.append("{ " + repeated(499, POLICY) + " }")
    async with asyncio.timeout(60):  # a hang guard only: the assertions are about the answers
        answers = await asyncio.gather(*(app.gql(d) for d in worst), app.gql(PROBE), *(app.gql(d) for d in worst))
    probe = answers[len(worst)]
    assert probe == {"data": {"__typename": "Query"}}
    assert all(answer.get("data") is None and answer["errors"] for i, answer in enumerate(answers) if i != len(worst))


async def test_the_tokens_of_the_issues_document_are_over_the_limit(app: Harness, validations: list[Any]) -> None:
    body = await app.gql("{ " + repeated(499, POLICY) + " }")
    assert any(f"more than {MAX_TOKENS} tokens" in m for m in messages(body))
    assert validations == []


# Size


def padded(size: int, filler: str = "x") -> str:
    """A valid document of exactly `size` bytes in UTF-8: the probe and a comment."""
    head = PROBE + "\n# "
    count, rest = divmod(size - len(head), len(filler.encode()))
    return head + filler * count + "x" * rest


async def test_a_document_over_the_size_cap_is_refused_with_a_clear_error(app: Harness, validations: list[Any]) -> None:
    parsed = operation_checks._parse.cache_info().misses
    for document in (padded(MAX_DOCUMENT_BYTES + 1), padded(MAX_DOCUMENT_BYTES + 1, "é"), padded(900_000)):
        async with app.client() as client:
            response = await client.post("/graphql", json={"query": document})
        assert response.status_code == 200
        body = response.json()
        assert body["data"] is None
        assert body["errors"][0]["message"] == f"The document is larger than {MAX_DOCUMENT_BYTES} bytes."
        assert body["errors"][0]["extensions"]["code"] == "DOCUMENT_TOO_LARGE"
    assert operation_checks._parse.cache_info().misses == parsed and validations == []
    # Characters are not bytes: the same count of two-byte characters is over the cap.
    assert len(padded(MAX_DOCUMENT_BYTES + 1, "é")) < MAX_DOCUMENT_BYTES
    body = await app.gql(padded(MAX_DOCUMENT_BYTES))
    assert body == {"data": {"__typename": "Query"}}


async def test_a_refusal_at_parsing_is_the_answer_even_for_a_named_operation(app: Harness) -> None:
    """Not strawberry's 400 'Unknown operation named': the request's own problem, as a GraphQL error."""
    for document, message in (
        (padded(MAX_DOCUMENT_BYTES + 1), f"The document is larger than {MAX_DOCUMENT_BYTES} bytes."),
        ("query Q9 { __typename ", "Syntax Error: Expected Name, found <EOF>."),
    ):
        async with app.client() as client:
            response = await client.post("/graphql", json={"query": document, "operationName": "Q9"})
        assert response.status_code == 200
        assert [e["message"] for e in response.json()["errors"]] == [message]


async def test_a_subscription_over_the_size_cap_gets_an_error_and_the_socket_stays(app: Harness) -> None:
    _, token = await signed_in(app)
    async with signed_socket(app, token) as socket:
        big = "subscription { myTwoFactorChanged { enabled } }\n# " + "x" * MAX_DOCUMENT_BYTES
        await socket.subscribe("big", big)
        assert await refused_code(socket, "big") == "DOCUMENT_TOO_LARGE"
        await socket.subscribe("nested", nested(MAX_NESTING + 1).replace("{ ", "subscription { ", 1))
        assert await refused_code(socket, "nested") == "DOCUMENT_TOO_COMPLEX"
        await socket.subscribe("small", "subscription { myTwoFactorChanged { enabled } }")
        await socket.send({"type": "complete", "id": "small"})
        # A syntax error closes the connection (4400), as graphql-transport-ws says; it used to escape the
        # parsing hook instead, leaving the operation unanswered.
        await socket.subscribe("broken", "subscription { myTwoFactorChanged {")
        code, _ = await socket.closed()
        assert code == 4400


async def test_big_texts_are_not_cached(app: Harness) -> None:
    operation_checks._parse.cache_clear()
    operation_checks._validate.cache_clear()
    big = padded(CACHED_DOCUMENT_MAX_CHARS + 1)
    for _ in range(3):
        assert await app.gql(big) == {"data": {"__typename": "Query"}}
    assert operation_checks._parse.cache_info().currsize == 0
    assert operation_checks._validate.cache_info().currsize == 0
    small = padded(CACHED_DOCUMENT_MAX_CHARS)
    for _ in range(3):
        assert await app.gql(small) == {"data": {"__typename": "Query"}}
    assert operation_checks._parse.cache_info().currsize == 1
    assert operation_checks._validate.cache_info().currsize == 1
    assert operation_checks._validate.cache_info().hits == 2


# Which operation runs

TWO_OPERATIONS = "query First { twoFactorPolicy { mandatory } } query Second { __typename }"
NO_NAME = "Must provide operation name if query contains multiple operations."


async def test_two_operations_without_an_operation_name_is_an_error(app: Harness) -> None:
    async with app.client() as client:
        posted = await client.post("/graphql", json={"query": TWO_OPERATIONS})
        got = await client.get("/graphql", params={"query": TWO_OPERATIONS}, headers={"Accept": "application/json"})
        named = await client.post("/graphql", json={"query": TWO_OPERATIONS, "operationName": "Second"})
    for response in (posted, got):
        assert response.status_code == 200
        assert response.json() == {"data": None, "errors": [{"message": NO_NAME}]}
    assert named.json() == {"data": {"__typename": "Query"}}


async def test_two_subscriptions_without_an_operation_name_are_refused(app: Harness) -> None:
    _, token = await signed_in(app)
    async with signed_socket(app, token) as socket:
        await socket.subscribe(
            "two",
            "subscription A { myTwoFactorChanged { enabled } } subscription B { myTwoFactorChanged { mandatory } }",
        )
        message = await socket.message_for("two")
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert [e["message"] for e in errors] == [NO_NAME]
