"""The downward package: what a district or city hub sends back to its stations (FORMAT.md,
"The downward package").

A hub keeps what its stations need and cannot fetch offline — the State Council's holiday notice
for next year, the arbitration commissions, the settings it sets for them, corrected document
templates, a note, and its view of each station — and writes it as a signed (the hub's Ed25519 key,
minisign format), sequenced, stored-only ZIP. A station checks it against the hub card it joined
with (signature, hub identity, sequence: no replay, no rollback; content), shows what will change,
applies it in one transaction, recomputes the stored deadlines and writes an audit entry. A district
passes a city's package on re-signed, with the city's package kept inside and checked.

Everything here lives in the `settings` table (no migration): the hub's material under `downward.*`,
what a station received under `downward.applied`, `downward.calendar`, `downward.commissions`, ...
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import difflib
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from desktop import __version__, org
from desktop.security import accounts, audit
from desktop.clock import now
from desktop.errors import InputError, Refused
from desktop.sync import bundle, keys
from desktop.sync.bundle import JSONProblem, Rejected, canonical_json, sha256, strict_loads

FORMAT_NAME = "mediation-desk-package"
FORMAT_VERSION = 1
ENTRIES = ("manifest.json", "manifest.json.minisig", "content.json")
ORIGIN_ENTRY = "origin.package"  # a city's package, verbatim, inside a district's
MAX_PACKAGE_BYTES = 64 * 1024 * 1024
MAX_CONTENT_BYTES = 32 * 1024 * 1024
MAX_TEMPLATE_BYTES = 256 * 1024
FILE_RE = re.compile(r"(?P<hub>[A-Za-z0-9]{1,40})-down-(?P<seq>\d{6,})\.package")
SECTIONS = ("calendar", "commissions", "settings", "templates", "note", "stations")
SECTION_NAMES = {"calendar": "节假日安排", "commissions": "仲裁委员会", "settings": "汇总端设定",
                 "templates": "文书模板", "note": "通知", "stations": "各站点上报情况"}

SETTING_KEYS = {"target_success_rate": "调解成功率目标", "reporting_period": "报送周期"}
REPORTING_PERIODS = {"monthly": "按月", "quarterly": "按季度", "yearly": "按年"}


class PackageRefused(Refused):
    def __init__(self, check: str, detail: str):
        super().__init__(f"汇总端数据包被拒绝（{check}）：{detail}")
        self.check = check
        self.detail = detail


def file_name(hub: str, seq: int) -> str:
    return f"{hub}-down-{seq:06d}.package"


# --- the container --------------------------------------------------------------------------------

def read_container(data: bytes, *, max_size: int = MAX_PACKAGE_BYTES) -> tuple[bytes, bytes, bytes, bytes | None]:
    """(manifest, signature, content, origin or None): the exact bytes the canonical writer makes."""
    zf = bundle.open_zip(data, max_size)
    with contextlib.closing(zf):
        infos = zf.infolist()
        names = tuple(i.filename for i in infos)
        if names not in (ENTRIES, ENTRIES + (ORIGIN_ENTRY,)):
            raise Rejected("ZIP 结构", f"条目应为 {', '.join(ENTRIES)}（转发时另有 {ORIGIN_ENTRY}），"
                                     f"实为 {', '.join(n[:40] for n in names[:10])}")
        caps = {"manifest.json": bundle.MAX_MANIFEST_BYTES, "manifest.json.minisig": bundle.MAX_SIGNATURE_BYTES,
                "content.json": MAX_CONTENT_BYTES, ORIGIN_ENTRY: max_size}
        bundle.check_entries(infos, caps)
        try:
            parts = [zf.read(n) for n in names]
        except Exception as exc:  # noqa: BLE001
            raise Rejected("ZIP 结构", f"条目无法读取或校验和不符（{exc}）") from None
    if bundle.build_zip(list(zip(names, parts))) != data:
        raise Rejected("ZIP 结构", "ZIP 文件不是规范格式（文件头、时间戳、附加数据或条目布局被改动）")
    return parts[0], parts[1], parts[2], (parts[3] if len(parts) == 4 else None)


# --- strict checks ----------------------------------------------------------------------------------

_ID = re.compile(r"[A-Za-z0-9]{1,40}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


def _int(v, lo=0, hi=10**9) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def _str(v, max_len=200, *, empty=False) -> bool:
    return isinstance(v, str) and (empty or len(v) > 0) and len(v) <= max_len


def _origin_ok(v) -> bool:
    if v is None:
        return True
    return (isinstance(v, dict) and set(v) == {"hub", "hub_name", "public_key", "key_id", "seq", "sha256"}
            and isinstance(v["hub"], str) and _ID.fullmatch(v["hub"]) is not None and _str(v["hub_name"])
            and _str(v["public_key"], 100) and isinstance(v["key_id"], str)
            and re.fullmatch(r"[0-9A-F]{16}", v["key_id"]) is not None and _int(v["seq"], 1)
            and isinstance(v["sha256"], str) and _HEX64.fullmatch(v["sha256"]) is not None)


MANIFEST_CHECKS = {
    "format": lambda v: v == FORMAT_NAME,
    "version": lambda v: v == FORMAT_VERSION,
    "hub": lambda v: isinstance(v, str) and _ID.fullmatch(v) is not None,
    "hub_name": lambda v: _str(v),
    "key_id": lambda v: isinstance(v, str) and re.fullmatch(r"[0-9A-F]{16}", v) is not None,
    "seq": lambda v: _int(v, 1),
    "created_at": lambda v: _str(v, 40),
    "app_version": lambda v: _str(v, 40),
    "sections": lambda v: isinstance(v, list) and 0 < len(v) <= len(SECTIONS)
    and all(s in SECTIONS for s in v) and v == sorted(set(v), key=SECTIONS.index),
    "content": lambda v: isinstance(v, dict) and set(v) == {"sha256", "size"} and isinstance(v["sha256"], str)
    and _HEX64.fullmatch(v["sha256"]) is not None and _int(v["size"], 0, MAX_CONTENT_BYTES),
    "origin": _origin_ok,
}


def _strict_canonical(data: bytes, what: str, max_bytes: int, depth: int):
    try:
        value = strict_loads(data, max_bytes=max_bytes, max_depth=depth)
    except JSONProblem as exc:
        raise Rejected("格式", f"{what} {exc}") from None
    if canonical_json(value) != data:
        raise Rejected("格式", f"{what} 不是规范 JSON（键顺序、空白或转义被改动）")
    return value


def parse_manifest(data: bytes) -> dict:
    m = _strict_canonical(data, "manifest.json", bundle.MAX_MANIFEST_BYTES, 4)
    if not isinstance(m, dict):
        raise Rejected("清单格式", "manifest.json 应为 JSON 对象")
    if set(m) != set(MANIFEST_CHECKS):
        raise Rejected("清单格式", "manifest.json 字段不符（有未知或缺少的字段）")
    bad = [k for k, check in MANIFEST_CHECKS.items() if not check(m[k])]
    if bad:
        raise Rejected("清单格式", f"manifest.json 字段取值无效：{', '.join(bad)}")
    return m


def _date(v, where: str, problems: list, year: int | None = None) -> _dt.date | None:
    if not isinstance(v, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        problems.append(f"{where}：日期应为 YYYY-MM-DD")
        return None
    try:
        d = _dt.date.fromisoformat(v)
    except ValueError:
        problems.append(f"{where}：日期 {v} 不存在")
        return None
    if year is not None and d.year != year:
        problems.append(f"{where}：日期 {v} 不在 {year} 年")
    return d


def _obj(v, keys_: set, where: str, problems: list, *, optional: set = frozenset()) -> bool:
    if not isinstance(v, dict):
        problems.append(f"{where}：应为对象")
        return False
    unknown, missing = set(v) - keys_ - optional, keys_ - set(v)
    if unknown:
        problems.append(f"{where}：未知字段 {', '.join(sorted(k[:40] for k in unknown))}")
    if missing:
        problems.append(f"{where}：缺少 {', '.join(sorted(missing))}")
    return not unknown and not missing


def to_notice(notice: dict):
    """The package's notice as issue 13's `holidays.Notice` (a checked dict: see check_notice)."""
    from desktop import holidays

    n = holidays.Notice(notice["year"])
    for item in notice["holidays"]:
        n.rest[_dt.date.fromisoformat(item["date"])] = item["name"]
    for item in notice["workdays"]:
        n.work[_dt.date.fromisoformat(item["date"])] = item["name"]
    return n


def from_notice(n, *, title: str, notice_date: str, allow_unbalanced: bool = False) -> dict:
    """A `holidays.Notice` (e.g. from holidays.parse_notice of the pasted text) as the package's JSON."""
    return {"year": n.year, "title": title, "notice_date": notice_date, "allow_unbalanced": bool(allow_unbalanced),
            "holidays": [{"date": d.isoformat(), "name": name} for d, name in sorted(n.rest.items())],
            "workdays": [{"date": d.isoformat(), "name": name} for d, name in sorted(n.work.items())]}


