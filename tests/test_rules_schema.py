"""The back-entry format as JSON Schema: built from the record's shape, printed by `schema`, published
in docs/, and it accepts what import-cases takes and refuses unknown keys."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from desktop import cli, demo
from desktop.cases import shape
from desktop.cases.schema import record_schema
from desktop.workcal import WorkCalendar
from tests import records

ROOT = Path(__file__).resolve().parents[1]


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


def problems(value, schema, path="$") -> list[str]:
    """A small validator for the keywords the schema uses (type, enum, pattern, required, items…)."""
    out = []
    if "anyOf" in schema:
        if all(problems(value, s, path) for s in schema["anyOf"]):
            out.append(f"{path}: anyOf")
        return out
    types = schema.get("type")
    if types:
        names = types if isinstance(types, list) else [types]
        ok = {"object": isinstance(value, dict), "array": isinstance(value, list),
              "string": isinstance(value, str), "boolean": isinstance(value, bool),
              "integer": isinstance(value, int) and not isinstance(value, bool), "null": value is None}
        if not any(ok[n] for n in names):
            return [f"{path}: type {types}"]
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{path}: enum")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            out.append(f"{path}: pattern")
        if len(value) > schema.get("maxLength", 10**9):
            out.append(f"{path}: maxLength")
    if isinstance(value, dict) and "properties" in schema:
        for k in schema.get("required", []):
            if k not in value:
                out.append(f"{path}.{k}: required")
        for k, v in value.items():
            if k not in schema["properties"]:
                if schema.get("additionalProperties") is False:
                    out.append(f"{path}.{k}: unknown")
            else:
                out += problems(v, schema["properties"][k], f"{path}.{k}")
    if isinstance(value, list) and "items" in schema:
        if len(value) < schema.get("minItems", 0):
            out.append(f"{path}: minItems")
        for i, v in enumerate(value):
            out += problems(v, schema["items"], f"{path}[{i}]")
    return out


def test_published_schema_is_the_printed_one(capsys):
    assert cli.main(["schema"]) == 0
    printed = capsys.readouterr().out
    assert json.loads(printed) == record_schema()
    assert (ROOT / "docs" / "case-record.schema.json").read_text(encoding="utf-8") == printed


def test_schema_names_every_key_the_rules_accept():
    s = record_schema()
    assert set(s["properties"]) == shape.TOP_KEYS | shape.COMPUTED_KEYS
    assert set(s["properties"]["workers"]["items"]["properties"]) == shape.WORKER_KEYS
    assert set(s["properties"]["acceptance"]["properties"]["consents"]["items"]["properties"]) == shape.CONSENT_KEYS
    assert s["properties"]["agreement"]["additionalProperties"] is False


def test_records_the_import_takes_pass_and_unknown_keys_do_not():
    today = dt.date(2026, 11, 30)
    gen = demo._Gen(3, today, 720)
    gen.cal = WorkCalendar()
    gen.total = 300
    schema = record_schema()
    for rec in [gen.case(i) for i in range(300)] + [records.agreed(), records.registered()]:
        assert problems(rec, schema) == [], rec
    bad = records.agreed()
    bad["workers"][0]["nickname"] = "小王"
    bad["agreement"]["items"][0]["amount"] = 12000.5
    bad["outcome"]["kind"] = "settled"
    found = problems(bad, schema)
    assert "$.workers[0].nickname: unknown" in found and "$.outcome.kind: enum" in found
    assert any(p.startswith("$.agreement.items[0].amount") for p in found)
