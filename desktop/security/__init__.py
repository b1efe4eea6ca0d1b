"""Protection code (issue 15): spreadsheet cells made inert, text normalisation and refusal of
hidden characters, record MACs (mac.py). Callers use the public functions of the submodules; nothing here imports the
case, roster or sync code."""
