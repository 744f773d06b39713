-- 0019: the statistics behind the big-data screen (大屏) and the console's home page.
--
-- 1. Orgs gain an address, coordinates and the population staff enter (for the registration
--    rate 注册率 and the demand rate 需求度).
-- 2. Rollups. Every statistics endpoint must answer in O(days), never O(rows), at county scale
--    (500,000 volunteers, 5,000,000 check-ins). Counters are kept by triggers, so they change in
--    the same transaction as the write they count (a rolled-back check-in counts nothing) and no
--    component had to change. Each event is added to the org it happened at *and to every
--    ancestor* (through `org_ancestors`), so a subtree's figure for a day is one row, read by
--    primary key: the write pays a few upserts (the tree is at most five deep), the read none of
--    the subtree walk.
-- 3. Screen links: a read-only, revocable link per org for a wall display; only a hash of the
--    token is stored.
--
-- Days are days in Asia/Shanghai (+08:00, no daylight saving): (unix seconds + 28800) / 86400.

ALTER TABLE orgs ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE orgs ADD COLUMN latitude_e6 INTEGER;
ALTER TABLE orgs ADD COLUMN longitude_e6 INTEGER;
-- Residents (常住人口) as staff enter them; NULL = not entered, and rates that need it say so.
ALTER TABLE orgs ADD COLUMN population INTEGER CHECK (population IS NULL OR population >= 0);

-- Every org with each of its ancestors and itself. Orgs never move (their path is fixed at
-- creation), so one row set written when the org is created stays true.
CREATE TABLE org_ancestors (
    org_id      INTEGER NOT NULL REFERENCES orgs (id),
    ancestor_id INTEGER NOT NULL REFERENCES orgs (id),
    PRIMARY KEY (org_id, ancestor_id)
) WITHOUT ROWID;
INSERT INTO org_ancestors (org_id, ancestor_id)
    SELECT o.id, a.id FROM orgs o JOIN orgs a ON substr(o.path, 1, length(a.path)) = a.path;
CREATE TRIGGER org_ancestors_on_create AFTER INSERT ON orgs
BEGIN
    INSERT INTO org_ancestors (org_id, ancestor_id)
        SELECT NEW.id, a.id FROM orgs a WHERE substr(NEW.path, 1, length(a.path)) = a.path;
END;
-- The first-run bootstrap inserts an org with a placeholder path and sets the real one (which
-- embeds the new id) right after, in the same transaction.
CREATE TRIGGER org_ancestors_on_path AFTER UPDATE OF path ON orgs WHEN NEW.path <> OLD.path
BEGIN
    DELETE FROM org_ancestors WHERE org_id = NEW.id;
    INSERT INTO org_ancestors (org_id, ancestor_id)
        SELECT NEW.id, a.id FROM orgs a WHERE substr(NEW.path, 1, length(a.path)) = a.path;
END;

