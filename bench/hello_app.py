"""Baseline H: strawberry's `{ hello }` with the parser and validation caches on.

Served by uvicorn with the settings `twofactor serve` uses, so every flow can be
printed as a ratio to what this stack costs for the smallest GraphQL request.
"""

from __future__ import annotations

import strawberry
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"


# Factories, as twofactor passes its extensions: strawberry builds them per request.
schema = strawberry.Schema(
    query=Query, extensions=[lambda: ParserCache(maxsize=512), lambda: ValidationCache(maxsize=512)]
)
app = GraphQL[None, None](schema, graphql_ide=None)
