"""Nothing outside desktop/ui imports PySide6: the headless commands run where Qt cannot be imported."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BLOCK_QT = """
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == 'PySide6' or name.startswith('PySide6.'):
            raise ImportError('PySide6 is blocked in this test')
sys.meta_path.insert(0, Block())
"""


def core_modules() -> list[str]:
    mods = []
    for p in sorted((ROOT / "desktop").rglob("*.py")):
        rel = p.relative_to(ROOT).with_suffix("")
        if rel.parts[:2] == ("desktop", "ui") or rel.parts[-1] == "__main__":
            continue
        mods.append(".".join(rel.parts).removesuffix(".__init__"))
    return mods


def test_no_pyside_import_statement_outside_ui():
    offenders = []
    for p in (ROOT / "desktop").rglob("*.py"):
        if "ui" in p.relative_to(ROOT / "desktop").parts[:1]:
            continue
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{p.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "PySide6"]
    assert offenders == []


def test_every_core_module_imports_without_qt(tmp_path):
    code = BLOCK_QT + "\nimport importlib\nfor m in %r:\n    importlib.import_module(m)\nprint('ok')\n" % core_modules()
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_headless_commands_run_without_qt(tmp_path):
    code = BLOCK_QT + "\nfrom desktop.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    db = tmp_path / "d.sqlite"
    r = subprocess.run([sys.executable, "-c", code, "demo", "--db", str(db), "--cases", "30"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-c", code, "cases", "--db", str(db), "--json", "--limit", "3"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 3
