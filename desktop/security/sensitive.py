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

    def seal(self, kind: str, value: str, ad: str | None = None) -> str:
        return value

    def reveal(self, kind: str, stored: str, ad: str | None = None) -> str:
        return stored


PLAIN = PlainCodec()


def codec(db):
    c = getattr(db, "md_codec", None)
    if c is not None:
        return c
    from desktop.security import keys

    if keys.is_enabled(db):
        keys.auto_unlock_demo(db)
        return getattr(db, "md_codec", None) or keys.LOCKED
    return PLAIN


def seal(db, kind: str, value, ad: str | None = None):
    """`ad` names the place the value belongs to (`case:<id>:workers[0].id_number`, see `place`): the
    ciphertext then decrypts only there, so one swapped between records or fields is found."""
    if value is None or value == "":
        return value
    return codec(db).seal(kind, value, ad)


def reveal(db, kind: str, stored, ad: str | None = None):
    if stored is None or stored == "":
        return stored
    return codec(db).reveal(kind, stored, ad)


def place(record_kind: str, record_id: str, path: str) -> str:
    """The associated data binding a sealed value to its record and field. Lists are addressed by
    position: every write re-seals the whole record from plaintext, so a reordered list is re-bound."""
    return f"{record_kind}:{record_id}:{path}"


def index_key(db) -> bytes:
    """The blind-index key (search tokens of sensitive values): derived from the data key, or the
    older plaintext setting."""
    key = getattr(db, "md_index_key", None)
    if key is None:
        from desktop.security import keys

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
    return hmac.digest(index_key(db), f"{kind}:{value}".encode(), "sha256").hex()[:32]


def search_text(db, kind: str, value: str) -> str:
    """What of a sensitive value may enter the substring index: nothing.

    The trigram index is plaintext, so an ID number there would undo the encryption; exact search
    by a full ID number goes through the blind index instead (search.py). Not even the last four
    digits go in: with birth date and region guessable they narrow a person down too far.
    """
    return ""


# Sex and birth date follow from an ID number (digits 7-14 and 17): stored beside one, they narrow
# the masked number down to a handful of checksum-valid candidates, so they are sealed like it.
WITH_ID_FIELDS = ("sex", "birth_date")
# The key under which a stored record (case document, mediator document) keeps the masked copy of
# its sensitive values, written when the record is sealed: a viewer, who holds no key, reads these.
MASKED_KEY = "_masked"
# Shown for a sealed value that has no masked copy yet (a file made before masked copies existed,
# until its first administrator sign-in writes them).
SEALED_PLACEHOLDER = "****"


def is_sealed(value) -> bool:
    return isinstance(value, str) and value.startswith(("enc1:", "enc2:"))


def mask(kind: str, value: str | None) -> str:
    """The form a viewer may see. Not reversible: an ID number keeps only its last four characters
    (its region, birth date and sex are gone); see docs/security.md."""
    if not value:
        return value or ""
    if kind == "id_number":
        if len(value) <= 4:
            return "*" * len(value)
        return "*" * (len(value) - 4) + value[-4:]
    if kind == "phone":
        digits = re.sub(r"\D", "", value)
        if len(digits) == 11 and digits.startswith("1"):
            return digits[:3] + "****" + digits[-4:]
        return value[:-4] + "****" if len(value) > 4 else "****"
    if kind == "bank_account":
        return "*" * max(0, len(value) - 4) + value[-4:]
    if kind == "address":
        return value[:6] + "……" if len(value) > 6 else value
    if kind == "sex":
        return "*"
    if kind == "birth_date":
        return "****-**-**"
    return "***"


def person_fields(person: dict, fields) -> tuple:
    """The fields of one person that are sealed: the group's sensitive fields, plus sex and birth
    date when the person has an ID number they were (or could be) derived from."""
    return tuple(fields) + (WITH_ID_FIELDS if person.get("id_number") else ())


def masked_copy(person: dict, fields) -> dict:
    """The masked copy of one person's plaintext sensitive values (written beside the sealed ones)."""
    return {f: mask(f, person[f]) for f in person_fields(person, fields) if person.get(f)}


def apply_masked(person: dict, fields, copy: dict | None, reveal=None) -> dict:
    """Replace one stored person's sealed values by their masked copies. A value without a copy is
    masked from its plaintext (old unsealed values), from `reveal` (a key is unlocked), or shown as
    SEALED_PLACEHOLDER."""
    copy = copy or {}
    for f in person_fields(person, fields):
        v = person.get(f)
        if not v:
            continue
        if f in copy:
            person[f] = copy[f]
        elif not is_sealed(v):
            person[f] = mask(f, v)
        elif reveal is not None:
            person[f] = mask(f, reveal(f, v))
        else:
            person[f] = SEALED_PLACEHOLDER
    return person


def mask_case(record: dict) -> dict:
    """A copy of a case record with every sensitive field masked (lists, --masked output)."""
    out = dict(record)
    for group, fields in CASE_FIELDS.items():
        people = []
        for person in record.get(group) or []:
            p = dict(person)
            for f in person_fields(p, fields):
                if p.get(f):
                    p[f] = mask(f, p[f])
            people.append(p)
        if group in record:
            out[group] = people
    return out


def masked_only(db) -> bool:
    """True for a session whose user holds no key (viewer): records are read from their masked copies."""
    return getattr(getattr(db, "md_codec", None), "name", "") == "masked"
