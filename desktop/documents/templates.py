"""Declarative document templates (``forms/*.toml``): loading, validation and text binding.

A template is a TOML file::

    name = "agreement"              # the document name of contract.md (= the file name)
    title = "调解协议书"
    kind = "narrative"              # narrative | form | record
    date = "effective_at"           # field printed as the signature date (Chinese numerals)
    applies = "agreed"              # condition under which the document belongs in the case's dossier
    [[blocks]]
    type = "para"
    text = "申请人与被申请人因{dispute_summary}争议，于{received_date}向{org.self}申请调解。"

Text may hold ``{field}`` or ``{field|filter|filter:arg}`` placeholders, ``[[ … ]]`` optional groups (left out
when a field inside is empty) and ``**bold**``. A field left empty outside a group prints as a blank line to
fill in by hand. Every field name, filter, block type and block key is checked when the template is loaded; a
mistake raises :class:`TemplateError` naming the template file and the field.
"""

from __future__ import annotations

import datetime as _dt
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from desktop.documents.errors import TemplateError
from desktop.documents.fields import COLLECTIONS, FIELDS, T_DATE, T_DATETIME, T_DEADLINE, T_INT, T_MONEY
from desktop.documents.values import Deadline, Money, cn_number

FORMS_DIR = Path(__file__).resolve().parents[2] / "forms"

DOCUMENT_NAMES = (
    "application", "oral-record", "registration", "acceptance-notice", "respondent-notice", "decline-notice",
    "rights-notice", "power-of-attorney", "session-record", "agreement", "extension-record", "failure-notice",
    "service-proof", "followup-record", "review-application", "dossier-cover", "dossier-index", "roster",
    "termination-record", "nonperformance-record", "dossier-note", "major-dispute-report",
)
EXTRA_DOCUMENTS = ("jilin-org", "jilin-mediators")

KINDS = ("narrative", "form", "record")

# ---------------------------------------------------------------- inline text


@dataclass
class Lit:
    text: str
    bold: bool = False


@dataclass
class Field:
    path: str
    filters: list[tuple[str, str | None]]
    bold: bool = False


@dataclass
class Opt:
    tokens: list


FILTERS = {
    # name: (types it applies to or None for any, takes an argument)
    "cn": ({T_DATE, T_DATETIME, T_DEADLINE, T_INT}, False),
    "date": ({T_DATE, T_DATETIME, T_DEADLINE}, False),
    "time": ({T_DATETIME}, False),
    "clock": ({T_DATETIME}, False),
    "figure": ({T_MONEY}, False),
    "capitals": ({T_MONEY}, False),
    "blank": (None, True),
    "default": (None, True),
}

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_PATH = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")


def parse_text(text: str, where: str) -> list:
    """Parse template text into Lit/Field/Opt tokens."""
    if not isinstance(text, str):
        raise TemplateError(f"{where}: 文本应为字符串")
    tokens: list = []
    stack: list[list] = [tokens]
    bold = False
    i, n = 0, len(text)
    buf = ""

    def flush():
        nonlocal buf
        if buf:
            stack[-1].append(Lit(buf, bold))
            buf = ""

    while i < n:
        two = text[i:i + 2]
        if two == "{{" or two == "}}":
            buf += two[0]
            i += 2
            continue
        if two == "**":
            flush()
            bold = not bold
            i += 2
            continue
        if two == "[[":
            if len(stack) > 1:
                raise TemplateError(f"{where}: 可选段「[[ ]]」不能嵌套")
            flush()
            grp = Opt([])
            stack[-1].append(grp)
            stack.append(grp.tokens)
            i += 2
            continue
        if two == "]]" and len(stack) > 1:
            flush()
            stack.pop()
            i += 2
            continue
        ch = text[i]
        if ch == "{":
            m = _PLACEHOLDER.match(text, i)
            if not m:
                raise TemplateError(f"{where}: 占位符缺少右括号「}}」")
            flush()
            parts = [p.strip() for p in m.group(1).split("|")]
            path = parts[0]
            if not _PATH.match(path):
                raise TemplateError(f"{where}: 字段名格式错误「{path}」")
            filters = []
            for p in parts[1:]:
                name, _, arg = p.partition(":")
                filters.append((name.strip(), arg if _ else None))
            stack[-1].append(Field(path, filters, bold))
            i = m.end()
            continue
        if ch == "}":
            raise TemplateError(f"{where}: 多余的右括号「}}」")
        buf += ch
        i += 1
    flush()
    if len(stack) > 1:
        raise TemplateError(f"{where}: 可选段「[[」缺少「]]」")
    return tokens


