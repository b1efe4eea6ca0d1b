"""Reading and checking a payload's records at the hub — the CPU-heavy half of an import.

Checking is a pure function of the payload lines and a picklable `Context`: it reads no
database and writes nothing. That lets a large bundle be checked on every core — worker
processes take slices of the case lines, the importing process checks the other lines and any
slice not yet started when it would otherwise wait — while the importing process writes the
clean parts inside the import transaction, which any refusal rolls back (hub.py).

Each record line must be canonical JSON (UTF-8, keys sorted, no spaces: what `export` writes).
Parsing with orjson and comparing the re-encoding byte for byte rejects duplicate keys, NaN,
lone surrogates and anything else a second parser might read differently, at C speed; a line
that fails is re-read with the slow strict parser only to name the exact fault.
"""

from __future__ import annotations

import atexit
import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from types import SimpleNamespace

import orjson

from desktop import cases, org, roster
from desktop.security import keys as data_keys, sensitive
from desktop.security import mac as record_mac
from desktop.security.text import hidden_problem
from desktop.errors import InputError
from desktop.sync import bundle
from desktop.workcal import WorkCalendar

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
STATION_RE = re.compile(r"[A-Za-z0-9]{1,40}")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
COMMON_KEYS = frozenset({"t", "id", "station", "created_at", "updated_at", "rev", "deleted"})
TABLE_KEYS = {
    "org": frozenset({"profile"}),
    "mediators": frozenset({"name", "active", "doc"}),
    "cases": frozenset({"case_no", "year", "seq", "archived", "back_entered", "doc"}),
    "case_events": frozenset({"case_id", "at", "actor", "action", "reason", "detail"}),
    "calendar_overrides": frozenset({"date", "is_workday", "note"}),
}
RECORD_KEYS = {t: COMMON_KEYS | k for t, k in TABLE_KEYS.items()}
MAX_DETAIL_BYTES = 64 * 1024
CALENDAR_MARK = b'"t":"calendar_overrides"'
# orjson reads and writes NUL as `\u0000`, so it survives the canonical check: the strict reader
# (which refuses it) looks at any line with that escape (or a surrogate one) again.
_SUSPECT = re.compile(rb"\\u(?:[dD][89a-fA-F]|0000)")

# Column order of a prepared row (after id).
BASE_COLS = ("station", "created_at", "updated_at", "rev", "deleted", "dirty")
# cases.index_columns' keys (a test keeps the two in step)
INDEX_COLS = ("status", "source", "received_at", "received_date", "decision", "decided_date", "decline_reason",
              "outcome", "closed_date", "primary_type", "worker_count", "collective", "migrant", "platform",
              "employer_name", "first_worker", "mediator_names", "amount_claimed_fen", "amount_agreed_fen",
              "acceptance_due", "statutory_deadline", "mediation_deadline", "review_deadline", "provisional")
# `mac`: the record's MAC under the hub's own key (issue 15 item 2), computed with the re-sealing
CASE_COLS = BASE_COLS + ("case_no", "year", "seq", "doc", "back_entered", "archived") + INDEX_COLS + ("mac",)
SIMPLE_COLS = {
    "org": BASE_COLS + ("profile", "mac"),
    "mediators": BASE_COLS + ("name", "active", "doc", "mac"),
    "case_events": BASE_COLS + ("case_id", "at", "actor", "action", "reason", "detail", "mac"),
    # stored at the hub in sync_calendar_overrides, which has no dirty flag (never re-sent from there)
    "calendar_overrides": BASE_COLS[:5] + ("date", "is_workday", "note"),
}


class RecordProblem(Exception):
    """Record n failed a check; `message` is the Chinese text after 「记录检查：」."""

    def __init__(self, n: int, message: str):
        super().__init__(message)
        self.n = n
        self.message = message


