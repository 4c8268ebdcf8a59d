"""Turning results into pages: chapter and synthesis figures, charts, the ledger, generated pages and the gate."""
