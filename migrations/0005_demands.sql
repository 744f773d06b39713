-- Demand orders (群众点单) and their dispatch (中心派单 → 志愿者接单 → 群众评单).
-- The state machine lives in one place (components/demand-flow); this schema only records it.

-- The service menu (服务菜单) of a centre: categories and items. `kind` decides where an order
-- goes: welfare services to volunteer teams, petitions/complaints to departments, disputes to
-- mediation handling. Deadlines (seconds to be accepted) per urgency.
CREATE TABLE service_menu_items (
    id                INTEGER PRIMARY KEY,
    centre_org_id     INTEGER NOT NULL REFERENCES orgs (id),
    category          TEXT    NOT NULL,
    name              TEXT    NOT NULL,
    kind              TEXT    NOT NULL CHECK (kind IN ('welfare', 'petition', 'dispute')),
    deadline_normal_s INTEGER NOT NULL CHECK (deadline_normal_s > 0),
    deadline_urgent_s INTEGER NOT NULL CHECK (deadline_urgent_s > 0),
    deadline_critical_s INTEGER NOT NULL CHECK (deadline_critical_s > 0),
    active            INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    UNIQUE (centre_org_id, category, name)
);

-- One order. `org_id` is the owning org (the station where the need is); staff of its subtree
-- and its ancestors dispatch it. `priority` is computed from urgency (higher first).
CREATE TABLE demands (
    id                 INTEGER PRIMARY KEY,
    citizen_id         INTEGER NOT NULL REFERENCES accounts (id),
    created_by         INTEGER NOT NULL REFERENCES accounts (id),
    menu_item_id       INTEGER NOT NULL REFERENCES service_menu_items (id),
    kind               TEXT    NOT NULL CHECK (kind IN ('welfare', 'petition', 'dispute')),
    org_id             INTEGER NOT NULL REFERENCES orgs (id),
    description        TEXT    NOT NULL,
    address            TEXT    NOT NULL DEFAULT '',
    latitude_e6        INTEGER,
    longitude_e6       INTEGER,
    urgency            TEXT    NOT NULL CHECK (urgency IN ('normal', 'urgent', 'critical')),
    priority           INTEGER NOT NULL,
    preferred_time     TEXT    NOT NULL DEFAULT '',
    contact_name       TEXT    NOT NULL,
    contact_phone      TEXT    NOT NULL,
    status             TEXT    NOT NULL CHECK (status IN ('submitted', 'dispatched', 'open', 'accepted',
                                                          'in_service', 'completed', 'forwarded', 'replied',
                                                          'rejected', 'cancelled', 'closed')),
    deadline_at        INTEGER NOT NULL,
    escalated_at       INTEGER,
    escalated_to       INTEGER REFERENCES orgs (id),
    team_id            INTEGER REFERENCES teams (id),
    department_id      INTEGER REFERENCES departments (id),
    report             TEXT,                -- JSON 结项报告: what was done, volunteers, minutes
    reply              TEXT,                -- a department's answer
    rating             TEXT CHECK (rating IN ('very_satisfied', 'satisfied', 'basically_satisfied', 'dissatisfied')),
    rating_comment     TEXT,
    completed_at       INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX demands_queue ON demands (status, priority DESC, deadline_at);
CREATE INDEX demands_org ON demands (org_id, status);
CREATE INDEX demands_citizen ON demands (citizen_id, created_at);
CREATE INDEX demands_team ON demands (team_id, status);
CREATE INDEX demands_department ON demands (department_id, status);
-- "Same citizen, same item, still open" is one indexed lookup.
CREATE INDEX demands_duplicates ON demands (citizen_id, menu_item_id, status, created_at);

-- The timeline: every transition, who, when, from, to, why.
CREATE TABLE demand_events (
    id          INTEGER PRIMARY KEY,
    demand_id   INTEGER NOT NULL REFERENCES demands (id),
    at          INTEGER NOT NULL,
    actor_id    INTEGER REFERENCES accounts (id),   -- NULL for the system (escalation, auto-close)
    from_status TEXT,
    to_status   TEXT    NOT NULL,
    note        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX demand_events_demand ON demand_events (demand_id, id);

-- Volunteers a team leader assigned to an order.
CREATE TABLE demand_assignees (
    demand_id    INTEGER NOT NULL REFERENCES demands (id),
    volunteer_id INTEGER NOT NULL REFERENCES volunteers (id),
    PRIMARY KEY (demand_id, volunteer_id)
);

-- Teams allowed to grab an order opened for grabbing (抢单); exactly one wins.
CREATE TABLE demand_grab_teams (
    demand_id INTEGER NOT NULL REFERENCES demands (id),
    team_id   INTEGER NOT NULL REFERENCES teams (id),
    PRIMARY KEY (demand_id, team_id)
);

-- Deployment rules (deployment_settings):
--   demand.duplicate_window_s — a near-duplicate order inside this window is refused (default 86400)
--   demand.auto_close_s       — an unrated completed order closes after this (default 604800)
--   notify.daily_cap          — messages per recipient per day (default 10)
INSERT INTO deployment_settings (key, value, updated_at) VALUES
    ('demand.duplicate_window_s', '86400', unixepoch()),
    ('demand.auto_close_s', '604800', unixepoch()),
    ('notify.daily_cap', '10', unixepoch());
