"""The bundle file: a canonical, stored-only ZIP of manifest.json, manifest.json.minisig and
payload.age (FORMAT.md), its writer, and the strict reader the hub fails closed with.

The reader accepts only the exact bytes the canonical writer would produce from the same three
entries (fixed order, names, timestamps, attributes; no comment, no extra fields, nothing before
or after). So any changed byte of the container itself is refused, and entries are never
decompressed (stored only: a zip bomb is impossible by construction).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import zipfile

import orjson

FORMAT_NAME = "mediation-desk-bundle"
FORMAT_VERSION = 1
ENTRY_NAMES = ("manifest.json", "manifest.json.minisig", "payload.age")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

MAX_BUNDLE_BYTES = 1024 * 1024 * 1024  # 1 GiB; `import --max-size` raises it for full snapshots
MAX_MANIFEST_BYTES = 64 * 1024
MAX_SIGNATURE_BYTES = 1024
MAX_LINE_BYTES = 4 * 1024 * 1024
MAX_JSON_DEPTH = 32

SYNCED = ("org", "mediators", "cases", "case_events", "calendar_overrides")
FILE_RE = re.compile(r"(?P<station>[A-Za-z0-9]{1,40})-(?P<seq>\d{6,})\.bundle")


class Rejected(Exception):
    """A bundle failed one of the import checks: `check` names which (for the message)."""

    def __init__(self, check: str, detail: str):
        self.check = check
        self.detail = detail
        super().__init__(f"[{check}] {detail}")


def file_name(station: str, seq: int) -> str:
    return f"{station}-{seq:06d}.bundle"


def canonical_json(obj) -> bytes:
    """UTF-8, keys sorted, no whitespace — byte-identical to json.dumps(ensure_ascii=False,
    sort_keys=True, separators=(",", ":")) for our records (no floats travel: money is text),
    and several times faster; the hub checks every line is exactly this encoding."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


def build_zip(entries: list[tuple[str, bytes]]) -> bytes:
    """The canonical container: same entries → same bytes, whatever the machine or the clock."""
    buf = io.BytesIO()
    _write_canonical(buf, entries)
    return buf.getvalue()


def _write_canonical(sink, entries) -> None:
    """The canonical writer: fixed timestamps, attributes and order, stored only."""
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, data in entries:
            zi = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            zi.compress_type = zipfile.ZIP_STORED
            zi.create_system = 3
            zi.external_attr = 0o100644 << 16
            zf.writestr(zi, data)


def open_zip(data: bytes, max_size: int) -> zipfile.ZipFile:
    """The first container checks every reader shares (size cap, a ZIP at all); the caller closes
    the returned reader."""
    if len(data) > max_size:
        raise Rejected("大小", f"文件 {len(data)} 字节，超过上限 {max_size} 字节")
    if len(data) < 22:
        raise Rejected("ZIP 结构", "文件过短，不是 ZIP 文件")
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - untrusted bytes: any parser failure is a refusal (fail closed)
        raise Rejected("ZIP 结构", f"不是有效的 ZIP 文件（{exc}）") from None


def check_entries(infos: list[zipfile.ZipInfo], caps: dict[str, int]) -> None:
    """Every entry stored (never decompressed, so no zip bomb), not encrypted, and within its cap;
    `caps` holds a cap for each name the caller has already accepted."""
    for i in infos:
        if i.compress_type != zipfile.ZIP_STORED or i.compress_size != i.file_size:
            raise Rejected("ZIP 结构", f"条目 {i.filename} 不是“仅存储”方式（拒绝压缩条目）")
        if i.flag_bits & 0x1:
            raise Rejected("ZIP 结构", f"条目 {i.filename} 被加密")
        if i.file_size > caps[i.filename]:
            raise Rejected("大小", f"条目 {i.filename} 过大（{i.file_size} 字节，上限 {caps[i.filename]}）")


