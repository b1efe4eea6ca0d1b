"""Row counts (desktop/security/counts.py): what counting at each commit costs on the benchmarked
write path.

Times `cases.import_records` (what `import-cases` runs) of N demo cases into a fresh station with
counting, against the same run with the handle's before-commit hook removed. Same process, same
machine, alternating rounds; prints the medians and the ratio, and checks that the counted rows
equal the rows present.

    .venv/bin/python bench/bench_row_counts.py --cases 3000 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_record_macs import one_round, source_records  # noqa: E402
from desktop.security import counts  # noqa: E402


def switch_off(db) -> None:
    db.md_before_commit = None


def counted_rows_present(db) -> None:
    for table in counts.COUNTED:
        have = db.conn.execute(f"select count(*) from {table}").fetchone()[0]
        said = json.loads(db.conn.execute("select value from settings where key = ?",
                                          (counts.setting_name(table),)).fetchone()[0])["n"]
        assert have == said, (table, have, said)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        records = source_records(folder, args.cases)
        on, off = [], []
        for i in range(args.rounds):
            off.append(one_round(folder, f"off{i}", records, prepare=switch_off))
            on.append(one_round(folder, f"on{i}", records, after=counted_rows_present))
        m_on, m_off = statistics.median(on), statistics.median(off)
        print(f"import-cases of {args.cases} cases, median of {args.rounds}: with row counts {m_on:.2f} s, "
              f"without {m_off:.2f} s, ratio x{m_on / m_off:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
