"""Schema for bundles and the hub (migration 0002). Owned by the sync work (issue 5)."""


def apply(db) -> None:
    """Create the tables the bundle exchange needs. Runs inside the migration's transaction."""
