"""Schema for accounts, keys and encryption at rest (migration 0003). Owned by the security work (issue 7)."""


def apply(db) -> None:
    """Create the tables the security work needs. Runs inside the migration's transaction."""