def check_notice(notice, *, where: str = "节假日安排") -> list[str]:
    """Problems with one year's notice: its shape here, its completeness by the same rule as a notice
    typed in at a station (`holidays.notice_problems`: every statutory holiday a day off, working days
    on weekends, days off and working days in balance unless allow_unbalanced)."""
    from desktop import holidays

    problems: list[str] = []
    if not _obj(notice, {"year", "title", "notice_date", "allow_unbalanced", "holidays", "workdays"}, where, problems):
        return problems
    year = notice["year"]
    if not _int(year, holidays.FIRST_LAW_YEAR, 2100):
        return [f"{where}：年份无效"]
    where = f"{where} {year} 年"
    if not _str(notice["title"], 200) or not notice["title"].strip():
        problems.append(f"{where}：缺少通知标题")
    nd = _date(notice["notice_date"], f"{where} 通知日期", problems)
    if nd is not None and not (year - 2 <= nd.year <= year):
        problems.append(f"{where}：通知日期 {nd} 与年份不符")
    if not isinstance(notice["allow_unbalanced"], bool):
        problems.append(f"{where}：allow_unbalanced 应为真或假")
    seen: set = set()
    for key in ("holidays", "workdays"):
        items = notice[key]
        if not isinstance(items, list) or len(items) > 400:
            problems.append(f"{where} {key}：应为列表")
            continue
        for i, item in enumerate(items):
            w = f"{where} {key}[{i}]"
            if not _obj(item, {"date", "name"}, w, problems):
                continue
            d = _date(item["date"], w, problems)
            if not _str(item["name"], 40, empty=key == "workdays"):
                problems.append(f"{w}：名称无效")
            if d is not None and (key, d) in seen:
                problems.append(f"{w}：日期 {d} 重复")
            seen.add((key, d))
    if problems:
        return problems
    return [f"{where}：{p}" for p in holidays.notice_problems(to_notice(notice),
                                                              allow_unbalanced=notice["allow_unbalanced"])]


def notice_days(notice: dict) -> dict[str, tuple[bool, str]]:
    """The overrides a notice stands for, as `workcal.enter_notice` writes them."""
    days = {item["date"]: (False, item["name"]) for item in notice["holidays"]}
    days.update({item["date"]: (True, f"{item['name']}调休上班" if item["name"] else "调休上班")
                 for item in notice["workdays"]})
    return days


def check_commission(c, where: str, problems: list) -> None:
    if not _obj(c, {"name", "address", "phone", "hours"}, where, problems):
        return
    if not _str(c["name"], 100) or not c["name"].strip():
        problems.append(f"{where}：名称不能为空")
    for k, label in (("address", "地址"), ("phone", "电话"), ("hours", "办公时间")):
        if not _str(c[k], 200, empty=True):
            problems.append(f"{where}：{label}无效")
    if isinstance(c.get("phone"), str) and c["phone"]:
        from desktop import validate

        try:
            validate.check_phone(c["phone"])
        except validate.FieldError as exc:
            problems.append(f"{where}：电话 {exc}")


