"""One schema extension around every operation: cached parsing and validation, the limits, masking.

Strawberry offers each of these as its own extension (ParserCache, ValidationCache,
MaxTokensLimiter, AddValidationRules, DisableIntrospection, MaskErrors), and it looks up
every hook of every extension on every request: with six of them that was 24 lookups and
a fifth of a small query's time (bench/). Here they are one extension with three hooks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from graphql import ASTValidationRule, GraphQLError, GraphQLSchema, parse
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.schema.schema import validate_document

from twofactor.schema.masking import MaskUnexpectedErrors

CACHE_SIZE = 512

# Shared by every request of the process, keyed by the text and the parse options (and the
# schema and rules for validation), whose hashes are cheap: a document's hash is computed
# node by node on every lookup (~20 us for a submitCode). Documents and rules are immutable.
_parse = lru_cache(maxsize=CACHE_SIZE)(parse)


@lru_cache(maxsize=CACHE_SIZE)
def _validate(
    schema: GraphQLSchema, query: str, options: tuple[tuple[str, Any], ...], rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    """The errors of the document `_parse` makes of `query` with `options`."""
    return validate_document(schema, _parse(query, **dict(options)), rules)


def guarded_operations(
    rules: list[type[ASTValidationRule]], *, max_tokens: int, introspection: bool
) -> Callable[[], GuardedOperations]:
    """The extension factory for `strawberry.Schema(extensions=[...])`."""
    extra = tuple(rules) + (() if introspection else (NoSchemaIntrospectionCustomRule,))
    return lambda: GuardedOperations(extra, max_tokens)


class GuardedOperations(MaskUnexpectedErrors):
    """Limits the document (tokens, validation rules), caches parse and validation, masks errors."""

    def __init__(self, rules: tuple[type[ASTValidationRule], ...], max_tokens: int) -> None:
        super().__init__()
        self.rules = rules
        self.max_tokens = max_tokens

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.max_tokens
        context.validation_rules = context.validation_rules + self.rules
        yield from super().on_operation()

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.graphql_document = _parse(context.query, **context.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None  # parsing failed answers before validation
        options = tuple(sorted(context.parse_options.items()))
        rules = context.validation_rules
        context.pre_execution_errors = _validate(context.schema._schema, context.query, options, rules)
        yield

    def _process_result(self, result: object) -> None:
        # MaskErrors checks the result against a runtime Protocol, which costs more than the rest.
        errors: list[GraphQLError] | None = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]
