"""Double-entry money core: accounts, balanced transactions, settlements and statements.

DESIGN.md places the ledger inside ``market``; it lives in its own app because its invariants —
every transaction balances, posted entries are immutable, corrections are made only by
reversal — do not depend on the marketplace domain and are enforced (database triggers, see
``triggers``) and tested on their own. ``market`` (and any later money-handling app) records
money only through ``dure.ledger.services``.
"""
