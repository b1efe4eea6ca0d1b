"""Deterministic, realistic demo data: Chinese names and employers, every lifecycle state.

Same seed and same anchor date → the same cases. The anchor is today, or the end of `--year`
when that year is over, so no case is dated in the future.
"""

from __future__ import annotations

import datetime as _dt
import random
from typing import Callable

from desktop import cases, org, roster, validate
from desktop.security import accounts
from desktop.clock import today as _today

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国建华志强海燕小红春梅文斌国庆晓东"
         "丽娟雪梅玉梅永刚建军宏伟子涵浩然欣怡梓轩思远佳怡宇航俊杰晨曦嘉怡一鸣博文雨桐")
RARE_GIVEN = ("堃", "喆", "赟", "昇", "犇", "淼")
TOWNS = ("长安", "许村", "周王庙", "盐官", "丁桥", "斜桥", "袁花", "黄湾", "海昌", "硖石", "马桥", "海洲")
EMP_WORDS = ("宏达", "恒盛", "鑫源", "华美", "金泰", "新星", "瑞丰", "天成", "永兴", "嘉禾", "利民", "东方", "远航",
             "锦程", "明珠", "兴业", "众诚", "立信", "德润", "汇通", "安平", "博远", "正泰", "旭日")
INDUSTRIES = (("纺织", "制造业"), ("经编", "制造业"), ("皮革", "制造业"), ("机械", "制造业"), ("电子", "制造业"),
              ("建筑工程", "建筑业"), ("装饰工程", "建筑业"), ("物流", "交通运输业"), ("餐饮管理", "住宿和餐饮业"),
              ("物业管理", "房地产业"), ("商贸", "批发和零售业"), ("家政服务", "居民服务业"), ("网络科技", "信息技术服务业"),
              ("汽车服务", "居民服务业"), ("食品", "制造业"))
ENTITY = ("有限公司", "有限公司", "有限公司", "股份有限公司", "厂")
REGIONS = ("330481", "330482", "330421", "330424", "511302", "522601", "412702", "341222", "430524", "360426")

# (primary type, weight, typical claims) — wages dominate grassroots caseloads.
TYPE_MIX = (("PAY", 45), ("CT-END", 14), ("COMP", 9), ("SI", 7), ("INJ", 7), ("LR", 5), ("HOURS", 4), ("DISM", 3),
            ("CT-SIGN", 2), ("WELF", 1), ("CT-PERF", 1), ("OTHER", 1), ("PERS", 1))
CLAIM_TEXT = {
    "PAY": ("支付{months}拖欠工资", "wage_arrears"),
    "CT-END": ("支付违法解除劳动合同赔偿金", "damages"),
    "COMP": ("支付解除劳动合同经济补偿", "econ_comp"),
    "SI": ("补缴或赔偿社会保险待遇损失", "other"),
    "INJ": ("支付工伤医疗费及停工留薪期工资", "injury_medical"),
    "LR": ("确认与被申请人存在劳动关系", "other"),
    "HOURS": ("支付加班工资", "wage_arrears"),
    "DISM": ("撤销辞退决定并支付辞退期间工资", "wage_arrears"),
    "CT-SIGN": ("支付未签订书面劳动合同二倍工资差额", "damages"),
    "WELF": ("支付高温津贴及劳动保护用品费用", "other"),
    "CT-PERF": ("按原劳动合同约定岗位和工资履行", "other"),
    "OTHER": ("退还押金及工作证件", "other"),
    "PERS": ("支付聘用合同约定的绩效工资", "wage_arrears"),
}
MEDIATORS = (
    ("赵建国", "male", "full_time", "chair", "330481197203150017"),
    ("钱秀英", "female", "full_time", "mediator", "330481198008080024"),
    ("孙志强", "male", "part_time", "mediator", "330481198512120035"),
    ("李晓燕", "female", "full_time", "mediator", "330481199006060046"),
    ("周文斌", "male", "part_time", "mediator", "330481197711110058"),
    ("吴丽娟", "female", "part_time", "secretary", "330481198803030062"),
    ("郑海洋", "male", "full_time", "mediator", "330481199109090073"),
    ("王春梅", "female", "part_time", "mediator", "330481196904040089"),
)

