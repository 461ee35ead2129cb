"""Query limits: the document's size and shape before validation; one code-checking field per operation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)

from twofactor.security.rules import MAX_DOCUMENT_BYTES, MAX_NESTING, MAX_OPERATIONS, MAX_SAME_FIELD, MAX_SELECTIONS

# Fields that check a code or send one: each is a guess or a mail, so one per document.
CODE_FIELDS = frozenset(
    {
        "submitCode",
        "verifyLogin",
        "verifyLoginWithRecoveryCode",
        "verifyLoginWithSecurityKey",
        "submitSecurityKey",
        "setUpSecurityKey",
        "sendLoginCode",
        "setUpEmail",
        "setUpApp",
        "resendCode",
        "remove",
        "regenerateRecoveryCodes",
        "resetUserTwoFactor",
        "login",
    }
)
MAX_CODE_FIELDS = 1


class OneCodeCheckPerOperation(ValidationRule):
    """Rejects a document that would run more than one code-checking field.

    Aliases, repeated fragment spreads and inline fragments are all expanded,
    so `a: submitCode(...) b: submitCode(...)` and `...F ...G` with the same
    field inside count twice.
    """

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self._fragments: dict[str, FragmentDefinitionNode] = {
            d.name.value: d for d in context.document.definitions if isinstance(d, FragmentDefinitionNode)
        }

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        count = self._count(node.selection_set, frozenset())
        if count > MAX_CODE_FIELDS:
            self.report_error(
                GraphQLError(
                    "Only one code-checking or code-sending field may be run per request.",
                    node,
                )
            )

    def _count(self, selection_set: SelectionSetNode | None, seen: frozenset[str]) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += selection.name.value in CODE_FIELDS
                total += self._count(selection.selection_set, seen)
            elif isinstance(selection, InlineFragmentNode):
                total += self._count(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self._fragments.get(name)
                if fragment is not None and name not in seen:  # cycles are NoFragmentCycles' job
                    total += self._count(fragment.selection_set, seen | {name})
            if total > MAX_CODE_FIELDS:
                return total
        return total


def too_large(query: str) -> bool:
    """Whether the text has more than MAX_DOCUMENT_BYTES bytes in UTF-8 (encoded only when it may)."""
    if len(query) * 4 <= MAX_DOCUMENT_BYTES:
        return False
    return len(query) > MAX_DOCUMENT_BYTES or len(query.encode("utf-8", "surrogatepass")) > MAX_DOCUMENT_BYTES


def too_large_error() -> GraphQLError:
    """The answer to a document over MAX_DOCUMENT_BYTES."""
    return GraphQLError(
        f"The document is larger than {MAX_DOCUMENT_BYTES} bytes.", extensions={"code": "DOCUMENT_TOO_LARGE"}
    )


class _Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DocumentShape:
    """Counts what validation will walk, on the parsed document, before validation runs.

    Each check is linear in the document's size: a fragment's selections are counted once
    (memoized), and the merged walk runs only once the expanded count is known to be small.
    """

    def __init__(self, document: DocumentNode) -> None:
        self.document = document
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.counts: dict[str, int] = {}
        self.open: list[str] = []  # fragments being counted: spreading one of them again is a cycle

    def error(self) -> GraphQLError | None:
        """Why the document is refused before validation, or None."""
        try:
            self._check()
        except _Refused as refusal:
            return GraphQLError(refusal.message, extensions={"code": "DOCUMENT_TOO_COMPLEX"})
        return None

    def _check(self) -> None:
        seen: set[str] = set()
        for definition in self.document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                if definition.name.value in seen:  # the one a spread would not reach is still validated
                    raise _Refused(f"There can be only one fragment named '{definition.name.value}'.")
                seen.add(definition.name.value)
        roots = [d.selection_set for d in self.document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(roots) > MAX_OPERATIONS:
            raise _Refused(f"The document has more than {MAX_OPERATIONS} operations.")
        total = 0
        for selection_set in roots:
            total += self._count(selection_set, 1)
            self._within_selections(total)
        # A fragment no operation spreads is still validated: it counts on its own.
        unreached = [name for name in self.fragments if name not in self.counts]
        for name in unreached:
            total += self._fragment(name, 1)
            self._within_selections(total)
        for selection_set in roots + [self.fragments[name].selection_set for name in unreached]:
            self._merge([selection_set], 1)

    @staticmethod
    def _within_selections(total: int) -> None:
        if total > MAX_SELECTIONS:
            raise _Refused(f"The document has more than {MAX_SELECTIONS} selections (fragments expanded).")

    def _count(self, selection_set: SelectionSetNode, nesting: int) -> int:
        """Selections under `selection_set`, fragments expanded; refuses past the caps."""
        if nesting > MAX_NESTING:
            raise _Refused(f"The document nests selections more than {MAX_NESTING} deep.")
        total = 0
        for selection in selection_set.selections:
            total += 1
            if isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value, nesting + 1)
            elif isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set is not None:
                total += self._count(selection.selection_set, nesting + 1)
            self._within_selections(total)
        return total

    def _fragment(self, name: str, nesting: int) -> int:
        if name in self.counts:
            return self.counts[name]
        fragment = self.fragments.get(name)
        if fragment is None:
            raise _Refused(f"Unknown fragment '{name}'.")
        if name in self.open:
            raise _Refused(f"Cannot spread fragment '{name}' within itself.")
        self.open.append(name)
        self.counts[name] = count = self._count(fragment.selection_set, nesting)
        self.open.pop()
        return count

    def _merge(self, selection_sets: Iterable[SelectionSetNode], nesting: int) -> None:
        """Refuses a response name selected more than MAX_SAME_FIELD times at one place."""
        if nesting > MAX_NESTING:  # memoized fragments were counted where first spread
            raise _Refused(f"The document nests selections more than {MAX_NESTING} deep.")
        fields: dict[str, list[FieldNode]] = {}
        for field in self._fields(selection_sets):
            key = field.alias.value if field.alias else field.name.value
            same = fields.setdefault(key, [])
            same.append(field)
            if len(same) > MAX_SAME_FIELD:
                raise _Refused(f"The document selects '{key}' more than {MAX_SAME_FIELD} times in one place.")
        for same in fields.values():
            children = [f.selection_set for f in same if f.selection_set is not None]
            if children:
                self._merge(children, nesting + 1)

    def _fields(self, selection_sets: Iterable[SelectionSetNode]) -> Iterable[FieldNode]:
        for selection_set in selection_sets:
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    yield selection
                elif isinstance(selection, InlineFragmentNode):
                    yield from self._fields([selection.selection_set])
                elif isinstance(selection, FragmentSpreadNode):
                    yield from self._fields([self.fragments[selection.name.value].selection_set])