def check_setting(key: str, v, where: str, problems: list) -> None:
    if not _obj(v, {"value", "advisory"}, where, problems):
        return
    if not isinstance(v["advisory"], bool):
        problems.append(f"{where}：advisory 应为真或假")
    if key == "target_success_rate":
        try:
            rate = Decimal(v["value"]) if isinstance(v["value"], str) and re.fullmatch(r"\d(\.\d{1,4})?", v["value"]) \
                else None
        except InvalidOperation:
            rate = None
        if rate is None or not (0 < rate <= 1):
            problems.append(f"{where}：应为 0 到 1 之间的小数，如 0.65")
    elif v["value"] not in REPORTING_PERIODS:
        problems.append(f"{where}：应为 {'、'.join(REPORTING_PERIODS)} 之一")


def check_template_text(name: str, text, where: str, problems: list) -> None:
    """A template override is checked by the same loader that checks the shipped forms/ files."""
    from desktop.documents.errors import TemplateError
    from desktop.documents.templates import DOCUMENT_NAMES, EXTRA_DOCUMENTS, load_template

    if name not in DOCUMENT_NAMES + EXTRA_DOCUMENTS:
        problems.append(f"{where}：未知的文书「{name[:40]}」")
        return
    if not isinstance(text, str) or not text or len(text.encode("utf-8")) > MAX_TEMPLATE_BYTES:
        problems.append(f"{where}：模板内容无效或过大")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.toml"
        path.write_bytes(text.encode("utf-8"))
        try:
            load_template(path, expected_name=name)
        except TemplateError as exc:
            problems.append(f"{where}：{exc}")


def check_content(value, sections: list[str]) -> dict:
    """Every section schema-checked; the first problems are named. Raises Rejected("内容", ...)."""
    problems: list[str] = []
    if not isinstance(value, dict):
        raise Rejected("内容", "content.json 应为 JSON 对象")
    if sorted(value, key=lambda k: SECTIONS.index(k) if k in SECTIONS else 99) != sections:
        raise Rejected("内容", "content.json 的部分与清单所列不符")
    if "calendar" in value:
        cal = value["calendar"]
        if not isinstance(cal, list) or not 1 <= len(cal) <= 10:
            problems.append("节假日安排：应为 1 至 10 个年度的列表")
        else:
            years = [n.get("year") if isinstance(n, dict) else None for n in cal]
            if len(set(map(repr, years))) != len(years):
                problems.append("节假日安排：年份重复")
            for i, n in enumerate(cal):
                problems.extend(check_notice(n, where=f"节假日安排[{i}]"))
    if "commissions" in value:
        cs = value["commissions"]
        if not isinstance(cs, list) or not 1 <= len(cs) <= 50:
            problems.append("仲裁委员会：应为 1 至 50 个的列表")
        else:
            for i, c in enumerate(cs):
                check_commission(c, f"仲裁委员会[{i}]", problems)
    if "settings" in value:
        st = value["settings"]
        if not isinstance(st, dict) or not st or set(st) - set(SETTING_KEYS):
            problems.append(f"汇总端设定：只能含 {'、'.join(SETTING_KEYS)}")
        else:
            for k, v in st.items():
                check_setting(k, v, f"汇总端设定 {SETTING_KEYS[k]}", problems)
    if "templates" in value:
        ts = value["templates"]
        if not isinstance(ts, dict) or not 1 <= len(ts) <= 40:
            problems.append("文书模板：应为 1 至 40 个模板")
        else:
            for name, text in ts.items():
                check_template_text(name, text, f"文书模板 {name[:40]}", problems)
    if "note" in value:
        if not _obj(value["note"], {"text"}, "通知", problems) or not _str(value["note"]["text"], 2000) \
                or not value["note"]["text"].strip():
            problems.append("通知：内容应为 1 至 2000 字")
    if "stations" in value:
        rows = value["stations"]
        if not isinstance(rows, list) or len(rows) > 10000:
            problems.append("各站点上报情况：应为列表")
        else:
            for i, r in enumerate(rows):
                w = f"各站点上报情况[{i}]"
                if not _obj(r, {"station", "name", "last_seq", "last_bundle_at", "gaps", "bundle_this_period",
                                "package_applied"}, w, problems):
                    continue
                if not (isinstance(r["station"], str) and _ID.fullmatch(r["station"]) and _str(r["name"])
                        and (r["last_seq"] is None or _int(r["last_seq"]))
                        and (r["last_bundle_at"] is None or _str(r["last_bundle_at"], 40))
                        and isinstance(r["gaps"], list) and all(_str(g, 40) for g in r["gaps"])
                        and isinstance(r["bundle_this_period"], bool)
                        and (r["package_applied"] is None or _int(r["package_applied"]))):
                    problems.append(f"{w}：字段取值无效")
    if problems:
        more = f"（另有 {len(problems) - 5} 处）" if len(problems) > 5 else ""
        raise Rejected("内容", "；".join(problems[:5]) + more)
    return value


# --- verification at the receiving end ---------------------------------------------------------------

@dataclass
class Checked:
    data: bytes
    manifest: dict
    content: dict
    content_bytes: bytes
    origin: dict | None = None  # the city's manifest when a district passed its package on
    sha256: str = ""
    file: str = ""
    warnings: list = field(default_factory=list)


def joined_hub(db) -> dict:
    hub = org.get_setting(db, "sync.hub")
    if not hub:
        raise Refused("本数据库尚未加入汇总端（请先安装汇总端登记卡），不能导入汇总端数据包")
    if not hub.get("public_key"):
        raise Refused("已安装的汇总端登记卡不含签名公钥（旧版登记卡），请向汇总端索取新的登记卡并重新安装")
    return hub


