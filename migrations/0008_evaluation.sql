-- Evaluation (群众评单, 三级评估, 以评促建): ratings of activities and volunteer projects, work and
-- thematic evaluations by scheme, and the index settings. The index and rankings themselves are
-- computed on request from data the platform already holds (activities, attendances, demands,
-- ratings); nothing here stores a computed index. Times are unix seconds (UTC); periods are text
-- (`2026-11`, `2026-Q4`, `2026`, read in +08:00). See docs/evaluation-api.md.

-- Volunteer service projects (志愿服务项目): a named piece of ongoing work of an org (and
-- optionally one of its teams) over a period, rated by participants and the people served.
CREATE TABLE eval_projects (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs (id),
    org_path    TEXT    NOT NULL,              -- copied from orgs so subtree filters are one range
    team_id     INTEGER REFERENCES teams (id),
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    starts_on   TEXT    NOT NULL,              -- YYYY-MM-DD
    ends_on     TEXT    NOT NULL CHECK (ends_on >= starts_on),
    created_by  INTEGER NOT NULL REFERENCES accounts (id),
    created_at  INTEGER NOT NULL,
    UNIQUE (org_id, name)
);
CREATE INDEX eval_projects_path ON eval_projects (org_path);

-- One rating per rater and subject (an activity or a project): the UNIQUE constraint, not a
-- read-then-write check, is what makes a second rating a 409 even when two arrive at once.
-- `org_path` and `team_id` are copied from the subject so aggregation by org subtree and team
-- is one indexed range. Recognition (认可度) and participation (参与度) are for projects only.
CREATE TABLE eval_ratings (
    id            INTEGER PRIMARY KEY,
    subject       TEXT    NOT NULL CHECK (subject IN ('activity', 'project')),
    subject_id    INTEGER NOT NULL,
    org_id        INTEGER NOT NULL REFERENCES orgs (id),
    org_path      TEXT    NOT NULL,
    team_id       INTEGER REFERENCES teams (id),
    rater_id      INTEGER NOT NULL REFERENCES accounts (id),
    rater_group   TEXT    NOT NULL CHECK (rater_group IN ('participant', 'citizen')),
    level         TEXT    NOT NULL CHECK (level IN ('very_satisfied', 'satisfied', 'basically_satisfied', 'dissatisfied')),
    recognition   INTEGER CHECK (recognition IS NULL OR recognition BETWEEN 1 AND 5),
    participation INTEGER CHECK (participation IS NULL OR participation BETWEEN 1 AND 5),
    comment       TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    UNIQUE (subject, subject_id, rater_id),
    CHECK ((subject = 'project') = (recognition IS NOT NULL AND participation IS NOT NULL))
);
CREATE INDEX eval_ratings_path ON eval_ratings (org_path, created_at);
CREATE INDEX eval_ratings_team ON eval_ratings (team_id, created_at);

-- Evaluation schemes of a centre. `kind` = 'work' (items scored by evaluators) or 'thematic'
-- (rater groups grading 满意/基本满意/不满意). `definition` is the checked JSON: for work
-- `{"items": [{"key", "title", "weight", "max_points", "evidence_required"}]}`, for thematic
-- `{"groups": [{"key", "title", "weight"}]}`; weights are whole numbers summing to 100. A scheme
-- never changes after creation, so every stored evaluation keeps the rules it was scored by.
CREATE TABLE eval_schemes (
    id           INTEGER PRIMARY KEY,
    centre_id    INTEGER NOT NULL REFERENCES orgs (id),
    centre_path  TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('work', 'thematic')),
    name         TEXT    NOT NULL,
    target_level TEXT    NOT NULL CHECK (target_level IN ('institute', 'station')),
    definition   TEXT    NOT NULL,
    created_by   INTEGER NOT NULL REFERENCES accounts (id),
    created_at   INTEGER NOT NULL,
    UNIQUE (centre_id, name)
);

-- A work evaluation: one evaluator's scores for one org in one period under one scheme. The
-- total is computed by the server (Σ score/max × weight) and kept in hundredths so lists need
-- no recomputation; the scores it came from are in eval_work_scores.
CREATE TABLE eval_work_evaluations (
    id           INTEGER PRIMARY KEY,
    scheme_id    INTEGER NOT NULL REFERENCES eval_schemes (id),
    org_id       INTEGER NOT NULL REFERENCES orgs (id),
    org_path     TEXT    NOT NULL,
    period       TEXT    NOT NULL,
    evaluator_id INTEGER NOT NULL REFERENCES accounts (id),
    total_centi  INTEGER NOT NULL CHECK (total_centi BETWEEN 0 AND 10000),
    comment      TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    UNIQUE (scheme_id, org_id, period, evaluator_id)
);
CREATE INDEX eval_work_org ON eval_work_evaluations (org_path, period);

-- Each item's score (hundredths of a point, 0..max), note and evidence references (JSON array
-- of strings: file names, links, archive numbers).
CREATE TABLE eval_work_scores (
    evaluation_id INTEGER NOT NULL REFERENCES eval_work_evaluations (id),
    item_key      TEXT    NOT NULL,
    score_centi   INTEGER NOT NULL CHECK (score_centi >= 0),
    note          TEXT    NOT NULL DEFAULT '',
    evidence      TEXT    NOT NULL DEFAULT '[]',
    PRIMARY KEY (evaluation_id, item_key)
);

-- Raters of a thematic scheme registered by staff with their group (党代表, 人大代表, 政协委员...).
-- Anyone signed in who is not registered grades as `citizen` when the scheme has that group.
CREATE TABLE eval_scheme_raters (
    scheme_id     INTEGER NOT NULL REFERENCES eval_schemes (id),
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    rater_group   TEXT    NOT NULL,
    registered_by INTEGER NOT NULL REFERENCES accounts (id),
    registered_at INTEGER NOT NULL,
    PRIMARY KEY (scheme_id, account_id)
);

-- Thematic grades: one per (scheme, org, period, rater), held by the primary key.
CREATE TABLE eval_thematic_grades (
    id          INTEGER PRIMARY KEY,
    scheme_id   INTEGER NOT NULL REFERENCES eval_schemes (id),
    org_id      INTEGER NOT NULL REFERENCES orgs (id),
    org_path    TEXT    NOT NULL,
    period      TEXT    NOT NULL,
    rater_id    INTEGER NOT NULL REFERENCES accounts (id),
    rater_group TEXT    NOT NULL,
    grade       TEXT    NOT NULL CHECK (grade IN ('satisfied', 'basically_satisfied', 'dissatisfied')),
    comment     TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    UNIQUE (scheme_id, org_id, period, rater_id)
);
CREATE INDEX eval_thematic_org ON eval_thematic_grades (scheme_id, period, org_id);

-- The index's weights (whole numbers summing to 100) and targets, changed through
-- PUT /api/v1/evaluation/settings. Participation (attendances) is a count, so its target is per
-- org level; the others are shares (0–1) or hours (response time: lower is better).
INSERT OR IGNORE INTO deployment_settings (key, value, updated_at) VALUES
    ('evaluation.index',
     '{"weights":{"participation":25,"team_activity":20,"satisfaction":25,"response_hours":15,"completion":15},"targets":{"participation":{"centre":1000,"institute":200,"station":50,"point":20},"team_activity":0.8,"satisfaction":0.95,"response_hours":24,"completion":0.9}}',
     unixepoch());
