-- The hours and points ledgers (one table, two kinds). Append-only: triggers refuse UPDATE and
-- DELETE, so a correction is a new entry. `balance_after` is computed inside the posting
-- transaction from the previous entry, and its CHECK makes a negative balance impossible even
-- if a caller's check were wrong.
CREATE TABLE ledger_entries (
    id              INTEGER PRIMARY KEY,
    volunteer_id    INTEGER NOT NULL REFERENCES volunteers (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('minutes', 'points')),
    amount          INTEGER NOT NULL CHECK (amount <> 0),
    balance_after   INTEGER NOT NULL CHECK (balance_after >= 0),
    source          TEXT    NOT NULL CHECK (source IN ('activity', 'order', 'self-report',
                                                       'redemption', 'refund', 'correction')),
    source_id       INTEGER NOT NULL,
    actor_id        INTEGER NOT NULL REFERENCES accounts (id),
    idempotency_key TEXT    NOT NULL,
    note            TEXT    NOT NULL DEFAULT '',
    at              INTEGER NOT NULL,
    -- One key may carry one minutes entry and one points entry (credit-service posts both).
    UNIQUE (idempotency_key, kind)
);
CREATE INDEX ledger_entries_balance ON ledger_entries (volunteer_id, kind, id);

CREATE TRIGGER ledger_entries_append_only_update BEFORE UPDATE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only');
END;

CREATE TRIGGER ledger_entries_append_only_delete BEFORE DELETE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only');
END;

-- Points earned per hour of confirmed service, per service category, in hundredths of a point
-- (integers only: 100 = 1 point per hour). Category '*' is the default.
CREATE TABLE points_coefficients (
    category      TEXT    PRIMARY KEY,
    per_hour_x100 INTEGER NOT NULL CHECK (per_hour_x100 >= 0)
);
INSERT INTO points_coefficients (category, per_hour_x100) VALUES ('*', 100);
