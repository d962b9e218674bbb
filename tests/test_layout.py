"""The architecture as a rule: `archive/`'s packages are layers and imports point down.

    errors, config  <-  document  <-  storage, encode  <-  search  <-  publish  <-  cli  <-  webui

A module may import its own package and the layers below it, never a layer above or a
sibling of its own rank; another package is reached only through what its `__init__`
offers (`from archive.search import SearchEngine`, not `archive.search.engine`); and no
two modules import each other, however indirectly, even inside a function. The checker
reads the source with `ast`, so imports inside functions count as much as those at the top.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from archive.config import PROJECT_ROOT

# Rank of each layer. Ranks are strict: a package imports only lower ranks (and itself).
LAYERS = {
    "errors": 0,
    "config": 0,
    "document": 1,
    "storage": 2,
    "encode": 2,
    "search": 3,
    "publish": 4,
    "cli": 5,
    "webui": 6,
}
# Modules at the top of `archive/` that belong to no layer of their own.
TOP_MODULES = {"archive", "archive.__main__"}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, e.g. archive.search.engine
    line: int
    target: str  # the module or package named, e.g. archive.document
    names: tuple[str, ...]  # what `from target import ...` takes; () for `import target`


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def read_tree(root: Path) -> dict[str, str]:
    """Every module of `archive` and `webui` under `root` with its source."""
    return {
        module_name(path, root): path.read_text(encoding="utf-8")
        for package in ("archive", "webui")
        for path in sorted((root / package).rglob("*.py"))
    }


def imports(modules: dict[str, str]) -> list[Import]:
    found = []
    for source, text in modules.items():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = tuple(alias.name for alias in node.names)
                found.append(Import(source, node.lineno, node.module, names))
            elif isinstance(node, ast.Import):
                found.extend(Import(source, node.lineno, a.name, ()) for a in node.names)
    return [i for i in found if i.target.split(".")[0] in ("archive", "webui")]


def layer_of(module: str) -> str | None:
    """`archive.search.engine` -> "search", `webui.render` -> "webui"; None for the top
    (`archive` itself, and `archive.__main__`, which only starts the command line)."""
    parts = module.split(".")
    if module in TOP_MODULES:
        return None
    if parts[0] == "webui":
        return "webui"
    return parts[1] if len(parts) > 1 else None


def offerings(modules: dict[str, str], package: str) -> set[str]:
    """The names a package's `__init__` lists in `__all__`."""
    for node in ast.parse(modules.get(package, "")).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "__all__":
            return {element.value for element in node.value.elts}  # type: ignore[attr-defined]
    return set()


def resolve(imp: Import, modules: dict[str, str]) -> list[str]:
    """The modules an import loads: `from archive.search import whoosh_fixes` names the
    submodule, `from archive.search import SearchEngine` the package."""
    if not imp.names:
        return [imp.target]
    return [
        f"{imp.target}.{name}" if f"{imp.target}.{name}" in modules else imp.target
        for name in imp.names
    ]


def layering_problems(modules: dict[str, str]) -> list[str]:
    problems = []
    for module in modules:
        layer = layer_of(module)
        if module not in TOP_MODULES and layer not in LAYERS:
            problems.append(f"{module}: package {layer!r} has no layer in tests/test_layout.py")
    for imp in imports(modules):
        here, there = layer_of(imp.source), layer_of(imp.target)
        where = f"{imp.source}:{imp.line}: imports {imp.target}"
        if here is None or here == there:
            continue
        if there is None:
            if imp.names and set(imp.names) - {"__version__"}:
                packages = [n for n in imp.names if n in LAYERS]
                problems += [
                    f"{where}: {p} is a higher or sibling layer"
                    for p in packages
                    if LAYERS[p] >= LAYERS[here] and p != here
                ]
            continue
        if there not in LAYERS or LAYERS[there] >= LAYERS[here]:
            problems.append(f"{where}: {there} is not a layer below {here}")
            continue
        package = f"archive.{there}" if there != "webui" else "webui"
        if there in ("errors", "config"):
            continue
        if imp.target != package:
            problems.append(f"{where}: import what {package} offers, not its module")
        elif missing := set(imp.names) - offerings(modules, package):
            problems.append(f"{where}: {package} does not offer {', '.join(sorted(missing))}")
    return problems


