"""The checks around every operation, as one schema extension: cached parsing and validation, limits, masking.

Strawberry offers each of these as its own extension (ParserCache, ValidationCache,
MaxTokensLimiter, AddValidationRules, DisableIntrospection, MaskErrors), and it looks up
every hook of every extension on every request: with six of them that was 24 lookups, a
large part of a small query's time (measured by bench/run). Here they are one extension with
three hooks.

Before validation, a document is refused when its text is over MAX_DOCUMENT_BYTES or its
shape (limits.DocumentShape) over the caps: validation of a document within them takes
milliseconds. Only short texts enter the caches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.schema.schema import validate_document

from twofactor.schema.limits import DocumentShape, too_large, too_large_error
from twofactor.schema.masking import MaskUnexpectedErrors
from twofactor.schema.trusted import document_hash, persisted_hash
from twofactor.security.rules import CACHED_DOCUMENT_MAX_CHARS

CACHE_SIZE = 128

# Shared by every request of the process, keyed by the text and the parse options (and the
# schema and rules for validation), whose hashes are cheap, unlike a parsed document's, which
# is computed node by node on every lookup. Documents and rules are immutable.
_parse = lru_cache(maxsize=CACHE_SIZE)(parse)


def parse_document(query: str, **options: Any) -> DocumentNode:
    """The parsed document (cached when the text is short); raises GraphQLError for a syntax error or size."""
    if too_large(query):
        raise too_large_error()
    if len(query) <= CACHED_DOCUMENT_MAX_CHARS:
        return _parse(query, **options)
    return parse(query, **options)


def _checked(
    schema: GraphQLSchema, document: DocumentNode, rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    """The document's shape error, or else its validation errors."""
    refusal = DocumentShape(document).error()
    if refusal is not None:
        return [refusal]
    return validate_document(schema, document, rules)


@lru_cache(maxsize=CACHE_SIZE)
def _validate(
    schema: GraphQLSchema, query: str, options: tuple[tuple[str, Any], ...], rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    """The errors of the document `_parse` makes of `query` with `options`."""
    return _checked(schema, _parse(query, **dict(options)), rules)


def _stand_in(operation_name: str | None) -> DocumentNode:
    """Stands in for a document refused at parsing (syntax, size), with the operation the request names.

    Strawberry then checks the operation's type and goes on to validation, where the refusal is
    the answer. Raised from the parsing hook instead, the error would escape strawberry's
    subscription path, which catches only the errors of its own parse.
    """
    typename = FieldNode(name=NameNode(value="__typename"), arguments=(), directives=())
    operation = OperationDefinitionNode(
        operation=OperationType.QUERY,
        name=NameNode(value=operation_name) if operation_name is not None else None,
        variable_definitions=(),
        directives=(),
        selection_set=SelectionSetNode(selections=(typename,)),
    )
    return DocumentNode(definitions=(operation,))


def guarded_operations(
    rules: list[type[ASTValidationRule]],
    *,
    max_tokens: int,
    introspection: bool,
    trusted: Mapping[str, str] | None = None,
) -> Callable[[], OperationChecks]:
    """The extension factory for `strawberry.Schema(extensions=[...])`; `trusted`: the only documents run."""
    extra = tuple(rules) + (() if introspection else (NoSchemaIntrospectionCustomRule,))
    return lambda: OperationChecks(extra, max_tokens, trusted)


class OperationChecks(MaskUnexpectedErrors):
    """Limits the document (size, tokens, shape, validation rules), caches parse and validation, masks errors."""

    def __init__(
        self, rules: tuple[type[ASTValidationRule], ...], max_tokens: int, trusted: Mapping[str, str] | None
    ) -> None:
        super().__init__()
        self.rules = rules
        self.max_tokens = max_tokens
        self.trusted = trusted
        self.refusal: GraphQLError | None = None

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        wanted = persisted_hash(context.operation_extensions) if self.trusted is not None else None
        if context.query is None and wanted is not None:
            assert self.trusted is not None
            context.query = self.trusted.get(wanted)
            if context.query is None:
                self.refusal = GraphQLError("PersistedQueryNotFound", extensions={"code": "PERSISTED_QUERY_NOT_FOUND"})
                context.query = wanted  # any text: strawberry needs one to go on to parsing
        context.parse_options["max_tokens"] = self.max_tokens
        context.validation_rules = context.validation_rules + self.rules
        yield from super().on_operation()

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        assert context.query is not None  # strawberry answers a missing query before parsing
        if self.refusal is None and self.trusted is not None and document_hash(context.query) not in self.trusted:
            self.refusal = GraphQLError(
                "This deployment runs only its trusted documents.", extensions={"code": "DOCUMENT_NOT_TRUSTED"}
            )
        try:
            if self.refusal is None:
                context.graphql_document = parse_document(context.query, **context.parse_options)
        except GraphQLError as refusal:
            self.refusal = refusal
        if self.refusal is not None:
            context.graphql_document = _stand_in(context.operation_name)  # the name the request gave, if any
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if self.refusal is not None:
            context.pre_execution_errors = [self.refusal]
            yield
            return
        document = context.graphql_document
        assert document is not None  # set by on_parse
        rules = context.validation_rules
        if len(context.query or "") <= CACHED_DOCUMENT_MAX_CHARS:
            options = tuple(sorted(context.parse_options.items()))
            errors = _validate(context.schema._schema, context.query, options, rules)
        else:
            errors = _checked(context.schema._schema, document, rules)
        if not errors and _ambiguous(document, context):
            # Strawberry would run the first operation; the spec's GetOperation() says it is an error.
            errors = [GraphQLError("Must provide operation name if query contains multiple operations.")]
        context.pre_execution_errors = errors
        yield

    def _process_result(self, result: object) -> None:
        # MaskErrors checks the result against a runtime Protocol, which costs more than the rest.
        errors: list[GraphQLError] | None = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]


def _ambiguous(document: DocumentNode, context: Any) -> bool:
    """Several operations and no operationName in the request."""
    if getattr(context, "_provided_operation_name", None) is not None:
        return False
    return sum(isinstance(d, OperationDefinitionNode) for d in document.definitions) > 1
