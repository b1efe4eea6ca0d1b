"""Bundles and the hub end to end: two stations and a hub, idempotence, resend, nil reports,
failed sticks, the standard minisign and age tools, and a district reporting to a city."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from desktop import cases, cli, db as dbm
from desktop.errors import Refused
from desktop.sync import bundle, export, hub, keys

from tests.test_sync_support import HUB_PASSWORD, connect, make_hub, make_station, state


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    return tmp_path


def test_two_stations_and_a_hub(home):
    s1, a1, _ = make_station(home, "s1", seed=1, n=50)
    s2, a2, _ = make_station(home, "s2", seed=2, n=30)
    h, hu, _ = make_hub(home)
    connect(s1, a1, h, hu)
    connect(s2, a2, h, hu)
    usb = home / "usb"
    usb.mkdir()
    b1 = export.export_bundle(s1, usb, a1)
    b2 = export.export_bundle(s2, usb, a2)
    assert b1["counts"]["cases"] == 50 and b2["counts"]["cases"] == 30
    assert os.path.basename(b1["path"]) == f"{keys.org.station_id(s1)}-000001.bundle"
    r1 = hub.import_bundle(h, b1["path"], hu)
    r2 = hub.import_bundle(h, b2["path"], hu)
    assert r1["applied"]["cases"]["new"] == 50 and r2["applied"]["cases"]["new"] == 30
    assert h.conn.execute("select count(*) from cases where deleted = 0").fetchone()[0] == 80
    # The hub holds each station's cases with the same content (revealed, re-sealed by the hub).
    some = s1.conn.execute("select id from cases order by id limit 1").fetchone()[0]
    at_station, at_hub = cases.get_case(s1, some), cases.get_case(h, some)
    assert at_hub["station"] == keys.org.station_id(s1)
    assert cases.record_only(at_hub) == cases.record_only(at_station)
    # The derived search rows were rebuilt at the hub: a worker can be found there.
    from desktop import search
    name = at_station["workers"][0]["name"]
    assert h.conn.execute("select count(*) from case_workers where name = ?", (name,)).fetchone()[0] >= 1
    assert search.match_rowids(h, at_station["employer"]["name"], 10)

    # Importing the same bundle again changes nothing.
    before = state(h)
    again = hub.import_bundle(h, b1["path"], hu)
    assert again["status"] == "duplicate" and "已于" in again["message"]
    assert state(h) == before

    # A change at a station travels as an incremental bundle with only that case; revisions win.
    cases.update_case(s1, some, {"facts": "补充事实：双方同意调解。"}, a1)
    cases.delete_case(s1, s1.conn.execute("select id from cases order by id desc limit 1").fetchone()[0], a1, "重复登记")
    b3 = export.export_bundle(s1, usb, a1)
    assert b3["seq"] == 2 and b3["counts"]["cases"] == 2
    r3 = hub.import_bundle(h, b3["path"], hu)
    assert r3["applied"]["cases"]["updated"] == 2
    assert cases.get_case(h, some)["facts"] == "补充事实：双方同意调解。"
    assert h.conn.execute("select count(*) from cases where deleted = 1").fetchone()[0] == 1
    assert h.conn.execute("select count(*) from cases where deleted = 0").fetchone()[0] == 79

    # Nothing changed: a nil report (零上报) is still a signed, numbered bundle.
    b4 = export.export_bundle(s2, usb, a2)
    assert b4["nil"] and b4["seq"] == 2
    r4 = hub.import_bundle(h, b4["path"], hu)
    assert r4["nil"] and "零上报" in r4["message"]

    view = {v["station"]: v for v in hub.stations(h)}
    v1 = view[keys.org.station_id(s1)]
    assert v1["last_seq"] == 2 and v1["gaps"] == [] and v1["bundle_this_period"]
    assert v1["counts"]["cases"] == 49 and v1["counts"]["voided"] == 1
    assert view[keys.org.station_id(s2)]["counts"]["cases"] == 30


def test_resend_is_byte_identical_and_seq_does_not_move(home):
    s1, a1, _ = make_station(home, "s1", n=10)
    h, hu, _ = make_hub(home)
    connect(s1, a1, h, hu)
    (home / "a").mkdir()
    (home / "b").mkdir()
    b1 = export.export_bundle(s1, home / "a", a1)
    again = export.resend(s1, 1, home / "b", a1)
    assert again.read_bytes() == Path(b1["path"]).read_bytes()
    assert s1.conn.execute("select max(seq) from sync_bundles_out").fetchone()[0] == 1
    with pytest.raises(Exception, match="没有导出过第 7 号"):
        export.resend(s1, 7, home / "b", a1)


def test_export_without_hub_or_key_and_station_card(home):
    s1, a1, _ = make_station(home, "s1", n=3)
    assert keys.signing_key(s1, create=False) is None
    with pytest.raises(Refused, match="尚未加入汇总端"):
        export.export_bundle(s1, home, a1)
    card = keys.station_card(s1)  # makes the key lazily
    assert keys.signing_key(s1, create=False).key_id_hex == card["key_id"]
    assert len(card["fingerprint"]) == 14 and card["fingerprint"].count("-") == 2
    # The private key is not stored in the clear.
    sealed = s1.conn.execute("select sealed from sync_keys where purpose = 'sign'").fetchone()[0]
    raw = keys.signing_key(s1).private.private_bytes_raw()
    assert raw.hex() not in sealed and json.loads(sealed)["alg"] == "AES-256-GCM"


def _mount_tmpfs(where, options) -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                          capture_output=True).returncode == 0


@pytest.mark.parametrize("kind", ["full", "readonly"])
def test_failed_stick_leaves_no_bundle_and_no_seq(home, kind):
    s1, a1, _ = make_station(home, "s1", n=40)
    h, hu, _ = make_hub(home)
    connect(s1, a1, h, hu)
    stick = home / "stick"
    stick.mkdir()
    mounted = _mount_tmpfs(stick, "size=64k" if kind == "full" else "size=1m,ro")
    if not mounted:
        if kind == "full":
            pytest.skip("a full stick is simulated with a tmpfs mount, which needs root")
        stick.chmod(0o555)
    try:
        dirty = s1.conn.execute("select count(*) from cases where dirty = 1").fetchone()[0]
        with pytest.raises(Refused, match="空间已满" if kind == "full" else "只读"):
            export.export_bundle(s1, stick, a1)
        assert os.listdir(stick) == []
        assert s1.conn.execute("select count(*) from sync_bundles_out").fetchone()[0] == 0
        assert s1.conn.execute("select count(*) from cases where dirty = 1").fetchone()[0] == dirty
        assert list(export.kept_dir(s1).glob("*.bundle")) == []
    finally:
        if mounted:
            subprocess.run(["umount", str(stick)], check=True)
        else:
            stick.chmod(0o755)
    # The next attempt on a good stick takes number 1.
    assert export.export_bundle(s1, home, a1)["seq"] == 1


def test_standard_minisign_and_age_tools(home):
    s1, a1, _ = make_station(home, "s1", n=5)
    h, hu, _ = make_hub(home)
    connect(s1, a1, h, hu)
    b = export.export_bundle(s1, home, a1)
    out = home / "unzipped"
    out.mkdir()
    with zipfile.ZipFile(b["path"]) as zf:
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
        zf.extractall(out)
    pub = out / "station.pub"
    pub.write_text(keys.signing_key(s1).minisign_public_key())
    r = subprocess.run(["minisign", "-Vm", str(out / "manifest.json"), "-p", str(pub)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "verified" in r.stdout + r.stderr
    # A changed manifest fails the standard tool too.
    (out / "manifest.json").write_bytes((out / "manifest.json").read_bytes().replace(b'"seq":1', b'"seq":2'))
    r = subprocess.run(["minisign", "-Vm", str(out / "manifest.json"), "-p", str(pub)], capture_output=True, text=True)
    assert r.returncode != 0
    ident = out / "identity.txt"
    ident.write_text(str(keys.age_identity(h)) + "\n")
    r = subprocess.run(["age", "-d", "-i", str(ident), str(out / "payload.age")], capture_output=True)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert sum(1 for x in lines if x["t"] == "cases") == 5
    assert {x["station"] for x in lines} == {keys.org.station_id(s1)}


def test_district_reports_to_city(home):
    s1, a1, _ = make_station(home, "s1", seed=1, n=20)
    s2, a2, _ = make_station(home, "s2", seed=2, n=15)
    district, du, _ = make_hub(home, "district", title="某区调解数据汇总")
    city, cu, _ = make_hub(home, "city", title="某市调解数据汇总")
    connect(s1, a1, district, du)
    connect(s2, a2, district, du)
    for s, a in ((s1, a1), (s2, a2)):
        hub.import_bundle(district, export.export_bundle(s, home, a)["path"], du)
    # The district needs a signing key and the city's card; the city enrols the district.
    card = keys.station_card(district)
    assert card["role"] == "hub"
    hub.enrol(city, card, cu)
    export.join(district, keys.hub_card(city), du)
    up = export.export_bundle(district, home, du)
    assert up["full"] and up["counts"]["cases"] == 35
    r = hub.import_bundle(city, up["path"], cu)
    assert r["applied"]["cases"]["new"] == 35
    assert {x[0] for x in city.conn.execute("select distinct station from cases")} == \
        {keys.org.station_id(s1), keys.org.station_id(s2)}
    view = hub.stations(city)
    assert view[0]["station"] == keys.org.station_id(district)
    assert sorted(view[0]["via_stations"]) == sorted([keys.org.station_id(s1), keys.org.station_id(s2)])
    assert view[0]["counts"]["cases"] == 35
    # The next full report re-sends everything; nothing changes at the city but the log.
    up2 = export.export_bundle(district, home, du)
    r2 = hub.import_bundle(city, up2["path"], cu)
    assert r2["applied"]["cases"]["unchanged"] == 35 and r2["applied"]["cases"]["new"] == 0


def test_command_line_round_trip(home, capsys):
    from tests.test_sync_support import make_station as ms

    s1, a1, spath = ms(home, "s1", n=8)
    s1.conn.close()
    pw = home / "pw"
    pw.write_text(HUB_PASSWORD)
    hubdb = home / "hub.sqlite"
    cred = ["--user", "hadmin", "--password-file", str(pw)]
    assert cli.main(["hub-init", "--db", str(hubdb), "--name", "某区汇总", "--region", "330481",
                     "--admin", "hadmin", "--password-file", str(pw)]) == 0
    assert cli.main(["station-card", "--db", str(spath), "--out", str(home / "s1.card")]) == 0
    fp = json.loads((home / "s1.card").read_text())["fingerprint"]
    assert cli.main(["enrol", "--db", str(hubdb), *cred, "--card", str(home / "s1.card"),
                     "--fingerprint", "0000-0000-0000"]) == 1
    assert cli.main(["enrol", "--db", str(hubdb), *cred, "--card", str(home / "s1.card"), "--fingerprint", fp]) == 0
    assert cli.main(["hub-card", "--db", str(hubdb), *cred, "--out", str(home / "hub.card")]) == 0
    assert cli.main(["join", "--db", str(spath), "--hub-card", str(home / "hub.card")]) == 0
    usb = home / "usb"
    usb.mkdir()
    capsys.readouterr()
    assert cli.main(["export", "--db", str(spath), "--out", str(usb)]) == 0
    path = capsys.readouterr().out.strip()
    assert path.endswith("-000001.bundle")
    assert cli.main(["import", "--db", str(hubdb), *cred, path]) == 0
    assert "已导入" in capsys.readouterr().out
    # A damaged copy: exit 1, a Chinese message naming station, number and check.
    bad = usb / "copy.bundle"
    data = bytearray(Path(path).read_bytes())
    data[len(data) // 2] ^= 0x40
    bad.write_bytes(bytes(data))
    assert cli.main(["import", "--db", str(hubdb), *cred, str(bad)]) == 1
    err = capsys.readouterr().err
    assert "未导入" in err and "检查" in err
    assert cli.main(["stations", "--db", str(hubdb), *cred, "--json"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert rows[0]["last_seq"] == 1 and rows[0]["counts"]["cases"] == 8
    # `cases` works on the hub and carries each case's station.
    assert cli.main(["cases", "--db", str(hubdb), *cred, "--json", "--masked"]) == 0
    listed = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(listed) == 8 and all(c["station"] == rows[0]["station"] for c in listed)


def test_migration_creates_sync_tables(home):
    d = dbm.open_database(home / "x.sqlite", create=True)
    names = {r[0] for r in d.conn.execute("select name from sqlite_master where type = 'table'")}
    assert {"sync_keys", "sync_bundles_out", "sync_bundles_in", "sync_stations", "sync_origins",
            "sync_calendar_overrides"} <= names
    assert bundle.FILE_RE.fullmatch("S0123456789-000001.bundle")