def _fields_of(tokens) -> list[Field]:
    out = []
    for t in tokens:
        if isinstance(t, Field):
            out.append(t)
        elif isinstance(t, Opt):
            out.extend(_fields_of(t.tokens))
    return out


def field_type(path: str, scopes: tuple[str, ...]) -> str | None:
    for coll in reversed(scopes):
        t = COLLECTIONS[coll].get(path)
        if t is not None:
            return t
    return FIELDS.get(path) or (("list:" + path) if path in COLLECTIONS else None)


def check_fields(tokens, scopes: tuple[str, ...], where: str) -> None:
    for f in _fields_of(tokens):
        t = field_type(f.path, scopes)
        if t is None or t.startswith("list:"):
            scope_note = f"（在「{'/'.join(scopes)}」的每一项中）" if scopes else ""
            raise TemplateError(f"{where}: 未知字段「{f.path}」{scope_note}")
        for name, arg in f.filters:
            spec = FILTERS.get(name)
            if spec is None:
                raise TemplateError(f"{where}: 字段「{f.path}」使用了未知的格式「{name}」")
            types, takes_arg = spec
            if types is not None and t not in types:
                raise TemplateError(f"{where}: 格式「{name}」不适用于字段「{f.path}」（类型 {t}）")
            if takes_arg and arg is None:
                raise TemplateError(f"{where}: 格式「{name}」需要参数，例如「{name}:4」")
            if name == "blank" and not (arg or "").isdigit():
                raise TemplateError(f"{where}: 「blank」的参数应为字数")


# ---------------------------------------------------------------- conditions

_COND_TERM = re.compile(r"^(!?)([a-z_][a-z0-9_.]*)(?:\s*(==|!=)\s*(\S+))?$")


@dataclass
class Cond:
    terms: list[tuple[bool, str, str | None, str | None]]
    mode: str  # "and" | "or"


def parse_cond(expr, scopes: tuple[str, ...], where: str) -> Cond | None:
    if expr is None:
        return None
    if not isinstance(expr, str) or not expr.strip():
        raise TemplateError(f"{where}: 条件「when」应为非空字符串")
    parts = re.split(r"\s+(and|or)\s+", expr.strip())
    ops = set(parts[1::2])
    if len(ops) > 1:
        raise TemplateError(f"{where}: 条件「{expr}」不能同时使用 and 和 or")
    terms = []
    for p in parts[0::2]:
        m = _COND_TERM.match(p.strip())
        if not m:
            raise TemplateError(f"{where}: 条件格式错误「{p}」")
        neg, path, op, value = m.groups()
        t = field_type(path, scopes)
        if t is None:
            raise TemplateError(f"{where}: 条件中的未知字段「{path}」")
        terms.append((bool(neg), path, op, value))
    return Cond(terms, ops.pop() if ops else "and")


def lookup(path: str, scope: list[dict]):
    for d in reversed(scope):
        if path in d:
            return d[path]
    return None


def eval_cond(cond: Cond | None, scope: list[dict]) -> bool:
    if cond is None:
        return True
    results = []
    for neg, path, op, value in cond.terms:
        v = lookup(path, scope)
        if op is None:
            r = bool(v)
        else:
            r = (str(v) if v is not None else "") == value
            if op == "!=":
                r = not r
        results.append(r != neg)
    return all(results) if cond.mode == "and" else any(results)


# ---------------------------------------------------------------- blocks

