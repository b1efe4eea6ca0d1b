"""The downward package (issue 16): a city enters the 2027 notice once, a district passes it on,
a township applies it and its December cases' deadlines become final; every refusal changes nothing."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest

from desktop import cases, cli, clock, org
from desktop.security import accounts, audit
from desktop.errors import InputError, PermissionDenied, Refused
from desktop.sync import bundle, downward, export, hub, keys

from tests.downward_support import (  # noqa: F401 - home, made, three: the chain fixtures
    NOTICE_2027_TEXT, TITLE_2027, december_cases, home, made, notice_2027, three)
from tests.test_sync_support import make_hub, make_station, state


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


def _forge(signer_db, content: dict, *, seq: int, origin=None, sections=None, hub_id=None, key=None,
           content_bytes: bytes | None = None, manifest_extra: dict | None = None) -> bytes:
    """A package built from chosen parts and signed with a real key (the hub's own, or another)."""
    sk = key or keys.signing_key(signer_db)
    c_bytes = content_bytes if content_bytes is not None else bundle.canonical_json(content)
    me = hub_id or org.station_id(signer_db)
    manifest = {"format": downward.FORMAT_NAME, "version": 1, "hub": me, "hub_name": "某区调解数据汇总",
                "key_id": sk.key_id_hex, "seq": seq, "created_at": clock.now(), "app_version": "0",
                "sections": sections or [s for s in downward.SECTIONS if s in content],
                "content": {"sha256": bundle.sha256(c_bytes), "size": len(c_bytes)},
                "origin": origin[1] if origin else None}
    manifest.update(manifest_extra or {})
    m = bundle.canonical_json(manifest)
    entries = [("manifest.json", m), ("manifest.json.minisig",
                                      sk.sign(m, f"timestamp:x file:manifest.json hub:{me} seq:{seq}")),
               ("content.json", c_bytes)]
    if origin:
        entries.append((downward.ORIGIN_ENTRY, origin[0]))
    return bundle.build_zip(entries)


def _put(home: Path, name: str, data: bytes) -> Path:
    p = home / "usb" / name
    p.write_bytes(data)
    return p


def _refused(db, user, path, check: str) -> str:
    before = state(db)
    with pytest.raises(downward.PackageRefused) as exc:
        downward.apply_package(db, path, user)
    assert exc.value.check == check, exc.value.message
    assert state(db) == before
    return exc.value.message


def test_city_notice_reaches_township_and_deadlines_become_final(home, three):
    (city, cu), (district, du), (town, tu) = three
    dec = december_cases(town, tu, 3)
    assert all(cases.get_case(town, i)["provisional"] for i in dec)
    # The city enters the 2027 notice once, with the commissions and a note, and writes package 1.
    assert downward.set_notice(city, notice_2027(), cu)["year"] == 2027
    downward.set_commissions(city, [{"name": "示范市劳动人事争议仲裁委员会", "address": "示范市新华路8号",
                                     "phone": "0573-87000002", "hours": "工作日 8:30-17:00"}], cu)
    pkg = downward.build_package(city, cu, home / "usb", years=[2027], commissions_=True,
                                 note="2027年节假日安排已下发，请及时应用。")
    assert Path(pkg["path"]).name == f"{org.station_id(city)}-down-000001.package"
    # The district applies it for itself, then passes it on re-signed, the city's package inside.
    downward.apply_package(district, pkg["path"], du)
    passed = downward.pass_on(district, pkg["path"], du, home / "usb")
    assert passed["origin"] == {"hub": org.station_id(city), "seq": 1}
    # The township sees what will change, then applies it.
    checked = downward.verify(town, passed["path"])
    assert checked.origin["hub"] == org.station_id(city)
    shown = downward.preview(town, checked)
    assert "转发自 某市调解数据汇总 第 1 号" in shown["title"]
    assert any("2027 年" in line and "更改 34 天" in line for line in shown["lines"])
    assert any("3 件期限为暂定" in line for line in shown["lines"])
    r = downward.apply_package(town, passed["path"], tu)
    assert (r["provisional_before"], r["provisional_after"]) == (3, 0)
    for cid in dec:
        c = cases.get_case(town, cid)
        assert not c["provisional"] and "暂定" not in c["deadline_rules"]["statutory_deadline"]
    # 2026-12-29 + 15 days = 2027-01-13 (Wed), a working day under the notice; 12-30 + 3 working
    # days runs over the New Year block (01-01…03) to Tuesday 2027-01-05.
    assert cases.get_case(town, dec[1])["statutory_deadline"] == "2027-01-13"
    assert cases.get_case(town, dec[2])["acceptance_due"] == "2027-01-05"
    # The stored columns (what the lists and dashboard read) changed too.
    assert town.conn.execute("select count(*) from cases where provisional = 1").fetchone()[0] == 0
    # A holiday in the notice is now a rest day with its name; the township's commission was filled in.
    assert org.calendar_overrides(town)[0] == {"date": "2027-01-01", "is_workday": False, "note": "元旦"}
    assert org.get_profile(town)["arbitration"]["address"] == "示范市新华路8号"  # same commission, new address
    assert downward.pending_note(town)["text"].startswith("2027年节假日")
    downward.mark_note_shown(town)
    assert downward.pending_note(town) is None
    entry = town.conn.execute("select action, record_id, detail from audit_log where action = 'package.apply'"
                              ).fetchone()
    assert entry[1] == f"{org.station_id(district)}-1" and json.loads(entry[2])["provisional_after"] == 0
    assert audit.verify(town) == []


def test_refusals_change_nothing(home, three):
    (city, cu), (district, du), (town, tu) = three
    downward.set_notice(district, notice_2027(), du)
    one = downward.build_package(district, du, home / "usb", years=[2027])
    two = downward.build_package(district, du, home / "usb", note="第二号")
    # Rollback: number 2 applied, number 1 is older.
    downward.apply_package(town, two["path"], tu)
    assert "拒绝回退" in _refused(town, tu, one["path"], "序号")
    # Replay of the same file, and of a copy under another name.
    assert "重放" in _refused(town, tu, two["path"], "序号")
    assert "重放" in _refused(town, tu, _put(home, "copy.package", Path(two["path"]).read_bytes()), "序号")
    # Another hub's package (the city's, signed with the city's key): not the hub this station joined.
    downward.set_notice(city, notice_2027(), cu)
    other = downward.build_package(city, cu, home / "usb", years=[2027])
    assert "不是登记的密钥" in _refused(town, tu, other["path"], "汇总端身份")
    # Another key claiming the district's identity.
    stranger = make_hub(home, "stranger")[0]
    forged = _forge(stranger, {"note": {"text": "假通知"}}, seq=9, hub_id=org.station_id(district),
                    key=keys.signing_key(stranger), manifest_extra={"key_id": keys.signing_key(district).key_id_hex})
    _refused(town, tu, _put(home, "forged.package", forged), "签名")
    # Signed by the right key but malformed content: an incomplete notice, an unknown section.
    bad = notice_2027()
    bad["holidays"] = [h for h in bad["holidays"] if h["name"] != "中秋节"]
    bad["allow_unbalanced"] = True
    msg = _refused(town, tu, _put(home, "bad1.package", _forge(district, {"calendar": [bad]}, seq=5)), "内容")
    assert "中秋节" in msg
    bad2 = _forge(district, {"note": {"text": "x"}, "extra": 1}, seq=5, sections=["note"])
    _refused(town, tu, _put(home, "bad2.package", bad2), "内容")
    bad3 = _forge(district, {}, seq=5, content_bytes=b'{"note":{"text":"x"}} ', sections=["note"])
    _refused(town, tu, _put(home, "bad3.package", bad3), "格式")
    bad4 = _forge(district, {"templates": {"agreement": 'name = "agreement"\ntitle = "x"\nkind = "bogus"\n'}}, seq=5)
    assert "blocks" in _refused(town, tu, _put(home, "bad4.package", bad4), "内容")
    bad5 = _forge(district, {"settings": {"target_success_rate": {"value": "1.5", "advisory": False}}}, seq=5)
    _refused(town, tu, _put(home, "bad5.package", bad5), "内容")
    # Not a package at all; an upward bundle; an empty file.
    _refused(town, tu, _put(home, "junk.package", b"PK\x05\x06" + bytes(18)), "ZIP 结构")
    _refused(town, tu, _put(home, "empty.package", b""), "ZIP 结构")
    # A station user may not apply packages.
    accounts.create_user(town, "clerk", "clerkpass1", "mediator")
    clerk = accounts.authenticate(town, "clerk", "clerkpass1")
    with pytest.raises(PermissionDenied):
        downward.apply_package(town, _put(home, "ok.package", _forge(district, {"note": {"text": "x"}}, seq=7)), clerk)
    # ... and the good one with the next number still applies (gaps are allowed and shown).
    checked = downward.verify(town, home / "usb" / "ok.package")
    assert any("未收到第 3–6 号" in line for line in downward.preview(town, checked)["lines"])
    assert downward.apply_package(town, home / "usb" / "ok.package", tu)["seq"] == 7


def test_passed_on_package_checks_the_city_signature(home, three):
    (city, cu), (district, du), (town, tu) = three
    downward.set_notice(city, notice_2027(), cu)
    pkg = downward.build_package(city, cu, home / "usb", years=[2027])
    city_bytes = Path(pkg["path"]).read_bytes()
    city_key = keys.signing_key(city)
    origin = {"hub": org.station_id(city), "hub_name": "某市调解数据汇总", "public_key": city_key.public_blob(),
              "key_id": city_key.key_id_hex, "seq": 1, "sha256": bundle.sha256(city_bytes)}
    content = json.loads(downward.read_container(city_bytes)[2])
    good = _forge(district, content, seq=1, origin=(city_bytes, origin))
    assert downward.check_package(town, good).origin["seq"] == 1
    # The district changes the city's notice: the content no longer matches what the city signed.
    changed = copy.deepcopy(content)
    changed["calendar"][0]["title"] = "改动过的通知"
    _refused(town, tu, _put(home, "c1.package", _forge(district, changed, seq=1, origin=(city_bytes, origin))), "转发")
    # The city's package inside is altered (one byte of its signature): its hash and signature fail.
    sig_at = city_bytes.index(b"trusted comment")
    broken = city_bytes[:sig_at] + b"T" + city_bytes[sig_at + 1:]
    _refused(town, tu, _put(home, "c2.package", _forge(district, content, seq=1, origin=(broken, origin))), "转发")
    fixed = dict(origin, sha256=bundle.sha256(broken))
    _refused(town, tu, _put(home, "c3.package", _forge(district, content, seq=1, origin=(broken, fixed))), "ZIP 结构")
    # A city package signed by some other key than the one the manifest names.
    stranger = make_hub(home, "stranger")[0]
    fake_city = _forge(stranger, content, seq=1, hub_id=org.station_id(city))
    o2 = dict(origin, sha256=bundle.sha256(fake_city))
    msg = _refused(town, tu, _put(home, "c4.package", _forge(district, content, seq=1, origin=(fake_city, o2))),
                   "汇总端身份")
    assert "上级汇总端" in msg
    # The district cannot pass on a package that is not from its own hub.
    downward.set_notice(stranger, notice_2027(), accounts.authenticate(stranger, "hadmin", "hubpass123"))
    with pytest.raises(downward.PackageRefused):
        downward.pass_on(district, _put(home, "s.package", fake_city), du, home / "usb")
    # Passing the same city package on twice is refused.
    downward.pass_on(district, pkg["path"], du, home / "usb")
    with pytest.raises(Refused, match="已于"):
        downward.pass_on(district, pkg["path"], du, home / "usb")


def test_a_thousand_tampered_copies_are_refused(home, three):
    """Every single-byte change anywhere in a passed-on package (manifest, signatures, content, the
    city's package inside, the ZIP structure) is refused by the station's check, and nothing changes."""
    (city, cu), (district, du), (town, tu) = three
    downward.set_notice(city, notice_2027(), cu)
    downward.set_commissions(city, [{"name": "某市仲裁委", "address": "某路1号", "phone": "", "hours": ""}], cu)
    pkg = downward.build_package(city, cu, home / "usb", years=[2027], commissions_=True, note="通知")
    data = Path(downward.pass_on(district, pkg["path"], du, home / "usb")["path"]).read_bytes()
    hub_card = downward.joined_hub(town)
    rng = random.Random(16)
    positions = sorted(rng.sample(range(len(data)), 1000))
    refused = 0
    for pos in positions:
        copy_ = bytearray(data)
        copy_[pos] ^= rng.randrange(1, 256)
        with pytest.raises(downward.PackageRefused):
            downward.check_package(town, bytes(copy_), hub=hub_card)
        refused += 1
    # Truncations and appended bytes.
    for cut in (1, 22, len(data) // 2, len(data) - 1):
        with pytest.raises(downward.PackageRefused):
            downward.check_package(town, data[:cut], hub=hub_card)
    with pytest.raises(downward.PackageRefused):
        downward.check_package(town, data + b"\0", hub=hub_card)
    assert refused == 1000
    before = state(town)
    for pos in positions[::100]:  # a sample through the full apply path: nothing written
        copy_ = bytearray(data)
        copy_[pos] ^= 0x01
        with pytest.raises(downward.PackageRefused):
            downward.apply_package(town, _put(home, "t.package", bytes(copy_)), tu)
    assert state(town) == before
    assert downward.check_package(town, data, hub=hub_card).manifest["seq"] == 1


def test_old_hub_card_without_signing_key_and_no_hub(home, three):
    (city, cu), (district, du), (town, tu) = three
    downward.set_notice(district, notice_2027(), du)
    pkg = downward.build_package(district, du, home / "usb", years=[2027])
    card = org.get_setting(town, "sync.hub")
    with town.atomic():
        org.set_setting(town, "sync.hub", {k: v for k, v in card.items() if k not in ("public_key", "key_id")})
    before = state(town)
    with pytest.raises(Refused, match="不含签名公钥"):
        downward.apply_package(town, pkg["path"], tu)
    assert state(town) == before
    with town.atomic():
        town.conn.execute("delete from settings where key = 'sync.hub'")
    before = state(town)
    with pytest.raises(Refused, match="尚未加入汇总端"):
        downward.apply_package(town, pkg["path"], tu)
    assert state(town) == before
    # A card whose signing key was swapped is refused at join.
    forged = keys.hub_card(district)
    forged["public_key"] = keys.signing_key(city).public_blob()
    with pytest.raises(InputError, match="签名公钥"):
        export.join(town, forged, tu)


def test_notice_completeness_check(home):
    """The hub checks a notice as a station does (issue 13's holidays.notice_problems) plus its shape."""
    city, cu = make_hub(home, "city")[:2]
    n = notice_2027()
    n["holidays"] = [h for h in n["holidays"] if h["date"] != "2027-06-09"]
    n["workdays"].append({"date": "2027-03-03", "name": "春节"})
    with pytest.raises(InputError) as exc:
        downward.set_notice(city, n, cu)
    text = "\n".join(exc.value.messages)
    assert "2027年6月9日（端午节）" in text and "周六或周日" in text
    n = notice_2027()
    n["workdays"] = [w for w in n["workdays"] if w["date"] != "2027-01-31"]
    with pytest.raises(InputError, match="不平衡"):
        downward.set_notice(city, n, cu)
    n["allow_unbalanced"] = True
    assert downward.set_notice(city, n, cu)["allow_unbalanced"] is True
    for bad, why in (({"notice_date": "2026-13-01"}, "不存在"), ({"title": ""}, "标题"),
                     ({"holidays": "x"}, "应为列表"), ({"extra": 1}, "未知字段"), ({"year": 1999}, "年份")):
        with pytest.raises(InputError, match=why):
            downward.set_notice(city, {**notice_2027(), **bad}, cu)
    # The published text, pasted, reads into the same notice.
    got = downward.set_notice_text(city, 2027, NOTICE_2027_TEXT, TITLE_2027, "2026-11-10", cu)
    assert got == notice_2027() and downward.notices(city)["2027"] == got
    # Only at a hub, only by an administrator.
    station, actor = make_station(home, "st", n=1)[:2]
    with pytest.raises(Refused, match="不是汇总端"):
        downward.set_notice(station, notice_2027(), actor)


def test_settings_commissions_templates_and_station_view(home, three):
    (city, cu), (district, du), (town, tu) = three
    # The township set its own target before; the district's advisory value does not replace it.
    org.update_profile(town, {"target_success_rate": "0.70"}, tu)
    downward.set_hub_settings(district, {"target_success_rate": {"value": "0.65", "advisory": True},
                                         "reporting_period": {"value": "quarterly", "advisory": False}}, du)
    from desktop.documents.templates import FORMS_DIR
    text = (FORMS_DIR / "failure-notice.toml").read_text(encoding="utf-8").replace(
        'title = "', 'title = "（新版）', 1)
    downward.set_hub_template(district, "failure-notice", text, du)
    with pytest.raises(InputError):
        downward.set_hub_template(district, "failure-notice", "name = 1", du)
    pkg = downward.build_package(district, du, home / "usb", settings_=True, templates=["failure-notice"],
                                 stations=True)
    checked = downward.verify(town, pkg["path"])
    lines = downward.preview(town, checked)["lines"]
    assert any("保留本站设定 0.70" in line for line in lines)
    downward.apply_package(town, pkg["path"], tu)
    assert org.get_profile(town)["target_success_rate"] == "0.70"
    assert org.get_setting(town, "downward.reporting_period")["value"] == "quarterly"
    assert "（新版）" in downward.template_diff(town, "failure-notice")
    forms = downward.forms_dir(town, home / "forms-cache")
    assert "（新版）" in (forms / "failure-notice.toml").read_text(encoding="utf-8")
    downward.revert_template(town, "failure-notice", tu)
    assert downward.template_diff(town, "failure-notice") == ""
    view = org.get_setting(town, "downward.stations")["rows"]
    assert [r["station"] for r in view] == [org.station_id(town)]
    # A mandatory value replaces the station's own.
    downward.set_hub_settings(district, {"target_success_rate": {"value": "0.65", "advisory": False}}, du)
    downward.apply_package(town, downward.build_package(district, du, home / "usb", settings_=True)["path"], tu)
    assert org.get_profile(town)["target_success_rate"] == "0.65"
    # Nothing chosen, or a year never entered: a clear message and no package.
    with pytest.raises(InputError, match="至少选择一项"):
        downward.build_package(district, du, home / "usb")
    with pytest.raises(InputError, match="2030"):
        downward.build_package(district, du, home / "usb", years=[2030])
    assert len(downward.sent(district)) == 2


def test_command_line(home, three, capsys):
    (city, cu), (district, du), (town, tu) = three
    pw = home / "pw.txt"
    pw.write_text("hubpass123\n", encoding="utf-8")
    paths = {name: str(home / f"{name}.sqlite") for name in ("city", "district", "township")}

    def run(*args):
        code = cli.main([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out, out.err

    cred = ["--user", "hadmin", "--password-file", pw]
    text = home / "2027.txt"
    text.write_text(NOTICE_2027_TEXT, encoding="utf-8")
    code, out, err = run("package-notice", "--db", paths["city"], *cred, "--file", text, "--year", 2027)
    assert code == 2 and "--title" in err
    code, out, err = run("package-notice", "--db", paths["city"], *cred, "--file", text, "--year", 2027,
                         "--title", TITLE_2027, "--notice-date", "2026-11-10")
    assert code == 0 and "放假 29 天，调休上班 5 天" in out, err
    code, out, err = run("package-export", "--db", paths["city"], *cred, "--out", home / "usb", "--year", 2027)
    assert code == 0, err
    city_pkg = out.strip()
    code, out, err = run("package-pass-on", "--db", paths["district"], *cred, city_pkg, "--out", home / "usb")
    assert code == 0, err
    passed = out.strip()
    code, out, err = run("package-apply", "--db", paths["township"], passed, "--preview")
    assert code == 0 and "转发自" in out and "更改 34 天" in out, err
    assert town.conn.execute("select count(*) from calendar_overrides").fetchone()[0] == 0
    code, out, err = run("package-apply", "--db", paths["township"], passed)
    assert code == 0 and "暂定期限" in out, err
    code, out, err = run("package-apply", "--db", paths["township"], passed)
    assert code == 1 and "重放" in err and "Traceback" not in err
    code, out, err = run("package-status", "--db", paths["township"])
    assert code == 0 and "第 1 号" in out


def test_stations_report_the_package_applied_upward(home, three):
    (city, cu), (district, du), (town, tu) = three
    usb = home / "usb"
    tid = org.station_id(town)
    # Before any package: the bundle's manifest has no `package` key (an older hub reads it as before).
    first = export.export_bundle(town, usb, tu)
    assert "package" not in bundle.parse_manifest(bundle.read_container(Path(first["path"]).read_bytes())[0])
    hub.import_bundle(district, first["path"], du)
    assert downward.station_view(district)[0]["package_applied"] is None
    pkg = downward.build_package(district, du, usb, note="请核对本月报表")
    downward.apply_package(town, pkg["path"], tu)
    second = export.export_bundle(town, usb, tu)
    manifest = bundle.parse_manifest(bundle.read_container(Path(second["path"]).read_bytes())[0])
    assert manifest["package"]["hub"] == org.station_id(district) and manifest["package"]["seq"] == 1
    hub.import_bundle(district, second["path"], du)
    view = downward.station_view(district)
    assert [(v["station"], v["package_applied"]) for v in view] == [(tid, 1)]
    # A malformed `package` key is refused like any other manifest field.
    bad = dict(manifest, package={"hub": "x", "seq": 0, "sha256": "00", "applied_at": ""})
    with pytest.raises(bundle.Rejected, match="package"):
        bundle.parse_manifest(bundle.canonical_json(bad))


def test_rejoining_the_same_hub_for_its_signing_key_resends_nothing(home, three):
    (city, cu), (district, du), (town, tu) = three
    usb = home / "usb"
    hub.import_bundle(district, export.export_bundle(town, usb, tu)["path"], du)
    # The station had joined with an old card, without the hub's signing key ...
    card = org.get_setting(town, "sync.hub")
    with town.atomic():
        org.set_setting(town, "sync.hub", {k: v for k, v in card.items()
                                           if k not in ("public_key", "key_id", "sign_fingerprint")})
    # ... and installs the hub's new card: the key is there, and the next bundle is a nil report.
    export.join(town, keys.hub_card(district), tu)
    assert downward.joined_hub(town)["key_id"] == keys.signing_key(district).key_id_hex
    assert export.export_bundle(town, usb, tu)["nil"]
    # Joining another hub still marks everything for it.
    export.join(town, keys.hub_card(city), tu)
    assert export.export_bundle(town, usb, tu)["counts"]["cases"] == 5
