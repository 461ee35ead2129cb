"""All data access lives in twofactor/models/: resolvers/ and mail/ hold no SQL text, no
S608 (SQL injection) suppression and no raw_sql use, and the rooms above models/ run no
Tortoise query themselves. The lower rooms (models/, mail/, security/) import nothing from the
upper ones, and every module imports what it uses at its top.

What is not moved yet is named in `NOT_MOVED_YET`, file by file, with how many such lines it
has: the list only shrinks (a file with fewer lines fails until its number is lowered).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "twofactor"

# A line that runs or holds SQL: statement text with quoted identifiers, the raw-SQL helpers,
# or a silenced SQL-injection lint.
_SQL_LINE = re.compile(
    r'\b(SELECT|INSERT INTO|UPDATE|DELETE FROM|FROM|WHERE|SET)\s+"'
    r"|\bS608\b|\braw_sql\b|\bexecute_query\w*\("
    r'|\bRETURNING\s+["{]'
)

NOT_MOVED_YET: dict[str, int] = {}


def sql_lines(path: Path) -> list[str]:
    """The lines of `path` that run or hold SQL."""
    return [line.strip() for line in path.read_text().splitlines() if _SQL_LINE.search(line)]


# Resolvers, mail, the schema and the server (the command line too) run no Tortoise query or
# transaction themselves either: they call the functions of models/.

# Tortoise's query methods. These names mean a query whatever they are called on (no other
# object in the checked files has them); a query starts from a model, so chains are caught too.
_QUERY_METHODS = frozenset(
    {
        "filter",
        "exclude",
        "get_or_none",
        "get_or_create",
        "update_or_create",
        "bulk_create",
        "bulk_update",
        "in_bulk",
        "values_list",
        "order_by",
        "select_for_update",
        "select_related",
        "prefetch_related",
        "using_db",
        "annotate",
        "refresh_from_db",
        "fetch_related",
        "save",
        "delete",
    }
)
# These are queries when called on a model class (`User.create(...)`, `Policy.all()`), and
# ordinary methods elsewhere (`dict.get`, `Path.exists`).
_MODEL_METHODS = frozenset(
    {"all", "get", "create", "exists", "first", "count", "update", "raw", "only", "limit", "values"}
)


def _model_names() -> set[str]:
    """The names of the Tortoise models defined in twofactor/models/."""
    return {
        node.name
        for path in sorted((PACKAGE / "models").glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef) and any(ast.unparse(base) == "Model" for base in node.bases)
    }


def direct_queries(source: str, models: set[str]) -> list[str]:
    """The Tortoise queries and transactions `source` runs itself (line: code), not through models/."""
    found = []
    for node in ast.walk(ast.parse(source)):
        what = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, receiver = node.func.attr, node.func.value
            if method in _QUERY_METHODS:
                what = f".{method}()"
            elif method in _MODEL_METHODS and isinstance(receiver, ast.Name) and receiver.id in models:
                what = f"{receiver.id}.{method}()"
        if isinstance(node, ast.Call) and any(k.arg and "__" in k.arg for k in node.keywords):
            what = what or "a field lookup (field__lookup=...)"
        named = {ast.Name: "id", ast.Attribute: "attr", ast.alias: "name"}.get(type(node))
        if named is not None and getattr(node, named) == "in_transaction":
            what = "in_transaction"
        if what is not None:
            found.append(f"{getattr(node, 'lineno', '?')}: {what}")
    return found


def test_the_query_check_finds_tortoise_queries_and_transactions() -> None:
    models = _model_names()
    assert {"User", "Session", "Authenticator", "Setup", "AuditEvent", "Policy"} <= models
    for source in (
        "await User.get_or_none(email=address)",
        "await Authenticator.filter(user_id=1).exclude(id=2).count()",
        "await User.exists(email=address)",
        "user = await User.create(email=address)",
        "for model in (Authenticator, Setup):\n    await model.filter(id=1).update(x=2)",
        "rows = await query.order_by('-id')",
        "await setup.refresh_from_db()",
        "await Session.filter(id=1).delete()",
        "from tortoise.transactions import in_transaction",
        "async with in_transaction() as connection:\n    pass",
        "await policy.save()",
        "await AuditEvent.all()",
        "await Policy.filter(id=1).values('mandatory')",
    ):
        assert direct_queries(source, models), source
    for source in (
        "task = self._rows.get(user_id)",
        "manifest = path.exists()",
        "found = await user_by_email(address)",
        "await Policy.current()",
        "seen.update(more)",
        "n = text.count('a')",
        "for value in fields.values():\n    pass",
    ):
        assert direct_queries(source, models) == [], source


# The database engine and its set-up: the layer below models/, not a user of it.
_ENGINE = {"database.py", "sqlite_backend.py", "postgres_backend.py"}


def test_resolvers_mail_schema_and_server_query_only_through_models() -> None:
    models = _model_names()
    paths = [
        path for area in ("resolvers", "mail", "schema", "server") for path in sorted((PACKAGE / area).glob("*.py"))
    ]
    assert PACKAGE / "server" / "cli.py" in paths
    found = {
        f"{path.parent.name}/{path.name}": queries
        for path in paths
        if path.name not in _ENGINE or path.parent.name != "server"
        if (queries := direct_queries(path.read_text(), models))
    }
    assert found == {}, (
        "resolvers/, mail/, schema/ and server/ (the command line too) run no Tortoise query or "
        "transaction of their own: call a function in models/ named for what it does"
    )


def tortoise_imports(source: str) -> list[int]:
    """The lines of `source` that import Tortoise (its models, queries, connections, anything)."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if (isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "tortoise")
        or (isinstance(node, ast.Import) and any(alias.name.split(".")[0] == "tortoise" for alias in node.names))
    ]