def _verify_signed(m_bytes: bytes, s_bytes: bytes, public_key: str, key_id_hex: str, whose: str) -> dict:
    manifest = parse_manifest(m_bytes)
    kid, pub = keys.parse_public_blob(public_key)
    if manifest["key_id"] != key_id_hex:
        raise Rejected("汇总端身份", f"{whose}签名密钥 {manifest['key_id']} 不是登记的密钥 {key_id_hex}")
    try:
        trusted = keys.verify_minisig(m_bytes, s_bytes, kid, pub)
    except keys.SignatureError as exc:
        raise Rejected("签名", f"{whose}：{exc}") from None
    if f" hub:{manifest['hub']} seq:{manifest['seq']}" not in f" {trusted}":
        raise Rejected("签名", f"{whose}签名的可信注释与清单不符")
    return manifest


def check_package(db, data: bytes, *, name: str = "", max_size: int = MAX_PACKAGE_BYTES,
                  hub: dict | None = None) -> Checked:
    """Every check but the sequence: container, manifest, signature by the joined hub, content hash,
    content, and a passed-on city package (its own signature, same content). Reads nothing but
    the settings; raises PackageRefused."""
    hub = hub or joined_hub(db)
    try:
        m_bytes, s_bytes, c_bytes, origin_bytes = read_container(data, max_size=max_size)
        manifest = _verify_signed(m_bytes, s_bytes, hub["public_key"], hub["key_id"], "汇总端")
        if manifest["hub"] != hub["hub"]:
            raise Rejected("汇总端身份", f"数据包来自 {manifest['hub']}，本站加入的汇总端是 {hub['hub']}")
        if manifest["content"]["sha256"] != sha256(c_bytes) or manifest["content"]["size"] != len(c_bytes):
            raise Rejected("内容哈希", "content.json 与签名清单中的哈希或大小不符")
        origin = None
        if (origin_bytes is None) != (manifest["origin"] is None):
            raise Rejected("转发", "清单所述的上级数据包与实际附带的不符")
        if origin_bytes is not None:
            o = manifest["origin"]
            if sha256(origin_bytes) != o["sha256"]:
                raise Rejected("转发", "附带的上级数据包与清单中的哈希不符")
            om_bytes, os_bytes, oc_bytes, o_inner = read_container(origin_bytes, max_size=max_size)
            if o_inner is not None:
                raise Rejected("转发", "上级数据包本身又是转发的数据包（只允许转发一层）")
            kid, _pub = keys.parse_public_blob(o["public_key"])
            if keys.key_id_text(kid) != o["key_id"]:
                raise Rejected("转发", "上级汇总端公钥与 key_id 不符")
            origin = _verify_signed(om_bytes, os_bytes, o["public_key"], o["key_id"], "上级汇总端")
            if (origin["hub"], origin["seq"], origin["hub_name"]) != (o["hub"], o["seq"], o["hub_name"]):
                raise Rejected("转发", "上级数据包的清单与转发清单所述不符")
            if oc_bytes != c_bytes or origin["content"]["sha256"] != sha256(oc_bytes) \
                    or origin["sections"] != manifest["sections"]:
                raise Rejected("转发", "转发的内容与上级汇总端签发的内容不一致")
        content = _strict_canonical(c_bytes, "content.json", MAX_CONTENT_BYTES, 8)
        check_content(content, manifest["sections"])
    except Rejected as exc:
        raise PackageRefused(exc.check, exc.detail) from None
    except ValueError as exc:  # a public key line that does not parse
        raise PackageRefused("汇总端身份", str(exc)) from None
    return Checked(data, manifest, content, c_bytes, origin, sha256(data), name)


def _check_sequence(db, checked: Checked) -> None:
    m = checked.manifest
    last = org.get_setting(db, "downward.seqs", {}).get(m["hub"])  # per hub: a station may change hubs
    if last:
        if last.get("sha256") == checked.sha256 or m["seq"] == last["seq"]:
            raise PackageRefused("序号", f"第 {m['seq']} 号数据包已于 {last['applied_at'][:16]} 应用过（重放）")
        if m["seq"] < last["seq"]:
            raise PackageRefused("序号", f"第 {m['seq']} 号数据包比已应用的第 {last['seq']} 号旧（拒绝回退）")


def read_file(path, max_size: int = MAX_PACKAGE_BYTES) -> bytes:
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > max_size:
            raise PackageRefused("大小", f"文件 {size} 字节，超过上限 {max_size} 字节")
        return p.read_bytes()
    except OSError as exc:
        raise Refused(f"无法读取数据包 {p}：{exc.strerror or exc}") from None


def verify(db, path) -> Checked:
    checked = check_package(db, read_file(path), name=Path(path).name)
    _check_sequence(db, checked)
    return checked


# --- what a package would change --------------------------------------------------------------------