COMMON_KEYS = {"type", "when"}
BLOCK_KEYS: dict[str, tuple[set[str], set[str]]] = {
    # type: (required, optional)
    "para": ({"text"}, {"indent", "align", "size", "bold", "role", "fill_lines", "space_before", "space_after",
                        "keep_with_next", "leading", "each", "item", "sep", "end"}),
    "heading": ({"text"}, {"size", "align", "space_before", "space_after", "role", "keep_with_next"}),
    "numbered": ({"entries"}, {"style", "indent", "size", "keep_with_next", "start"}),
    "parties": (set(), {"sides", "agents", "label", "size"}),
    "grid": ({"rows"}, {"widths", "size", "leading", "min_height", "space_after"}),
    "list": ({"each", "columns"}, {"size", "min_rows", "leading", "min_height", "space_after"}),
    "signatures": ({"entries"}, {"columns", "gap", "size", "space_before"}),
    "seal": (set(), {"date", "org", "size", "space_before"}),
    "date_line": ({"date"}, {"size", "align", "space_before"}),
    "spacer": (set(), {"lines"}),
    "page_break": (set(), set()),
    "fill": (set(), {"lines", "size", "label"}),
    "note": ({"text"}, {"size", "align", "indent"}),
}
ENTRY_KEYS = {"text", "each", "when"}
SIGN_KEYS = {"label", "each", "when", "date", "text"}
CELL_KEYS = {"text", "span", "align", "each", "sides", "min_lines", "bold", "size", "when", "indent", "date_line"}
COLUMN_KEYS = {"head", "text", "width", "align"}
TEMPLATE_KEYS = {"name", "title", "kind", "org_header", "case_no_line", "date", "repeat", "repeat_empty", "page",
                 "applies", "blocks", "subtitle", "title_size", "numbering", "index_note", "states"}
ALIGNS = {"left", "right", "center", "justify"}
ROLES = {"fangsong", "song", "kai", "hei", "title"}
SIDES = {"applicants", "respondents", "parties"}


@dataclass
class Block:
    type: str
    opts: dict
    when: Cond | None = None
    # parsed pieces, per type
    text: list | None = None
    entries: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    columns: list = field(default_factory=list)
    scopes: tuple[str, ...] = ()


@dataclass
class Template:
    name: str
    title: str
    kind: str
    path: Path
    blocks: list[Block]
    org_header: bool = True
    case_no_line: bool = True
    date: str | None = None
    repeat: str | None = None
    repeat_empty: bool = True
    page: str = "portrait"
    applies: Cond | None = None
    subtitle: list | None = None
    title_tokens: list | None = None
    title_size: float | None = None
    numbering: str | None = None  # page-number style override
    index_note: list | None = None  # remark for this document's row in the dossier index
    states: tuple[str, ...] = ()  # the case states the document exists in (desktop/documents/states.py)


def _num(v, where, key, lo=0, hi=1000):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not (lo <= v <= hi):
        raise TemplateError(f"{where}: 「{key}」应为 {lo}–{hi} 之间的数")
    return v


def _check_opts(block: dict, where: str) -> None:
    t = block.get("type")
    required, optional = BLOCK_KEYS[t]
    missing = required - set(block)
    if missing:
        raise TemplateError(f"{where}: 「{t}」块缺少「{'、'.join(sorted(missing))}」")
    unknown = set(block) - required - optional - COMMON_KEYS
    if unknown:
        raise TemplateError(f"{where}: 「{t}」块含未知键「{'、'.join(sorted(unknown))}」")
    for key in ("size", "leading", "space_before", "space_after", "min_height", "lines", "fill_lines", "gap",
                "min_rows", "columns" if t == "signatures" else "_", "start"):
        if key in block:
            _num(block[key], where, key)
    if "align" in block and block["align"] not in ALIGNS:
        raise TemplateError(f"{where}: 「align」应为 {'/'.join(sorted(ALIGNS))}")
    if "role" in block and block["role"] not in ROLES:
        raise TemplateError(f"{where}: 「role」应为 {'/'.join(sorted(ROLES))}")
    for key in ("indent", "bold", "keep_with_next", "agents"):
        if key in block and not isinstance(block[key], bool):
            raise TemplateError(f"{where}: 「{key}」应为 true 或 false")