-- Daily counters per org subtree. `metric`:
--   volunteers         registrations, at the volunteer's home org, on the day registered
--   activities         approved activities (key: category), on the day they start
--   checkins           check-ins (签到), at the activity's org
--   minutes            service minutes posted to the ledger (activity, order, self-report,
--                      correction), at the volunteer's home org
--   orders             orders placed (点单; key: the menu item's category), at the order's org
--   orders_dispatched  … of those, dispatched or opened for grabbing (派单), on the order's day
--   orders_accepted    … accepted (接单); accept_s sums seconds from order to acceptance
--   orders_completed   … completed; complete_s sums seconds from order to completion
--   orders_rated       … rated (评单); orders_good the 满意 and 非常满意 ratings
-- Funnel stages are keyed by the day the *order* was placed, so a period's funnel follows the
-- same orders from 点单 to 评单.
CREATE TABLE stat_daily (
    org_id INTEGER NOT NULL,
    metric TEXT    NOT NULL,
    day    INTEGER NOT NULL,
    key    TEXT    NOT NULL DEFAULT '',
    n      INTEGER NOT NULL,
    PRIMARY KEY (org_id, metric, day, key)
) WITHOUT ROWID;

-- The same per team (rankings of teams): activities, checkins, orders_completed, orders_rated,
-- orders_good. Keyed team then day, so one team's period is one range whatever the metrics.
CREATE TABLE stat_team_daily (
    team_id INTEGER NOT NULL,
    metric  TEXT    NOT NULL,
    day     INTEGER NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (team_id, day, metric)
) WITHOUT ROWID;

-- The team counters again per calendar month (year * 12 + month - 1, in Asia/Shanghai): ranking
-- all of a county's 400 teams over three years reads 36 months and the days at either end
-- instead of 1,095 days each. Kept from stat_team_daily by the two triggers below, which every
-- change of a daily counter (insert, or the update of an upsert) passes through; they are not
-- named stat_* because scripts/gen-county sets those aside during a bulk load and rebuilds
-- stat_team_daily with them in place, so the months follow.
CREATE TABLE stat_team_monthly (
    team_id INTEGER NOT NULL,
    month   INTEGER NOT NULL,
    metric  TEXT    NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (team_id, month, metric)
) WITHOUT ROWID;
CREATE TRIGGER rollup_team_month_insert AFTER INSERT ON stat_team_daily
BEGIN
    INSERT INTO stat_team_monthly (team_id, month, metric, n)
        VALUES (NEW.team_id,
                CAST(strftime('%Y', NEW.day * 86400, 'unixepoch') AS INTEGER) * 12
                    + CAST(strftime('%m', NEW.day * 86400, 'unixepoch') AS INTEGER) - 1,
                NEW.metric, NEW.n)
        ON CONFLICT (team_id, month, metric) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER rollup_team_month_update AFTER UPDATE OF n ON stat_team_daily
BEGIN
    UPDATE stat_team_monthly SET n = n + NEW.n - OLD.n
        WHERE team_id = NEW.team_id AND metric = NEW.metric
          AND month = CAST(strftime('%Y', NEW.day * 86400, 'unixepoch') AS INTEGER) * 12
                      + CAST(strftime('%m', NEW.day * 86400, 'unixepoch') AS INTEGER) - 1;
END;

-- Today's volunteers per org subtree, by their current home (the portrait 画像): dim 'total'
-- (bucket ''), 'gender' (male/female), 'birth_year' (YYYY; age bands are made at read time),
-- 'skill' (each listed skill), 'star' (the highest confirmed star level; no row = no star).
CREATE TABLE stat_people (
    org_id INTEGER NOT NULL,
    dim    TEXT    NOT NULL,
    bucket TEXT    NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (org_id, dim, bucket)
) WITHOUT ROWID;

-- ---- volunteers ---------------------------------------------------------------------------------

CREATE TRIGGER stat_volunteer_registered AFTER INSERT ON volunteers
BEGIN
    INSERT INTO stat_daily (org_id, metric, day, key, n)
        SELECT ancestor_id, 'volunteers', (NEW.created_at + 28800) / 86400, '', 1
        FROM org_ancestors WHERE org_id = NEW.home_org_id
        ON CONFLICT (org_id, metric, day, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO stat_people (org_id, dim, bucket, n)
        SELECT a.ancestor_id, d.dim, d.bucket, 1
        FROM org_ancestors a,
             (SELECT 'total' AS dim, '' AS bucket
              UNION ALL SELECT 'gender', NEW.gender
              UNION ALL SELECT 'birth_year', substr(NEW.birth_date, 1, 4)
              UNION ALL SELECT DISTINCT 'skill', value FROM json_each(NEW.skills)) d
        WHERE a.org_id = NEW.home_org_id
        ON CONFLICT (org_id, dim, bucket) DO UPDATE SET n = n + excluded.n;
END;

-- A move, a change of skills (or a corrected gender or birth date): the old contribution out,
-- the new one in, star level included (it follows the volunteer home).
CREATE TRIGGER stat_volunteer_changed AFTER UPDATE OF home_org_id, skills, gender, birth_date ON volunteers
BEGIN
    INSERT INTO stat_people (org_id, dim, bucket, n)
        SELECT a.ancestor_id, d.dim, d.bucket, -1
        FROM org_ancestors a,
             (SELECT 'total' AS dim, '' AS bucket
              UNION ALL SELECT 'gender', OLD.gender
              UNION ALL SELECT 'birth_year', substr(OLD.birth_date, 1, 4)
              UNION ALL SELECT DISTINCT 'skill', value FROM json_each(OLD.skills)
              UNION ALL SELECT 'star', CAST(top AS TEXT) FROM (SELECT MAX(level) AS top FROM star_levels
                  WHERE volunteer_id = OLD.id AND status = 'confirmed') WHERE top IS NOT NULL) d
        WHERE a.org_id = OLD.home_org_id
        ON CONFLICT (org_id, dim, bucket) DO UPDATE SET n = n + excluded.n;
    INSERT INTO stat_people (org_id, dim, bucket, n)
        SELECT a.ancestor_id, d.dim, d.bucket, 1
        FROM org_ancestors a,
             (SELECT 'total' AS dim, '' AS bucket
              UNION ALL SELECT 'gender', NEW.gender
              UNION ALL SELECT 'birth_year', substr(NEW.birth_date, 1, 4)
              UNION ALL SELECT DISTINCT 'skill', value FROM json_each(NEW.skills)
              UNION ALL SELECT 'star', CAST(top AS TEXT) FROM (SELECT MAX(level) AS top FROM star_levels
                  WHERE volunteer_id = NEW.id AND status = 'confirmed') WHERE top IS NOT NULL) d
        WHERE a.org_id = NEW.home_org_id
        ON CONFLICT (org_id, dim, bucket) DO UPDATE SET n = n + excluded.n;
END;

-- A confirmed star level replaces the volunteer's lower one in the portrait.
CREATE TRIGGER stat_star_confirmed AFTER UPDATE OF status ON star_levels
    WHEN NEW.status = 'confirmed' AND OLD.status <> 'confirmed'
        AND NEW.level > (SELECT COALESCE(MAX(level), 0) FROM star_levels
                         WHERE volunteer_id = NEW.volunteer_id AND status = 'confirmed' AND id <> NEW.id)
BEGIN
    INSERT INTO stat_people (org_id, dim, bucket, n)
        SELECT a.ancestor_id, 'star', CAST(s.level AS TEXT), -1
        FROM org_ancestors a,
             (SELECT MAX(level) AS level FROM star_levels
              WHERE volunteer_id = NEW.volunteer_id AND status = 'confirmed' AND id <> NEW.id) s
        WHERE a.org_id = (SELECT home_org_id FROM volunteers WHERE id = NEW.volunteer_id) AND s.level IS NOT NULL
        ON CONFLICT (org_id, dim, bucket) DO UPDATE SET n = n + excluded.n;
    INSERT INTO stat_people (org_id, dim, bucket, n)
        SELECT ancestor_id, 'star', CAST(NEW.level AS TEXT), 1
        FROM org_ancestors WHERE org_id = (SELECT home_org_id FROM volunteers WHERE id = NEW.volunteer_id)
        ON CONFLICT (org_id, dim, bucket) DO UPDATE SET n = n + excluded.n;
END;

-- ---- activities and check-ins -------------------------------------------------------------------

CREATE TRIGGER stat_activity_inserted_approved AFTER INSERT ON activities WHEN NEW.status = 'approved'
BEGIN
    INSERT INTO stat_daily (org_id, metric, day, key, n)
        SELECT ancestor_id, 'activities', (NEW.starts_at + 28800) / 86400, NEW.category, 1
        FROM org_ancestors WHERE org_id = NEW.org_id
        ON CONFLICT (org_id, metric, day, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO stat_team_daily (team_id, metric, day, n)
        SELECT NEW.team_id, 'activities', (NEW.starts_at + 28800) / 86400, 1 WHERE NEW.team_id IS NOT NULL
        ON CONFLICT (team_id, day, metric) DO UPDATE SET n = n + excluded.n;
END;

-- Approved (+1) or an approved activity cancelled (-1).
CREATE TRIGGER stat_activity_status AFTER UPDATE OF status ON activities
    WHEN (NEW.status = 'approved') <> (OLD.status = 'approved')
BEGIN
    INSERT INTO stat_daily (org_id, metric, day, key, n)
        SELECT ancestor_id, 'activities', (NEW.starts_at + 28800) / 86400, NEW.category,
               CASE WHEN NEW.status = 'approved' THEN 1 ELSE -1 END
        FROM org_ancestors WHERE org_id = NEW.org_id
        ON CONFLICT (org_id, metric, day, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO stat_team_daily (team_id, metric, day, n)
        SELECT NEW.team_id, 'activities', (NEW.starts_at + 28800) / 86400,
               CASE WHEN NEW.status = 'approved' THEN 1 ELSE -1 END
        WHERE NEW.team_id IS NOT NULL
        ON CONFLICT (team_id, day, metric) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER stat_checkin AFTER INSERT ON attendances
BEGIN
    INSERT INTO stat_daily (org_id, metric, day, key, n)
        SELECT ancestor_id, 'checkins', (NEW.checked_in_at + 28800) / 86400, '', 1
        FROM org_ancestors WHERE org_id = (SELECT org_id FROM activities WHERE id = NEW.activity_id)
        ON CONFLICT (org_id, metric, day, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO stat_team_daily (team_id, metric, day, n)
        SELECT team_id, 'checkins', (NEW.checked_in_at + 28800) / 86400, 1
        FROM activities WHERE id = NEW.activity_id AND team_id IS NOT NULL
        ON CONFLICT (team_id, day, metric) DO UPDATE SET n = n + excluded.n;
END;

-- Service minutes as the ledger posts them (points and redemptions are not service).
CREATE TRIGGER stat_minutes AFTER INSERT ON ledger_entries
    WHEN NEW.kind = 'minutes' AND NEW.source IN ('activity', 'order', 'self-report', 'correction')
BEGIN
    INSERT INTO stat_daily (org_id, metric, day, key, n)
        SELECT ancestor_id, 'minutes', (NEW.at + 28800) / 86400, '', NEW.amount
        FROM org_ancestors WHERE org_id = (SELECT home_org_id FROM volunteers WHERE id = NEW.volunteer_id)
        ON CONFLICT (org_id, metric, day, key) DO UPDATE SET n = n + excluded.n;
END;

-- ---- orders (四单: 点单 → 派单 → 接单 → 评单) ----------------------------------------------------

CREATE TRIGGER stat_order_placed AFTER INSERT ON demands
BEGIN
    INSERT INTO stat_daily (org_id, metric, day, key, n)
        SELECT ancestor_id, 'orders', (NEW.created_at + 28800) / 86400,
               COALESCE((SELECT category FROM service_menu_items WHERE id = NEW.menu_item_id), ''), 1
        FROM org_ancestors WHERE org_id = NEW.org_id
        ON CONFLICT (org_id, metric, day, key) DO UPDATE SET n = n + excluded.n;
END;

-- The first time an order reaches a stage; a declined and re-dispatched order counts once.
CREATE TRIGGER stat_order_dispatched AFTER INSERT ON demand_events
    WHEN NEW.to_status IN ('dispatched', 'open')
        AND NOT EXISTS (SELECT 1 FROM demand_events WHERE demand_id = NEW.demand_id AND id <> NEW.id
                        AND to_status IN ('dispatched', 'open'))
BEGIN
    INSERT INTO stat_daily (org_id, metric, day, key, n)
        SELECT a.ancestor_id, 'orders_dispatched', (d.created_at + 28800) / 86400, '', 1
        FROM demands d JOIN org_ancestors a ON a.org_id = d.org_id WHERE d.id = NEW.demand_id
        ON CONFLICT (org_id, metric, day, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER stat_order_accepted AFTER INSERT ON demand_events
    WHEN NEW.to_status = 'accepted'
        AND NOT EXISTS (SELECT 1 FROM demand_events WHERE demand_id = NEW.demand_id AND id <> NEW.id
                        AND to_status = 'accepted')
BEGIN
    INSERT INTO stat_daily (org_id, metric, day, key, n)
        SELECT a.ancestor_id, m.metric, (d.created_at + 28800) / 86400, '',
               CASE m.metric WHEN 'orders_accepted' THEN 1 ELSE MAX(NEW.at - d.created_at, 0) END
        FROM demands d JOIN org_ancestors a ON a.org_id = d.org_id,
             (SELECT 'orders_accepted' AS metric UNION ALL SELECT 'accept_s') m
        WHERE d.id = NEW.demand_id
        ON CONFLICT (org_id, metric, day, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER stat_order_completed AFTER INSERT ON demand_events
    WHEN NEW.to_status = 'completed'
        AND NOT EXISTS (SELECT 1 FROM demand_events WHERE demand_id = NEW.demand_id AND id <> NEW.id
                        AND to_status = 'completed')
BEGIN
    INSERT INTO stat_daily (org_id, metric, day, key, n)
        SELECT a.ancestor_id, m.metric, (d.created_at + 28800) / 86400, '',
               CASE m.metric WHEN 'orders_completed' THEN 1 ELSE MAX(NEW.at - d.created_at, 0) END
        FROM demands d JOIN org_ancestors a ON a.org_id = d.org_id,
             (SELECT 'orders_completed' AS metric UNION ALL SELECT 'complete_s') m
        WHERE d.id = NEW.demand_id
        ON CONFLICT (org_id, metric, day, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO stat_team_daily (team_id, metric, day, n)
        SELECT d.team_id, 'orders_completed', (d.created_at + 28800) / 86400, 1
        FROM demands d WHERE d.id = NEW.demand_id AND d.team_id IS NOT NULL
        ON CONFLICT (team_id, day, metric) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER stat_order_rated AFTER UPDATE OF rating ON demands
    WHEN OLD.rating IS NULL AND NEW.rating IS NOT NULL
BEGIN
    INSERT INTO stat_daily (org_id, metric, day, key, n)
        SELECT a.ancestor_id, m.metric, (NEW.created_at + 28800) / 86400, '', 1
        FROM org_ancestors a,
             (SELECT 'orders_rated' AS metric
              UNION ALL SELECT 'orders_good' WHERE NEW.rating IN ('very_satisfied', 'satisfied')) m
        WHERE a.org_id = NEW.org_id
        ON CONFLICT (org_id, metric, day, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO stat_team_daily (team_id, metric, day, n)
        SELECT NEW.team_id, m.metric, (NEW.created_at + 28800) / 86400, 1
        FROM (SELECT 'orders_rated' AS metric
              UNION ALL SELECT 'orders_good' WHERE NEW.rating IN ('very_satisfied', 'satisfied')) m
        WHERE NEW.team_id IS NOT NULL
        ON CONFLICT (team_id, day, metric) DO UPDATE SET n = n + excluded.n;
END;

-- ---- what is already there when this lands ----------------------------------------------------

INSERT INTO stat_daily (org_id, metric, day, key, n)
    SELECT a.ancestor_id, 'volunteers', (v.created_at + 28800) / 86400, '', COUNT(*)
    FROM volunteers v JOIN org_ancestors a ON a.org_id = v.home_org_id
    GROUP BY 1, 3;
INSERT INTO stat_people (org_id, dim, bucket, n)
    SELECT a.ancestor_id, d.dim, d.bucket, COUNT(*)
    FROM org_ancestors a JOIN (
        SELECT home_org_id, 'total' AS dim, '' AS bucket FROM volunteers
        UNION ALL SELECT home_org_id, 'gender', gender FROM volunteers
        UNION ALL SELECT home_org_id, 'birth_year', substr(birth_date, 1, 4) FROM volunteers
        UNION ALL SELECT v.home_org_id, 'skill', j.value FROM volunteers v, json_each(v.skills) j GROUP BY v.id, j.value
        UNION ALL SELECT v.home_org_id, 'star', CAST(MAX(s.level) AS TEXT)
            FROM volunteers v JOIN star_levels s ON s.volunteer_id = v.id AND s.status = 'confirmed' GROUP BY v.id
    ) d ON a.org_id = d.home_org_id
    GROUP BY 1, 2, 3;
INSERT INTO stat_daily (org_id, metric, day, key, n)
    SELECT a.ancestor_id, 'activities', (x.starts_at + 28800) / 86400, x.category, COUNT(*)
    FROM activities x JOIN org_ancestors a ON a.org_id = x.org_id WHERE x.status = 'approved'
    GROUP BY 1, 3, 4;
INSERT INTO stat_team_daily (team_id, metric, day, n)
    SELECT team_id, 'activities', (starts_at + 28800) / 86400, COUNT(*)
    FROM activities WHERE status = 'approved' AND team_id IS NOT NULL GROUP BY 1, 3;
INSERT INTO stat_daily (org_id, metric, day, key, n)
    SELECT a.ancestor_id, 'checkins', (t.checked_in_at + 28800) / 86400, '', COUNT(*)
    FROM attendances t JOIN activities x ON x.id = t.activity_id JOIN org_ancestors a ON a.org_id = x.org_id
    GROUP BY 1, 3;
INSERT INTO stat_team_daily (team_id, metric, day, n)
    SELECT x.team_id, 'checkins', (t.checked_in_at + 28800) / 86400, COUNT(*)
    FROM attendances t JOIN activities x ON x.id = t.activity_id WHERE x.team_id IS NOT NULL GROUP BY 1, 3;
INSERT INTO stat_daily (org_id, metric, day, key, n)
    SELECT a.ancestor_id, 'minutes', (l.at + 28800) / 86400, '', SUM(l.amount)
    FROM ledger_entries l JOIN volunteers v ON v.id = l.volunteer_id JOIN org_ancestors a ON a.org_id = v.home_org_id
    WHERE l.kind = 'minutes' AND l.source IN ('activity', 'order', 'self-report', 'correction')
    GROUP BY 1, 3;
INSERT INTO stat_daily (org_id, metric, day, key, n)
    SELECT a.ancestor_id, 'orders', (d.created_at + 28800) / 86400, COALESCE(m.category, ''), COUNT(*)
    FROM demands d LEFT JOIN service_menu_items m ON m.id = d.menu_item_id JOIN org_ancestors a ON a.org_id = d.org_id
    GROUP BY 1, 3, 4;
INSERT INTO stat_daily (org_id, metric, day, key, n)
    SELECT a.ancestor_id, s.metric, (d.created_at + 28800) / 86400, '', SUM(s.n)
    FROM demands d JOIN org_ancestors a ON a.org_id = d.org_id JOIN (
        SELECT demand_id, 'orders_dispatched' AS metric, 1 AS n FROM demand_events
            WHERE to_status IN ('dispatched', 'open') GROUP BY demand_id
        UNION ALL SELECT e.demand_id, 'orders_accepted', 1 FROM demand_events e
            WHERE e.to_status = 'accepted' GROUP BY e.demand_id
        UNION ALL SELECT e.demand_id, 'accept_s', MAX(MIN(e.at) - x.created_at, 0) FROM demand_events e
            JOIN demands x ON x.id = e.demand_id WHERE e.to_status = 'accepted' GROUP BY e.demand_id
        UNION ALL SELECT e.demand_id, 'orders_completed', 1 FROM demand_events e
            WHERE e.to_status = 'completed' GROUP BY e.demand_id
        UNION ALL SELECT e.demand_id, 'complete_s', MAX(MIN(e.at) - x.created_at, 0) FROM demand_events e
            JOIN demands x ON x.id = e.demand_id WHERE e.to_status = 'completed' GROUP BY e.demand_id
        UNION ALL SELECT id, 'orders_rated', 1 FROM demands WHERE rating IS NOT NULL
        UNION ALL SELECT id, 'orders_good', 1 FROM demands WHERE rating IN ('very_satisfied', 'satisfied')
    ) s ON s.demand_id = d.id
    GROUP BY 1, 2, 3;
INSERT INTO stat_team_daily (team_id, metric, day, n)
    SELECT d.team_id, s.metric, (d.created_at + 28800) / 86400, COUNT(*)
    FROM demands d JOIN (
        SELECT DISTINCT demand_id, 'orders_completed' AS metric FROM demand_events WHERE to_status = 'completed'
        UNION ALL SELECT id, 'orders_rated' FROM demands WHERE rating IS NOT NULL
        UNION ALL SELECT id, 'orders_good' FROM demands WHERE rating IN ('very_satisfied', 'satisfied')
    ) s ON s.demand_id = d.id
    WHERE d.team_id IS NOT NULL
    GROUP BY 1, 2, 3;

-- ---- screen links (大屏链接) ---------------------------------------------------------------------

-- A wall display opens /screen.html#<token> and reads aggregates of the org's subtree with the
-- token alone; revoking (revoked_at) stops it on its next refresh.
CREATE TABLE screen_links (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES orgs (id),
    label      TEXT    NOT NULL,
    token_hash TEXT    NOT NULL UNIQUE,   -- lowercase hex SHA-256 of the token
    created_by INTEGER NOT NULL REFERENCES accounts (id),
    created_at INTEGER NOT NULL,
    revoked_by INTEGER REFERENCES accounts (id),
    revoked_at INTEGER
);
CREATE INDEX screen_links_org ON screen_links (org_id);
