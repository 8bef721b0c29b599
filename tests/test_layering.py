"""Imports only point down (docs/architecture.md, "Layers").

Every module under src/chainrule is parsed with ``ast`` (imports inside functions included;
those under ``if TYPE_CHECKING:`` are left out, they never run), relative imports are resolved,
and the module graph is checked for two things:

- no import points up the layer order: _backend < primitives < autograd < tensor < front ends
  < compat < the package's own ``__init__`` (which assembles everything) < the demo;
- no import cycle between modules, within a layer or across layers.

``from package import name`` counts as an import of the submodule ``package.name`` when there
is one, else of the package's ``__init__``; the implicit import of a package's ``__init__``
when one of its submodules is imported is not counted (every submodule would "import" its
parent otherwise).

An exception that cannot be fixed yet goes into ALLOWED with its reason, so that a new one fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = "chainrule"

# Lowest first; a module's layer is that of the longest prefix listed here.
LAYERS = {
    "chainrule._backend": 0,
    "chainrule._default_dtype": 0,
    "chainrule._device": 0,  # device("cpu") and the check that refuses other devices
    "chainrule.primitives": 1,
    # composite.py: functions composed from primitives (mean, softmax, stack, ...), on the
    # primitives alone; Tensor's methods dispatch to it, so it stands below the Tensor.
    "chainrule.composite": 1,
    # ops/: PyTorch-spelled operations composed from primitives, below the Tensor as composite is.
    "chainrule.ops": 1,
    "chainrule.autograd": 2,
    "chainrule.tensor": 3,
    # everything else under chainrule: front ends, layer 4
    "chainrule.compat": 5,
    # 6: chainrule/__init__.py, which imports every layer (PACKAGE_INIT)
    # The demo (python -m chainrule.demo) is an application, written against `import chainrule`.
    "chainrule.demo": 7,
}
FRONT_END = 4
PACKAGE_INIT = 6
LAYER_NAMES = ["backend", "primitives", "autograd", "tensor", "front ends", "compat",
               "chainrule/__init__", "applications (demo)"]

# (importer, imported): reason. Edges listed here are left out of both checks.
ALLOWED: dict[tuple[str, str], str] = {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((SRC / ROOT).rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST):
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _imports(name: str, path: Path, modules: dict[str, Path]) -> dict[str, int]:
    """The chainrule modules that module ``name`` imports, each with a line number."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: dict[str, int] = {}

    def add(target: str, line: int) -> None:
        if target != name and target in modules:
            found.setdefault(target, line)

    for node in _import_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == ROOT or alias.name.startswith(ROOT + "."):
                    add(alias.name, node.lineno)
            continue
        if node.level:
            base = package.split(".")
            if node.level > 1:
                base = base[:-(node.level - 1)]
            base_name = ".".join(base + ([node.module] if node.module else []))
        else:
            base_name = node.module or ""
        if not (base_name == ROOT or base_name.startswith(ROOT + ".")):
            continue
        for alias in node.names:
            sub = f"{base_name}.{alias.name}"
            add(sub if sub in modules else base_name, node.lineno)
    return found


def _layer(name: str) -> int:
    if name == ROOT:
        return PACKAGE_INIT
    best, layer = "", FRONT_END
    for prefix, value in LAYERS.items():
        if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > len(best):
            best, layer = prefix, value
    return layer


def _graph() -> dict[str, dict[str, int]]:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        edges = _imports(name, path, modules)
        graph[name] = {t: line for t, line in edges.items() if (name, t) not in ALLOWED}
    return graph


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each as one cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components = []
    counter = [0]

    def visit(v: str) -> None:  # recursion depth is bounded by the module count (~150)
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_one_cycle(graph, sorted(c)) for c in components]


def _one_cycle(graph: dict[str, dict[str, int]], component: list[str]) -> list[str]:
    """A shortest cycle through the component's first module (breadth-first search)."""
    members = set(component)
    start = component[0]
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for v in frontier:
            for w in sorted(graph[v]):
                if w not in members:
                    continue
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return path[::-1] + [start]
                if w not in parents:
                    parents[w] = v
                    following.append(w)
        frontier = following
    return component  # pragma: no cover - a component always holds a cycle


def _describe(graph, cycle: list[str]) -> str:
    steps = [f"{a} (line {graph[a][b]})" for a, b in zip(cycle, cycle[1:])]
    return " -> ".join(steps + [cycle[-1]])


def test_no_upward_imports():
    graph = _graph()
    upward = [f"{name} (layer {LAYER_NAMES[_layer(name)]}, line {line}) imports {target} "
              f"(layer {LAYER_NAMES[_layer(target)]})"
              for name, edges in sorted(graph.items()) for target, line in sorted(edges.items())
              if _layer(target) > _layer(name)]
    assert not upward, "imports pointing up the layers:\n" + "\n".join(upward)


def test_no_import_cycles():
    graph = _graph()
    cycles = _cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(_describe(graph, c) for c in cycles)


def test_allowed_exceptions_still_exist():
    modules = _modules()
    stale = [edge for edge in ALLOWED
             if edge[1] not in _imports(edge[0], modules[edge[0]], modules)]
    assert not stale, f"ALLOWED lists imports that no longer exist: {stale}"


def test_the_walker_sees_imports():
    graph = _graph()
    assert "chainrule.autograd.dispatch" in graph["chainrule.tensor"]
    assert "chainrule._backend" in graph[ROOT]
