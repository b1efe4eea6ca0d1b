"""Bundles and the hub (issue 5): signed, encrypted, sequenced exports from each station and
their verified, idempotent merge at a district or city hub.

- `keys`: signing keys (Ed25519, minisign format), the hub's age identity, cards, keys at rest;
- `bundle`: the file format — a canonical stored-only ZIP — its writer and its strict reader;
- `export`: a station's (or district hub's) next bundle, nil reports, re-sending;
- `hub`: hub set-up, enrolment, import (fail closed, one transaction) and the hub's views.

docs: `desktop/sync/FORMAT.md` describes the bundle for other implementations.
"""