def preview(db, checked: Checked) -> dict:
    """What applying would change, as Chinese lines per section (shown before applying)."""
    c = checked.content
    lines: list[str] = []
    calendar_days = 0
    by_year: dict[int, int] = {}
    if "calendar" in c:
        current = {o["date"]: (o["is_workday"], o["note"]) for o in org.calendar_overrides(db)}
        for n in c["calendar"]:
            days = notice_days(n)
            changed = sum(1 for d, v in days.items() if current.get(d) != v)
            dropped = sum(1 for d in current if d.startswith(f"{n['year']}-") and d not in days)
            calendar_days += changed + dropped
            by_year[n["year"]] = changed + dropped
            lines.append(f"节假日安排：{n['year']} 年（{n['title']}，{n['notice_date']}），"
                         f"放假 {len(n['holidays'])} 天、调休上班 {len(n['workdays'])} 天；"
                         + (f"更改 {changed} 天的日历" if changed else "与本站现有日历相同")
                         + (f"，删除本站原有的 {dropped} 条该年设置" if dropped else ""))
        lines.append(f"案件期限将按新日历重新计算（现有 {_provisional(db)} 件期限为暂定）")
    if "commissions" in c:
        arb = org.get_profile(db).get("arbitration") or {}
        for com in c["commissions"]:
            lines.append(f"仲裁委员会：{com['name']}（{com['address'] or '地址未填'}，{com['phone'] or '电话未填'}）")
        target = _commission_for(arb, c["commissions"])
        if target and any((arb.get(k) or "") != target[k] for k in ("name", "address", "phone")):
            lines.append(f"本站仲裁委员会信息将更新为：{target['name']}，{target['address']}，{target['phone']}")
    if "settings" in c:
        for k, v in c["settings"].items():
            label = SETTING_KEYS[k]
            shown = REPORTING_PERIODS.get(v["value"], v["value"])
            mine = _station_value(db, k)
            if v["advisory"] and mine not in (None, ""):
                lines.append(f"{label}：汇总端建议 {shown}（仅供参考，保留本站设定 {REPORTING_PERIODS.get(mine, mine)}）")
            else:
                lines.append(f"{label}：设为 {shown}" + ("（建议值）" if v["advisory"] else "（汇总端统一设定）"))
    if "templates" in c:
        for name in c["templates"]:
            lines.append(f"文书模板：「{_title(name)}」使用汇总端下发的版本（可查看差异并恢复原版）")
    if "note" in c:
        lines.append(f"通知：{c['note']['text'][:60]}")
    if "stations" in c:
        lines.append(f"各站点上报情况：{len(c['stations'])} 个站点")
    m = checked.manifest
    head = f"{m['hub_name']} 第 {m['seq']} 号数据包（{m['created_at'][:16]}）"
    if checked.origin:
        head += f"，转发自 {checked.origin['hub_name']} 第 {checked.origin['seq']} 号"
    last = org.get_setting(db, "downward.seqs", {}).get(m["hub"])
    if last and m["seq"] > last["seq"] + 1:
        lines.append(f"注意：未收到第 {last['seq'] + 1}–{m['seq'] - 1} 号数据包")
    return {"title": head, "lines": lines, "calendar_days": calendar_days, "calendar_days_by_year": by_year}


def _provisional(db) -> int:
    return db.conn.execute("select count(*) from cases where provisional = 1 and deleted = 0").fetchone()[0]


def _title(name: str) -> str:
    try:
        from desktop.documents.templates import get_common

        return get_common().get("titles", {}).get(name, name)
    except Exception:  # noqa: BLE001 - a title is decoration
        return name


def _commission_for(arb: dict, commissions: list[dict]) -> dict | None:
    """The station's commission: the one of the same name (corrected details), or the only one
    when the station has none yet. Otherwise the station chooses in its settings."""
    for com in commissions:
        if arb.get("name") and com["name"] == arb["name"]:
            return com
    if not (arb.get("name") or "").strip() and len(commissions) == 1:
        return commissions[0]
    return None


def _station_value(db, key: str):
    """The station's own value, if it has set one (not the shipped default, not what a hub set)."""
    if key == "target_success_rate":
        value = str(org.get_profile(db).get("target_success_rate") or "")
        if value in ("", org.PROFILE_KEYS["target_success_rate"], org.get_setting(db, "downward.hub_target")):
            return None
        return value
    mine = org.get_setting(db, "downward.reporting_period")
    return mine.get("own") if mine else None


# --- applying at the station ---------------------------------------------------------------------------

def apply_package(db, path, actor, *, max_size: int = MAX_PACKAGE_BYTES) -> dict:
    """Verify, then apply every section and recompute the deadlines in one transaction."""
    from desktop.dbtools import immediate

    accounts.require(actor, "admin")
    data = read_file(path, max_size)
    checked = check_package(db, data, name=Path(path).name, max_size=max_size)
    m, c = checked.manifest, checked.content
    before = _provisional(db)
    with immediate(db):
        _check_sequence(db, checked)  # again, inside the write lock: two imports cannot both pass
        shown = preview(db, checked)
        shown_days = {n["year"]: shown["calendar_days_by_year"][n["year"]] for n in c.get("calendar", [])}
        ts = now()
        days_changed = recomputed = 0
        if "calendar" in c:
            from desktop import workcal

            got = org.get_setting(db, "downward.calendar", {})
            for n in c["calendar"]:
                # the same entry as a notice typed in at the station: checked, that year's overrides
                # replaced, every stored deadline from December of the year before recomputed
                r = workcal.enter_notice(db, to_notice(n), actor, allow_unbalanced=n["allow_unbalanced"])
                days_changed += shown_days.get(n["year"], 0)
                recomputed += r["recomputed"]
                got[str(n["year"])] = {"title": n["title"], "notice_date": n["notice_date"], "hub": m["hub"],
                                       "seq": m["seq"], "applied_at": ts,
                                       "origin": checked.origin["hub"] if checked.origin else None}
            org.set_setting(db, "downward.calendar", got)
        if "commissions" in c:
            org.set_setting(db, "downward.commissions", {"hub": m["hub"], "seq": m["seq"], "list": c["commissions"]})
            arb = org.get_profile(db).get("arbitration") or {}
            target = _commission_for(arb, c["commissions"])
            if target and any((arb.get(k) or "") != target[k] for k in ("name", "address", "phone", "hours")):
                org.update_profile(db, {"arbitration": {k: target[k] for k in ("name", "address", "phone", "hours")}},
                                   actor)
        if "settings" in c:
            for k, v in c["settings"].items():
                mine = _station_value(db, k)
                keep_own = v["advisory"] and mine not in (None, "")
                if k == "target_success_rate" and not keep_own:
                    org.update_profile(db, {"target_success_rate": v["value"]}, actor)
                    org.set_setting(db, "downward.hub_target", v["value"])
                elif k == "reporting_period":
                    org.set_setting(db, "downward.reporting_period",
                                    {"hub_value": v["value"], "advisory": v["advisory"],
                                     "own": mine, "value": mine if keep_own else v["value"]})
            org.set_setting(db, "downward.hub_settings", {"hub": m["hub"], "seq": m["seq"], **c["settings"]})
        if "templates" in c:
            got = org.get_setting(db, "downward.templates", {})
            for name, text in c["templates"].items():
                got[name] = {"text": text, "hub": m["hub"], "seq": m["seq"], "applied_at": ts}
            org.set_setting(db, "downward.templates", got)
        if "note" in c:
            org.set_setting(db, "downward.note", {"text": c["note"]["text"], "hub": m["hub"], "hub_name": m["hub_name"],
                                                  "seq": m["seq"], "shown": False})
        if "stations" in c:
            org.set_setting(db, "downward.stations", {"hub": m["hub"], "seq": m["seq"], "at": m["created_at"],
                                                      "rows": c["stations"]})
        applied = {"hub": m["hub"], "hub_name": m["hub_name"], "seq": m["seq"], "sha256": checked.sha256,
                   "file": checked.file, "created_at": m["created_at"], "applied_at": ts,
                   "sections": m["sections"],
                   "origin": {"hub": checked.origin["hub"], "seq": checked.origin["seq"]} if checked.origin else None}
        org.set_setting(db, "downward.applied", applied)
        seqs = org.get_setting(db, "downward.seqs", {})
        seqs[m["hub"]] = {"seq": m["seq"], "sha256": checked.sha256, "applied_at": ts}
        org.set_setting(db, "downward.seqs", seqs)
        after = _provisional(db)
        audit.log(db, actor.name, "package.apply", target="settings", record_id=f"{m['hub']}-{m['seq']}",
                  detail={"file": checked.file, "sha256": checked.sha256, "sections": m["sections"],
                          "calendar_days": days_changed, "recomputed": recomputed,
                          "provisional_before": before, "provisional_after": after,
                          "origin": applied["origin"]})
    return {"status": "applied", "hub": m["hub"], "seq": m["seq"], "sections": m["sections"],
            "calendar_days": days_changed, "recomputed": recomputed, "provisional_before": before,
            "provisional_after": after, "preview": shown,
            "message": f"已应用{shown['title']}：{'、'.join(SECTION_NAMES[s] for s in m['sections'])}"
                       + (f"；{recomputed} 件案件的期限有变化，暂定期限 {before} → {after} 件" if "calendar" in c else "")}


