"""Apps import downward only, as the README's architecture section layers them.

The layers are read from the README (the numbered list under "**Apps**
depend one way"), and every module of every app is parsed with ``ast``:
function-local imports count, since they run too. The project package
``movieratings`` belongs to no layer; an app may import from it only what
reaches no app above its own, so imports are followed through it. Tests are
free to import anything.
"""

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from tests.conftest import ROOT

README = ROOT / "README.md"
PROJECT = "movieratings"
_LAYER_LINE = re.compile(r"^\s+(\d+)\.\s+(.*)$")


@cache
def layers() -> dict[str, int]:
    """Return {app: layer} from the README, 1 for the lowest layer."""
    lines = README.read_text().split("## Architecture", 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if "**Apps** depend one way" in line)
    found: dict[str, int] = {}
    for line in lines[start + 1 :]:
        match = _LAYER_LINE.match(line)
        if match is None:
            if found:
                break
            continue
        for app in re.findall(r"`(\w+)`", match[2]):
            found[app] = int(match[1])
    return found


def _is_test(path: Path) -> bool:
    return "tests" in path.relative_to(ROOT).parts


@cache
def modules() -> dict[str, Path]:
    """Return {dotted name: file} of every app's and the project's own modules."""
    found = {}
    for package in [*layers(), PROJECT]:
        for path in sorted((ROOT / package).rglob("*.py")):
            if _is_test(path):
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imported(name: str, source: str, *, is_package: bool) -> Iterator[str]:
    """Yield the first-party modules that module ``name`` imports, anywhere."""
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from a import b`` imports the module a.b if there is one.
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for target in targets:
            parts = target.split(".")
            for end in range(1, len(parts) + 1):  # Its packages run first.
                if ".".join(parts[:end]) in modules():
                    yield ".".join(parts[:end])


@cache
def imports_of(name: str) -> frozenset[str]:
    path = modules()[name]
    return frozenset(
        _imported(name, path.read_text(), is_package=path.name == "__init__.py")
    )


def _app(name: str) -> str:
    return name.split(".")[0]


def upward_imports() -> list[str]:
    """Return one line per module that reaches a module above its app's layer."""
    problems = []
    for name in modules():
        app = _app(name)
        if app == PROJECT:
            continue
        # Follow imports through the project package, which has no layer.
        chains: dict[str, list[str]] = {name: [name]}
        todo = [name]
        while todo:
            current = todo.pop()
            for target in sorted(imports_of(current)):
                if target in chains:
                    continue
                chains[target] = [*chains[current], target]
                other = _app(target)
                if other == PROJECT:
                    todo.append(target)
                elif other != app and layers()[other] >= layers()[app]:
                    problems.append(" -> ".join(chains[target]))
                elif other == app:
                    todo.append(target)
    return problems


def test_the_readme_layers_every_app():
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")} - {PROJECT}

    assert set(layers()) == apps
    assert layers()["users"] < layers()["movies"] < layers()["ratings"]


def test_no_app_imports_from_its_own_layer_or_above():
    assert upward_imports() == []


def test_the_check_sees_imports_inside_functions_and_relative_ones():
    source = (
        "from . import models\n"
        "def rebuild():\n"
        "    from ratings.services import rating_create\n"
        "    import watchlist.services\n"
    )

    found = set(_imported("movies.admin", source, is_package=False))

    assert {"movies.models", "ratings.services", "watchlist.services"} <= found
