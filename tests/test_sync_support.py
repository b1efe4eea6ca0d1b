"""Helpers shared by the sync tests (no tests here): real stations, a real hub, a state hash, and
a forger that builds bundles from chosen parts with a real key."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import warnings
import zipfile
from pathlib import Path

from desktop import db as dbm, demo, org
from desktop.security import accounts
from desktop.sync import bundle, export, hub, keys

HUB_PASSWORD = "hubpass123"


def make_station(tmp: Path, name: str, *, seed: int = 1, n: int = 50):
    path = tmp / f"{name}.sqlite"
    database = dbm.open_database(path, create=True)
    actor = demo.create_demo_station(database, seed=seed)
    demo.fill(database, n, seed=seed, actor=actor)
    return database, actor, path


def make_hub(tmp: Path, name: str = "hub", *, template: Path | None = None, title: str = "海宁市调解数据汇总"):
    path = tmp / f"{name}.sqlite"
    if template is not None:
        shutil.copyfile(template, path)
    else:
        hub.hub_init(path, title, "330481", "hadmin", HUB_PASSWORD)
    database = dbm.open_database(path)
    user = accounts.authenticate(database, "hadmin", HUB_PASSWORD)
    return database, user, path


def connect(station_db, station_user, hub_db, hub_user) -> None:
    hub.enrol(hub_db, keys.station_card(station_db), hub_user)
    export.join(station_db, keys.hub_card(hub_db), station_user)


def merged_hub(tmp: Path, *, seed: int = 5, n: int = 12):
    """A station of n demo cases joined to a hub that has imported its first bundle:
    (station db, hub db, hub user, the station's id)."""
    s, a, _ = make_station(tmp, "s", seed=seed, n=n)
    h, u, _ = make_hub(tmp, "h")
    connect(s, a, h, u)
    usb = tmp / "usb"
    usb.mkdir(exist_ok=True)
    hub.import_bundle(h, export.export_bundle(s, usb, a)["path"], u)
    return s, h, u, org.station_id(s)


def state(database) -> tuple[dict, str]:
    """Row counts of every table and a hash of all their contents (order-independent)."""
    counts = {}
    h = hashlib.sha256()
    names = [r[0] for r in database.conn.execute(
        "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name")]
    for name in names:
        # a refused or duplicate bundle is audited (issue 15): that entry is the one change allowed
        where = " where action not in ('bundle.refused', 'bundle.duplicate')" if name == "audit_log" else ""
        rows = sorted(repr(r) for r in database.conn.execute(f'select * from "{name}"{where}'))
        counts[name] = len(rows)
        h.update(name.encode())
        for r in rows:
            h.update(r.encode())
    return counts, h.hexdigest()


def zip_of(entries, *, compress=zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns on duplicate names, which we want to write
        with zipfile.ZipFile(buf, "w", compression=compress) as zf:
            for name, data in entries:
                zf.writestr(name, data)
    return buf.getvalue()


def parts(data: bytes) -> tuple[bytes, bytes, bytes]:
    return bundle.read_container(data)


def forge(station_db, *, seq: int, plain: bytes | None = None, records: list[dict] | None = None,
          manifest_edit=None, signer=None, recipient: str | None = None, counts: dict | None = None) -> bytes:
    """A bundle signed with the station's real key (or `signer`) around chosen records."""
    import pyrage
    from pyrage import x25519

    from desktop import org
    from desktop.security import audit
    if plain is None:
        plain = b"".join(bundle.canonical_json(r) + b"\n" for r in records or [])
    hub_info = export.hub_of(station_db)
    recipient = recipient or hub_info["recipient"]
    ct = pyrage.encrypt(plain, [x25519.Recipient.from_str(recipient)])
    sk = signer or keys.signing_key(station_db)
    if counts is None:
        counts = {t: 0 for t in bundle.SYNCED}
        for r in records or []:
            if isinstance(r, dict) and r.get("t") in counts:
                counts[r["t"]] += 1
    tomb = {t: 0 for t in bundle.SYNCED}
    for r in records or []:
        if isinstance(r, dict) and r.get("t") in tomb and r.get("deleted") == 1:
            tomb[r["t"]] += 1
    prev = station_db.conn.execute("select sha256 from sync_bundles_out where seq = ?", (seq - 1,)).fetchone()
    m = {
        "format": bundle.FORMAT_NAME, "version": 1, "station": org.station_id(station_db), "station_name": "伪造测试",
        "role": "station", "key_id": sk.key_id_hex, "seq": seq, "prev_sha256": prev[0] if prev else None,
        "created_at": "2026-11-01T10:00:00+08:00", "schema_version": 3, "app_version": "0.1.0", "full": False,
        "counts": counts, "tombstones": tomb,
        "payload": {"sha256": bundle.sha256(ct), "size": len(ct), "plain_sha256": bundle.sha256(plain),
                    "plain_size": len(plain)},
        "recipient": recipient, "audit_head": audit.head(station_db),
        "period": {"label": "2026-11", "since": None, "until": "2026-11-01T10:00:00+08:00"},
        "calendar_data_version": "test", "stats_fingerprint": None,
    }
    if manifest_edit:
        manifest_edit(m)
    mb = bundle.canonical_json(m)
    sig = sk.sign(mb, f"file:manifest.json seq:{seq}")
    return bundle.build_zip([("manifest.json", mb), ("manifest.json.minisig", sig), ("payload.age", ct)])


def records_of(station_db) -> list[dict]:
    return export.collect(station_db, full=True)


def write(tmp: Path, name: str, data: bytes) -> Path:
    p = tmp / name
    p.write_bytes(data)
    return p


def as_json(data) -> str:
    return json.dumps(data, ensure_ascii=False)
