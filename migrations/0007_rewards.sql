-- Rewards (礼遇): star levels from confirmed hours, the reward catalogue (爱心超市, service
-- coupons, honour items), redemptions paid in points, and honour lists. See docs/reward-api.md.
-- Points and minutes are NOT here: they live only in ledger_entries (0003), posted through the
-- ledger component; redemptions only keep the keys their postings were made under.

-- Star thresholds and the public notice (公示) period, per deployment. The component falls back
-- to the same defaults when a key is missing; rows here make the values visible and editable.
INSERT OR IGNORE INTO deployment_settings (key, value, updated_at)
VALUES ('reward.star_thresholds_h', '100,300,600,1000,1500', unixepoch()),
       ('reward.notice_days', '5', unixepoch());

-- Star levels: every proposal and its outcome is one row, so the table is also the history
-- (who confirmed, when, with how many minutes). A volunteer's star is the highest confirmed
-- level. UNIQUE (volunteer_id, level): one proposal per level ever, which makes proposing
-- race-free (INSERT OR IGNORE from concurrent sweeps and reads) and keeps a rejected level from
-- being proposed again and again.
CREATE TABLE star_levels (
    id                  INTEGER PRIMARY KEY,
    volunteer_id        INTEGER NOT NULL REFERENCES volunteers (id),
    level               INTEGER NOT NULL CHECK (level BETWEEN 1 AND 10),
    threshold_h         INTEGER NOT NULL CHECK (threshold_h > 0),
    minutes_at_proposal INTEGER NOT NULL CHECK (minutes_at_proposal >= 0),
    status              TEXT    NOT NULL DEFAULT 'proposed'
                        CHECK (status IN ('proposed', 'confirmed', 'rejected', 'superseded')),
    proposed_at         INTEGER NOT NULL,
    proposed_by         INTEGER REFERENCES accounts (id),  -- NULL: proposed lazily on a read
    notice_ends_at      INTEGER NOT NULL CHECK (notice_ends_at >= proposed_at),
    decided_by          INTEGER REFERENCES accounts (id),
    decided_at          INTEGER,
    minutes_at_decision INTEGER,
    reason              TEXT,
    UNIQUE (volunteer_id, level),
    -- A decision is complete or absent.
    CHECK ((status = 'proposed') = (decided_at IS NULL))
);
-- The public notice list and the staff list filter by status.
CREATE INDEX star_levels_status ON star_levels (status, notice_ends_at);

-- The catalogue: what an org offers for points. `stock` can never go below zero: redemptions
-- take it with `UPDATE ... WHERE stock >= ?`, and the CHECK holds even if a caller were wrong.
CREATE TABLE reward_items (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs (id),
    org_path     TEXT    NOT NULL,  -- the org's path, for subtree scoping without a join
    name         TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('goods', 'service', 'honour')),
    description  TEXT    NOT NULL DEFAULT '',
    points_price INTEGER NOT NULL CHECK (points_price >= 0),
    stock        INTEGER NOT NULL CHECK (stock >= 0),
    min_star     INTEGER NOT NULL DEFAULT 0 CHECK (min_star BETWEEN 0 AND 10),
    valid_from   INTEGER,
    valid_until  INTEGER,
    active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_by   INTEGER NOT NULL REFERENCES accounts (id),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    CHECK (valid_from IS NULL OR valid_until IS NULL OR valid_from < valid_until),
    -- Staff tell items apart by name within one supermarket.
    UNIQUE (org_id, name)
);
CREATE INDEX reward_items_org_path ON reward_items (org_path);

-- Redemptions (兑换记录, 账物相符): each one took `quantity` from stock and debited `points`
-- under `ledger_key`; a cancellation refunds under `refund_key`. The keys are UNIQUE so one
-- redemption can never be paid or refunded twice.
CREATE TABLE redemptions (
    id             INTEGER PRIMARY KEY,
    item_id        INTEGER NOT NULL REFERENCES reward_items (id),
    volunteer_id   INTEGER NOT NULL REFERENCES volunteers (id),
    org_path       TEXT    NOT NULL,  -- the item's org path, for staff scoping
    quantity       INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 10),
    points         INTEGER NOT NULL CHECK (points >= 0),
    status         TEXT    NOT NULL DEFAULT 'reserved'
                   CHECK (status IN ('reserved', 'handed_over', 'cancelled')),
    pickup_code    TEXT    NOT NULL CHECK (length(pickup_code) = 8),
    ledger_key     TEXT    NOT NULL UNIQUE,
    refund_key     TEXT    UNIQUE,
    created_at     INTEGER NOT NULL,
    handed_over_at INTEGER,
    handed_over_by INTEGER REFERENCES accounts (id),
    cancelled_at   INTEGER,
    cancelled_by   INTEGER REFERENCES accounts (id),
    cancel_reason  TEXT,
    CHECK ((status = 'handed_over') = (handed_over_at IS NOT NULL)),
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);
CREATE INDEX redemptions_volunteer ON redemptions (volunteer_id, id);
CREATE INDEX redemptions_org_path ON redemptions (org_path, id);

-- Honour lists (最美志愿者, 优秀志愿者): nominated by one staff member, decided by another.
-- UNIQUE: one volunteer is honoured once per org, title and period.
CREATE TABLE honours (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES orgs (id),
    org_path      TEXT    NOT NULL,
    volunteer_id  INTEGER NOT NULL REFERENCES volunteers (id),
    title         TEXT    NOT NULL,
    period        TEXT    NOT NULL,
    reason        TEXT    NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'nominated' CHECK (status IN ('nominated', 'approved', 'rejected')),
    nominated_by  INTEGER NOT NULL REFERENCES accounts (id),
    nominated_at  INTEGER NOT NULL,
    decided_by    INTEGER REFERENCES accounts (id),
    decided_at    INTEGER,
    decision_note TEXT,
    UNIQUE (org_id, volunteer_id, title, period),
    -- Nobody approves their own nomination (the component says so with a 403 first).
    CHECK (decided_by IS NULL OR decided_by <> nominated_by),
    CHECK ((status = 'nominated') = (decided_at IS NULL))
);
CREATE INDEX honours_status_path ON honours (status, org_path);