def read_container(data: bytes, *, max_size: int = MAX_BUNDLE_BYTES) -> tuple[bytes, bytes, bytes]:
    """Checks 1 and 2 (size cap, ZIP structure); returns (manifest, signature, payload) bytes."""
    zf = open_zip(data, max_size)
    with contextlib.closing(zf):
        infos = zf.infolist()
        names = [i.filename for i in infos]
        for n in names:
            if "/" in n or "\\" in n or ".." in n or ":" in n or n.startswith("."):
                raise Rejected("ZIP 结构", f"条目名称含路径「{n[:80]}」")
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise Rejected("ZIP 结构", f"条目名称重复：{'、'.join(dupes)}")
        if tuple(names) != ENTRY_NAMES:
            raise Rejected("ZIP 结构", f"条目应恰为 {', '.join(ENTRY_NAMES)}，实为 {', '.join(n[:40] for n in names[:10])}")
        caps = {"manifest.json": MAX_MANIFEST_BYTES, "manifest.json.minisig": MAX_SIGNATURE_BYTES,
                "payload.age": max_size}
        check_entries(infos, caps)
        try:
            parts = [zf.read(n) for n in ENTRY_NAMES[:2]]
            payload = _stored_view(data, infos[2])
        except Exception as exc:  # noqa: BLE001 - fail closed on anything the ZIP reader raises
            raise Rejected("ZIP 结构", f"条目无法读取或校验和不符（{exc}）") from None
    # The canonical check compares the writer's output with the file as it is produced, without
    # building a second copy: with the payload as a view into `data`, reading a bundle costs about
    # one copy of the file on top of the file itself (< 2x the cap, not 3x).
    sink = _CompareSink(data)
    _write_canonical(sink, zip(ENTRY_NAMES, (parts[0], parts[1], payload)))
    if not sink.same():
        raise Rejected("ZIP 结构", "ZIP 文件不是规范格式（文件头、时间戳、附加数据或条目布局被改动）")
    return parts[0], parts[1], bytes(payload)


def _stored_view(data: bytes, info: zipfile.ZipInfo) -> memoryview:
    """A stored entry's bytes as a view into the file (no copy), its CRC checked."""
    import struct
    import zlib

    off = info.header_offset
    if data[off:off + 4] != b"PK\x03\x04":
        raise ValueError("bad local header")
    name_len, extra_len = struct.unpack("<HH", data[off + 26:off + 30])
    start = off + 30 + name_len + extra_len
    view = memoryview(data)[start:start + info.file_size]
    if len(view) != info.file_size or zlib.crc32(view) != info.CRC:
        raise ValueError("CRC mismatch")
    return view


def _equal(a: memoryview, b, chunk: int = 1 << 22) -> bool:
    # memoryview == compares item by item (about 2.5 ns a byte); 4 MB slices compared as bytes are
    # memcmp-fast and hold only 8 MB at a time
    if len(a) != len(b):
        return False
    b = memoryview(b)
    for i in range(0, len(a), chunk):
        if a[i:i + chunk].tobytes() != b[i:i + chunk].tobytes():
            return False
    return True


class _CompareSink:
    """A seekable write-only file that compares what is written with `data` at the same offsets.
    zipfile writes each local header twice (a placeholder, then the real one after the data), so a
    mismatch is remembered per region and forgotten when the same region is written again."""

    def __init__(self, data: bytes):
        self._data = memoryview(data)
        self._pos = 0
        self._end = 0
        self._bad: dict[int, int] = {}

    def write(self, b) -> int:
        n = len(b)
        pos = self._pos
        for start in [k for k, length in self._bad.items() if pos <= k and k + length <= pos + n]:
            del self._bad[start]
        if pos + n > len(self._data) or not _equal(self._data[pos:pos + n], b):
            self._bad[pos] = n
        self._pos = pos + n
        self._end = max(self._end, self._pos)
        return n

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self._pos = offset if whence == 0 else (self._pos + offset if whence == 1 else self._end + offset)
        return self._pos

    def seekable(self) -> bool:
        return True

    def flush(self) -> None:
        pass

    def same(self) -> bool:
        return not self._bad and self._end == len(self._data)