def _collection(name, where, scopes) -> tuple[str, ...]:
    if name not in COLLECTIONS:
        raise TemplateError(f"{where}: 未知列表字段「{name}」（可用：{'、'.join(COLLECTIONS)}）")
    return scopes + (name,)


def _entries(raw: dict, where: str, scopes, main: str, allowed: set, shape: str):
    """A block's `entries` (already known to be a non-empty list), each as (where, entry, scopes, the
    parsed tokens of its `main` text): a plain string stands for {main: string}; an entry's `each`
    adds that list to the scopes its fields may name."""
    for j, e in enumerate(raw["entries"]):
        w = f"{where} entries[{j}]"
        if isinstance(e, str):
            e = {main: e}
        if not isinstance(e, dict) or main not in e or set(e) - allowed:
            raise TemplateError(f"{w}: {shape}")
        sc = _collection(e["each"], w, scopes) if e.get("each") else scopes
        toks = parse_text(e[main], w)
        check_fields(toks, sc, w)
        yield w, e, sc, toks


def _parse_block(raw: dict, where: str, scopes: tuple[str, ...]) -> Block:
    if not isinstance(raw, dict):
        raise TemplateError(f"{where}: 块应为表")
    t = raw.get("type")
    if t not in BLOCK_KEYS:
        raise TemplateError(f"{where}: 未知的块类型「{t}」（可用：{'、'.join(BLOCK_KEYS)}）")
    _check_opts(raw, where)
    b = Block(t, dict(raw), parse_cond(raw.get("when"), scopes, where), scopes=scopes)
    if t in ("para", "heading", "note"):
        b.text = parse_text(raw["text"], where)
        check_fields(b.text, scopes, where)
        if t == "para" and ("each" in raw or "item" in raw):
            if "each" not in raw or "item" not in raw:
                raise TemplateError(f"{where}: 「each」和「item」须同时给出")
            sc = _collection(raw["each"], where, scopes)
            item = parse_text(raw["item"], where)
            check_fields(item, sc, where)
            b.entries = [(item, raw["each"], None)]
            for key in ("sep", "end"):
                if key in raw and not isinstance(raw[key], str):
                    raise TemplateError(f"{where}: 「{key}」应为字符串")
    elif t == "numbered":
        if not isinstance(raw["entries"], list) or not raw["entries"]:
            raise TemplateError(f"{where}: 「entries」应为非空列表")
        if raw.get("style", "cn") not in ("cn", "arabic", "paren"):
            raise TemplateError(f"{where}: 「style」应为 cn / arabic / paren")
        for w, e, sc, toks in _entries(raw, where, scopes, "text", ENTRY_KEYS, "条目应含「text」，可选「each」「when」"):
            b.entries.append((toks, e.get("each"), parse_cond(e.get("when"), sc, w)))
    elif t == "parties":
        sides = raw.get("sides", ["applicants", "respondents"])
        if not isinstance(sides, list) or not set(sides) <= SIDES:
            raise TemplateError(f"{where}: 「sides」应为 applicants/respondents/parties 的列表")
        if "label" in raw:
            b.text = parse_text(raw["label"], where)
            check_fields(b.text, scopes + ("parties",), where)
    elif t == "grid":
        if not isinstance(raw["rows"], list) or not raw["rows"]:
            raise TemplateError(f"{where}: 「rows」应为非空列表")
        ncols = None
        widths = raw.get("widths")
        if widths is not None:
            if not isinstance(widths, list) or not all(isinstance(x, (int, float)) and x > 0 for x in widths):
                raise TemplateError(f"{where}: 「widths」应为正数列表")
            ncols = len(widths)
        for r, row in enumerate(raw["rows"]):
            if not isinstance(row, list) or not row:
                raise TemplateError(f"{where} rows[{r}]: 行应为非空列表")
            cells = []
            span_total = 0
            for c, cell in enumerate(row):
                w = f"{where} rows[{r}][{c}]"
                if isinstance(cell, str):
                    cell = {"text": cell}
                if not isinstance(cell, dict) or set(cell) - CELL_KEYS:
                    bad = set(cell) - CELL_KEYS if isinstance(cell, dict) else {"?"}
                    raise TemplateError(f"{w}: 单元格含未知键「{'、'.join(sorted(bad))}」")
                sc = _collection(cell["each"], w, scopes) if cell.get("each") else scopes
                if cell.get("sides") is not None and (not isinstance(cell["sides"], list) or not set(cell["sides"]) <= SIDES):
                    raise TemplateError(f"{w}: 「sides」应为 applicants/respondents/parties 的列表")
                toks = parse_text(cell.get("text", ""), w)
                check_fields(toks, sc, w)
                span = cell.get("span", 1)
                _num(span, w, "span", 1, 20)
                if "align" in cell and cell["align"] not in ALIGNS:
                    raise TemplateError(f"{w}: 「align」应为 {'/'.join(sorted(ALIGNS))}")
                span_total += span
                cells.append((toks, cell, parse_cond(cell.get("when"), sc, w)))
            if ncols is None:
                ncols = span_total
            elif span_total != ncols:
                raise TemplateError(f"{where} rows[{r}]: 该行共 {span_total} 列，应为 {ncols} 列")
            b.rows.append(cells)
        b.opts["widths"] = widths or [1] * ncols
    elif t == "list":
        sc = _collection(raw["each"], where, scopes)
        if not isinstance(raw["columns"], list) or not raw["columns"]:
            raise TemplateError(f"{where}: 「columns」应为非空列表")
        for j, col in enumerate(raw["columns"]):
            w = f"{where} columns[{j}]"
            if not isinstance(col, dict) or "text" not in col or "head" not in col or set(col) - COLUMN_KEYS:
                raise TemplateError(f"{w}: 列应含「head」「text」，可选「width」「align」")
            head = parse_text(col["head"], w)
            check_fields(head, scopes, w)
            toks = parse_text(col["text"], w)
            check_fields(toks, sc, w)
            if "align" in col and col["align"] not in ALIGNS:
                raise TemplateError(f"{w}: 「align」应为 {'/'.join(sorted(ALIGNS))}")
            b.columns.append((head, toks, col))
    elif t == "signatures":
        if not isinstance(raw["entries"], list) or not raw["entries"]:
            raise TemplateError(f"{where}: 「entries」应为非空列表")
        for w, e, sc, toks in _entries(raw, where, scopes, "label", SIGN_KEYS,
                                       "签名条目应含「label」，可选「each」「when」「date」「text」"):
            filled = parse_text(e.get("text", ""), w)
            check_fields(filled, sc, w)
            if "date" in e and not isinstance(e["date"], bool):
                raise TemplateError(f"{w}: 「date」应为 true 或 false")
            b.entries.append((toks, e.get("each"), parse_cond(e.get("when"), sc, w), bool(e.get("date")), filled))
    elif t in ("seal", "date_line"):
        for key in ("date",):
            if key in raw:
                ft = field_type(raw[key], scopes)
                if ft not in (T_DATE, T_DATETIME, T_DEADLINE):
                    raise TemplateError(f"{where}: 「date」应为日期字段，「{raw[key]}」不是")
        if "org" in raw:
            b.text = parse_text(raw["org"], where)
            check_fields(b.text, scopes, where)
    elif t == "fill":
        if "label" in raw:
            b.text = parse_text(raw["label"], where)
            check_fields(b.text, scopes, where)
    return b