def test_resolvers_and_the_schema_do_not_import_tortoise() -> None:
    assert tortoise_imports("from tortoise.backends.base.client import BaseDBAsyncClient") == [1]
    assert tortoise_imports("import tortoise.transactions") == [1]
    assert tortoise_imports("from twofactor.models import tortoise_free") == []
    found = {
        f"{area}/{path.name}": lines
        for area in ("resolvers", "schema")
        for path in sorted((PACKAGE / area).glob("*.py"))
        if (lines := tortoise_imports(path.read_text()))
    }
    assert found == {}, "a resolver or a schema type that needs a connection or a query wants a function in models/"


def test_the_pattern_finds_raw_sql_and_its_helpers() -> None:
    for line in (
        'x = \'UPDATE "users" SET "name" = ? WHERE "id" = ?\'',
        "await raw_sql.execute(SQL, 1)",
        "await connection.execute_query(text, [])",
        'f"SELECT {x}"  # noqa: S608',
        "q = 'DELETE FROM \"sessions\"'",
    ):
        assert _SQL_LINE.search(line), line
    for line in ("await Session.filter(id=1).update(state=DONE)", "# Select the user's sessions", "return updated"):
        assert not _SQL_LINE.search(line), line


def test_resolvers_and_mail_hold_no_sql_but_what_is_listed_as_not_moved_yet() -> None:
    found = {}
    for area in ("resolvers", "mail"):
        for path in sorted((PACKAGE / area).glob("*.py")):
            lines = sql_lines(path)
            if lines:
                found[f"{area}/{path.name}"] = len(lines)
    assert found == NOT_MOVED_YET, (
        "resolvers/ and mail/ hold no SQL: move it into models/ behind a function named for what it does "
        "(and lower NOT_MOVED_YET when a file has fewer lines)"
    )


# What each lower room may not import: the rooms above it.
_ABOVE = {
    "models": ("twofactor.schema", "twofactor.resolvers", "twofactor.server", "twofactor.mail"),
    "mail": ("twofactor.schema", "twofactor.resolvers", "twofactor.server"),
    "security": ("twofactor.schema", "twofactor.resolvers", "twofactor.server", "twofactor.mail", "twofactor.models"),
}


def imported_modules(tree: ast.Module) -> list[str]:
    """Every module a parsed file imports, anywhere in it: `from twofactor import server` names twofactor.server."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    return names


def upward_imports(source: str, above: tuple[str, ...]) -> list[str]:
    """The imports of a module's text that reach a room in `above`."""
    imported = imported_modules(ast.parse(source))
    return sorted({name for name in imported for room in above if name == room or name.startswith(f"{room}.")})


def test_the_upward_import_check_sees_each_way_of_importing() -> None:
    above = _ABOVE["mail"]
    for source in (
        "from twofactor.server.settings import MailSettings",
        "import twofactor.resolvers.admin",
        "from twofactor import schema",
        "def f():\n    from twofactor.server import availability",
    ):
        assert upward_imports(source, above), source
    for source in ("from twofactor.models.health import can_write", "from twofactor.mail.settings import MailSettings"):
        assert not upward_imports(source, above), source


@pytest.mark.parametrize("room", sorted(_ABOVE))
def test_the_lower_rooms_import_nothing_from_the_rooms_above(room: str) -> None:
    paths = sorted((PACKAGE / room).rglob("*.py"))
    assert paths
    offenders = {str(p.relative_to(PACKAGE)): upward_imports(p.read_text(), _ABOVE[room]) for p in paths}
    assert {name: found for name, found in offenders.items() if found} == {}, (
        f"{room}/ sits below {', '.join(_ABOVE[room])}: move what it needs down (a settings type, a helper)"
    )


# Modules that may import inside a function, each with the reason. Keep it empty: a module
# imports what it uses at its top, and a cycle is broken by moving code, not by a late import.
LATE_IMPORTS_ALLOWED: dict[str, str] = {}


def late_imports(source: str) -> list[str]:
    """The imports of a module's text made anywhere but its top: inside a function or class, or
    under `if TYPE_CHECKING:` (an import only the type checker sees, which hides a cycle)."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found += [
                f"line {inner.lineno} (in {node.name})"
                for inner in ast.walk(node)
                if isinstance(inner, ast.Import | ast.ImportFrom)
            ]
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            found += [
                f"line {inner.lineno} (TYPE_CHECKING)"
                for inner in node.body
                if isinstance(inner, ast.Import | ast.ImportFrom)
            ]
    return sorted(set(found))


def test_the_late_import_check_sees_imports_in_functions_and_type_checking_blocks() -> None:
    for source in (
        "def f():\n    from twofactor.models import User",
        "async def f():\n    if x:\n        import json",
        "class A:\n    def f(self):\n        import json",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from twofactor.models import User",
        "import typing\nif typing.TYPE_CHECKING:\n    import json",
    ):
        assert late_imports(source), source
    for source in (
        "import json\nfrom twofactor.models import User\n\ndef f():\n    return json",
        "if x:\n    import json",
    ):
        assert not late_imports(source), source


def test_every_module_imports_at_its_top() -> None:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = str(path.relative_to(PACKAGE))
        late = late_imports(path.read_text())
        if late:
            found[name] = late
    assert all(reason.strip() for reason in LATE_IMPORTS_ALLOWED.values())
    assert sorted(found) == sorted(LATE_IMPORTS_ALLOWED), (
        "import at the top of the module (a cycle means something is in the wrong module); "
        "a module no longer importing late leaves LATE_IMPORTS_ALLOWED"
    )