@dataclass
class Context:
    sender: str
    role: str  # "station" or "hub" (a district reporting everything it holds)
    own: str  # this hub's own station id
    direct: frozenset = frozenset()  # stations enrolled here directly
    origins: dict = field(default_factory=dict)  # station -> the hub it reached us through
    overrides: dict = field(default_factory=dict)  # station -> {iso date: is_workday}, incoming applied
    check_today: _dt.date = _dt.date.min  # a station's clock may run a little ahead of ours
    today: _dt.date = _dt.date.min
    data_key: bytes | None = None  # for sealing in worker processes; None = plain (unencrypted hub)
    index_key: bytes = b""


@dataclass
class Prepared:
    """A slice's checked records, as rows ready to write (case rows without their rowid)."""

    counts: dict
    tombstones: dict
    cases: list = field(default_factory=list)  # (id, station, rev, values in CASE_COLS order, derived, n)
    simple: dict = field(default_factory=dict)  # table -> [(id, station, rev, values in SIMPLE_COLS order)]


def sealing_handle(db):
    """What sealing needs from the database (the codec and the blind-index key), as plain values."""
    codec = sensitive.codec(db)
    key = getattr(codec, "_key", None) if isinstance(codec, data_keys.AesCodec) else None
    if codec is data_keys.LOCKED:
        raise data_keys.Refused(data_keys.LOCKED_MESSAGE)
    return key, sensitive.index_key(db)


def _handle(ctx: Context):
    codec = data_keys.AesCodec(ctx.data_key) if ctx.data_key else sensitive.PLAIN
    return SimpleNamespace(md_codec=codec, md_index_key=ctx.index_key)


# --- one line --------------------------------------------------------------------------------------

def parse_line(line: bytes, n: int) -> dict:
    if len(line) > bundle.MAX_LINE_BYTES:
        raise RecordProblem(n, f"第{n}条记录 过大（{len(line)} 字节，上限 {bundle.MAX_LINE_BYTES}）")
    try:
        r = orjson.loads(line)
        ok = orjson.dumps(r, option=orjson.OPT_SORT_KEYS) == line and not _SUSPECT.search(line)
    except (orjson.JSONDecodeError, orjson.JSONEncodeError, RecursionError, TypeError):
        ok = False
    if ok:
        return r
    try:  # name the fault precisely
        bundle.strict_loads(line, max_bytes=bundle.MAX_LINE_BYTES, max_depth=bundle.MAX_JSON_DEPTH)
    except bundle.JSONProblem as exc:
        raise RecordProblem(n, f"第{n}条记录 {exc}") from None
    raise RecordProblem(n, f"第{n}条记录 不是规范的 JSON 编码（键须排序、无空白，与导出程序写出的一致）")


def _flag(v) -> bool:
    return v in (0, 1) and not isinstance(v, bool)


def _short_str(v, n=40) -> bool:
    return isinstance(v, str) and 0 < len(v) <= n


def check_common(r, n: int, ctx: Context) -> str:
    """Fields every record shares, and whose records the sender may carry. Returns the table."""
    if not isinstance(r, dict) or r.get("t") not in TABLE_KEYS:
        raise RecordProblem(n, f"第{n}条记录不是已知表的记录")
    t = r["t"]
    if r.keys() != RECORD_KEYS[t]:
        raise RecordProblem(n, f"第{n}条记录（{t}）字段不符")
    rev = r["rev"]
    if not (isinstance(r["id"], str) and UUID_RE.fullmatch(r["id"]) and isinstance(r["station"], str)
            and STATION_RE.fullmatch(r["station"]) and _short_str(r["created_at"]) and _short_str(r["updated_at"])
            and type(rev) is int and 1 <= rev < 2**53 and _flag(r["deleted"])):
        raise RecordProblem(n, f"第{n}条记录（{t}）的标识、站点、时间、版本或删除标记无效")
    st = r["station"]
    if st != ctx.sender:
        if ctx.role == "station":
            raise RecordProblem(n, f"第{n}条记录属于站点 {st}，不是数据包的发出站点（站点只能上报自己的记录）")
        if st == ctx.own or st in ctx.direct or ctx.origins.get(st, ctx.sender) != ctx.sender:
            raise RecordProblem(n, f"第{n}条记录属于站点 {st}，该站点已直接登记在本汇总端或经其他汇总端上报")
    return t


