-- Court and township mediation cases (诉前调解 / 人民调解) as reported by the mediation platform's
-- webhook (POST /hooks/mediation, docs/mediation.md). The platform is the source of truth; these
-- rows are what the county knows of it: the case's latest status and every event received, so
-- a retried delivery (same event_id) is recognised and changes nothing.
CREATE TABLE mediation_cases (
    id          INTEGER PRIMARY KEY,
    case_no     TEXT NOT NULL UNIQUE,
    source      TEXT NOT NULL CHECK (source IN ('court', 'township_center')),
    status      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE mediation_events (
    id              INTEGER PRIMARY KEY,
    event_id        TEXT NOT NULL UNIQUE,
    case_id         INTEGER NOT NULL REFERENCES mediation_cases (id),
    status          TEXT NOT NULL,
    previous_status TEXT,
    occurred_at     INTEGER NOT NULL,
    received_at     INTEGER NOT NULL,
    -- How many SMS notices were queued for this event (parties with a phone, when asked).
    notified        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX mediation_events_case ON mediation_events (case_id, id);
