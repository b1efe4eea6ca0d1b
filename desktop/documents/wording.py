"""What the clerk types, fitted to the sentence the template prints around it (issue 14 item 3).

An agreement item is printed as ``{obligor}{action}，金额…，履行期限截至…（含当日），履行方式：…。``. The clerk
may type the item with or without the paying party in front ("被申请人支付申请人工资", "支付申请人工资",
"向申请人支付工资"), and the waiver with or without its own closing sentence ("申请人放弃其余请求事项，本协议
履行完毕后双方再无其他劳动争议。"). These functions take the party and the closing sentence out of the typed text,
so that whatever the clerk types, the payer is written once and the waiver clause once.
"""

from __future__ import annotations

import re

_TRAILING = "。；;，,、 \u3000"
_NONE_WORDS = {"无", "没有", "不放弃", "—", "-", "/"}
_GENERIC_PARTIES = ("双方当事人", "双方", "被申请人", "申请人", "用人单位", "劳动者")


def _strip(text: str) -> str:
    return (text or "").strip().strip(_TRAILING)


def split_obligor(text: str, parties: list[str] | tuple[str, ...] = ()) -> tuple[str | None, str]:
    """(the party the typed item starts with, or None; the rest of the item).

    ``parties`` are the names of this case's parties; the generic labels (被申请人, 申请人, …) are always looked
    for. The longest match wins, so 被申请人 is not read as 申请人.
    """
    t = _strip(text)
    words = sorted({w for w in (*parties, *_GENERIC_PARTIES) if w}, key=len, reverse=True)
    for w in words:
        if t.startswith(w) and len(t) > len(w):
            rest = t[len(w):].lstrip("，, \u3000")
            # "被申请人应当…"/"被申请人应…": the template says who acts; keep the verb
            return w, rest
    return None, t


def item_action(text: str, obligor: str, parties=()) -> tuple[str, str]:
    """(obligor to print, action) for one agreement item: the typed party wins over the default obligor."""
    who, rest = split_obligor(text, parties)
    return (who or obligor), rest


def waiver_text(waiver: str | None) -> str | None:
    """What the applicant gives up, without 「申请人放弃」 and without a closing 「再无争议」 sentence of its own."""
    if not waiver:
        return None
    parts = [p for p in re.split(r"[。；;]", waiver) if p.strip()]
    kept = []
    for p in parts:
        # the closing clause is printed once by the template; a clause of the clerk's that repeats it is dropped
        sub = [s for s in re.split(r"[，,]", p) if s.strip() and not re.search(r"再无|履行完毕", s)]
        if sub:
            kept.append("，".join(s.strip() for s in sub))
    text = "；".join(kept)
    text = re.sub(r"^(申请人|劳动者)?(自愿)?(放弃)", "", _strip(text))
    text = _strip(text)
    if not text or text in _NONE_WORDS:
        return None
    return text


def item_sentence(text: str, *, obligor: str = "被申请人", parties=(), amount: str | None = None,
                  due: str | None = None, method: str | None = None) -> str:
    """The item as the agreement prints it (the case window shows this under the item it is editing)."""
    who, action = item_action(text, obligor, parties)
    s = who + action
    if amount:
        s += f"，金额{amount}"
    if due:
        s += f"，履行期限截至{due}（含当日）"
    if method:
        s += f"，履行方式：{_strip(method)}"
    return s + "。"
