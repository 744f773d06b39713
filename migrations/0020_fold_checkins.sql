-- 0020: check-ins leave the check-in's transaction; the scheduler folds them into the rollups.
--
-- 0019 counted a check-in with trigger `stat_checkin`: one upsert per ancestor of the activity's
-- org, the team's day and (through rollup_team_month_*) the team's month, all inside the
-- check-in's write transaction. Check-ins are the platform's peak write (a whole activity checks
-- in within seconds), and at concurrency 256 every check-in waits for the write lock, so those
-- upserts cost the burst 26 % (BENCHMARKS.md). Now a check-in writes its attendance row alone;
-- `POST /api/v1/jobs/fold-checkins` (the dashboard component, every minute) adds the attendances
-- after a watermark to `stat_daily` and `stat_team_daily` and moves the watermark, in one
-- transaction. Reads stay exact without waiting for it: they add the unfolded tail (attendances
-- after the watermark) to the folded counters (components/dashboard/src/checkins.rs).
--
-- Every other metric stays in its trigger: registrations, approvals, orders and postings are
-- each a single write a person waits for, never a burst of thousands within seconds.

DROP TRIGGER stat_checkin;

-- How far each folding job has got: `last_id` is the highest row id already in the rollups.
-- Attendances are only ever inserted (never deleted), and SQLite gives each new row a higher id
-- than every row committed before it, so "id > last_id" is exactly what is not yet counted.
CREATE TABLE stat_watermarks (
    name    TEXT    PRIMARY KEY,
    last_id INTEGER NOT NULL CHECK (last_id >= 0)
) WITHOUT ROWID;

-- The check-ins already there were counted by stat_checkin (or 0019's backfill).
INSERT INTO stat_watermarks (name, last_id) SELECT 'checkins', COALESCE(MAX(id), 0) FROM attendances;
