"""The columns every synchronised record carries, and the helpers that keep them honest.

Bundles (station → hub) rely on these: a time-ordered UUID as the key, the owning station,
timestamps, a revision that grows on every change, and tombstones instead of deletion.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
import uuid

COMMON_COLUMNS = {
    "id": str,  # UUIDv7-style: time-ordered keys keep hub upserts fast (measured.md)
    "station": str,
    "created_at": str,
    "updated_at": str,
    "rev": int,
    "deleted": int,
}

from desktop.clock import TZ, now  # noqa: F401  (TZ is re-exported for older imports)


def uuid7() -> str:
    """A UUID version 7: 48-bit Unix milliseconds, then random bits (RFC 9562)."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))




def new_record(station: str, **fields) -> dict:
    ts = now()
    rec = {"id": uuid7(), "station": station, "created_at": ts, "updated_at": ts, "rev": 1, "deleted": 0}
    rec.update(fields)
    return rec