# --- what a station shows afterwards -------------------------------------------------------------------

def applied(db) -> dict | None:
    return org.get_setting(db, "downward.applied")


def pending_note(db) -> dict | None:
    """The hub's note, until it has been shown once."""
    note = org.get_setting(db, "downward.note")
    return note if note and not note.get("shown") else None


def mark_note_shown(db) -> None:
    note = org.get_setting(db, "downward.note")
    if note and not note.get("shown"):
        with db.atomic():
            org.set_setting(db, "downward.note", {**note, "shown": True})


def received_commissions(db) -> list[dict]:
    """The arbitration commissions of the last package that carried any (a station chooses among
    them in its settings)."""
    return (org.get_setting(db, "downward.commissions") or {}).get("list", [])


def template_overrides(db) -> dict:
    return org.get_setting(db, "downward.templates", {})


def template_diff(db, name: str) -> str:
    """Unified diff from the shipped template to the hub's version (empty when none)."""
    from desktop.documents.templates import FORMS_DIR

    got = template_overrides(db).get(name)
    if not got:
        return ""
    shipped = (FORMS_DIR / f"{name}.toml").read_text(encoding="utf-8")
    return "".join(difflib.unified_diff(shipped.splitlines(True), got["text"].splitlines(True),
                                        f"原版 {name}.toml", f"汇总端下发 {name}.toml"))


def revert_template(db, name: str, actor) -> None:
    """Go back to the shipped template."""
    accounts.require(actor, "admin")
    got = template_overrides(db)
    if name not in got:
        raise InputError(f"文书「{name}」没有汇总端下发的模板")
    with db.atomic():
        del got[name]
        org.set_setting(db, "downward.templates", got)
        audit.log(db, actor.name, "package.template.revert", target="settings", record_id=name)


def forms_dir(db, where: Path) -> Path:
    """A forms/ directory with the hub's template overrides in place of the shipped ones, written
    under `where` (for the renderer's forms_dir argument)."""
    from desktop.documents.templates import FORMS_DIR

    got = template_overrides(db)
    if not got:
        return FORMS_DIR
    out = Path(where) / "forms"
    out.mkdir(parents=True, exist_ok=True)
    for p in FORMS_DIR.glob("*.toml"):
        text = got[p.stem]["text"] if p.stem in got else p.read_text(encoding="utf-8")
        (out / p.name).write_bytes(text.encode("utf-8"))
    return out


def active_forms_dir(db) -> Path | None:
    """The forms folder this station's documents are rendered from: None (the shipped forms/) when no
    hub override is active, else a folder with the overrides in place of the shipped files.

    The folder is named by the hash of everything in it, so a render after an apply or a revert (or
    after the shipped forms changed) gets a new folder and the template cache, keyed by path, never
    serves a stale one. A folder found with other bytes (edited by hand) is written again. It lives
    in the data directory, per user."""
    from desktop.documents.templates import FORMS_DIR

    got = template_overrides(db)
    if not got:
        return None
    files = {p.name: (got[p.stem]["text"].encode("utf-8") if p.stem in got else p.read_bytes())
             for p in sorted(FORMS_DIR.glob("*.toml"))}
    digest = sha256(b"".join(name.encode("utf-8") + b"\0" + sha256(data).encode("ascii") + b"\n"
                             for name, data in files.items()))
    from desktop import paths

    root = paths.home() / "forms-cache"
    out = root / digest[:32]

    def same(folder: Path) -> bool:
        try:
            return all((folder / n).read_bytes() == data for n, data in files.items())
        except OSError:
            return False

    if out.is_dir():
        if same(out):
            return out
        shutil.rmtree(out, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="tmp-", dir=root))
    for n, data in files.items():
        (tmp / n).write_bytes(data)
    try:
        tmp.rename(out)
    except OSError:  # another process put it there first: use it if sound, else this private copy
        if same(out):
            shutil.rmtree(tmp, ignore_errors=True)
            return out
        return tmp
    return out


