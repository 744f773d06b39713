-- Directory and identity: the org tree, accounts, roles, sessions, volunteers, teams,
-- organisations, departments, the audit log, the notification outbox and idempotency records.
-- Times are unix seconds (UTC) everywhere; text dates (birth dates) are YYYY-MM-DD.

-- The org tree: city → centre (中心) → institute (所) → station (站) → point (点).
-- `path` is the materialised path of ids, e.g. '/1/4/17/', so "this subtree" is one indexed
-- range (path >= '/1/4/' AND path < '/1/40'), never a recursive walk per request.
CREATE TABLE orgs (
    id         INTEGER PRIMARY KEY,
    parent_id  INTEGER REFERENCES orgs (id),
    level      TEXT    NOT NULL CHECK (level IN ('city', 'centre', 'institute', 'station', 'point')),
    name       TEXT    NOT NULL,
    path       TEXT    NOT NULL UNIQUE,
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX orgs_parent ON orgs (parent_id);
-- Sibling names are unique so staff can tell stations apart in a list.
CREATE UNIQUE INDEX orgs_sibling_name ON orgs (parent_id, name);

-- One account per person. Staff sign in with a password (argon2id PHC string); citizens and
-- volunteers with a one-time SMS code (no password).
CREATE TABLE accounts (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    phone           TEXT    NOT NULL UNIQUE,
    password_hash   TEXT,
    failed_sign_ins INTEGER NOT NULL DEFAULT 0,
    locked_until    INTEGER,
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- Roles are held at an org and reach its whole subtree.
CREATE TABLE role_grants (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    role       TEXT    NOT NULL CHECK (role IN ('centre-admin', 'institute-admin', 'station-admin',
                                                'team-leader', 'volunteer', 'citizen',
                                                'department-handler', 'auditor')),
    org_id     INTEGER NOT NULL REFERENCES orgs (id),
    granted_by INTEGER REFERENCES accounts (id),
    created_at INTEGER NOT NULL,
    UNIQUE (account_id, role, org_id)
);
CREATE INDEX role_grants_org ON role_grants (org_id);

-- Bearer sessions. Only the SHA-256 of the token is kept, so a copy of the database cannot be
-- used to sign in.
CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX sessions_account ON sessions (account_id);

-- One-time sign-in codes sent by SMS; stored hashed, single use, short-lived.
CREATE TABLE sms_codes (
    id         INTEGER PRIMARY KEY,
    phone      TEXT    NOT NULL,
    code_hash  TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    attempts   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sms_codes_phone ON sms_codes (phone, created_at);

-- The notification outbox: messages waiting for a provider (SMS, WeChat). Sending is a later
-- step; the idempotency key makes queueing safe to retry.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    channel         TEXT    NOT NULL CHECK (channel IN ('sms', 'wechat')),
    recipient       TEXT    NOT NULL,
    template        TEXT    NOT NULL,
    params          TEXT    NOT NULL,          -- JSON object
    idempotency_key TEXT    NOT NULL UNIQUE,
    status          TEXT    NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    created_at      INTEGER NOT NULL
);
CREATE INDEX outbox_recipient ON outbox (recipient, created_at);

-- Volunteers (志愿者). `volunteer_no` (志愿者编号) is what is shown and exchanged, never the ID
-- number; phone and ID number are masked in every list and export.
CREATE TABLE volunteers (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL UNIQUE REFERENCES accounts (id),
    volunteer_no TEXT    NOT NULL UNIQUE,
    real_name    TEXT    NOT NULL,
    gender       TEXT    NOT NULL CHECK (gender IN ('male', 'female')),
    birth_date   TEXT    NOT NULL,
    phone        TEXT    NOT NULL UNIQUE,
    id_number    TEXT    NOT NULL UNIQUE,
    skills       TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
    service_area TEXT    NOT NULL DEFAULT '',
    home_org_id  INTEGER NOT NULL REFERENCES orgs (id),
    status       TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX volunteers_home ON volunteers (home_org_id);

-- Service teams (服务队伍) under an org, with a leader and service categories.
CREATE TABLE teams (
    id                INTEGER PRIMARY KEY,
    org_id            INTEGER NOT NULL REFERENCES orgs (id),
    name              TEXT    NOT NULL,
    leader_account_id INTEGER NOT NULL REFERENCES accounts (id),
    categories        TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
    active            INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    UNIQUE (org_id, name)
);

-- Volunteers join teams with approval.
CREATE TABLE team_members (
    team_id      INTEGER NOT NULL REFERENCES teams (id),
    volunteer_id INTEGER NOT NULL REFERENCES volunteers (id),
    status       TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    requested_at INTEGER NOT NULL,
    decided_at   INTEGER,
    decided_by   INTEGER REFERENCES accounts (id),
    PRIMARY KEY (team_id, volunteer_id)
);
CREATE INDEX team_members_volunteer ON team_members (volunteer_id);

-- Volunteer organisations (志愿组织) applying to join the platform.
CREATE TABLE organisations (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES orgs (id),
    name          TEXT    NOT NULL,
    contact_name  TEXT    NOT NULL,
    contact_phone TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    reason        TEXT,
    decided_by    INTEGER REFERENCES accounts (id),
    decided_at    INTEGER,
    created_at    INTEGER NOT NULL,
    UNIQUE (org_id, name)
);

-- Government departments (职能部门) that petitions and complaints are forwarded to, and the
-- accounts that handle them.
CREATE TABLE departments (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES orgs (id),
    name       TEXT    NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at INTEGER NOT NULL,
    UNIQUE (org_id, name)
);
CREATE TABLE department_handlers (
    department_id INTEGER NOT NULL REFERENCES departments (id),
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    PRIMARY KEY (department_id, account_id)
);

-- Every admin action: who, what, when, on which org, and the entity before and after.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor_id   INTEGER NOT NULL REFERENCES accounts (id),
    action     TEXT    NOT NULL,
    entity     TEXT    NOT NULL,
    entity_id  INTEGER,
    org_path   TEXT    NOT NULL,
    before     TEXT,                -- JSON, personal data masked
    after      TEXT                 -- JSON, personal data masked
);
CREATE INDEX audit_log_org ON audit_log (org_path, at);

-- Responses to retryable writes, replayed when the same Idempotency-Key comes again.
CREATE TABLE idempotency (
    account_id INTEGER NOT NULL,
    key        TEXT    NOT NULL,
    request    TEXT    NOT NULL,    -- method and path, so a key reused elsewhere is refused
    status     INTEGER NOT NULL,
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, key)
);
