"""Query limits: at most one code-checking field per operation, however it is spelled."""

from __future__ import annotations

from typing import Any

from graphql import (
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

# Fields that check a code or send one: each is a guess or a mail, so one per document.
CODE_FIELDS = frozenset(
    {
        "submitCode",
        "verifyLogin",
        "verifyLoginWithRecoveryCode",
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
