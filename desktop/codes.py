"""Enumerations of the domain and their Chinese labels (glossary.md, domain.md §1 and §3.2)."""

ORG_KINDS = {
    "township": "乡镇劳动人事争议调解组织",
    "subdistrict": "街道劳动人事争议调解组织",
    "enterprise": "企业劳动争议调解委员会",
    "sector": "行业性调解组织",
    "regional": "区域性调解组织",
    "chamber": "商（协）会调解组织",
    "other": "其他调解组织",
}

# domain.md §3.2; the first type of a case is its primary type for one-count tables.
DISPUTE_TYPES = {
    "LR": "确认劳动关系",
    "CT-SIGN": "订立劳动合同",
    "CT-PERF": "履行、变更劳动合同",
    "CT-END": "解除、终止劳动合同",
    "DISM": "除名、辞退、辞职、离职",
    "HOURS": "工作时间、休息休假",
    "PAY": "劳动报酬",
    "SI": "社会保险",
    "INJ": "工伤（工伤保险待遇、工伤医疗费）",
    "WELF": "福利、培训、劳动保护",
    "COMP": "经济补偿或赔偿金",
    "PERS": "人事争议",
    "CC": "履行集体合同",
    "OTHER": "其他",
}

SOURCES = {
    "application": "当事人申请",
    "own_initiative": "主动调解",
    "entrusted_arbitration": "仲裁委托",
    "entrusted_court": "法院委托",
    "referred": "其他部门移交",
}

MODES = {"written": "书面申请", "oral": "口头申请"}
APPLICANTS = {"worker": "劳动者", "employer": "用人单位"}
DECISIONS = {"accepted": "受理", "declined": "不予受理"}

DECLINE_REASONS = {
    "not_labour_dispute": "不属于劳动人事争议",
    "out_of_scope": "不属于调解受理范围",
    "respondent_refused": "被申请人不同意调解",
    "duplicate": "重复申请",
    "other": "其他",
}

OUTCOMES = {
    "agreed": "调解成功",
    "failed": "调解不成",
    "withdrawn": "撤回",
    "terminated": "终止调解",
    "expired": "逾期未达成协议",
}

STATUSES = {
    "registered": "待受理",
    "declined": "不予受理",
    "mediating": "调解中",
    "closed": "已结案",
}

ITEM_CATEGORIES = {
    "wage_arrears": "拖欠劳动报酬",
    "injury_medical": "工伤医疗费",
    "econ_comp": "经济补偿",
    "damages": "赔偿金",
    "other": "其他",
}
# LDMAL Art. 16: these agreement items may go to court for a payment order (支付令).
PAYMENT_ORDER_CATEGORIES = frozenset({"wage_arrears", "injury_medical", "econ_comp", "damages"})

AUTHORITY = {"general": "一般授权", "special": "特别授权"}
MEDIATOR_ROLES = {"lead": "首席调解员", "member": "调解员", "recorder": "记录人"}
FOLLOWUP_METHODS = {"phone": "电话回访", "visit": "上门回访", "other": "其他"}

SEXES = {"male": "男", "female": "女"}
EMPLOYMENT = {"full_time": "专职", "part_time": "兼职"}
POLITICAL_STATUS = ["中共党员", "中共预备党员", "共青团员", "民主党派", "无党派人士", "群众"]
EDUCATION = ["研究生", "大学本科", "大学专科", "中专", "高中", "初中及以下"]
ROSTER_ROLES = {"chair": "主任", "vice_chair": "副主任", "mediator": "调解员", "secretary": "秘书"}

USER_ROLES = {
    "admin": "管理员",
    "mediator": "调解员",
    "viewer": "只读用户",
    "auditor": "审计员",
}
