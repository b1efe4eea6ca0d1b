"""`render`: the standard documents as PDF (contract.md).

    render DOC --db FILE --case CASE_NO --out FILE.pdf
    render dossier --db FILE --case CASE_NO --out FILE.pdf
    render roster --db FILE --out FILE.pdf
    render jilin-org|jilin-mediators --db FILE --out FILE.pdf|FILE.xlsx

Exit 0 on success, 2 on bad input (unknown case, wrong file type), 1 when the document is refused
(a document the case's state does not allow — the message names the state —, a review application after its
15-day window or for a confirmation of a labour relationship) or
cannot be printed (a character no font has).
"""

from __future__ import annotations

import datetime as _dt
import sys

from desktop.errors import InputError, Refused
from desktop.clock import today as china_today

CASE_DOCUMENTS = (
    "application", "oral-record", "registration", "acceptance-notice", "respondent-notice", "decline-notice",
    "rights-notice", "power-of-attorney", "session-record", "agreement", "extension-record", "failure-notice",
    "service-proof", "followup-record", "review-application", "dossier-cover", "dossier-index", "dossier",
    "termination-record", "nonperformance-record", "dossier-note", "major-dispute-report",
)
ROSTER_DOCUMENTS = ("roster", "jilin-org", "jilin-mediators")


def register(sub) -> None:
    from desktop.commands.common import credential_arguments, db_argument

    p = sub.add_parser("render", help="生成标准文书 PDF（案件文书、卷宗、调解员名册）")
    p.add_argument("document", metavar="DOC", choices=CASE_DOCUMENTS + ROSTER_DOCUMENTS,
                   help="文书：" + "、".join(CASE_DOCUMENTS + ROSTER_DOCUMENTS))
    db_argument(p)
    credential_arguments(p)
    p.add_argument("--case", dest="case_no", help="案号（案件文书必填）")
    p.add_argument("--out", required=True, help="输出文件（.pdf；吉林表格也可为 .xlsx）")
    p.add_argument("--today", help="按此日期判断期限（YYYY-MM-DD，默认今天）")
    p.set_defaults(func=cmd_render)


def _today(args) -> _dt.date:
    if not args.today:
        return china_today()  # documents are dated in China time, whatever the PC's zone
    try:
        return _dt.date.fromisoformat(args.today)
    except ValueError:
        raise InputError(f"--today: 日期格式应为 YYYY-MM-DD，收到「{args.today}」") from None


def cmd_render(args) -> int:
    from desktop import org as orgm
    from desktop.security import audit
    from desktop.commands.common import open_session
    from desktop.documents import DocumentError, DocumentRefused
    from desktop.documents import station as station_docs  # the hub's template overrides where active

    doc = args.document
    out = args.out
    today = _today(args)
    is_xlsx = out.lower().endswith(".xlsx")
    if is_xlsx and doc not in ("jilin-org", "jilin-mediators"):
        raise InputError(f"--out: 「{doc}」只能输出 PDF 文件（.pdf）")
    if not is_xlsx and not out.lower().endswith(".pdf"):
        raise InputError("--out: 输出文件应以 .pdf 结尾（吉林表格也可为 .xlsx）")
    if doc in CASE_DOCUMENTS and not args.case_no:
        raise InputError(f"--case: 文书「{doc}」需要指定案号")

    permission = "unmask" if doc in CASE_DOCUMENTS or doc == "jilin-mediators" else "read"
    s = open_session(args, write=False, permission=permission)
    profile = orgm.get_profile(s.db)
    try:
        if doc in ROSTER_DOCUMENTS:
            from desktop import roster

            mediators = roster.list_mediators(s.db, masked=(doc == "roster"))
            if doc == "jilin-org":
                from desktop.documents.jilin import with_last_year

                profile = with_last_year(s.db, profile, today)
            if is_xlsx:
                station_docs.write_roster_xlsx(s.db, doc, profile, mediators, out, today=today)
            else:
                station_docs.render_document(s.db, doc, {}, profile, out, today=today, mediators=mediators)
            detail = {"document": doc, "count": len(mediators)}
            record_id = None
        else:
            from desktop import cases

            case = cases.get_case(s.db, args.case_no, today=today)
            if case is None:
                raise InputError(f"--case: 找不到案件「{args.case_no}」")
            if doc == "dossier":
                station_docs.render_dossier(s.db, case, profile, out, today=today)
            else:
                station_docs.render_document(s.db, doc, case, profile, out, today=today)
            detail = {"document": doc, "case_no": case.get("case_no")}
            record_id = case.get("id")
    except DocumentRefused as exc:
        raise Refused(str(exc)) from None
    except DocumentError as exc:
        raise Refused(str(exc)) from None
    except OSError as exc:
        raise Refused(f"无法写入文件 {out}：{exc.strerror or exc}") from None
    # printed documents carry full ID numbers and phones: the print is audited like an unmasked listing
    with s.db.atomic():
        audit.log(s.db, s.user.name, "print", target="cases" if record_id else "mediators", record_id=record_id,
                  detail=detail)
    print(out, file=sys.stdout)
    return 0
