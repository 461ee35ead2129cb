"""The executor of every operation (queries, mutations, subscription events): graphql-core's, less three costs.

1. graphql-core 3.3 memoizes sub-selections by the identity of the field lists it collects anew
   for every event, in a dict that all events of a subscription share: it grows by every event
   for as long as the subscription lives (~30 objects an event for `myTwoFactorChanged`), and
   the garbage collector walks it all again and again. Each event gets its own memo here.
2. Our subscriptions yield plain views: strawberry fields without resolvers. The first event
   compiles the selection into a plan that reads and coerces those attributes directly, with
   the same functions, in the same order, as graphql-core; later events only run the plan,
   which is much cheaper (measured by bench/subscriptions.py). A selection with anything else
   (a resolver, arguments, an abstract type, @defer, field middleware) is executed by
   graphql-core as before, and so is any event whose values would need an error (a null where
   none is allowed, a value that does not coerce, an exception): graphql-core then reports it
   as usual.
3. Query and mutation results: graphql-core completes every object field by field, a large
   part of a small request's time (measured by bench/run). An object whose selection has only
   plain fields (and no directive) is completed by the same kind of plan, compiled once per
   parsed document and kept across requests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Final

from graphql import (
    BREAK,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    Node,
    Undefined,
    Visitor,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    visit,
)
from graphql import is_object_type as is_object
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet, collect_fields, collect_subfields
from graphql.pyutils import Path, RefMap, is_iterable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField

log = logging.getLogger("twofactor")

Plan = Callable[[Any], Any]
IsAwaitable = Callable[[Any], bool]
# (response key, the field's resolver or None for __typename, how to complete its value)
Step = tuple[str, Callable[..., Any] | None, Plan]

_DEFINITION: Final = "strawberry-definition"
# Strawberry's resolver for a field without resolver, extensions or error handlers: it reads the
# attribute and never looks at `info`. Another name (another strawberry) only means no plan.
_BASIC_RESOLVER: Final = "_get_basic_result"


# Plans of query and mutation objects, by type and syntax nodes (see `_object_plan`).
_OBJECT_PLANS: dict[tuple[int, ...], tuple[GraphQLObjectType, list[Node], Plan | None]] = {}
# Either cache starts over when full (a new document each time would otherwise grow it forever).
_PLANS_MAX = 512
# Plans of subscription events, by schema and operation (see `event_plan`).
_EVENT_PLANS: dict[tuple[int, int], tuple[Any, Node, Plan | None]] = {}


class _DirectivesAndSpreads(Visitor):
    """Notes whether a syntax tree has a directive, and the fragments it spreads."""

    def __init__(self) -> None:
        super().__init__()
        self.directive = False
        self.spreads: set[str] = set()

    def enter_directive(self, *_: Any) -> Any:
        self.directive = True
        return BREAK

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
        self.spreads.add(node.name.value)


class _Unplanned(Exception):
    """This event's values need graphql-core (and its error reporting)."""


class OperationExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor; per subscription event a fresh memo, and the plan when there is one."""

    _subscription: OperationExecutor | None = None  # set on per-event executors only
    _plan: Plan | None = None
    _planned = False

    def build_per_event_executor(self, payload: Any) -> OperationExecutor:
        executor = super().build_per_event_executor(payload)
        assert isinstance(executor, OperationExecutor)
        executor._relevant_sub_fields = {}
        executor._stream_usages = RefMap()
        executor._subscription = self
        return executor

    def execute_operation(self, serially: bool | None = None) -> Any:
        subscription = self._subscription
        aborted = self.abort_signal is not None and self.abort_signal.aborted
        plan = subscription.event_plan() if subscription is not None and not aborted else None
        if plan is not None:
            try:
                data = plan(self.root_value)
            except Exception:  # noqa: S110 - graphql-core runs the event again and reports what went wrong
                pass
            else:
                return self.finish(self.build_response(data))
        return super().execute_operation(serially)

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """A query's or mutation's object: by its plan when it has one (see `_object_plan`)."""
        plan = self._object_plan(return_type, field_details_list)
        if plan is not None:
            try:
                return plan(result)
            except Exception:  # noqa: S110 - graphql-core completes it again and reports what went wrong
                pass
        return super().complete_object_value(return_type, field_details_list, info, path, result, position_context)

    def _object_plan(self, return_type: GraphQLObjectType, details: FieldDetailsList) -> Plan | None:
        """The plan of an object's selection, compiled once for all requests of the same document.

        Parsed documents are cached (schema/operation_checks.py), so the same selection comes with the
        same syntax nodes: they and the type are the key, and the cache holds them so that
        their ids cannot be reused. A selection with a directive (which may depend on the
        variables) or anything `_steps` refuses has no plan.
        """
        key = (id(return_type), *(id(d.node) for d in details))
        cached = _OBJECT_PLANS.get(key)
        if cached is None:
            if len(_OBJECT_PLANS) >= _PLANS_MAX:
                _OBJECT_PLANS.clear()
            cached = (return_type, [d.node for d in details], self._compile_object(return_type, details))
            _OBJECT_PLANS[key] = cached
        return cached[2]

    def _compile_object(self, return_type: GraphQLObjectType, details: FieldDetailsList) -> Plan | None:
        middleware = self.middleware_manager
        if (middleware is not None and middleware.middlewares) or self._has_directives(details):
            return None
        try:
            complete = self._completer(return_type, details)
        except Exception:
            log.warning("query results run unplanned", exc_info=True)
            return None
        return complete

    def _has_directives(self, details: FieldDetailsList) -> bool:
        """Whether the selection, with the fragments it spreads, carries any directive."""
        return self._has_directives_in(*(d.node for d in details))

    def _has_directives_in(self, *nodes: Node) -> bool:
        pending: list[Node] = list(nodes)
        seen: set[str] = set()
        while pending:
            found = _DirectivesAndSpreads()
            visit(pending.pop(), found)
            if found.directive:
                return True
            for name in found.spreads - seen:
                seen.add(name)
                fragment = self.fragments.get(name)
                if fragment is None:
                    return True
                pending.append(fragment.definition)
        return False

    def event_plan(self) -> Plan | None:
        """This subscription's selection compiled for its events, or None if it has parts a plan cannot run."""
        if not self._planned:
            self._planned = True
            # Subscribers of the same (cached) document share its plan, as query objects do
            # (see `_object_plan`), unless a directive makes it depend on their variables.
            shared = not self._has_directives_in(self.operation)
            key = (id(self.schema), id(self.operation))
            cached = _EVENT_PLANS.get(key) if shared else None
            if cached is not None:
                self._plan = cached[2]
                return self._plan
            try:
                self._plan = self._compile()
            except Exception:
                # graphql-core's internals moved (an upgrade): run every event the plain way.
                log.warning("subscription events run unplanned", exc_info=True)
                self._plan = None
            if shared:
                if len(_EVENT_PLANS) >= _PLANS_MAX:
                    _EVENT_PLANS.clear()
                _EVENT_PLANS[key] = (self.schema, self.operation, self._plan)
        return self._plan

    def _compile(self) -> Plan | None:
        root_type = self.schema.subscription_type
        middleware = self.middleware_manager
        if root_type is None or (middleware is not None and middleware.middlewares):
            return None
        grouped, defers, _ = collect_fields(
            self.schema, self.fragments, self.variable_values, root_type, self.operation, self.hide_suggestions
        )
        steps = None if defers else self._steps(root_type, grouped, root=True)
        return None if steps is None else _object(steps, self.is_awaitable)

    def _steps(self, parent: GraphQLObjectType, grouped: GroupedFieldSet, *, root: bool = False) -> list[Step] | None:
        steps: list[Step] = []
        for key, details in grouped.items():
            if any(d.defer_usage is not None or d.fragment_variable_values is not None for d in details):
                return None
            node = details[0].node
            if node.name.value == "__typename":
                steps.append((key, None, _constant(parent.name)))
                continue
            field = parent.fields.get(node.name.value)
            if field is None:
                continue  # graphql-core leaves an unknown field out too
            definition = field.extensions.get(_DEFINITION)
            if not isinstance(definition, StrawberryField) or field.resolve is None:
                return None
            # The root field's per-event resolver hands the event on (its arguments went to the
            # subscription's resolver); below it, only plain attributes without arguments.
            if root:
                plain = definition.is_subscription
            else:
                plain = not (field.args or node.arguments) and _is_basic(definition, field.resolve)
            complete = self._completer(field.type, details) if plain else None
            if complete is None:
                return None
            steps.append((key, field.resolve, complete))
        return steps

    def _completer(self, type_: GraphQLOutputType, details: FieldDetailsList) -> Plan | None:
        if is_non_null_type(type_):
            inner = self._completer(type_.of_type, details)
            return None if inner is None else _non_null(inner)
        if is_list_type(type_):
            item = self._completer(type_.of_type, details)
            return None if item is None else _list(item, self.is_awaitable)
        if is_leaf_type(type_):
            return _leaf(type_.coerce_output_value)
        if not is_object(type_) or type_.is_type_of is not None:
            return None
        grouped, defers, _ = collect_subfields(
            self.schema, self.fragments, self.variable_values, self.operation, type_, details, self.hide_suggestions
        )
        steps = None if defers else self._steps(type_, grouped)
        return None if steps is None else _nullable(_object(steps, self.is_awaitable))


def _is_basic(definition: StrawberryField, resolve: Callable[..., Any]) -> bool:
    return definition.is_basic_field and getattr(resolve, "__name__", None) == _BASIC_RESOLVER


def _constant(value: str) -> Plan:
    return lambda _: value


def _object(steps: list[Step], is_awaitable: IsAwaitable) -> Plan:
    def complete(source: Any) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for key, resolve, complete_value in steps:
            value = source if resolve is None else resolve(source, None)
            if isinstance(value, Exception) or is_awaitable(value):
                raise _Unplanned
            data[key] = complete_value(value)
        return data

    return complete


def _nullable(complete: Plan) -> Plan:
    return lambda value: None if value is None or value is Undefined else complete(value)


def _non_null(complete: Plan) -> Plan:
    def non_null(value: Any) -> Any:
        completed = complete(value)
        if completed is None:
            raise _Unplanned
        return completed

    return non_null


def _list(complete_item: Plan, is_awaitable: IsAwaitable) -> Plan:
    def complete(value: Any) -> list[Any] | None:
        if value is None or value is Undefined:
            return None
        if not is_iterable(value):
            raise _Unplanned
        items = []
        for item in value:
            if isinstance(item, Exception) or is_awaitable(item):
                raise _Unplanned
            items.append(complete_item(item))
        return items

    return complete


def _leaf(coerce: Callable[[Any], Any]) -> Plan:
    def complete(value: Any) -> Any:
        if value is None or value is Undefined:
            return None
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise _Unplanned
        return coerced

    return complete
