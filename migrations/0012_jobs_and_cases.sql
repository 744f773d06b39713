-- When the scheduler's `survey-windows` job saw a published survey open (its `opens_at`
-- passed). Whether a survey takes answers is still decided by its times alone; this column
-- only makes "opened" an event that happens once, so the job can report it exactly once.
-- Surveys already open when this lands are marked now, so the first run does not report
-- history as news.
ALTER TABLE surveys ADD COLUMN opened_at INTEGER;
UPDATE surveys SET opened_at = max(opens_at, COALESCE(published_at, opens_at))
    WHERE status <> 'draft' AND opens_at <= CAST(strftime('%s', 'now') AS INTEGER);

-- Mediation cases, as staff see them (GET /api/v1/mediation/cases): the org whose subtree's
-- staff may read the case (the platform may name one, `org_id`; otherwise the centre), with its
-- path copied for scoping as one indexed range like every list; and the case's handler
-- (承办人员) as the latest event named them, who is told of each status change by SMS.
ALTER TABLE mediation_cases ADD COLUMN org_id INTEGER REFERENCES orgs (id);
ALTER TABLE mediation_cases ADD COLUMN org_path TEXT NOT NULL DEFAULT '';
ALTER TABLE mediation_cases ADD COLUMN handler_name TEXT;
ALTER TABLE mediation_cases ADD COLUMN handler_phone TEXT;
UPDATE mediation_cases
    SET org_id = (SELECT id FROM orgs WHERE level = 'centre' AND active = 1 ORDER BY id LIMIT 1),
        org_path = COALESCE((SELECT path FROM orgs WHERE level = 'centre' AND active = 1 ORDER BY id LIMIT 1), '');
CREATE INDEX mediation_cases_org ON mediation_cases (org_path, id);