def load_template(path: Path | str, *, expected_name: str | None = None) -> Template:
    path = Path(path)
    where = path.name
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"{where}: TOML 格式错误：{exc}") from None
    except OSError as exc:
        raise TemplateError(f"{where}: 无法读取模板：{exc}") from None
    unknown = set(raw) - TEMPLATE_KEYS
    if unknown:
        raise TemplateError(f"{where}: 未知的模板键「{'、'.join(sorted(unknown))}」")
    for key in ("name", "title", "kind", "blocks"):
        if key not in raw:
            raise TemplateError(f"{where}: 缺少「{key}」")
    name = raw["name"]
    if expected_name and name != expected_name:
        raise TemplateError(f"{where}: 模板名「{name}」与文件名不符")
    if raw["kind"] not in KINDS:
        raise TemplateError(f"{where}: 「kind」应为 {'/'.join(KINDS)}")
    if raw.get("page", "portrait") not in ("portrait", "landscape"):
        raise TemplateError(f"{where}: 「page」应为 portrait 或 landscape")
    if raw.get("numbering") not in (None, "narrative", "record", "form", "none"):
        raise TemplateError(f"{where}: 「numbering」应为 narrative/record/form/none")
    repeat = raw.get("repeat")
    scopes: tuple[str, ...] = ()
    if repeat is not None:
        scopes = _collection(repeat, where, ())
    date = raw.get("date")
    if date is not None and field_type(date, scopes) not in (T_DATE, T_DATETIME, T_DEADLINE):
        raise TemplateError(f"{where}: 「date」应为日期字段，「{date}」不是")
    title_tokens = parse_text(raw["title"], where)
    check_fields(title_tokens, scopes, where)
    subtitle = None
    if raw.get("subtitle"):
        subtitle = parse_text(raw["subtitle"], where)
        check_fields(subtitle, scopes, where)
    index_note = None
    if raw.get("index_note"):
        index_note = parse_text(raw["index_note"], where)
        check_fields(index_note, scopes, where)
    if not isinstance(raw["blocks"], list):
        raise TemplateError(f"{where}: 「blocks」应为 [[blocks]] 列表")
    blocks = [_parse_block(b, f"{where} blocks[{i}]", scopes) for i, b in enumerate(raw["blocks"])]
    states = _states(raw, name, where)
    return Template(
        name=name, title=raw["title"], kind=raw["kind"], path=path, blocks=blocks,
        org_header=bool(raw.get("org_header", True)), case_no_line=bool(raw.get("case_no_line", True)),
        date=date, repeat=repeat, repeat_empty=bool(raw.get("repeat_empty", True)), page=raw.get("page", "portrait"),
        applies=parse_cond(raw.get("applies"), (), where), subtitle=subtitle, title_tokens=title_tokens,
        title_size=raw.get("title_size"), numbering=raw.get("numbering"), index_note=index_note, states=states,
    )


