"""Every import of the service is brought by `pip install .` alone, without the test extra.

The service runs from an install of `[project.dependencies]`; a module that the tests happen to
install (jsonschema once lived only in the test extra) breaks `make run` on every fresh machine
while the whole suite passes. This reads every import in the service's code, maps it to the
distribution that provides it, and checks that distribution is in the closure of the runtime
dependencies (their own requirements, with the extras they are asked for)."""
from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from config import ROOT

LOCAL = {"app", "passes", "config", "wsgi"}


def service_files(root: Path = ROOT) -> list[Path]:
    files = [root / "config.py", root / "wsgi.py"]
    for package in ("app", "passes"):
        files += sorted((root / package).rglob("*.py"))
    return files


def imported_modules(path: Path) -> Iterator[str]:
    """Top-level names of every absolute import, those inside functions included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


def third_party(modules: Iterable[str]) -> set[str]:
    return {m for m in modules if m not in sys.stdlib_module_names and m not in LOCAL and m != "__future__"}


def runtime_requirements(root: Path = ROOT) -> list[str]:
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return list(project.get("dependencies", []))


def closure(requirements: Iterable[str]) -> set[str]:
    """The distributions an install of these requirements brings, as canonical names."""
    seen: set[str] = set()
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        extras = sorted(req.extras)
        key = f"{name}[{','.join(extras)}]"
        if key in seen:
            continue
        seen.add(key)
        seen.add(name)
        for raw in metadata.requires(req.name) or []:
            sub = Requirement(raw)
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in extras or [""]):
                todo.append(sub)
    return {n for n in seen if "[" not in n}


def missing_distributions(requirements: Iterable[str], files: Iterable[Path]) -> dict[str, list[str]]:
    """Imported module -> the files importing it, for modules no runtime dependency provides."""
    brought = closure(requirements)
    owners = metadata.packages_distributions()
    missing: dict[str, list[str]] = {}
    for path in files:
        for module in third_party(imported_modules(path)):
            providers = {canonicalize_name(d) for d in owners.get(module, [])}
            if not providers & brought:
                missing.setdefault(module, []).append(str(path.relative_to(ROOT)))
    return missing


def test_every_import_of_the_service_comes_with_the_runtime_dependencies() -> None:
    missing = missing_distributions(runtime_requirements(), service_files())
    assert missing == {}, f"imported by the service but not brought by [project.dependencies]: {missing}"


def test_the_check_catches_a_module_that_only_the_test_extra_brings() -> None:
    """The failure that once broke `make run`: jsonschema imported by the API, listed only for tests."""
    without = [r for r in runtime_requirements() if canonicalize_name(Requirement(r).name) != "jsonschema"]
    missing = missing_distributions(without, service_files())
    assert "app/api/validation.py" in missing.get("jsonschema", [])


def test_the_closure_follows_extras_and_markers() -> None:
    # httpx[http2] brings h2; plain httpx does not.
    assert "h2" in closure(["httpx[http2]"])
    assert "h2" not in closure(["httpx"])
    assert "anyio" in closure(["httpx"])


def test_a_missing_module_stops_the_command_line_with_one_line(tmp_path: Path) -> None:
    """Not Flask's traceback followed by "No such command 'init-db'"."""
    shadow = tmp_path / "shadow" / "jsonschema"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'jsonschema'\", name='jsonschema')\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(shadow.parent),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    flask = Path(sys.executable).with_name("flask")
    result = subprocess.run([str(flask), "--app", "wsgi", "init-db"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tessera: cannot start: the Python module 'jsonschema' is missing")
    assert "pip install" in lines[0]
    assert "No such command" not in result.stderr + result.stdout