DEMO_PROFILE = {
    "name": "示范镇劳动人事争议调解中心", "kind": "township", "region": "330481", "abbr": "示范镇",
    "credit_code": "", "address": "示范镇人民路88号便民服务中心三楼", "phone": "0573-87000000",
    "head": "赵建国", "hours": "工作日 8:30—12:00，13:30—17:00", "complaint_phone": "0573-87000001",
    "arbitration": {"name": "示范市劳动人事争议仲裁委员会", "address": "示范市文化路100号",
                    "phone": "0573-87111111"},
}


# A county for each home province of the demo's workers: an address names its county (issue 14 item 9).
COUNTIES = {"浙江省": "嘉兴市海盐县", "四川省": "南充市营山县", "贵州省": "黔南州都匀市", "河南省": "周口市郸城县",
            "安徽省": "阜阳市太和县", "湖南省": "邵阳市隆回县", "江西省": "九江市德安县"}


def _with_county(province: str) -> str:
    return province + COUNTIES[province]


def _months(m1: int, m2: int) -> str:
    """「8月至9月」, or 「9月」 for one month (never 「1月至1月」)."""
    return f"{m1}月" if m1 == m2 else f"{m1}月至{m2}月"


def _fix_id(rng: random.Random, birth: _dt.date, male: bool) -> str:
    region = rng.choice(REGIONS)
    seq = rng.randrange(0, 1000)
    if (seq % 2 == 1) != male:
        seq = (seq + 1) % 1000
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + validate.id_check_char(first17)


def _credit_code(rng: random.Random) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "91" + "330481" + "".join(rng.choice(alphabet) for _ in range(9))
    return body + validate.credit_check_char(body)


def _mobile(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))


def create_demo_station(db, *, seed: int = 1) -> accounts.User:
    """A demo database: the documented demo login demo/demo (no other database has a default password)."""
    org.initialize(db, dict(DEMO_PROFILE, credit_code=_credit_code(random.Random(seed))), demo=True)
    actor = accounts.create_user(db, "demo", "demo", "admin", display_name="演示管理员", demo=True)
    for i, (name, sex, employment, role, idn) in enumerate(MEDIATORS):
        first17 = idn[:17]
        idn = first17 + validate.id_check_char(first17)
        active = i != len(MEDIATORS) - 1
        rec = {"name": name, "id_number": idn, "phone": f"1390573{i:04d}", "political_status": "中共党员" if i % 2 == 0 else "群众",
               "education": "大学本科" if i % 3 else "大学专科", "employer": "示范镇人民政府" if employment == "full_time" else "示范镇总工会",
               "title": "调解员", "employment": employment, "role": role, "ethnicity": "汉族",
               "appointed_at": "2023-01-01", "term_start": "2023-01-01", "term_end": "2027-12-31",
               "certificate_no": f"浙调证〔2023〕{101 + i:04d}号", "speciality": ("劳动报酬", "工伤", "劳动合同", "社会保险")[i % 4],
               "training": [{"date": "2025-06-18", "title": "劳动人事争议调解业务培训", "hours": 16, "organizer": "示范市人社局"}],
               "active": active}
        if not active:
            rec["history"] = [{"date": "2023-01-01", "active": True, "reason": "聘任"},
                              {"date": "2025-12-31", "active": False, "reason": "退休"}]
        roster.add_mediator(db, rec, actor)
    return actor


