"""The hub's keys with the standard tools (issue 16, item 4): the real `minisign` and `age`
binaries check a station's bundle and a hub's downward package with the keys the program exports."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from desktop import cli, org
from desktop.security import audit
from desktop.sync import bundle, downward, export, keys

from tests.downward_support import notice_2027
from tests.test_sync_support import HUB_PASSWORD, connect, make_hub, make_station


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    return tmp_path


def _unzip(path, out: Path) -> Path:
    out.mkdir()
    with zipfile.ZipFile(path) as zf:
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
        zf.extractall(out)
    return out


def _minisign(manifest: Path, pub: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["minisign", "-Vm", str(manifest), "-p", str(pub)], capture_output=True, text=True)


def test_exported_keys_work_with_minisign_and_age(home, capsys):
    station, sa, spath = make_station(home, "s1", n=4)
    hubdb, hu, hpath = make_hub(home)
    connect(station, sa, hubdb, hu)
    sid, hid = org.station_id(station), org.station_id(hubdb)
    pw = home / "pw.txt"
    pw.write_text(HUB_PASSWORD + "\n", encoding="utf-8")
    hub_cred = ["--db", str(hpath), "--user", "hadmin", "--password-file", str(pw)]

    # Public keys: the hub exports its own and every enrolled station's; the station its own and its hub's.
    at_hub, at_station = home / "keys-hub", home / "keys-station"
    at_hub.mkdir()
    at_station.mkdir()
    assert cli.main(["export-keys", *hub_cred, "--out", str(at_hub)]) == 0
    assert cli.main(["export-keys", "--db", str(spath), "--out", str(at_station)]) == 0
    assert {p.name for p in at_hub.iterdir()} == {f"{hid}.pub", f"{sid}.pub"}
    assert {p.name for p in at_station.iterdir()} == {f"{hid}.pub", f"{sid}.pub"}

    # Upward: the station's bundle verifies with the station key as the hub exported it.
    b = export.export_bundle(station, home, sa)
    up = _unzip(b["path"], home / "bundle")
    r = _minisign(up / "manifest.json", at_hub / f"{sid}.pub")
    assert r.returncode == 0, r.stderr
    # ... and not with the hub's own key.
    assert _minisign(up / "manifest.json", at_hub / f"{hid}.pub").returncode != 0

    # The age identity: refused to a station, audited with a warning at the hub, then age decrypts.
    capsys.readouterr()
    assert cli.main(["export-keys", "--db", str(spath), "--age-identity", "--out", str(home / "x.txt")]) == 1
    assert "不是汇总端" in capsys.readouterr().err
    ident = home / "identity.txt"
    assert cli.main(["export-keys", *hub_cred, "--age-identity", "--out", str(ident)]) == 0
    assert "警告" in capsys.readouterr().err
    assert [e for e in audit.entries(hubdb) if e["action"] == "keys.export.age_identity"]
    r = subprocess.run(["age", "-d", "-i", str(ident), str(up / "payload.age")], capture_output=True)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert sum(1 for x in lines if x["t"] == "cases") == 4
    assert bundle.sha256(r.stdout) == json.loads((up / "manifest.json").read_bytes())["payload"]["plain_sha256"]
    # It is never overwritten.
    assert cli.main(["export-keys", *hub_cred, "--age-identity", "--out", str(ident)]) == 2

    # Downward: the hub's package verifies with the hub key as the station exported it.
    downward.set_notice(hubdb, notice_2027(), hu)
    pkg = downward.build_package(hubdb, hu, home, years=[2027], note="测试")
    down = _unzip(pkg["path"], home / "package")
    r = _minisign(down / "manifest.json", at_station / f"{hid}.pub")
    assert r.returncode == 0, r.stderr
    assert f"hub:{hid} seq:1" in r.stdout + r.stderr
    manifest = json.loads((down / "manifest.json").read_bytes())
    assert manifest["content"]["sha256"] == bundle.sha256((down / "content.json").read_bytes())
    # A changed manifest fails the standard tool too.
    (down / "manifest.json").write_bytes((down / "manifest.json").read_bytes().replace(b'"seq":1', b'"seq":2'))
    assert _minisign(down / "manifest.json", at_station / f"{hid}.pub").returncode != 0
    # The station's key in the hub card matches the one exported.
    assert (at_station / f"{hid}.pub").read_text().splitlines()[1] == keys.hub_card(hubdb)["public_key"]
