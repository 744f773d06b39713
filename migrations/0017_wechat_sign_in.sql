-- 0017: WeChat web sign-in (网页授权, snsapi_base) and the openid bound to an account; the
-- template messages (模板消息) each message kind goes by when its recipient prefers WeChat.

-- A sign-in started at /api/v1/wechat/oauth/start and not finished yet. `state` travels through
-- WeChat in the URL; `browser_hash` is the SHA-256 of a random value kept in an HttpOnly cookie
-- of the browser that started it, so a callback URL carried to another browser (login CSRF)
-- does not sign that browser in. One use: `used_at` is set by the callback in one conditional
-- UPDATE, so a replayed state finds nothing. Rows expire after ten minutes and are pruned by
-- the next start.
CREATE TABLE wechat_oauth_states (
    state        TEXT    PRIMARY KEY,
    browser_hash TEXT    NOT NULL,
    -- The platform path to return to (checked same-origin on the way in).
    return_path  TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER
);
CREATE INDEX wechat_oauth_states_expires ON wechat_oauth_states (expires_at);

-- An openid WeChat vouched for that no account holds yet: the callback keeps it here behind a
-- short-lived HttpOnly cookie (only its SHA-256 is stored) until the person proves a phone (SMS
-- code) or a password account at POST /api/v1/wechat/bindings. Used once.
CREATE TABLE wechat_pending_bindings (
    token_hash  TEXT    PRIMARY KEY,
    openid      TEXT    NOT NULL,
    return_path TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX wechat_pending_bindings_expires ON wechat_pending_bindings (expires_at);

-- The follower's openid (this official account's id for them) bound to an account: at most one
-- openid per account (the primary key) and one account per openid (UNIQUE). Both are what the
-- binding endpoint's 409s come from, so two racing bindings cannot both win.
-- `notify_channel` is the person's choice for notices: WeChat template messages by default once
-- bound; 'sms' keeps them on SMS. Unbinding deletes the row, so an unbound person is on SMS.
CREATE TABLE wechat_bindings (
    account_id     INTEGER PRIMARY KEY REFERENCES accounts (id),
    openid         TEXT    NOT NULL UNIQUE,
    notify_channel TEXT    NOT NULL DEFAULT 'wechat' CHECK (notify_channel IN ('sms', 'wechat')),
    bound_at       INTEGER NOT NULL
);

-- Which template message carries each kind of notice (outbox.template), as staff registered it
-- in the account's 模板消息 console: WeChat's template id and, for each of the template's data
-- keys (e.g. `character_string1`, `thing2`), the outbox parameter that fills it. A kind without
-- a row goes by SMS.
CREATE TABLE wechat_templates (
    kind        TEXT    PRIMARY KEY,
    template_id TEXT    NOT NULL,
    -- JSON array of {"key": <template data key>, "param": <outbox parameter name>}.
    fields      TEXT    NOT NULL,
    updated_by  INTEGER NOT NULL REFERENCES accounts (id),
    updated_at  INTEGER NOT NULL
);

-- A notice queued on the wechat channel keeps the phone it would have gone to by SMS: when
-- WeChat refuses it (not following, blocked, an invalid openid …) or reports it failed
-- (TEMPLATESENDJOBFINISH), delivery queues the same notice by SMS to this number.
ALTER TABLE outbox ADD COLUMN fallback_recipient TEXT;
