"""The records the protection code re-seals and verifies, registered by the code that owns them
(issue 15 shape: dependency inversion). desktop.cases registers "case", desktop.roster "mediator",
and desktop.sync.keys the re-sealing of the station's private keys under the admin key; the security
package calls them through this registry and never imports those modules.

Every program entry that signs a user in imports the owners first (desktop.commands.common, the
desktop program's login, tests/conftest.py); a missing registration is a programming error and
stops loudly instead of skipping records."""

from __future__ import annotations

from typing import Callable, NamedTuple


class Kind(NamedTuple):
    table: str
    reveal: Callable  # (db, stored doc, record id) -> the record with sensitive values in clear
    seal: Callable  # (db, record, record id) -> the stored doc
    rebuild: Callable | None = None  # (db, rowid, record, fresh) -> the derived rows again
    index_columns: Callable | None = None  # (record, work calendar) -> the index columns expected
    calendar: Callable | None = None  # (db) -> the work calendar for index_columns


_kinds: dict[str, Kind] = {}
_admin_key_hooks: list[Callable] = []


def register(kind: str, **parts) -> None:
    _kinds[kind] = Kind(**parts)


def kind(name: str) -> Kind:
    try:
        return _kinds[name]
    except KeyError:
        raise RuntimeError(f"record kind {name!r} is not registered with desktop.security.records: "
                           "import desktop.cases and desktop.roster before signing in") from None


def registered() -> tuple[list[str], int]:
    """(the record kinds registered, how many admin-key hooks): for the entry points' tests."""
    return sorted(_kinds), len(_admin_key_hooks)


def on_admin_key(hook: Callable) -> None:
    """hook(db) -> int: called inside the transaction that creates or installs the admin key."""
    if hook not in _admin_key_hooks:
        _admin_key_hooks.append(hook)


def admin_key_ready(db) -> int:
    if not _admin_key_hooks:
        if db.conn.execute("select 1 from sync_keys limit 1").fetchone() is None:
            return 0  # no private key to re-seal (a new station before its keys are made)
        raise RuntimeError("no admin-key hook registered with desktop.security.records: "
                           "import desktop.sync.keys before signing in")
    return sum(hook(db) for hook in _admin_key_hooks)
