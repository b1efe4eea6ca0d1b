"""Shape (issue 15): the protection package `desktop/security/` imports none of the code that calls it,
the core modules (desktop/ except desktop/ui) import each other without a cycle, and nothing reaches into
another module's underscore names.

The import graph counts every import statement, at module level and inside functions (a function-level
import still makes one module depend on the other; it only hides the cycle from Python). Submodules of one
package may import each other and their package's __init__ may re-export them: only edges between
different packages or top-level modules make a cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "desktop" / "security"
# what the protection code may use: the standard library and these leaf modules
ALLOWED = {"desktop.errors", "desktop.clock", "desktop.codes", "desktop.lock", "desktop.dbtools", "desktop.security"}


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module, [a.name for a in node.names], node.lineno
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, [], node.lineno


def _core_modules() -> dict[str, Path]:
    mods = {}
    for p in sorted((ROOT / "desktop").rglob("*.py")):
        rel = p.relative_to(ROOT).with_suffix("")
        if rel.parts[:2] == ("desktop", "ui"):
            continue
        mods[".".join(rel.parts).removesuffix(".__init__")] = p
    return mods


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _unit(module: str) -> str:
    """The package or top-level module a core module belongs to: desktop.cases.storage -> desktop.cases."""
    return ".".join(module.split(".")[:2])


def _import_edges(mods: dict[str, Path]):
    """(importer, imported desktop module, line, names taken, the local names bound to desktop modules)."""
    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    for module, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.split(".")[0] == "desktop":
                        yield module, resolve(a.name), node.lineno, [], {}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = _package_of(module, path)
                    for _ in range(node.level - 1):
                        base = base.rpartition(".")[0]
                    full = base + ("." + node.module if node.module else "")
                else:
                    full = node.module or ""
                if full.split(".")[0] != "desktop":
                    continue
                for a in node.names:
                    sub = f"{full}.{a.name}"
                    if sub in mods:  # `from desktop import keys`: the module keys, not desktop/__init__
                        yield module, sub, node.lineno, [], {a.asname or a.name: sub}
                    else:
                        yield module, resolve(full), node.lineno, [a.name], {}


def _graph():
    mods = _core_modules()
    graph: dict[str, dict[str, str]] = {m: {} for m in mods}
    for src, dst, line, _names, _bound in _import_edges(mods):
        if dst and dst != src:
            graph[src].setdefault(dst, f"{mods[src].relative_to(ROOT)}:{line}")
    return graph


def _cycles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(graph.get(w, {}))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len({_unit(m) for m in comp}) > 1:  # a cycle inside one package is its own affair
                        found.append(sorted(comp))
    return found


def _cycle_path(graph, component: list[str]) -> str:
    """One closed path through a component, each step with the file and line of its import."""
    members = set(component)
    start = component[0]
    # breadth-first from start back to start inside the component
    prev: dict[str, str] = {}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in graph[v]:
            if w not in members:
                continue
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(prev[path[-1]])
                path.reverse()
                path.append(start)
                return " -> ".join(f"{a} ({graph[a][b]})" for a, b in zip(path, path[1:])) + f" -> {start}"
            if w not in prev and w != start:
                prev[w] = v
                queue.append(w)
    return " ".join(component)


def test_the_security_package_depends_on_no_caller():
    mods = _core_modules()
    bad = []
    for src, dst, line, _names, _bound in _import_edges(mods):
        if _unit(src) == "desktop.security" and dst and not any(dst == a or dst.startswith(a + ".") for a in ALLOWED):
            bad.append(f"{mods[src].relative_to(ROOT)}:{line} imports {dst}")
    assert bad == []


def test_the_graph_sees_function_level_imports_and_finds_a_cycle(tmp_path):
    # the checker itself: a cycle hidden in a function is found and its path named
    graph = {"desktop.a": {"desktop.b": "a.py:3"}, "desktop.b": {"desktop.a": "b.py:9"}, "desktop.c": {},
             "desktop.p.x": {"desktop.p.y": "x.py:1"}, "desktop.p.y": {"desktop.p.x": "y.py:1"}}
    assert _cycles(graph) == [["desktop.a", "desktop.b"]]  # desktop.p's submodules may import each other
    assert "a.py:3" in _cycle_path(graph, ["desktop.a", "desktop.b"])
    graph = _graph()
    assert "desktop.sync.keys" in graph["desktop.commands.sync"]  # a module-level import
    assert "desktop.security.accounts" in graph["desktop.backup"]  # imported inside restore(): counted too


def test_no_import_cycle_among_the_core_modules():
    graph = _graph()
    cycles = _cycles(graph)
    assert cycles == [], "import cycles:\n" + "\n".join(_cycle_path(graph, c) for c in cycles)


def test_no_underscore_names_of_another_module():
    mods = _core_modules()
    bad = []
    for src, dst, line, names, bound in _import_edges(mods):
        where = f"{mods[src].relative_to(ROOT)}:{line}"
        if dst and _unit(src) != _unit(dst):  # inside one package, submodules share their private helpers
            bad += [f"{where} imports {dst}.{n}" for n in names if n.startswith("_") and not n.startswith("__")]
    # attribute use: `keys._seal` where keys is a desktop module bound by an import
    for src, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bound = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").startswith("desktop"):
                bound |= {a.asname or a.name: f"{node.module}.{a.name}" for a in node.names
                          if f"{node.module}.{a.name}" in mods}
            elif isinstance(node, ast.Import):
                bound |= {(a.asname or a.name): a.name for a in node.names if a.name.startswith("desktop")}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in bound
                    and node.attr.startswith("_") and not node.attr.startswith("__")
                    and _unit(bound[node.value.id]) != _unit(src)):
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno} uses {bound[node.value.id]}.{node.attr}")
    assert bad == []


def test_the_package_is_what_its_callers_use():
    users = [f for f in (ROOT / "desktop").rglob("*.py") if f.parent != PACKAGE
             and any(m.startswith("desktop.security") for m, _n, _l in _imports(f))]
    assert {"search.py", "outputs.py", "xlsx.py", "shape.py", "roster.py", "org.py"} <= {f.name for f in users}


def test_the_owners_register_what_the_protection_code_calls():
    import desktop.cases
    import desktop.roster
    from desktop.security import records

    assert records.kind("case").seal is desktop.cases.seal_record
    assert records.kind("case").rebuild is desktop.cases.rebuild_derived
    assert records.kind("mediator").reveal is desktop.roster.reveal_mediator
    with pytest.raises(RuntimeError, match="not registered"):  # a missing owner stops loudly, never skips
        records.kind("hearing")


def test_the_command_line_registers_the_owners_before_any_sign_in():
    # a fresh process, as `python -m desktop` starts: the commands' shared module is enough
    code = ("import desktop.commands.common\nfrom desktop.security import records\n"
            "print(records.registered())\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "(['case', 'mediator'], 1)"
