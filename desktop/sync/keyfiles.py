"""The keys as files the standard tools read (issue 16, item 4).

- minisign public keys (`minisign -Vm manifest.json -p <file>`): this database's own signing key,
  at a hub every enrolled station's key (to check their bundles), at a station the joined hub's key
  (to check the hub's packages);
- the hub's age identity (`age -d -i identity.txt payload.age`): a secret. Exporting it is an
  administrator's act, audited, with a warning: whoever holds the file can read every bundle sent
  to this hub.
"""

from __future__ import annotations

import os
from pathlib import Path

from desktop import org
from desktop.security import accounts, audit
from desktop.clock import now
from desktop.errors import InputError, Refused
from desktop.sync import keys

AGE_WARNING = ("警告：汇总端解密私钥已导出。持有该文件的任何人都能解密发给本汇总端的全部数据包（含当事人身份信息）；"
               "用毕请立即删除，切勿复制到联网电脑或随 U 盘带走。本次导出已记入审计日志。")


def _write(path: Path, text: str, *, secret: bool = False) -> Path:
    data = text.encode("utf-8")
    try:
        # a secret is created owner-only where the system has such modes (ignored on Windows)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0),
                     0o600 if secret else 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
    except OSError as exc:
        raise Refused(f"无法写入 {path}：{exc.strerror or exc}") from None
    return path


def export_public_keys(db, out_dir) -> list[Path]:
    """minisign public key files: own key, and the other end's keys. Public material: no audit."""
    out = Path(out_dir)
    if not out.is_dir():
        raise InputError(f"--out: 目录不存在：{out}")
    me = org.station_id(db)
    written = [_write(out / f"{me}.pub", keys.signing_key(db).minisign_public_key())]
    if keys.is_hub(db):
        for station, blob in db.conn.execute("select station, public_key from sync_stations order by station"):
            written.append(_write(out / f"{station}.pub", keys.minisign_public_key_file(blob)))
    hub = org.get_setting(db, "sync.hub")
    if hub and hub.get("public_key"):
        written.append(_write(out / f"{hub['hub']}.pub", keys.minisign_public_key_file(hub["public_key"])))
    return written


def export_age_identity(db, out_path, actor) -> Path:
    """The hub's age identity as an age identity file. Refuses to overwrite an existing file."""
    accounts.require(actor, "admin")
    if not keys.is_hub(db) or keys.age_recipient(db) is None:
        raise Refused("本数据库不是汇总端，没有解密私钥")
    path = Path(out_path)
    if path.exists():
        raise InputError(f"--out: 文件已存在，拒绝覆盖：{path}")
    if not path.parent.is_dir():
        raise InputError(f"--out: 目录不存在：{path.parent}")
    identity = keys.age_identity(db)
    text = (f"# created: {now()}\n# public key: {keys.age_recipient(db)}\n"
            f"# MediationDesk hub {org.station_id(db)}: secret — delete after use\n{identity}\n")
    with db.atomic():
        audit.log(db, actor.name, "keys.export.age_identity", target="sync_keys", record_id="age",
                  detail={"file": path.name, "recipient": keys.age_recipient(db)})
        _write(path, text, secret=True)
    return path
