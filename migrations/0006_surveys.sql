-- Needs surveys (需求调查): questionnaires targeted at an org's subtree, their responses, and
-- the links from what people asked for to the work it caused. Times are unix seconds (UTC).

-- One questionnaire. `definition` is the canonical JSON of its sections and questions, as the
-- survey component's model accepted it; it never changes once the survey is published.
-- `org_path` is copied from the org so scoping is one indexed range.
CREATE TABLE surveys (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs (id),
    org_path     TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    audience     TEXT    NOT NULL CHECK (audience IN ('residents', 'volunteers')),
    anonymous    INTEGER NOT NULL CHECK (anonymous IN (0, 1)),
    one_per      TEXT    NOT NULL CHECK (one_per IN ('person', 'household')),
    opens_at     INTEGER NOT NULL,
    closes_at    INTEGER NOT NULL,
    definition   TEXT    NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'closed')),
    created_by   INTEGER NOT NULL REFERENCES accounts (id),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    published_at INTEGER,
    closed_at    INTEGER,
    CHECK (closes_at > opens_at)
);
CREATE INDEX surveys_org ON surveys (org_path, id);

-- One submitted response. `account_id` is NULL for anonymous surveys: who answered is kept
-- only in `survey_respondents`, apart from what they answered. `org_path` is where the
-- respondent lives (their station or point), for the breakdown by station.
CREATE TABLE survey_responses (
    id           INTEGER PRIMARY KEY,
    survey_id    INTEGER NOT NULL REFERENCES surveys (id),
    account_id   INTEGER REFERENCES accounts (id),
    org_id       INTEGER NOT NULL REFERENCES orgs (id),
    org_path     TEXT    NOT NULL,
    answers      TEXT    NOT NULL,   -- JSON object: question key → answer, as checked
    submitted_at INTEGER NOT NULL
);
CREATE INDEX survey_responses_survey ON survey_responses (survey_id, org_path);

-- The one-response rules, as constraints so two concurrent submissions cannot both pass:
-- one per person always, and one per household key when the survey counts households.
CREATE TABLE survey_respondents (
    survey_id  INTEGER NOT NULL REFERENCES surveys (id),
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    PRIMARY KEY (survey_id, account_id)
);
CREATE TABLE survey_households (
    survey_id     INTEGER NOT NULL REFERENCES surveys (id),
    household_key TEXT    NOT NULL,
    PRIMARY KEY (survey_id, household_key)
);

-- Every countable value of every response, so results are GROUP BY queries rather than a
-- walk over JSON: a chosen option (`option`), a matrix row and its column (`option`, `text`),
-- a text or a date (`text`), a number or rating (`number`).
CREATE TABLE survey_answers (
    response_id INTEGER NOT NULL REFERENCES survey_responses (id),
    survey_id   INTEGER NOT NULL REFERENCES surveys (id),
    question    TEXT    NOT NULL,
    option      TEXT,
    text        TEXT,
    number      REAL
);
CREATE INDEX survey_answers_question ON survey_answers (survey_id, question, option);
CREATE INDEX survey_answers_response ON survey_answers (response_id);

-- From a need to the work it caused: a survey (or one question, or one option of it) linked to
-- a service-menu item, a demand order or an activity created because of it.
CREATE TABLE survey_links (
    id         INTEGER PRIMARY KEY,
    survey_id  INTEGER NOT NULL REFERENCES surveys (id),
    question   TEXT    NOT NULL DEFAULT '',   -- '' = the survey as a whole
    option     TEXT    NOT NULL DEFAULT '',   -- '' = the question as a whole
    target     TEXT    NOT NULL CHECK (target IN ('service_menu_item', 'demand', 'activity')),
    target_id  INTEGER NOT NULL,
    note       TEXT    NOT NULL DEFAULT '',
    created_by INTEGER NOT NULL REFERENCES accounts (id),
    created_at INTEGER NOT NULL,
    UNIQUE (survey_id, question, option, target, target_id)
);