def _states(raw: dict, name: str, where: str) -> tuple[str, ...]:
    """Every case document declares the case states it applies to; the roster tables have no case."""
    from desktop.documents.states import CASELESS, STATES

    value = raw.get("states")
    if value is None:
        if name in CASELESS:
            return tuple(STATES)
        raise TemplateError(f"{where}: 缺少「states」（该文书适用的案件状态：{'、'.join(STATES)}）")
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise TemplateError(f"{where}: 「states」应为案件状态的非空列表")
    bad = [v for v in value if v not in STATES]
    if bad:
        raise TemplateError(f"{where}: 「states」含未知状态「{'、'.join(bad)}」（可用：{'、'.join(STATES)}）")
    return tuple(value)


@lru_cache(maxsize=None)
def _cached(path: str, mtime: float) -> Template:
    return load_template(path, expected_name=Path(path).stem)


def get_template(name: str, forms_dir: Path | None = None) -> Template:
    d = forms_dir or FORMS_DIR
    path = d / f"{name}.toml"
    if not path.exists():
        raise TemplateError(f"{name}.toml: 找不到文书模板（{d}）")
    return _cached(str(path), path.stat().st_mtime)


def load_all(forms_dir: Path | None = None) -> dict[str, Template]:
    return {n: get_template(n, forms_dir) for n in DOCUMENT_NAMES + EXTRA_DOCUMENTS}


# ---------------------------------------------------------------- common strings (forms/_common.toml)

COMMON_SECTIONS = {"marks", "page_numbers", "record_footer", "seal", "party", "org_self", "labels", "performance",
                   "followup_results", "termination_reasons", "titles", "dossier", "numbering"}


