"""passes/ is a library: it must not reach into the service, a web framework or a database."""

from __future__ import annotations

import ast
from pathlib import Path

PASSES = Path(__file__).resolve().parents[2] / "passes"
FORBIDDEN = {
    "app",
    "config",
    "wsgi",
    "flask",
    "flask_sqlalchemy",
    "flask_wtf",
    "werkzeug",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "psycopg2",
    "sqlite3",
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_passes_imports_no_service_framework_or_database() -> None:
    offenders = {
        f"{path.relative_to(PASSES.parent)} imports {name}"
        for path in PASSES.rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] in FORBIDDEN
    }
    assert not offenders, sorted(offenders)


def test_the_scan_sees_every_module() -> None:
    modules = {path.name for path in PASSES.rglob("*.py")}
    assert {"pkpass.py", "signing.py", "validate.py", "artwork.py"} <= modules
    assert (PASSES / "py.typed").exists()
