"""The settings table, read and written (issue 15 shape): the protection code needs a few settings
(encryption, admin key, demo, idle lock) and must not import desktop.org, which depends on it.
desktop.org re-exports these functions for everyone else."""

from __future__ import annotations

import json

from desktop.security import mac as record_mac


def get_setting(db, key: str, default=None):
    row = db.conn.execute("select value from settings where key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else default


def set_setting(db, key: str, value) -> None:
    text = json.dumps(value, ensure_ascii=False)
    if key in record_mac.PROTECTED_SETTINGS:  # the settings that matter carry a MAC (issue 15 item 2)
        db.conn.execute("insert into settings (key, value, mac) values (?, ?, ?) on conflict(key) do update"
                        " set value = excluded.value, mac = excluded.mac",
                        (key, text, record_mac.setting_mac(db, key, text)))
        return
    db.conn.execute("insert into settings (key, value) values (?, ?) on conflict(key) do update set value = excluded.value",
                    (key, text))


def is_demo(db) -> bool:
    return bool(get_setting(db, "demo", False))
