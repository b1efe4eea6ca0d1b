"""Shape (issue 15): the protection package `desktop/security/` imports none of the code that calls it
(so no import cycle can run through it) and nothing reaches into another module's underscore names."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "desktop" / "security"
# what the protection code may use: the standard library and these leaf modules
ALLOWED = {"desktop.errors", "desktop.clock", "desktop.security"}


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module, [a.name for a in node.names], node.lineno
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, [], node.lineno


def test_the_security_package_depends_on_no_caller():
    bad = []
    for f in sorted(PACKAGE.glob("*.py")):
        for module, _names, line in _imports(f):
            if module.startswith("desktop") and not any(module == a or module.startswith(a + ".") for a in ALLOWED):
                bad.append(f"{f.name}:{line} imports {module}")
    assert bad == []


def test_no_underscore_names_taken_from_the_security_package_or_by_it():
    bad = []
    for f in sorted((ROOT / "desktop").rglob("*.py")):
        for module, names, line in _imports(f):
            if module.startswith("desktop.security") or f.parent == PACKAGE:
                bad += [f"{f.relative_to(ROOT)}:{line} imports {module}.{n}" for n in names if n.startswith("_")]
    assert bad == []
    # and the package is what its callers use
    users = [f for f in (ROOT / "desktop").rglob("*.py") if f.parent != PACKAGE
             and any(m.startswith("desktop.security") for m, _n, _l in _imports(f))]
    assert {"search.py", "outputs.py", "xlsx.py", "shape.py", "roster.py", "org.py"} <= {f.name for f in users}
