"""Protection code (issue 15): accounts and roles (accounts.py), the data and admin keys (keys.py), the
sensitive-field door (sensitive.py), record MACs (mac.py), what `check` verifies (integrity.py), the audit
log (audit.py), the settings table (settings.py), spreadsheet cells made inert (cells.py), text
normalisation and refusal of hidden characters (text.py).

Nothing here imports the case, roster, organisation or sync code (tests/test_security_shape.py): they
register what the protection code must call on their records in records.py."""
