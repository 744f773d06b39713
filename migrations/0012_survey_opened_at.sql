-- When the scheduler's `survey-windows` job saw a published survey open (its `opens_at`
-- passed). Whether a survey takes answers is still decided by its times alone; this column
-- only makes "opened" an event that happens once, so the job can report it exactly once.
-- Surveys already open when this lands are marked now, so the first run does not report
-- history as news.
ALTER TABLE surveys ADD COLUMN opened_at INTEGER;
UPDATE surveys SET opened_at = max(opens_at, COALESCE(published_at, opens_at))
    WHERE status <> 'draft' AND opens_at <= CAST(strftime('%s', 'now') AS INTEGER);
