"""The one door for sensitive personal data (ID numbers, phones, addresses, bank accounts).

Every sensitive value goes through `seal` on its way into storage and `reveal` on its way out,
and every search term derived from one goes through `search_text` / `blind_index`. Encryption at
rest plugs in here (a codec attached to the database handle) without touching any caller.
"""

from __future__ import annotations

import hmac
import json
import re

KINDS = ("id_number", "phone", "address", "bank_account")

# Paths of sensitive values inside a case record (contract.md); used by sealing and masking.
CASE_FIELDS = {
    "workers": ("id_number", "phone", "address", "bank_account"),
    "agents": ("id_number", "phone"),
}
MEDIATOR_FIELDS = ("id_number", "phone", "address")


class PlainCodec:
    """Stores values as they are: only for files made before encryption existed, until the first
    administrator login seals them (keys.setup). Encrypted files use keys.AesCodec / keys.LOCKED."""

    name = "plain"

    def seal(self, kind: str, value: str) -> str:
        return value

    def reveal(self, kind: str, stored: str) -> str:
        return stored


PLAIN = PlainCodec()


def codec(db):
    c = getattr(db, "md_codec", None)
    if c is not None:
        return c
    from desktop import keys

    if keys.is_enabled(db):
        keys.auto_unlock_demo(db)
        return getattr(db, "md_codec", None) or keys.LOCKED
    return PLAIN


def seal(db, kind: str, value):
    if value is None or value == "":
        return value
    return codec(db).seal(kind, value)


def reveal(db, kind: str, stored):
    if stored is None or stored == "":
        return stored
    return codec(db).reveal(kind, stored)


def _index_key(db) -> bytes:
    key = getattr(db, "md_index_key", None)
    if key is None:
        from desktop import keys

        if keys.is_enabled(db):  # derived from the data key (keys.AesCodec.index_key)
            c = codec(db)
            if getattr(c, "index_key", None) is None:
                raise keys.Refused(keys.LOCKED_MESSAGE)
            return c.index_key
        # Files made before encryption existed; replaced at the first administrator login.
        row = db.execute("select value from settings where key = 'blind_index_key'").fetchone()
        key = bytes.fromhex(json.loads(row[0])) if row else b"mediation-desk"
        try:
            db.md_index_key = key
        except AttributeError:
            pass
    return key


def blind_index(db, kind: str, value: str) -> str:
    """A keyed hash for exact lookups (same worker twice, search by full ID) without the value."""
    if not value:
        return ""
    return hmac.digest(_index_key(db), f"{kind}:{value}".encode(), "sha256").hex()[:32]


def search_text(db, kind: str, value: str) -> str:
    """What of a sensitive value may enter the substring index: nothing.

    The trigram index is plaintext, so an ID number there would undo the encryption; exact search
    by a full ID number goes through the blind index instead (search.py). Not even the last four
    digits go in: with birth date and region guessable they narrow a person down too far.
    """
    return ""


def mask(kind: str, value: str | None) -> str:
    if not value:
        return value or ""
    if kind == "id_number":
        if len(value) <= 8:
            return "*" * len(value)
        return value[:4] + "*" * (len(value) - 8) + value[-4:]
    if kind == "phone":
        digits = re.sub(r"\D", "", value)
        if len(digits) == 11 and digits.startswith("1"):
            return digits[:3] + "****" + digits[-4:]
        return value[:-4] + "****" if len(value) > 4 else "****"
    if kind == "bank_account":
        return "*" * max(0, len(value) - 4) + value[-4:]
    if kind == "address":
        return value[:6] + "……" if len(value) > 6 else value
    return "***"


def mask_case(record: dict) -> dict:
    """A copy of a case record with every sensitive field masked (lists, --masked output)."""
    out = dict(record)
    for group, fields in CASE_FIELDS.items():
        people = []
        for person in record.get(group) or []:
            p = dict(person)
            for f in fields:
                if p.get(f):
                    p[f] = mask(f, p[f])
            people.append(p)
        if group in record:
            out[group] = people
    return out