# --- strict JSON ----------------------------------------------------------------------------------

class JSONProblem(ValueError):
    pass


def _no_dupes(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise JSONProblem(f"重复的键「{k[:40]}」")
        obj[k] = v
    return obj


def _no_constant(name):
    raise JSONProblem(f"不允许的数值 {name}")


def _depth_ok(text: str, limit: int) -> bool:
    """Nesting depth outside strings, counted before parsing (no recursion on hostile input)."""
    depth = 0
    in_str = esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return False
        elif ch in "]}":
            depth -= 1
    return True


_ESCAPES = re.compile(rb"\\u(?:[dD][89a-fA-F]|0000)")


def _check_strings(value) -> None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise JSONProblem("含有孤立代理项（无效的 Unicode）") from None
        if "\x00" in value:
            raise JSONProblem("含有 NUL 字符")
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_strings(k)
            _check_strings(v)
    elif isinstance(value, list):
        for v in value:
            _check_strings(v)


def strict_loads(data: bytes, *, max_bytes: int, max_depth: int | None = MAX_JSON_DEPTH):
    """UTF-8 (no BOM), no duplicate keys, no NaN/Infinity, no lone surrogates, bounded size and depth."""
    if len(data) > max_bytes:
        raise JSONProblem(f"过大（{len(data)} 字节，上限 {max_bytes}）")
    try:
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise JSONProblem(f"不是有效的 UTF-8（第 {exc.start} 字节）") from None
    if text.startswith("\ufeff"):
        raise JSONProblem("不允许 BOM")
    # max_depth=None: leave depth to the C parser's recursion guard (payload lines, for speed);
    # the records' own schema checks bound their shape afterwards.
    if max_depth is not None and not _depth_ok(text, max_depth):
        raise JSONProblem(f"嵌套过深（上限 {max_depth} 层）")
    try:
        value = json.loads(text, object_pairs_hook=_no_dupes, parse_constant=_no_constant)
    except RecursionError:
        raise JSONProblem("嵌套过深") from None
    except JSONProblem:
        raise
    except ValueError as exc:
        raise JSONProblem(f"JSON 格式错误：{exc}") from None
    if _ESCAPES.search(data):  # surrogates and NUL can only arrive as \u escapes in strict UTF-8 input
        _check_strings(value)
    return value


# --- the manifest -----------------------------------------------------------------------------------

HEX64 = re.compile(r"[0-9a-f]{64}")


def _is_int(v, lo=0, hi=2**53) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def _is_str(v, max_len=200) -> bool:
    return isinstance(v, str) and 0 < len(v) <= max_len


MANIFEST_CHECKS = {
    "format": lambda v: v == FORMAT_NAME,
    "version": lambda v: v == FORMAT_VERSION,
    "station": lambda v: isinstance(v, str) and re.fullmatch(r"[A-Za-z0-9]{1,40}", v) is not None,
    "station_name": lambda v: _is_str(v),
    "role": lambda v: v in ("station", "hub"),
    "key_id": lambda v: isinstance(v, str) and re.fullmatch(r"[0-9A-F]{16}", v) is not None,
    "seq": lambda v: _is_int(v, 1, 10**9),
    "prev_sha256": lambda v: v is None or (isinstance(v, str) and HEX64.fullmatch(v) is not None),
    "created_at": lambda v: _is_str(v, 40),
    "schema_version": lambda v: _is_int(v, 1, 10**6),
    "app_version": lambda v: _is_str(v, 40),
    "full": lambda v: isinstance(v, bool),
    "counts": lambda v: isinstance(v, dict) and set(v) == set(SYNCED) and all(_is_int(x) for x in v.values()),
    "tombstones": lambda v: isinstance(v, dict) and set(v) == set(SYNCED) and all(_is_int(x) for x in v.values()),
    "payload": lambda v: isinstance(v, dict) and set(v) == {"sha256", "size", "plain_sha256", "plain_size"}
    and isinstance(v["sha256"], str) and HEX64.fullmatch(v["sha256"]) is not None
    and isinstance(v["plain_sha256"], str) and HEX64.fullmatch(v["plain_sha256"]) is not None
    and _is_int(v["size"]) and _is_int(v["plain_size"]),
    "recipient": lambda v: isinstance(v, str) and re.fullmatch(r"age1[0-9a-z]{58}", v) is not None,
    "audit_head": lambda v: isinstance(v, str) and HEX64.fullmatch(v) is not None,
    "period": lambda v: isinstance(v, dict) and set(v) == {"label", "since", "until"}
    and isinstance(v["label"], str) and re.fullmatch(r"\d{4}-\d{2}", v["label"]) is not None
    and (v["since"] is None or _is_str(v["since"], 40)) and _is_str(v["until"], 40),
    "calendar_data_version": lambda v: _is_str(v, 200),
    "stats_fingerprint": lambda v: v is None or _is_str(v, 200),
}


# Keys a manifest may leave out (bundles written before them): `package`, the last downward package
# the station applied (desktop/sync/downward.py), so its hub sees which station applied which.
OPTIONAL_CHECKS = {
    # the audit log's head when the bundle was made (issue 15): the hub keeps it, so a log cut or
    # rewritten before the last export shows at the hub and in the station's `check`
    "audit_checkpoint": lambda v: isinstance(v, dict) and set(v) == {"seq", "hash", "mac"}
    and _is_int(v["seq"]) and isinstance(v["hash"], str) and HEX64.fullmatch(v["hash"]) is not None
    and (v["mac"] is None or (isinstance(v["mac"], str) and HEX64.fullmatch(v["mac"]) is not None)),
    "package": lambda v: isinstance(v, dict) and set(v) == {"hub", "seq", "sha256", "applied_at"}
    and isinstance(v["hub"], str) and re.fullmatch(r"[A-Za-z0-9]{1,40}", v["hub"]) is not None
    and _is_int(v["seq"], 1, 10**9) and isinstance(v["sha256"], str) and HEX64.fullmatch(v["sha256"]) is not None
    and _is_str(v["applied_at"], 40),
}


def parse_manifest(data: bytes) -> dict:
    """Check 3: the manifest parsed strictly and checked against its schema (exact keys, types)."""
    try:
        m = strict_loads(data, max_bytes=MAX_MANIFEST_BYTES, max_depth=4)
    except JSONProblem as exc:
        raise Rejected("清单格式", f"manifest.json {exc}") from None
    if not isinstance(m, dict):
        raise Rejected("清单格式", "manifest.json 应为 JSON 对象")
    unknown = sorted(set(m) - set(MANIFEST_CHECKS) - set(OPTIONAL_CHECKS))
    missing = sorted(set(MANIFEST_CHECKS) - set(m))
    if unknown or missing:
        raise Rejected("清单格式", "manifest.json 字段不符：" + "；".join(
            ([f"未知字段 {', '.join(k[:40] for k in unknown[:5])}"] if unknown else [])
            + ([f"缺少 {', '.join(missing)}"] if missing else [])))
    bad = [k for k, check in MANIFEST_CHECKS.items() if not check(m[k])]
    bad += [k for k, check in OPTIONAL_CHECKS.items() if k in m and not check(m[k])]
    if bad:
        raise Rejected("清单格式", f"manifest.json 字段取值无效：{', '.join(bad)}")
    if m["payload"]["plain_size"] > m["payload"]["size"]:
        raise Rejected("清单格式", "manifest.json 明文大小不可能大于密文大小")
    return m


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