def cycles(modules: dict[str, str]) -> list[list[str]]:
    """Cycles in the module import graph (a package's `__init__` counts as a module)."""
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for imp in imports(modules):
        for target in resolve(imp, modules):
            if target in modules and target != imp.source:
                graph[imp.source].add(target)
    # A package's __init__ imports its modules; a module importing its own package's
    # __init__ is the circle that breaks at import time.
    found, state, stack = [], dict.fromkeys(graph, 0), []

    def visit(node: str) -> None:
        state[node], _ = 1, stack.append(node)
        for nxt in sorted(graph[node]):
            if state[nxt] == 1:
                found.append([*stack[stack.index(nxt) :], nxt])
            elif state[nxt] == 0:
                visit(nxt)
        state[node], _ = 2, stack.pop()

    for node in sorted(graph):
        if state[node] == 0:
            visit(node)
    return found


@pytest.fixture(scope="module")
def tree() -> dict[str, str]:
    return read_tree(PROJECT_ROOT)


def test_every_module_sits_in_a_layer_and_imports_point_down(tree):
    assert layering_problems(tree) == []


def test_no_module_imports_itself_through_others(tree):
    assert cycles(tree) == []


def test_each_package_says_what_it_is_for_and_offers_only_what_exists(tree):
    import importlib

    for package in ("document", "storage", "search", "publish", "encode", "cli"):
        name = f"archive.{package}"
        assert ast.get_docstring(ast.parse(tree[name])), f"{name} has no docstring"
        offered = offerings(tree, name)
        assert offered, f"{name} offers nothing in __all__"
        loaded = importlib.import_module(name)
        assert all(hasattr(loaded, n) for n in offered), name


# --- the checker itself finds what it is for ------------------------------------------


def fake_tree(**sources: str) -> dict[str, str]:
    """A small tree with the real packages' offerings, plus the given modules."""
    base = {
        "archive": "",
        "archive.config": "",
        "archive.document": "__all__ = ['Document']\nfrom archive.document.model import Document",
        "archive.document.model": "class Document: ...",
        "archive.search": "__all__ = ['SearchEngine']\nfrom archive.search.engine import SearchEngine",
        "archive.search.engine": "from archive.document import Document\nclass SearchEngine: ...",
    }
    return base | {name.replace("__", "."): text for name, text in sources.items()}


def test_the_checker_accepts_a_tree_that_keeps_the_rules():
    tree = fake_tree(webui__views="from archive.search import SearchEngine")
    assert layering_problems(tree) == []
    assert cycles(tree) == []


@pytest.mark.parametrize(
    ("source", "text", "complaint"),
    [
        ("archive__document__tei", "from archive.search import SearchEngine", "not a layer below"),
        ("archive__document__tei", "def f():\n    import archive.storage", "not a layer below"),
        ("archive__search__query", "from archive.document.model import Document", "offers"),
        ("archive__search__query", "from archive.document import Nothing", "does not offer"),
        ("archive__document__tei", "from archive import search", "higher or sibling"),
        ("archive__storage__store", "from archive.encode import encode_text", "not a layer"),
        ("archive__spare__thing", "", "has no layer"),
    ],
)
def test_the_checker_finds_an_import_that_points_the_wrong_way(source, text, complaint):
    problems = layering_problems(fake_tree(**{source: text}))
    assert any(complaint in p for p in problems), problems


def test_the_checker_finds_a_circle_even_through_a_function():
    tree = fake_tree(
        archive__document__model="from archive.document.tei import t\nclass Document: ...",
        archive__document__tei="def t():\n    from archive.document.model import Document",
    )
    assert cycles(tree)
    tree = fake_tree(archive__search__query="from archive.search import SearchEngine")
    tree["archive.search"] += "\nfrom archive.search.query import x"
    assert cycles(tree)
