-- Activities (活动), sign-ups (报名), attendance (签到签退) and self-reported service.
-- Times are unix seconds (UTC); coordinates are integer microdegrees (no floats in records);
-- minutes are whole minutes.

-- An application by a team, an organisation or staff; approved by the owning org's admin, who
-- issues the activity code (活动码).
CREATE TABLE activities (
    id                      INTEGER PRIMARY KEY,
    org_id                  INTEGER NOT NULL REFERENCES orgs (id),
    applicant_id            INTEGER NOT NULL REFERENCES accounts (id),
    team_id                 INTEGER REFERENCES teams (id),
    organisation_id         INTEGER REFERENCES organisations (id),
    title                   TEXT    NOT NULL,
    category                TEXT    NOT NULL,
    description             TEXT    NOT NULL DEFAULT '',
    address                 TEXT    NOT NULL DEFAULT '',
    latitude_e6             INTEGER,
    longitude_e6            INTEGER,
    radius_m                INTEGER CHECK (radius_m IS NULL OR radius_m > 0),
    starts_at               INTEGER NOT NULL,
    ends_at                 INTEGER NOT NULL CHECK (ends_at > starts_at),
    capacity                INTEGER NOT NULL CHECK (capacity > 0),
    signup_deadline         INTEGER NOT NULL,
    min_age                 INTEGER,
    required_skills         TEXT    NOT NULL DEFAULT '[]',   -- JSON array
    visibility              TEXT    NOT NULL CHECK (visibility IN ('public', 'invitation')),
    invitation_code         TEXT,
    dynamic_code            INTEGER NOT NULL DEFAULT 0 CHECK (dynamic_code IN (0, 1)),
    dynamic_secret          TEXT,                           -- key of the rotating check-in code
    status                  TEXT    NOT NULL DEFAULT 'pending'
                                    CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    reject_reason           TEXT,
    code                    TEXT    UNIQUE,                 -- issued on approval
    decided_by              INTEGER REFERENCES accounts (id),
    decided_at              INTEGER,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL,
    -- A place means a check-in radius, and the other way round.
    CHECK ((latitude_e6 IS NULL) = (longitude_e6 IS NULL) AND (latitude_e6 IS NULL) = (radius_m IS NULL))
);
CREATE INDEX activities_org_time ON activities (org_id, starts_at);
CREATE INDEX activities_status_time ON activities (status, starts_at);

-- Sign-ups: `confirmed` up to capacity, then `waitlisted` in `position` order.
CREATE TABLE signups (
    id           INTEGER PRIMARY KEY,
    activity_id  INTEGER NOT NULL REFERENCES activities (id),
    volunteer_id INTEGER NOT NULL REFERENCES volunteers (id),
    status       TEXT    NOT NULL CHECK (status IN ('confirmed', 'waitlisted', 'cancelled')),
    position     INTEGER NOT NULL,
    -- Copied from the activity so "does this overlap another of mine" is one indexed query.
    starts_at    INTEGER NOT NULL,
    ends_at      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    cancelled_at INTEGER,
    UNIQUE (activity_id, volunteer_id)
);
CREATE INDEX signups_volunteer_time ON signups (volunteer_id, starts_at);
CREATE INDEX signups_activity_status ON signups (activity_id, status, position);

-- One attendance per volunteer and activity: check-in, check-out, the server-computed minutes,
-- and the organiser's confirmation (only confirmed minutes reach the ledger).
CREATE TABLE attendances (
    id                  INTEGER PRIMARY KEY,
    activity_id         INTEGER NOT NULL REFERENCES activities (id),
    volunteer_id        INTEGER NOT NULL REFERENCES volunteers (id),
    checked_in_at       INTEGER NOT NULL,
    check_in_distance_m INTEGER,
    checked_out_at      INTEGER,
    check_out_distance_m INTEGER,
    auto_closed         INTEGER NOT NULL DEFAULT 0 CHECK (auto_closed IN (0, 1)),
    minutes             INTEGER CHECK (minutes IS NULL OR minutes >= 0),
    confirmed_minutes   INTEGER CHECK (confirmed_minutes IS NULL OR confirmed_minutes >= 0),
    correction_reason   TEXT,
    confirmed_by        INTEGER REFERENCES accounts (id),
    confirmed_at        INTEGER,
    UNIQUE (activity_id, volunteer_id)
);
CREATE INDEX attendances_open ON attendances (activity_id, checked_out_at);

-- Service done outside listed activities, reported by the volunteer, approved by staff.
CREATE TABLE self_reports (
    id           INTEGER PRIMARY KEY,
    volunteer_id INTEGER NOT NULL REFERENCES volunteers (id),
    org_id       INTEGER NOT NULL REFERENCES orgs (id),
    title        TEXT    NOT NULL,
    category     TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    started_at   INTEGER NOT NULL,
    ended_at     INTEGER NOT NULL CHECK (ended_at > started_at),
    minutes      INTEGER NOT NULL CHECK (minutes > 0),
    status       TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    reason       TEXT,
    decided_by   INTEGER REFERENCES accounts (id),
    decided_at   INTEGER,
    created_at   INTEGER NOT NULL
);
CREATE INDEX self_reports_org ON self_reports (org_id, status);

-- Deployment rules for hours (see deployment_settings):
--   checkin.opens_before_s  — how early check-in opens before the start (default 1800)
--   checkout.grace_s        — after the end plus this, a forgotten check-out is closed (default 7200)
--   hours.rounding          — JSON [[upper_minutes, rounded_minutes], ...] applied to the minutes
--                             past the last whole hour (default [[15,0],[45,30],[60,60]])
INSERT INTO deployment_settings (key, value, updated_at) VALUES
    ('checkin.opens_before_s', '1800', unixepoch()),
    ('checkout.grace_s', '7200', unixepoch()),
    ('hours.rounding', '[[15,0],[45,30],[60,60]]', unixepoch());
