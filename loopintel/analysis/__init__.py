"""Pure computations over change records and numpy arrays (no I/O, no git)."""
