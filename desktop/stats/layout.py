"""The paper table's blocks and row labels, shared by the csv, xlsx and pdf outputs (domain.md §3.1)."""

from __future__ import annotations

from desktop import money
from desktop.codes import DECLINE_REASONS, DISPUTE_TYPES, OUTCOMES, SOURCES
from desktop.stats import formula as fm

TITLE = "劳动人事争议调解统计报表"

# (block title, [(key path, label, kind)]) — kind: n count, m money, r rate, t text
BLOCKS: list[tuple[str, list[tuple[str, str, str]]]] = [
    ("一、上期结转", [("carried_over", "上期未结案件数", "n")]),
    ("二、当期收案与受理", [
        ("received", "当期收到调解申请数", "n"),
        ("accepted", "当期受理案件数", "n"),
        ("collective_accepted", "　其中：集体争议（10人以上）", "n"),
        ("workers_involved", "涉及劳动者人数", "n"),
        ("workers_in_collective", "　其中：集体争议涉及人数", "n"),
        ("migrant_cases", "涉农民工案件数", "n"),
        ("platform_cases", "涉新就业形态劳动者案件数", "n"),
        *[(f"accepted_by_source.{k}", f"受理来源：{v}", "n") for k, v in SOURCES.items()],
    ]),
    ("三、不予受理（不计入受理数）", [
        ("declined", "不予受理数", "n"),
        *[(f"declined_by_reason.{k}", f"　{v}", "n") for k, v in DECLINE_REASONS.items()],
    ]),
    ("四、当期结案", [
        ("closed", "调解结案数", "n"),
        *[(f"closed_by_outcome.{k}", f"　{v}", "n") for k, v in OUTCOMES.items()],
        ("closed_on_time", "在调解期限内结案数", "n"),
    ]),
    ("五、金额（元）", [
        ("amount_claimed", "涉案金额（当期受理案件的请求金额）", "m"),
        ("amount_agreed", "调解协议金额（当期调解成功案件）", "m"),
        ("amount_paid", "已履行金额（当期履行记录）", "m"),
    ]),
    ("六、期末未结", [("pending_end", "期末未结案件数（上期未结＋当期受理－当期结案）", "n")]),
    ("七、比率", [
        ("success_rate", "调解成功率", "r"),
        ("target_success_rate", "目标调解成功率（参考线）", "t"),
        ("on_time_rate", "按期结案率", "r"),
    ]),
    ("八、后续工作", [
        ("review_eligible", "可申请仲裁审查的调解协议数（当期达成、非确认劳动关系）", "n"),
        ("payment_order_candidates", "当期到期未足额履行、可申请支付令的协议数", "n"),
        ("followups", "回访次数", "n"),
    ]),
]


def type_rows(report: dict) -> list[tuple[str, str]]:
    """Dispute types in taxonomy order, then any unknown codes."""
    codes = [c for c in DISPUTE_TYPES if c in report["by_type"]]
    codes += sorted(c for c in report["by_type"] if c not in DISPUTE_TYPES)
    return [(c, DISPUTE_TYPES.get(c, c)) for c in codes]


def get(report: dict, path: str):
    value = report
    for part in path.split("."):
        value = value.get(part, 0) if isinstance(value, dict) else 0
    return value


def flat_rows(report: dict) -> list[tuple[str, str, str, object]]:
    """(key path, block, label, value) for every figure, the by-type table and the by-mediator table included."""
    rows = []
    for block, items in BLOCKS:
        for key, label, _kind in items:
            rows.append((key, block, label.strip("　"), get(report, key)))
    for code, name in type_rows(report):
        for f, lab in (("accepted", "受理"), ("closed", "结案"), ("agreed", "调解成功")):
            rows.append((f"by_type.{code}.{f}", "按争议类型", f"{name}：{lab}", report["by_type"][code][f]))
    for name, m in report["by_mediator"].items():
        for f, lab in (("closed", "结案"), ("agreed", "调解成功"), ("avg_days_to_close", "平均办结天数")):
            rows.append((f"by_mediator.{name}.{f}", "按调解员", f"{name}：{lab}", m.get(f)))
    return rows


def formula_line(report: dict) -> str:
    """The note printed once under a table: Chinese only (the formula's code name stays in json and csv)."""
    return f"注：{report.get('formula_text') or fm.text(report['formula'])}。{fm.ON_TIME_TEXT}。"


# The line a township signs and seals under the table it submits (issue 14 item 8).
SIGNATURE_LINE = "单位负责人：　　　　填表人：　　　　联系电话：　　　　　报出日期：　　年　月　日　（盖章）"

# The ministry's MA1 form breaks a hub's figures down by kind of organisation (issue 14 item 8).
MA1_KINDS: list[tuple[str, str, tuple[str, ...]]] = [
    ("enterprise", "企业劳动争议调解委员会", ("enterprise",)),
    ("township", "乡镇（街道）劳动人事争议调解组织", ("township", "subdistrict")),
    ("public", "事业单位劳动人事争议调解组织", ("public_institution", "institution")),
    ("arbitration", "仲裁院调解中心（仲裁前置调解）", ("arbitration_center", "arbitration")),
    ("other", "其他调解组织", ()),
]


def ma1_kind(code: str | None) -> str:
    for key, _label, codes in MA1_KINDS:
        if code in codes:
            return key
    return "other"


FIRST_TYPE_NOTE = "一案涉及多种争议类型的，按申请时列在第一位的争议类型统计一次。"
CLOSED_SUM_NOTE = "调解结案数 ＝ 调解成功 ＋ 撤回（含自行和解）＋ 调解不成（含终止调解、逾期未达成协议）。"


def display(value, kind: str) -> str:
    if kind == "r":
        return fm.percent(value)
    if value is None:
        return "—"
    if kind == "m":
        return money.format_figure(money.parse_amount(value)).lstrip("￥")
    if kind == "t":
        try:
            return fm.percent(float(value))
        except ValueError:
            return str(value)
    return str(value)