def check_calendar_override(r: dict, n: int) -> tuple:
    try:
        if not (isinstance(r["date"], str) and DATE_RE.fullmatch(r["date"])):  # not week dates etc.
            raise ValueError
        _dt.date.fromisoformat(r["date"])
    except ValueError:
        raise RecordProblem(n, f"第{n}条记录（节假日调整）日期无效") from None
    if not _flag(r["is_workday"]) or not isinstance(r["note"], str) or len(r["note"]) > 200 \
            or hidden_problem(r["note"]):
        raise RecordProblem(n, f"第{n}条记录（节假日调整）字段无效")
    return (r["date"], r["is_workday"], r["note"])


# --- a slice of lines --------------------------------------------------------------------------------

def prepare(items: list[tuple[int, bytes]], ctx: Context, handle=None) -> Prepared:
    """Parse, check and turn into rows the (line number, line) items; raises RecordProblem."""
    handle = handle if handle is not None else _handle(ctx)
    out = Prepared(counts={t: 0 for t in bundle.SYNCED}, tombstones={t: 0 for t in bundle.SYNCED},
                   simple={t: [] for t in SIMPLE_COLS})
    cals: dict[str, WorkCalendar] = {}
    dumps = orjson.dumps
    for n, line in items:
        r = parse_line(line, n)
        t = check_common(r, n, ctx)
        out.counts[t] += 1
        out.tombstones[t] += r["deleted"]
        head = (r["id"], r["station"], r["rev"])
        base = (r["station"], r["created_at"], r["updated_at"], r["rev"], r["deleted"], 0)
        if t == "cases":
            if not (_short_str(r["case_no"], 60) and type(r["year"]) is int
                    and (r["seq"] is None or type(r["seq"]) is int)
                    and _flag(r["archived"]) and _flag(r["back_entered"])):
                raise RecordProblem(n, f"第{n}条记录（案件 {str(r['case_no'])[:60]}）字段无效")
            st = r["station"]
            cal = cals.get(st)
            if cal is None:
                cal = cals[st] = WorkCalendar({_dt.date.fromisoformat(d): bool(v)
                                               for d, v in ctx.overrides.get(st, {}).items()})
            # stored=True: a station's case stored before a newer rule is taken with a warning, not refused
            rec, problems = cases.check_record(r["doc"], today=ctx.check_today, cal=cal, stored=True)
            if problems:
                raise RecordProblem(n, f"第{n}条记录（案件 {r['case_no']}）未通过案件规则检查："
                                       f"{'；'.join(problems.messages()[:3])}")
            if rec.get("case_no") != r["case_no"]:
                raise RecordProblem(n, f"第{n}条记录（案件 {r['case_no']}）案号与记录内容不符")
            if cases.comp_year(rec) != r["year"]:
                raise RecordProblem(n, f"第{n}条记录（案件 {r['case_no']}）年份与收到申请的日期不符")
            cols = cases.index_columns(rec, cases.computed(rec, cal, ctx.today))
            doc = dumps(cases.seal_record(handle, rec, r["id"])).decode("utf-8")
            values = (*base, r["case_no"], r["year"], r["seq"], doc, r["back_entered"], r["archived"],
                      *(cols[k] for k in INDEX_COLS),
                      record_mac.for_row(handle, "case", r["id"], (st, r["case_no"], r["deleted"], r["archived"], doc)))
            derived = None if r["deleted"] else cases.derived_rows(handle, rec, st)
            out.cases.append((*head, values, derived, n))
        elif t == "case_events":
            detail = r["detail"]
            if not (isinstance(r["case_id"], str) and UUID_RE.fullmatch(r["case_id"]) and _short_str(r["at"])
                    and _short_str(r["actor"], 100) and _short_str(r["action"], 60)
                    and (r["reason"] is None or (isinstance(r["reason"], str) and len(r["reason"]) <= 4000))
                    and isinstance(detail, dict)):
                raise RecordProblem(n, f"第{n}条记录（案件经过）字段无效")
            detail_text = dumps(detail).decode("utf-8") if detail else "{}"
            if len(line) > MAX_DETAIL_BYTES and len(detail_text.encode("utf-8")) > MAX_DETAIL_BYTES:
                raise RecordProblem(n, f"第{n}条记录（案件经过）字段无效")
            out.simple[t].append((*head, (*base, r["case_id"], r["at"], r["actor"], r["action"],
                                          r["reason"], detail_text, record_mac.for_row(
                                              handle, "event", r["id"], (r["station"], r["deleted"], r["case_id"],
                                                                         r["at"], r["actor"], r["action"], r["reason"],
                                                                         detail_text)))))
        elif t == "mediators":
            if not (isinstance(r["name"], str) and _flag(r["active"]) and isinstance(r["doc"], dict)):
                raise RecordProblem(n, f"第{n}条记录（调解员）字段无效")
            try:
                m = roster.check_mediator(r["doc"])
            except InputError as exc:
                raise RecordProblem(n, f"第{n}条记录（调解员 {r['name'][:20]}）未通过名册规则检查："
                                       f"{'；'.join(exc.messages[:3])}") from None
            if m["name"] != r["name"]:
                raise RecordProblem(n, f"第{n}条记录（调解员）姓名与记录内容不符")
            m = roster.seal_mediator(handle, m, r["id"])  # with masked copies, as the station stores it
            doc = dumps(m).decode("utf-8")
            out.simple[t].append((*head, (*base, r["name"], r["active"], doc,
                                          record_mac.for_row(handle, "mediator", r["id"],
                                                             (r["station"], r["deleted"], r["name"], r["active"], doc)))))
        elif t == "org":
            prof = r["profile"]
            if not isinstance(prof, dict):
                raise RecordProblem(n, f"第{n}条记录（组织信息）应为对象")
            try:
                org.validate_profile({k: v for k, v in prof.items() if k not in ("demo", "station")})
            except InputError as exc:
                raise RecordProblem(n, f"第{n}条记录（组织信息）{'；'.join(exc.messages[:3])}") from None
            text = dumps(prof).decode("utf-8")
            out.simple[t].append((*head, (*base, text, record_mac.for_row(handle, "org", r["id"],
                                                                          (r["station"], r["deleted"], text)))))
        else:  # calendar_overrides
            out.simple[t].append((*head, (*base[:5], *check_calendar_override(r, n))))
    return out


