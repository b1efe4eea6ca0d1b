"""The hub's and the station's exchange commands and the safety net (issue 15, item 7): `import` and
`export` take the one-writer lock, and `import` makes a copy to go back to before it writes."""

from __future__ import annotations

from desktop import backup, lock
from tests.test_cli import run
from tests.test_sync_support import HUB_PASSWORD, connect, make_hub, make_station


def test_import_and_export_take_the_writer_lock_and_import_backs_up_first(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("MEDIATION_DESK_HOME", str(home))
    env = {"MEDIATION_DESK_HOME": str(home)}
    s, a, spath = make_station(tmp_path, "s", seed=2, n=3)
    h, u, hpath = make_hub(tmp_path)
    connect(s, a, h, u)
    s.conn.close()
    h.conn.close()
    out = tmp_path / "stick"
    out.mkdir()
    pw = tmp_path / "hubpw"
    pw.write_text(HUB_PASSWORD, encoding="utf-8")
    # another writer (the desktop program) has the station open: export waits its turn
    held = lock.acquire(spath, shared_in_process=False)
    try:
        r = run("export", "--db", spath, "--out", out, env=env)
        assert r.returncode == 1 and "写入" in r.stderr, r.stderr
        assert list(out.iterdir()) == []
    finally:
        held.release()
    r = run("export", "--db", spath, "--out", out, env=env)
    assert r.returncode == 0, r.stderr
    bundle_file = next(out.glob("*.bundle"))
    hub_args = ["--db", hpath, "--user", "hadmin", "--password-file", pw]
    held = lock.acquire(hpath, shared_in_process=False)
    try:
        r = run("import", *hub_args, bundle_file, env=env)
        assert r.returncode == 1 and "写入" in r.stderr, r.stderr
    finally:
        held.release()
    before = {f for f, _label, _t in backup.auto_backups(hpath)}
    r = run("import", *hub_args, bundle_file, env=env)
    assert r.returncode == 0, r.stderr
    copies = [(f, label) for f, label, _t in backup.auto_backups(hpath) if f not in before]
    assert any(label == "pre-import" for _f, label in copies), copies
