"""The Slack shell stays a shell (issue 15): no handler reads or writes the store itself.

import-linter keeps `models` out of handlers (pyproject.toml); this keeps sessions out: a
handler that opened one, or committed, would hold a transaction and a rule the services own.
"""

from __future__ import annotations

import ast
from pathlib import Path

HANDLERS = Path(__file__).resolve().parents[2] / "handlers"
# What only a session does: reading rows, writing them, ending a transaction.
SESSION_CALLS = {
    "get",
    "scalar",
    "scalars",
    "execute",
    "add",
    "add_all",
    "delete",
    "flush",
    "commit",
    "rollback",
    "merge",
}


def _session_calls(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SESSION_CALLS
            and isinstance(node.func.value, ast.Name)
            and "session" in node.func.value.id.lower()
        ):
            found.append(
                f"{path.relative_to(HANDLERS.parent)}:{node.lineno} {node.func.value.id}.{node.func.attr}()"
            )
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit":
            found.append(f"{path.relative_to(HANDLERS.parent)}:{node.lineno} .commit()")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("session", "session_factory")
        ):
            found.append(f"{path.relative_to(HANDLERS.parent)}:{node.lineno} opens a session")
    return found


def test_no_handler_opens_a_session_or_commits():
    modules = sorted(HANDLERS.rglob("*.py"))
    assert len(modules) > 40  # the whole shell is read, not an empty folder
    found = [line for path in modules for line in _session_calls(path)]
    assert found == []


def test_no_handler_imports_models_or_the_orm():
    found = []
    for path in sorted(HANDLERS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            # sqlalchemy.exc (the guard's "nothing was saved") and Engine (create_app's argument) are
            # not the store; models and the ORM are.
            found += [
                f"{path.name}: {n}"
                for n in names
                if n.split(".")[0] == "models" or n.startswith("sqlalchemy.orm")
            ]
    assert found == []