def calendar_lines(lines: list[bytes]) -> list[tuple[int, dict]]:
    """The holiday-override records, read first: the case checks' deadlines depend on them."""
    found = []
    for n, line in enumerate(lines, start=1):
        if CALENDAR_MARK in line:
            r = parse_line(line, n)
            if isinstance(r, dict) and r.get("t") == "calendar_overrides":
                found.append((n, r))
    return found


# --- spreading the work over the cores -----------------------------------------------------------------

_POOL = None
PARALLEL_MIN_CASES = 1500  # below this, handing work to another process costs more than it saves
CASE_MARK = b'"t":"cases"'
# Case lines go out in slices small enough to balance the load (≈ 0.1 s of work each on this
# machine for a 5,000-case bundle) and large enough that shipping them costs little.
SLICE_CASES = 600


def _pool():
    global _POOL
    if _POOL is None:
        import concurrent.futures
        import multiprocessing

        # fork would copy a multi-threaded program (the desktop window's worker thread) mid-flight;
        # forkserver/spawn start clean interpreters that import only this module.
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        mp = multiprocessing.get_context(method)
        if method == "forkserver":
            mp.set_forkserver_preload(["desktop.sync.intake"])
        workers = max(1, min((os.cpu_count() or 1) - 1, 3))
        _POOL = concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=mp)
        _POOL.md_workers = workers
        atexit.register(shutdown_pool)  # before interpreter teardown, so the workers exit quietly
    return _POOL


