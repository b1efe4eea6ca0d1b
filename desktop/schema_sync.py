"""Schema for bundles and the hub (migration 0002). Owned by the sync work (issue 5).

A station uses sync_keys (its signing key), sync_bundles_out (every bundle it wrote, kept for
re-sending) and the settings key `sync.hub` (the hub card it joined). A hub also uses sync_keys
(its age identity, and a signing key when it reports up to a city hub), sync_stations (enrolled
stations and their public keys), sync_bundles_in (the import log, one row per merged bundle),
sync_origins (which district delivered a township's records, at a city hub) and
sync_calendar_overrides (stations' holiday overrides: the hub's own calendar_overrides table
has UNIQUE(date), which two stations may both use).
"""

from desktop.dbtools import run_script


def apply(db) -> None:
    """Create the tables the bundle exchange needs. Runs inside the migration's transaction."""
    run_script(
        db,
        """
        CREATE TABLE sync_keys (
            purpose TEXT PRIMARY KEY CHECK (purpose IN ('sign', 'age')),
            public TEXT NOT NULL,
            key_id TEXT NOT NULL DEFAULT '',
            sealed TEXT NOT NULL,
            created_at TEXT NOT NULL
        );

        CREATE TABLE sync_bundles_out (
            seq INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL,
            prev_sha256 TEXT,
            file_name TEXT NOT NULL,
            kept_path TEXT NOT NULL,
            created_at TEXT NOT NULL,
            period TEXT NOT NULL,
            full INTEGER NOT NULL DEFAULT 0,
            counts TEXT NOT NULL DEFAULT '{}',
            recipient TEXT NOT NULL,
            created_by TEXT
        );

        CREATE TABLE sync_stations (
            station TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            region TEXT NOT NULL DEFAULT '',
            kind TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL DEFAULT 'station' CHECK (role IN ('station', 'hub')),
            public_key TEXT NOT NULL,
            key_id TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            base_seq INTEGER NOT NULL DEFAULT 0,
            enrolled_at TEXT NOT NULL,
            enrolled_by TEXT,
            expected INTEGER NOT NULL DEFAULT 1
        );

        CREATE TABLE sync_bundles_in (
            station TEXT NOT NULL,
            seq INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            file_name TEXT NOT NULL,
            created_at TEXT NOT NULL,
            period TEXT NOT NULL,
            full INTEGER NOT NULL DEFAULT 0,
            imported_at TEXT NOT NULL,
            imported_by TEXT,
            counts TEXT NOT NULL DEFAULT '{}',
            applied TEXT NOT NULL DEFAULT '{}',
            stats_fingerprint TEXT,
            manifest TEXT NOT NULL,
            PRIMARY KEY (station, seq)
        );
        CREATE INDEX sync_bundles_in_sha ON sync_bundles_in(sha256);

        CREATE TABLE sync_origins (
            station TEXT PRIMARY KEY,
            via TEXT NOT NULL
        );

        CREATE TABLE sync_calendar_overrides (
            id TEXT PRIMARY KEY,
            station TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            rev INTEGER NOT NULL DEFAULT 1,
            deleted INTEGER NOT NULL DEFAULT 0,
            date TEXT NOT NULL,
            is_workday INTEGER NOT NULL,
            note TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX sync_calendar_overrides_station ON sync_calendar_overrides(station, date)
        """,
    )
