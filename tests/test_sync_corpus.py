"""Hostile bundles: every one refused with a Chinese message naming the check, and nothing written
(row counts and a hash of every table of the hub compared before and after)."""

from __future__ import annotations

import json
import random
import zipfile
from pathlib import Path

import pytest

from desktop import cases, db as dbm
from desktop.security import accounts
from desktop.sync import bundle, export, hub, keys
from desktop.sync.hub import BundleRefused

from tests.test_sync_support import HUB_PASSWORD, connect, forge, make_hub, make_station, parts, state, write, zip_of


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A hub holding station 1's first bundle; station 1's second bundle not yet imported."""
    import os

    tmp = tmp_path_factory.mktemp("corpus")
    old = os.environ.get("MEDIATION_DESK_HOME")
    os.environ["MEDIATION_DESK_HOME"] = str(tmp / "home")
    s1, a1, _ = make_station(tmp, "s1", seed=3, n=50)
    s2, a2, _ = make_station(tmp, "s2", seed=4, n=5)
    h, hu, _ = make_hub(tmp)
    connect(s1, a1, h, hu)
    export.join(s2, keys.hub_card(h), a2)  # joined but never enrolled: unknown to the hub
    (tmp / "usb").mkdir()
    first = export.export_bundle(s1, tmp / "usb", a1)
    hub.import_bundle(h, first["path"], hu)
    some = [r[0] for r in s1.conn.execute("select id from cases order by id limit 3")]
    for cid in some:
        cases.update_case(s1, cid, {"facts": "更新：已通知被申请人。"}, a1)
    second = export.export_bundle(s1, tmp / "usb", a1)
    data = Path(second["path"]).read_bytes()
    yield {"tmp": tmp, "s1": s1, "a1": a1, "s2": s2, "a2": a2, "h": h, "hu": hu, "data": data, "second": second}
    if old is None:
        os.environ.pop("MEDIATION_DESK_HOME", None)
    else:
        os.environ["MEDIATION_DESK_HOME"] = old


def refused(w, data: bytes, name: str | None = None, *, check: str | None = None) -> str:
    path = write(w["tmp"], name or w["second"]["path"].rsplit("/", 1)[-1], data)
    with pytest.raises(BundleRefused) as exc:
        hub.import_bundle(w["h"], path, w["hu"])
    msg = exc.value.message
    assert "未导入" in msg and "检查" in msg and "序号" in msg and "站点" in msg
    if check:
        assert exc.value.check == check, msg
    return msg


def test_random_flips_and_truncations_are_all_refused(world):
    w = world
    before = state(w["h"])
    data = w["data"]
    rng = random.Random(20261121)
    checks = {}
    n = 0
    for _ in range(1000):
        b = bytearray(data)
        i = rng.randrange(len(b))
        b[i] ^= rng.randrange(1, 256)
        path = write(w["tmp"], "flip.bundle", bytes(b))
        with pytest.raises(BundleRefused) as exc:
            hub.import_bundle(w["h"], path, w["hu"])
        checks[exc.value.check] = checks.get(exc.value.check, 0) + 1
        n += 1
    offsets = sorted({0, 1, 21, 22, 30, len(data) - 1, len(data) - 22, len(data) - 23}
                     | {rng.randrange(len(data)) for _ in range(200)})
    for cut in offsets:
        path = write(w["tmp"], "cut.bundle", data[:cut])
        with pytest.raises(BundleRefused):
            hub.import_bundle(w["h"], path, w["hu"])
        n += 1
    assert n >= 1150
    assert set(checks) >= {"ZIP 结构"}  # most flips land in the container or fail its CRC
    assert state(w["h"]) == before
    # The genuine bundle still imports afterwards: the refusals were about the damage, not the bundle.
    # (run in the last test of the module, see test_genuine_bundle_imports_last)


def _rebuild(w, *, manifest=None, sig=None, payload=None) -> bytes:
    m, s, p = parts(w["data"])
    return bundle.build_zip([("manifest.json", manifest if manifest is not None else m),
                             ("manifest.json.minisig", sig if sig is not None else s),
                             ("payload.age", payload if payload is not None else p)])


def test_structural_attacks(world):
    w = world
    before = state(w["h"])
    m, s, p = parts(w["data"])
    # zip bomb: a deflated entry of 200 MB of zeros
    bomb = zip_of([("manifest.json", m), ("manifest.json.minisig", s), ("payload.age", b"\0" * 200_000_000)],
                  compress=zipfile.ZIP_DEFLATED)
    assert len(bomb) < 1_000_000
    assert "仅存储" in refused(w, bomb, check="ZIP 结构")
    assert "路径" in refused(w, zip_of([("../manifest.json", m), ("manifest.json.minisig", s), ("payload.age", p)]))
    assert "路径" in refused(w, zip_of([("manifest.json", m), ("sub/evil", s), ("payload.age", p)]))
    assert "重复" in refused(w, zip_of([("manifest.json", m), ("manifest.json", m), ("manifest.json.minisig", s),
                                       ("payload.age", p)]))
    refused(w, zip_of([("manifest.json", m), ("manifest.json.minisig", s)]), check="ZIP 结构")
    refused(w, zip_of([("manifest.json", m), ("manifest.json.minisig", s), ("payload.age", p), ("x", b"")]),
            check="ZIP 结构")
    refused(w, b"not a zip at all" * 10, check="ZIP 结构")
    # A non-canonical but otherwise valid ZIP (different timestamps from another zip tool).
    refused(w, zip_of([("manifest.json", m), ("manifest.json.minisig", s), ("payload.age", p)]), check="ZIP 结构")
    # Size cap before anything is parsed.
    path = write(w["tmp"], "big.bundle", w["data"])
    with pytest.raises(BundleRefused) as exc:
        hub.import_bundle(w["h"], path, w["hu"], max_size=1000)
    assert exc.value.check == "大小"
    assert state(w["h"]) == before


@pytest.mark.parametrize("label, manifest", [
    ("invalid utf-8", b'{"format":"mediation-desk-bundle","x":"\xff\xfe"}'),
    ("duplicate keys", None),
    ("lone surrogate", None),
    ("deep nesting", b"[" * 20000 + b"]" * 20000),
    ("NaN", b'{"seq": NaN}'),
    ("oversized", b'{"pad":"' + b"x" * 70000 + b'"}'),
    ("not an object", b"[1,2,3]"),
    ("truncated json", b'{"format":'),
    ("bom", "\ufeff{}".encode()),
])
def test_malformed_manifests(world, label, manifest):
    w = world
    before = state(w["h"])
    m = json.loads(parts(w["data"])[0])
    if label == "duplicate keys":
        text = bundle.canonical_json(m).decode()
        manifest = text.replace('{"app_version"', '{"seq":99,"app_version"', 1).replace('"seq":2', '"seq":2', 1).encode()
        assert manifest.count(b'"seq"') == text.count('"seq"') + 1  # one more top-level "seq"
    if label == "lone surrogate":
        manifest = bundle.canonical_json(m).replace(b'"station_name":"', b'"station_name":"\\ud800', 1)
    # unsigned, it is refused at the signature, before any parsing (issue 15)
    assert refused(w, _rebuild(w, manifest=manifest), check="大小" if label == "oversized" else "签名")
    # signed by the station's real key, it reaches the strict parser, which refuses it
    sig = keys.signing_key(w["s1"]).sign(manifest, "malformed")
    msg = refused(w, _rebuild(w, manifest=manifest, sig=sig))
    assert "清单格式" in msg or "大小" in msg
    assert state(w["h"]) == before


def test_key_station_sequence_and_record_attacks(world):
    w = world
    h, s1, s2 = w["h"], w["s1"], w["s2"]
    before = state(h)
    # Wrong key: a fresh key (unknown key id), and a fresh key claiming the enrolled key id.
    other = keys.SigningKey(keys.Ed25519PrivateKey.generate(), keys.os.urandom(8))
    assert "密钥" in refused(w, forge(s1, seq=2, records=[], signer=other), check="密钥")
    real = keys.signing_key(s1)
    impostor = keys.SigningKey(keys.Ed25519PrivateKey.generate(), real.key_id)
    refused(w, forge(s1, seq=2, records=[], signer=impostor), check="签名")
    # Manifest edited after signing (counts changed): signature check.
    m = json.loads(parts(w["data"])[0])
    m["counts"]["cases"] = 0
    refused(w, _rebuild(w, manifest=bundle.canonical_json(m)), check="签名")
    # Signature file from another bundle (bundle 1's, same key): the signature does not match.
    first = Path(w["tmp"] / "usb" / bundle.file_name(keys.org.station_id(s1), 1)).read_bytes()
    refused(w, _rebuild(w, sig=parts(first)[1]), check="签名")
    # Payload swapped for bundle 1's: payload hash.
    refused(w, _rebuild(w, payload=parts(first)[2]), check="载荷哈希")
    # Unknown station.
    usb2 = w["tmp"] / "usb2"
    usb2.mkdir(exist_ok=True)
    b = export.export_bundle(s2, usb2, w["a2"])
    assert "未在本汇总端登记" in refused(w, Path(b["path"]).read_bytes(), name="S2-000001.bundle", check="站点")
    # Replay of bundle 1 (same file): already imported, nothing changed.
    path = write(w["tmp"], "replay.bundle", first)
    assert hub.import_bundle(h, path, w["hu"])["status"] == "duplicate"
    # Same number, different content (a station restored from an old backup): conflict.
    msg = refused(w, forge(s1, seq=1, records=[]), check="序号")
    assert "冲突" in msg
    # A gap: bundle 4 while 2 and 3 are missing.
    assert "缺少数据包 2…3" in refused(w, forge(s1, seq=4, records=[]), check="序号")
    # Encrypted for another hub.
    from pyrage import x25519
    elsewhere = str(x25519.Identity.generate().to_public())
    refused(w, forge(s1, seq=2, records=[], recipient=elsewhere), check="收件方")
    # Properly signed bundles whose records break the rules.
    recs = export.collect(s1, full=True)
    case = next(r for r in recs if r["t"] == "cases")
    bad_id = json.loads(json.dumps(case))
    bad_id["doc"]["workers"][0]["id_number"] = "110101199003070135"  # wrong check digit
    assert "案件规则" in refused(w, forge(s1, seq=2, records=[bad_id]), check="记录")
    foreign = json.loads(json.dumps(case))
    foreign["station"] = keys.org.station_id(s2)
    assert "不是数据包的发出站点" in refused(w, forge(s1, seq=2, records=[foreign]), check="记录")
    extra = json.loads(json.dumps(case))
    extra["sql"] = "drop table cases"
    refused(w, forge(s1, seq=2, records=[extra]), check="记录")
    line = bundle.canonical_json(case)
    dup = line.replace(b'{"archived"', b'{"archived":0,"archived"', 1)
    refused(w, forge(s1, seq=2, plain=dup + b"\n", counts={**{t: 0 for t in bundle.SYNCED}, "cases": 1}), check="记录")
    lone = line.replace(b'"case_no":"', b'"case_no":"\\udc00', 1)
    refused(w, forge(s1, seq=2, plain=lone + b"\n", counts={**{t: 0 for t in bundle.SYNCED}, "cases": 1}), check="记录")
    deep = b'{"t":"cases","doc":' + b"[" * 100000 + b"]" * 100000 + b"}"
    refused(w, forge(s1, seq=2, plain=deep + b"\n", counts={**{t: 0 for t in bundle.SYNCED}, "cases": 1}), check="记录")
    refused(w, forge(s1, seq=2, plain=b"\xff\xfe\n", counts={**{t: 0 for t in bundle.SYNCED}, "cases": 1}),
            check="记录")
    # Counts that do not match the records.
    refused(w, forge(s1, seq=2, records=[case], counts={t: 0 for t in bundle.SYNCED}), check="记录")
    assert state(h) == before


def test_genuine_bundle_imports(world, tmp_path):
    """The untouched bundle imports — into a copy of the hub, so that the shared hub keeps waiting
    for bundle 2 whatever order the tests of this module run in (pytest-randomly)."""
    w = world
    copy = tmp_path / "hub-copy.sqlite"
    w["h"].conn.execute("vacuum into ?", (str(copy),))
    h2 = dbm.open_database(copy)
    try:
        hu2 = accounts.authenticate(h2, "hadmin", HUB_PASSWORD)
        path = write(tmp_path, w["second"]["path"].rsplit("/", 1)[-1], w["data"])
        before = state(w["h"])
        r = hub.import_bundle(h2, path, hu2)
        assert r["status"] == "imported" and r["applied"]["cases"]["updated"] == 3
        assert state(w["h"]) == before
    finally:
        h2.conn.close()