PERIOD_KINDS = {"monthly": "month", "quarterly": "quarter", "yearly": "year"}


def reporting_period(db) -> str | None:
    """The station's reporting period (monthly / quarterly / yearly), or None when neither its hub
    nor the station set one: the station's own value where the hub marked its value advisory (or
    sent none), the hub's value otherwise."""
    got = org.get_setting(db, "downward.reporting_period") or {}
    own, hub_value = got.get("own"), got.get("hub_value")
    if own in REPORTING_PERIODS and (got.get("advisory", True) or hub_value not in REPORTING_PERIODS):
        return own
    return hub_value if hub_value in REPORTING_PERIODS else None


def set_own_reporting_period(db, value: str | None, actor) -> str | None:
    """The station's own reporting period (None: none of its own); returns the one now in force."""
    accounts.require(actor, "admin")
    if value is not None and value not in REPORTING_PERIODS:
        raise InputError(f"报送周期应为 {'、'.join(REPORTING_PERIODS.values())} 之一")
    with db.atomic():
        got = dict(org.get_setting(db, "downward.reporting_period") or {"hub_value": None, "advisory": True})
        got["own"] = value
        org.set_setting(db, "downward.reporting_period", got)
        got["value"] = reporting_period(db)
        org.set_setting(db, "downward.reporting_period", got)
        audit.log(db, actor.name, "settings.reporting_period", target="settings", detail={"own": value})
    return got["value"]


