"""Chinese wording for what the core stores as codes: history details, record field names, user
names. The screen shows these, never the codes (issue 17 item 4)."""

from __future__ import annotations

from desktop.codes import DISPUTE_TYPES, MODES, OUTCOMES, STATUSES

FIELD_NAMES = {
    "application": "申请信息", "workers": "劳动者", "employer": "用人单位", "agents": "委托代理人",
    "dispute_types": "争议类型", "claims": "请求事项", "facts": "事实和理由", "acceptance": "受理决定",
    "mediators": "调解员", "sessions": "调解笔录", "outcome": "结案结果", "agreement": "调解协议",
    "extensions": "延期", "recusals": "回避", "performance": "履行情况", "followups": "回访",
    "source": "案件来源", "collective": "集体争议", "status": "案件状态", "archived": "归档",
    "case_no": "案号", "evidence": "证据", "notes": "备注", "voided": "作废", "deleted": "删除",
    "respondent_agreed": "被申请人同意调解", "review": "仲裁审查",
}
DETAIL_KEYS = {
    "mode": ("申请方式", MODES), "kind": ("结案方式", OUTCOMES), "until": ("延期至", None),
    "reason": ("理由", None), "status": ("状态", STATUSES), "back_entered": ("补录", None),
    "case_no": ("案号", None), "count": ("件数", None), "type": ("争议类型", DISPUTE_TYPES),
}


def field_name(key: str) -> str:
    return FIELD_NAMES.get(key, "其他信息")


def history_detail(detail: dict | None) -> str:
    """A case event's detail in words: 申请方式：书面申请；修改：受理决定、调解员."""
    d = detail or {}
    parts = []
    for k, v in d.items():
        if k == "fields":
            continue
        label, names = DETAIL_KEYS.get(k, (None, None))
        if label is None:
            continue  # an internal key: nothing a clerk needs
        if v is True:
            parts.append(label)
        elif v not in (None, False, ""):
            parts.append(f"{label}：{names.get(v, v) if names else v}")
    if d.get("fields"):
        names = []
        for f in d["fields"]:
            n = field_name(f)
            if n not in names:
                names.append(n)
        parts.append("涉及：" + "、".join(names))
    return "；".join(parts)


class UserNames:
    """Login name → display name (李华 instead of lihua), read once per window."""

    def __init__(self, db):
        from desktop.security import accounts

        try:
            self.names = {u["name"]: u["display_name"] for u in accounts.list_users(db) if u.get("display_name")}
        except Exception:  # noqa: BLE001 - a viewer or a hub without users: show what is stored
            self.names = {}
        # work the program does by itself (imports, demo data, recalculated deadlines)
        self.names.setdefault(accounts.SYSTEM.name, "系统（自动）")

    def __call__(self, login: str | None) -> str:
        if not login:
            return ""
        return self.names.get(login, login)