@lru_cache(maxsize=None)
def _common_cached(path: str, mtime: float) -> dict:
    where = Path(path).name
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"{where}: TOML 格式错误：{exc}") from None
    unknown = set(raw) - COMMON_SECTIONS
    if unknown:
        raise TemplateError(f"{where}: 未知的段「{'、'.join(sorted(unknown))}」")
    party = raw.get("party", {})
    parsed = {}
    for key in ("worker", "employer", "legal_rep", "agent"):
        if key not in party:
            raise TemplateError(f"{where}: [party] 缺少「{key}」")
        scope = ("agents",) if key == "agent" else ("parties",)
        toks = parse_text(party[key], f"{where} party.{key}")
        check_fields(toks, scope, f"{where} party.{key}")
        parsed[key] = toks
    raw["_party_tokens"] = parsed
    order = raw.get("dossier", {}).get("order", [])
    bad = [n for n in order if n not in DOCUMENT_NAMES]
    if bad:
        raise TemplateError(f"{where}: [dossier] order 含未知文书「{'、'.join(bad)}」")
    missing_titles = [n for n in DOCUMENT_NAMES if n not in raw.get("titles", {})]
    if missing_titles:
        raise TemplateError(f"{where}: [titles] 缺少「{'、'.join(missing_titles)}」")
    return raw


def get_common(forms_dir: Path | None = None) -> dict:
    path = (forms_dir or FORMS_DIR) / "_common.toml"
    if not path.exists():
        raise TemplateError(f"_common.toml: 找不到公共设置（{path.parent}）")
    return _common_cached(str(path), path.stat().st_mtime)


# ---------------------------------------------------------------- binding text to values


@dataclass
class Piece:
    text: str
    bold: bool = False
    blank: int = 0


DEFAULT_BLANK = 4


def format_value(value, filters: list[tuple[str, str | None]], common: dict) -> str:
    from desktop import cndate, money

    names = {n for n, _ in filters}
    marks = common.get("marks", {})
    if isinstance(value, bool):
        return marks.get("yes", "是") if value else marks.get("no", "否")
    if isinstance(value, Deadline):
        text = cndate.cn_date(value.date) if "cn" in names else cndate.arabic_date(value.date)
        return text + (marks.get("provisional", "（暂定）") if value.provisional else "")
    if isinstance(value, _dt.datetime):
        if "cn" in names:
            return cndate.cn_date(value.date())
        if "date" in names:
            return cndate.arabic_date(value.date())
        if "clock" in names:
            return f"{value.hour}时{value.minute:02d}分"
        return f"{cndate.arabic_date(value.date())}{value.hour}时{value.minute:02d}分"
    if isinstance(value, _dt.date):
        return cndate.cn_date(value) if "cn" in names else cndate.arabic_date(value)
    if isinstance(value, Money):
        if "figure" in names:
            return money.format_figure(value.fen)
        if "capitals" in names:
            return money.to_capitals(value.fen)
        return money.rmb(value.fen)
    if isinstance(value, int):
        return cn_number(value) if "cn" in names else str(value)
    return str(value)


def _missing(v) -> bool:
    return v is None or v == "" or v == []


def bind(tokens, scope: list[dict], common: dict) -> tuple[list[Piece], bool]:
    """Bind tokens to values. Returns the pieces and whether every field was empty (for fill lines)."""
    out: list[Piece] = []
    any_value = False
    any_field = False
    for t in tokens:
        if isinstance(t, Lit):
            out.append(Piece(t.text, t.bold))
        elif isinstance(t, Field):
            any_field = True
            v = lookup(t.path, scope)
            if _missing(v):
                fl = dict(t.filters)
                if fl.get("default") is not None:
                    out.append(Piece(fl["default"], t.bold))
                else:
                    out.append(Piece("", t.bold, int(fl.get("blank") or DEFAULT_BLANK)))
            else:
                any_value = True
                out.append(Piece(format_value(v, t.filters, common), t.bold))
        else:  # Opt
            inner_fields = _fields_of(t.tokens)
            if all(not _missing(lookup(f.path, scope)) for f in inner_fields):
                pieces, _ = bind(t.tokens, scope, common)
                out.extend(pieces)
                if inner_fields:
                    any_value = True
            if inner_fields:
                any_field = True
    return out, (any_field and not any_value)


def plain(tokens, scope: list[dict], common: dict) -> str:
    pieces, _ = bind(tokens, scope, common)
    return "".join(p.text if not p.blank else "\u3000" * p.blank for p in pieces)
