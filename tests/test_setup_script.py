"""Checks of the set-up commands (installer/dev.sh, .ci/run) that need no network."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEV_SH = ROOT / "installer" / "dev.sh"
CI_RUN = ROOT / ".ci" / "run"
PKG_LIST = ROOT / "installer" / "debian-packages.txt"

BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="bash not available")


def packages() -> list[str]:
    out = []
    for line in PKG_LIST.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


def test_scripts_parse():
    for script in (DEV_SH, CI_RUN, ROOT / "installer" / "check-fresh-debian.sh"):
        subprocess.run([BASH, "-n", str(script)], check=True)


def test_package_list_is_one_valid_name_per_line():
    names = packages()
    assert names, "empty package list"
    assert len(names) == len(set(names)), "duplicate package"
    for name in names:
        assert re.fullmatch(r"[a-z0-9][a-z0-9.+-]+", name), name


def test_package_list_covers_qt_pdf_and_bundle_tools():
    names = set(packages())
    required = {
        "python3", "python3-venv", "ca-certificates",
        # offscreen Qt
        "libgl1", "libegl1", "libxkbcommon0", "libglib2.0-0", "libfreetype6",
        "libfontconfig1", "libdbus-1-3",
        # a real window (xcb)
        "libxkbcommon-x11-0", "libxcb-cursor0", "libxcb-icccm4",
        "libxcb-keysyms1", "libxcb-shape0",
        "xvfb", "xauth",
        "poppler-utils", "poppler-data", "minisign", "age",
    }
    assert required <= names, sorted(required - names)
    assert "git" not in names


def _fake_dpkg_query(tmp_path: Path, missing: list[str]) -> dict[str, str]:
    """A PATH in which dpkg-query reports every package installed but `missing`."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "dpkg-query"
    script.write_text(
        "#!/bin/sh\n"
        "# fake: dpkg-query -W -f=FMT [PKG]\n"
        'for last; do :; done\n'
        'case "$last" in -f=*|-W) exit 0;; esac\n'
        'for m in $FAKE_MISSING; do [ "$m" = "$last" ] && exit 1; done\n'
        "printf 'install ok installed'\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    env["FAKE_MISSING"] = " ".join(missing)
    return env


def test_packages_subcommand_lists_only_missing(tmp_path):
    env = _fake_dpkg_query(tmp_path, ["minisign", "libxcb-cursor0"])
    out = subprocess.run(
        [BASH, str(DEV_SH), "packages"], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["libxcb-cursor0", "minisign"]


def test_packages_subcommand_empty_when_all_installed(tmp_path):
    env = _fake_dpkg_query(tmp_path, [])
    out = subprocess.run(
        [BASH, str(DEV_SH), "packages"], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout == ""


def test_unknown_subcommand_is_usage_error():
    out = subprocess.run([BASH, str(DEV_SH), "no-such-command"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "dev.sh demo" in out.stderr and "dev.sh test" in out.stderr


@pytest.mark.parametrize("dev_status,dates_status,ci_ok",
                         [(0, 0, True), (1, 0, False), (2, 0, False), (5, 0, False), (0, 1, False), (1, 1, False)])
def test_ci_run_fails_on_test_failure_and_on_no_tests(tmp_path, dev_status, dates_status, ci_ok):
    (tmp_path / ".ci").mkdir()
    (tmp_path / "installer").mkdir()
    shutil.copy(CI_RUN, tmp_path / ".ci" / "run")
    (tmp_path / "installer" / "dev.sh").write_text(
        f'echo "$1" >> "{tmp_path}/calls"\n'
        f'[ "$1" = test ] && exit {dev_status}\n[ "$1" = hard-dates ] && exit {dates_status}\nexit 99\n',
        encoding="utf-8",
    )
    out = subprocess.run(
        [BASH, str(tmp_path / ".ci" / "run")], capture_output=True, text=True,
        stdin=subprocess.DEVNULL, cwd="/",
    )
    assert (out.returncode == 0) is ci_ok, (out.returncode, out.stderr)
    calls = (tmp_path / "calls").read_text().split()
    # the README's command first; the hard dates run too unless no test was collected at all
    assert calls == (["test"] if dev_status == 5 else ["test", "hard-dates"])