def shutdown_pool() -> None:
    global _POOL
    if _POOL is not None:
        _POOL.shutdown(wait=True, cancel_futures=True)
        _POOL = None


def _run(job, ctx):
    try:
        return prepare(job, ctx)
    except RecordProblem as exc:
        return exc.n, exc.message


def prepare_parts(lines: list[bytes], ctx: Context, handle, *, parallel: bool | None = None):
    """Yield the checked records in parts; raise RecordProblem for the lowest bad line number.

    Large payloads: the case lines are cut into slices for worker processes, while this process
    checks every other line (cheap to check, costly to ship back). Each part is handed to the
    caller as soon as it is ready, so the caller writes part n while part n+1 is being checked;
    when this process would otherwise wait, it takes the last slice not yet started and checks
    it itself, so the split adapts to how busy writing keeps it. The caller writes inside one
    transaction and rolls it back on anything raised: nothing is kept unless every part was
    clean. With several bad lines the lowest line number wins, whatever the split."""
    import concurrent.futures as cf

    items = list(enumerate(lines, start=1))
    case_items = [it for it in items if CASE_MARK in it[1]]  # a cheap guess; prepare() decides
    if parallel is None:
        parallel = len(case_items) >= PARALLEL_MIN_CASES and (os.cpu_count() or 1) > 1
    if not parallel:
        yield prepare(items, ctx, handle)
        return
    try:
        pool = _pool()
    except (OSError, ImportError, NotImplementedError):  # no process support here (no /dev/shm, sandbox)
        yield prepare(items, ctx, handle)
        return
    n_slices = max(pool.md_workers + 1, -(-len(case_items) // SLICE_CASES))
    slices = [case_items[i::n_slices] for i in range(n_slices)]  # interleaved: costs even out
    shipped = {it[0] for it in case_items}
    try:
        jobs = {pool.submit(_run, job, ctx): job for job in slices if job}
    except cf.BrokenExecutor:  # a worker died earlier (killed, out of memory): check here, start afresh
        shutdown_pool()
        yield prepare(items, ctx, handle)
        return
    pending = list(jobs)  # in submission order: the workers take them from the front
    problems: list[tuple[int, str]] = []
    broken = False

    def local(job):
        try:
            return prepare(job, ctx, handle)
        except RecordProblem as exc:
            return exc.n, exc.message

    try:
        first = local([it for it in items if it[0] not in shipped])
        if isinstance(first, tuple):
            problems.append(first)
        else:
            yield first
        while pending:
            ready = next((f for f in pending if f.done()), None)
            if ready is None and pending[-1].cancel():
                ready = pending[-1]
                result = local(jobs[ready])
            elif ready is None:
                cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                continue
            else:
                try:
                    result = ready.result()
                except (cf.BrokenExecutor, cf.CancelledError):  # its worker died: check that slice here
                    broken = True
                    result = local(jobs[ready])
            pending.remove(ready)
            if isinstance(result, tuple):
                problems.append(result)
            elif not problems:
                yield result
        if problems:
            raise RecordProblem(*min(problems))
    finally:
        for f in pending:
            f.cancel()
        if broken:
            shutdown_pool()  # the next import gets new workers


def prepare_all(lines: list[bytes], ctx: Context, handle, *, parallel: bool | None = None) -> Prepared:
    """Every part of prepare_parts merged into one."""
    out = None
    for part in prepare_parts(lines, ctx, handle, parallel=parallel):
        if out is None:
            out = part
            continue
        for t in bundle.SYNCED:
            out.counts[t] += part.counts[t]
            out.tombstones[t] += part.tombstones[t]
        out.cases.extend(part.cases)
        for t, rows in part.simple.items():
            out.simple[t].extend(rows)
    return out