class _Gen:
    def __init__(self, seed: int, anchor: _dt.date, span_days: int):
        self.rng = random.Random(seed)
        self.anchor = anchor
        self.span = span_days
        self.employers = []
        rng = self.rng
        for i in range(400):
            industry, _sector = INDUSTRIES[i % len(INDUSTRIES)]
            name = f"示范{rng.choice(TOWNS)}{rng.choice(EMP_WORDS)}{industry}{rng.choice(ENTITY)}"
            self.employers.append({
                "name": name, "credit_code": _credit_code(rng),
                "legal_rep": rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.5 else ""),
                "legal_rep_title": rng.choice(("总经理", "执行董事", "厂长")),
                "address": f"示范县示范镇{rng.choice(TOWNS)}工业园区{rng.randrange(1, 300)}号",
                "phone": f"0573-87{rng.randrange(100000, 999999)}", "industry": _sector,
            })
        self.mediators = [m[0] for m in MEDIATORS[:-1]]
        self.types = [t for t, _ in TYPE_MIX]
        self.weights = [w for _, w in TYPE_MIX]

    def name(self) -> str:
        rng = self.rng
        given = rng.choice(GIVEN)
        if rng.random() < 0.6:
            given += rng.choice(GIVEN)
        if rng.random() < 0.004:
            given = rng.choice(RARE_GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.5 else "")
        return rng.choice(SURNAMES) + given

    def worker(self, received: _dt.date) -> dict:
        rng = self.rng
        male = rng.random() < 0.62
        birth = received - _dt.timedelta(days=rng.randrange(18 * 365 + 5, 58 * 365))
        w = {"name": self.name(), "id_number": _fix_id(rng, birth, male), "phone": _mobile(rng),
             "address": _with_county(rng.choice(('浙江省', '四川省', '贵州省', '河南省', '安徽省', '湖南省', '江西省')))
                        + f"{rng.choice(TOWNS)}村{rng.randrange(1, 30)}组",
             "migrant": rng.random() < 0.42, "platform": rng.random() < 0.06}
        return w

    def case(self, i: int) -> dict:
        rng = self.rng
        # Cases arrive in date order, so case numbers follow the receipt dates; the last 5% fall in
        # the last 30 days (the open caseload), and the very last few are fresh applications.
        tail = max(40, self.total // 20)
        head = max(1, self.total - tail)
        if i < head:
            age = 30 + max(0, (self.span - 31) - (i * (self.span - 31)) // head)
        else:
            age = max(0, 30 - ((i - head) * 31) // tail)
        received = self.anchor - _dt.timedelta(days=age)
        fresh = i >= self.total - max(2, self.total // 500)
        hour = rng.randrange(8, 17)
        received_at = f"{received.isoformat()}T{hour:02d}:{rng.choice((0, 10, 20, 30, 40, 50)):02d}:00+08:00"
        ptype = rng.choices(self.types, self.weights)[0]
        types = [ptype]
        if ptype == "CT-END" and rng.random() < 0.5:
            types.append("COMP")
        if ptype != "PAY" and rng.random() < 0.3:
            types.append("PAY")
        collective = rng.random() < 0.03
        n_workers = rng.randrange(10, 36) if collective else (1 if rng.random() < 0.9 else rng.randrange(2, 5))
        workers = [self.worker(received) for _ in range(n_workers)]
        if collective:
            for w in workers[:3]:
                w["representative"] = True
        employer = dict(rng.choice(self.employers))
        m2 = received.month - 1 or 12
        m1 = max(1, m2 - rng.randrange(0, 3))
        claims = []
        for t in types:
            text, _cat = CLAIM_TEXT[t]
            amount = None if t == "LR" else rng.randrange(800, 60000) * n_workers
            c = {"text": text.format(months=_months(m1, m2))}
            if amount is not None:
                c["amount"] = f"{amount}.{rng.choice(('00', '00', '50', '35'))}"
            claims.append(c)
        oral = rng.random() < 0.18
        rec = {
            "source": rng.choices(("application", "own_initiative", "entrusted_arbitration", "referred"), (85, 5, 7, 3))[0],
            "application": {"mode": "oral" if oral else "written", "received_at": received_at,
                            "applicant": "worker" if rng.random() < 0.96 else "employer"},
            "workers": workers, "employer": employer, "dispute_types": types, "claims": claims,
            "facts": f"申请人于{received.year - 1}年入职被申请人处，从事{rng.choice(('操作工', '仓管员', '厨师', '保洁员', '骑手', '司机', '质检员'))}工作，"
                     f"双方就{CLAIM_TEXT[ptype][0].format(months=_months(m1, m2))}等事项发生争议。",
        }
        if collective:
            rec["common_claim"] = True  # LDMAL Art. 7: ten or more workers with a common claim
        if oral:
            rec["application"]["recorder"] = rng.choice(self.mediators)
            rec["application"]["place"] = "调解中心接待室"
        if rng.random() < 0.15:
            rec["agents"] = [{"for": "worker:0", "name": self.name(), "authority": rng.choice(("general", "special")),
                              "relation": rng.choice(("配偶", "兄弟", "律师", "工会工作人员"))}]
        cal = self.cal
        acc_due = cal.add_working_days(received, 3).date
        if fresh or (acc_due > self.anchor and rng.random() < 0.7):
            return rec  # fresh application, no decision yet
        if rng.random() < 0.1 and 5 < age <= 60:
            return rec  # overdue acceptance decision
        decided = min(received + _dt.timedelta(days=rng.choice((0, 1, 1, 2, 3))), self.anchor)
        if rng.random() < 0.08:
            reason_code = rng.choice(("respondent_refused", "not_labour_dispute", "out_of_scope", "duplicate"))
            reasons = {"respondent_refused": "被申请人明确表示不同意调解", "not_labour_dispute": "双方系承揽关系，不属于劳动争议",
                       "out_of_scope": "申请事项属于工伤认定，不属于调解受理范围", "duplicate": "同一争议已申请仲裁"}
            rec["acceptance"] = {"decision": "declined", "decided_at": decided.isoformat(), "reason": reasons[reason_code],
                                 "reason_code": reason_code}
            return rec
        rec["acceptance"] = {"decision": "accepted", "decided_at": decided.isoformat(), "reason": None,
                             "respondent_agreed": True}
        team = rng.sample(self.mediators, 2)
        rec["mediators"] = [{"name": team[0], "role": "lead"}, {"name": team[1], "role": "recorder"}]
        deadline = cal.period_end(decided, 15).date
        if rng.random() < 0.08 and decided + _dt.timedelta(days=5) <= self.anchor:
            agreed = decided + _dt.timedelta(days=rng.randrange(5, 14))
            if agreed <= self.anchor:
                deadline = deadline + _dt.timedelta(days=15)
                while not cal.is_workday(deadline):  # clerks agree a working day (a rest day is warned about)
                    deadline += _dt.timedelta(days=1)
                rec["extensions"] = [{"agreed_at": agreed.isoformat(), "until": deadline.isoformat(),
                                      "reason": "双方同意延长调解期限以核对工资台账"}]
        # sessions
        first = decided + _dt.timedelta(days=rng.randrange(1, 6))
        while not cal.is_workday(first):  # sessions are held on working days
            first += _dt.timedelta(days=1)
        if first <= self.anchor:
            rec["sessions"] = [{"held_at": f"{first.isoformat()}T14:00:00+08:00", "ended_at": f"{first.isoformat()}T15:30:00+08:00",
                                "place": "调解室", "attendees": f"申请人{workers[0]['name']}，被申请人法定代表人{employer['legal_rep']}",
                                "record": "调解员告知双方权利义务，双方陈述意见，调解员释法析理。", "recorder": team[1]}]
        if age <= 45 and deadline < self.anchor and rng.random() < 0.25:
            return rec  # still mediating after its deadline: overdue, the dashboard must show it
        close_day = decided + _dt.timedelta(days=rng.randrange(2, 15))
        if rec.get("extensions"):
            close_day = decided + _dt.timedelta(days=rng.randrange(15, 28))
        if close_day > self.anchor or (self.anchor - received).days < 20 and rng.random() < 0.5:
            if rng.random() < 0.05 and deadline < self.anchor:
                return rec  # mediating past the deadline: overdue
            if deadline >= self.anchor:
                return rec
        close_day = min(close_day, deadline, self.anchor)
        if rec.get("sessions") and close_day < first:
            close_day = first
        if close_day < decided:
            close_day = decided
        kind = rng.choices(("agreed", "failed", "withdrawn", "terminated", "expired"), (66, 18, 8, 4, 4))[0]
        if kind == "expired" and deadline < self.anchor:
            close_day = deadline + _dt.timedelta(days=1)  # EMR Art. 29: expired once the period has run out
            if rec.get("sessions") and close_day < first:
                rec.pop("sessions")
        elif kind == "expired":
            kind = "failed"  # the period has not run out yet
        reasons = {"failed": "双方对赔偿金额分歧较大，未能达成协议", "withdrawn": "申请人与被申请人自行和解，申请撤回",
                   "terminated": "被申请人在调解过程中明确拒绝继续调解", "expired": "调解期限届满，双方未达成调解协议，视为调解不成"}
        rec["outcome"] = {"kind": kind, "closed_at": close_day.isoformat(), "reason": reasons.get(kind)}
        if kind == "agreed":
            items = []
            for c in claims:
                if not c.get("amount"):
                    continue
                claimed = int(c["amount"].split(".")[0])
                agreed_amt = max(100, int(claimed * rng.uniform(0.55, 1.0)))
                cat = CLAIM_TEXT[types[claims.index(c)]][1]
                due = close_day + _dt.timedelta(days=rng.choice((0, 7, 15, 30)))
                items.append({"category": cat, "text": "被申请人向申请人支付" + c["text"].replace("支付", "").replace("补缴或赔偿", ""),
                              "amount": f"{agreed_amt}.00", "due_date": due.isoformat(), "method": "银行转账"})
            if not items:
                items.append({"category": "other", "text": "双方确认劳动关系存续期间及解除时间", "amount": None,
                              "due_date": close_day.isoformat(), "method": "书面确认"})
            rec["agreement"] = {"effective_at": close_day.isoformat(),
                                "waiver": "申请人放弃其余请求事项，本协议履行完毕后双方再无其他劳动争议。", "items": items}
            perf = []
            for idx, it in enumerate(items):
                if not it.get("amount"):
                    continue
                due = _dt.date.fromisoformat(it["due_date"])
                r = rng.random()
                if due <= self.anchor and r < 0.8:
                    paid_on = min(due, self.anchor) - _dt.timedelta(days=rng.randrange(0, 3))
                    paid_on = max(paid_on, close_day)
                    amt = it["amount"] if r < 0.72 else f"{int(it['amount'].split('.')[0]) // 2}.00"
                    perf.append({"item": idx, "paid_at": paid_on.isoformat(), "amount": amt})
            if collective:
                items, perf = _per_worker(items, perf, n_workers)
                rec["agreement"]["items"] = items
            if perf:
                rec["performance"] = perf
            fu_day = close_day + _dt.timedelta(days=rng.randrange(10, 40))
            if fu_day <= self.anchor and rng.random() < 0.7:
                full = len(perf) == len([i for i in items if i.get("amount")])
                rec["followups"] = [{"at": fu_day.isoformat(), "method": rng.choice(("phone", "visit")),
                                     "person": workers[0]["name"], "result": "full" if full else ("partial" if perf else "none"),
                                     "note": "已全部履行" if full else "督促被申请人按期履行"}]
        return rec


def _per_worker(items: list[dict], perf: list[dict], n: int) -> tuple[list[dict], list[dict]]:
    """A collective agreement gives each worker his own amount (issue 14 item 4; LDMAL Art. 16): every lump
    item is split among the workers by fixed weights (not the random stream, so the rest of the demo stays
    as it was), and each payment is recorded against every worker's share."""
    out: list[dict] = []
    where: dict[int, list[int]] = {}
    weights = [8 + (k * 7) % 5 for k in range(n)]
    for idx, it in enumerate(items):
        if not it.get("amount"):
            where[idx] = [len(out)]
            out.append(it)
            continue
        total = int(it["amount"].split(".")[0])
        shares = [total * w // sum(weights) for w in weights]
        shares[-1] += total - sum(shares)
        where[idx] = list(range(len(out), len(out) + n))
        out += [dict(it, amount=f"{share}.00", worker=k) for k, share in enumerate(shares)]
    paid = []
    for p in perf:
        whole = p["amount"] == items[p["item"]]["amount"]
        for j in where[p["item"]]:
            amount = out[j]["amount"] if whole else f"{int(out[j]['amount'].split('.')[0]) // 2}.00"
            paid.append(dict(p, item=j, amount=amount))
    return out, paid


def fill(db, n: int, *, seed: int = 1, year: int | None = None, actor=None,
         progress: Callable[[int], object] | None = None, chunk: int = 20000) -> int:
    """Add n cases in batches (one transaction per batch). Returns the number added."""
    today = _today()
    anchor = today if year is None or year >= today.year else _dt.date(year, 12, 31)
    span = 720 if year is None else max(1, (anchor - _dt.date(year, 1, 1)).days + 1)
    gen = _Gen(seed, anchor, span)
    gen.cal = cases.calendar_for(db)
    gen.total = n
    actor = actor or accounts.SYSTEM
    done = 0
    while done < n:
        size = min(chunk, n - done)
        batch = [gen.case(done + i) for i in range(size)]
        batch.sort(key=lambda r: r["application"]["received_at"])
        cases.import_records(db, batch, actor, today=anchor if anchor < today else today, back_entered=False,
                             full_history=True, audit_action="demo.generate", batch_audit=True)
        done += size
        if progress:
            progress(done)
    return done
