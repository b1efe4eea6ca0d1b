"""The signed-in session: the main thread's read connection, the user, and the write worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from desktop import cases, org
from desktop.security import accounts


@dataclass
class Session:
    path: Path
    db: object  # main-thread connection: reads only; writes go through `ops`
    user: accounts.User
    ops: object = None
    listeners: list = field(default_factory=list)

    @property
    def profile(self) -> dict:
        return org.get_profile(self.db)

    def changed(self, what: str = "cases") -> None:
        """Tell every open page that data changed (after a write on the worker)."""
        if what == "calendar":
            cases.forget_calendar(self.db)
        for fn in list(self.listeners):
            fn(what)
