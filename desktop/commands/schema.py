"""`schema`: print the back-entry case record format as JSON Schema (docs/case-record.schema.json).

    schema [--out FILE]

Needs no database and no login: a district checks its spreadsheet export against it before
`import-cases`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from desktop.errors import InputError


def register(sub) -> None:
    p = sub.add_parser("schema", help="输出补录导入格式（案件记录）的 JSON Schema")
    p.add_argument("--out", help="写入文件（默认输出到屏幕）")
    p.set_defaults(func=cmd_schema)


def schema_text() -> str:
    from desktop.cases.schema import record_schema

    return json.dumps(record_schema(), ensure_ascii=False, indent=2) + "\n"


def cmd_schema(args) -> int:
    text = schema_text()
    if not args.out:
        sys.stdout.write(text)
        return 0
    out = Path(args.out)
    if out.is_dir() or not out.parent.exists():
        raise InputError(f"--out: 无法写入：{out}")
    out.write_bytes(text.encode("utf-8"))
    return 0