def default_period(db, today: _dt.date | None = None):
    """The period a station's statistics report is for when none is chosen: the current month,
    quarter or year by its reporting period; None when it has none."""
    from desktop import clock
    from desktop.stats.periods import month, quarter, year

    kind = PERIOD_KINDS.get(reporting_period(db) or "")
    d = today or clock.today()
    if kind == "month":
        return month(d.year, d.month)
    if kind == "quarter":
        return quarter(d.year, (d.month - 1) // 3 + 1)
    if kind == "year":
        return year(d.year)
    return None


# --- the hub's side -------------------------------------------------------------------------------------

def _require_hub(db, actor) -> None:
    accounts.require(actor, "admin")
    if not keys.is_hub(db):
        raise Refused("本数据库不是汇总端，不能编辑或生成下发数据包")


def notices(db) -> dict:
    return org.get_setting(db, "downward.notices", {})


def set_notice(db, notice: dict, actor) -> dict:
    """Enter a year's holiday notice once (the package's JSON form); refused unless the year is
    complete. A hub keeps it to send; it does not change the hub's own calendar."""
    _require_hub(db, actor)
    problems = check_notice(notice)
    if problems:
        raise InputError(problems)
    with db.atomic():
        got = notices(db)
        got[str(notice["year"])] = notice
        org.set_setting(db, "downward.notices", got)
        audit.log(db, actor.name, "package.notice", target="settings", record_id=str(notice["year"]),
                  detail={"title": notice["title"], "notice_date": notice["notice_date"],
                          "holidays": len(notice["holidays"]), "workdays": len(notice["workdays"])})
    return notice


def set_notice_text(db, year: int, text: str, title: str, notice_date: str, actor, *,
                    allow_unbalanced: bool = False) -> dict:
    """The notice as published, pasted (read by `holidays.parse_notice`), then as set_notice."""
    from desktop import holidays

    return set_notice(db, from_notice(holidays.parse_notice(text, year), title=title, notice_date=notice_date,
                                      allow_unbalanced=allow_unbalanced), actor)


def commissions(db) -> list[dict]:
    return org.get_setting(db, "downward.hub_commissions", [])


def set_commissions(db, items: list[dict], actor) -> None:
    _require_hub(db, actor)
    problems: list[str] = []
    if not isinstance(items, list) or len(items) > 50:
        raise InputError("仲裁委员会：应为不超过 50 个的列表")
    for i, c in enumerate(items):
        check_commission(c, f"仲裁委员会第 {i + 1} 个", problems)
    if problems:
        raise InputError(problems)
    with db.atomic():
        org.set_setting(db, "downward.hub_commissions", items)
        audit.log(db, actor.name, "package.commissions", target="settings", detail={"count": len(items)})


def hub_settings(db) -> dict:
    return org.get_setting(db, "downward.hub_settings_out", {})


def set_hub_settings(db, values: dict, actor) -> None:
    _require_hub(db, actor)
    problems: list[str] = []
    if not isinstance(values, dict) or set(values) - set(SETTING_KEYS):
        raise InputError(f"汇总端设定：只能含 {'、'.join(SETTING_KEYS)}")
    for k, v in values.items():
        check_setting(k, v, f"汇总端设定 {SETTING_KEYS[k]}", problems)
    if problems:
        raise InputError(problems)
    with db.atomic():
        org.set_setting(db, "downward.hub_settings_out", values)
        audit.log(db, actor.name, "package.settings", target="settings", detail=values)


def hub_templates(db) -> dict:
    return org.get_setting(db, "downward.hub_templates", {})


def set_hub_template(db, name: str, text: str | None, actor) -> None:
    """Keep a corrected template to send (None removes it)."""
    _require_hub(db, actor)
    got = hub_templates(db)
    if text is not None:
        problems: list[str] = []
        check_template_text(name, text, f"文书模板 {name}", problems)
        if problems:
            raise InputError(problems)
        got[name] = text
    else:
        got.pop(name, None)
    with db.atomic():
        org.set_setting(db, "downward.hub_templates", got)
        audit.log(db, actor.name, "package.template", target="settings", record_id=name,
                  detail={"removed": text is None})


def station_view(db) -> list[dict]:
    """The hub's view of each enrolled station, with the last package each has applied."""
    from desktop.sync import hub as hubmod

    reported = stations_applied(db)
    return [{"station": v["station"], "name": v["name"], "last_seq": v["last_seq"],
             "last_bundle_at": v["last_bundle_at"], "gaps": v["gaps"], "bundle_this_period": v["bundle_this_period"],
             "package_applied": (reported.get(v["station"]) or {}).get("seq")} for v in hubmod.stations(db)]


def stations_applied(db) -> dict[str, dict]:
    """Station → the last package of this hub it reported applied (the `package` key of its latest
    bundle's manifest)."""
    import json

    me = org.station_id(db)
    out: dict[str, dict] = {}
    for st, manifest in db.conn.execute(
            "select station, manifest from sync_bundles_in b where seq = (select max(seq) from sync_bundles_in"
            " where station = b.station)"):
        try:
            pkg = json.loads(manifest).get("package")
        except ValueError:
            continue
        if isinstance(pkg, dict) and pkg.get("hub") == me:
            out[st] = pkg
    return out


def sent(db) -> list[dict]:
    return org.get_setting(db, "downward.sent", [])


def build_package(db, actor, out_dir, *, years=(), commissions_: bool = False, settings_: bool = False,
                  templates=(), note: str | None = None, stations: bool = False) -> dict:
    """Write the hub's next package with the chosen sections into out_dir."""
    _require_hub(db, actor)
    content: dict = {}
    problems = []
    if years:
        have = notices(db)
        missing = [str(y) for y in years if str(y) not in have]
        if missing:
            problems.append(f"尚未录入 {'、'.join(missing)} 年的节假日安排")
        content["calendar"] = [have[str(y)] for y in sorted(set(int(y) for y in years)) if str(y) in have]
    if commissions_:
        if not commissions(db):
            problems.append("尚未录入仲裁委员会")
        content["commissions"] = commissions(db)
    if settings_:
        if not hub_settings(db):
            problems.append("尚未设定下发给站点的设定")
        content["settings"] = hub_settings(db)
    if templates:
        have_t = hub_templates(db)
        missing = [t for t in templates if t not in have_t]
        if missing:
            problems.append(f"没有这些文书的模板：{'、'.join(missing)}")
        content["templates"] = {t: have_t[t] for t in templates if t in have_t}
    if note is not None:
        if not note.strip() or len(note) > 2000:
            problems.append("通知内容应为 1 至 2000 字")
        content["note"] = {"text": note.strip()}
    if stations:
        content["stations"] = station_view(db)
    if not content and not problems:
        problems.append("请至少选择一项下发内容")
    if problems:
        raise InputError(problems)
    return _write(db, actor, out_dir, content, origin=None)


def _write(db, actor, out_dir, content: dict, *, origin: tuple[bytes, dict] | None,
           content_bytes: bytes | None = None) -> dict:
    from desktop.dbtools import immediate
    from desktop.sync.export import write_atomic

    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise InputError(f"--out: 目录不存在：{out_dir}")
    sk = keys.signing_key(db)
    me = org.station_id(db)
    name_ = (org.get_profile(db)["name"] or me)[:200]
    c_bytes = content_bytes if content_bytes is not None else canonical_json(content)
    sections = [s for s in SECTIONS if s in content]
    with immediate(db):
        log = sent(db)
        seq = (log[-1]["seq"] if log else 0) + 1
        created = now()
        manifest = {
            "format": FORMAT_NAME, "version": FORMAT_VERSION, "hub": me, "hub_name": name_,
            "key_id": sk.key_id_hex, "seq": seq, "created_at": created, "app_version": __version__,
            "sections": sections, "content": {"sha256": sha256(c_bytes), "size": len(c_bytes)},
            "origin": origin[1] if origin else None,
        }
        m_bytes = canonical_json(manifest)
        sig = sk.sign(m_bytes, f"timestamp:{created} file:manifest.json hub:{me} seq:{seq}")
        entries = [("manifest.json", m_bytes), ("manifest.json.minisig", sig), ("content.json", c_bytes)]
        if origin:
            entries.append((ORIGIN_ENTRY, origin[0]))
        data = bundle.build_zip(entries)
        # what we hand over passes the stations' own check
        check_package(db, data, hub={"hub": me, "public_key": sk.public_blob(), "key_id": sk.key_id_hex},
                      max_size=max(MAX_PACKAGE_BYTES, len(data)))
        fname = file_name(me, seq)
        digest = sha256(data)
        path = write_atomic(out_dir, fname, data)
        try:
            entry = {"seq": seq, "sha256": digest, "file": fname, "created_at": created, "sections": sections,
                     "size": len(data), "by": actor.name,
                     "origin": {"hub": origin[1]["hub"], "seq": origin[1]["seq"]} if origin else None}
            org.set_setting(db, "downward.sent", log + [entry])
            audit.log(db, actor.name, "package.export", target="settings", record_id=str(seq),
                      detail={"file": fname, "sha256": digest, "sections": sections, "origin": entry["origin"]})
        except BaseException:
            with contextlib.suppress(OSError):
                path.unlink()
            raise
    return {"path": str(path), **entry}


def pass_on(db, path, actor, out_dir) -> dict:
    """A district re-signs a package from its own (city) hub for its stations, keeping the city's
    package inside; the city's signature is checked here against the city card the district joined."""
    _require_hub(db, actor)
    data = read_file(path)
    checked = check_package(db, data, name=Path(path).name)
    if checked.origin is not None:
        raise Refused("这个数据包已是转发的数据包，不能再转发")
    m = checked.manifest
    city = joined_hub(db)
    origin = {"hub": m["hub"], "hub_name": m["hub_name"], "public_key": city["public_key"],
              "key_id": m["key_id"], "seq": m["seq"], "sha256": checked.sha256}
    already = [e for e in sent(db) if e.get("origin") == {"hub": m["hub"], "seq": m["seq"]}]
    if already:
        raise Refused(f"{m['hub_name']} 第 {m['seq']} 号数据包已于 {already[0]['created_at'][:16]} 转发"
                      f"（本端第 {already[0]['seq']} 号）")
    return _write(db, actor, out_dir, checked.content, origin=(data, origin), content_bytes=checked.content_bytes)
