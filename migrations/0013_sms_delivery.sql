-- 0013: the outbox becomes a delivery queue, plus the provider templates and delivery receipts.
--
-- A message moves queued → sending → sent → delivered | failed (and back to queued only for a
-- retry with backoff). SQLite cannot change a CHECK constraint in place, so the table is rebuilt
-- with its rows kept: every existing message stays `queued` (or what it was) and keeps its id.
CREATE TABLE outbox_v2 (
    id              INTEGER PRIMARY KEY,
    channel         TEXT    NOT NULL CHECK (channel IN ('sms', 'wechat')),
    recipient       TEXT    NOT NULL,
    template        TEXT    NOT NULL,
    params          TEXT    NOT NULL,          -- JSON object, in the caller's order
    idempotency_key TEXT    NOT NULL UNIQUE,
    status          TEXT    NOT NULL DEFAULT 'queued'
                            CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'failed')),
    created_at      INTEGER NOT NULL,
    -- The provider that took the message (tencent | aliyun; 'none' when the deployment sends
    -- nothing) and its id for it: Tencent's SerialNo, Aliyun's BizId. Receipts find rows by it.
    provider        TEXT,
    provider_ref    TEXT,
    -- Runs that claimed this message (each retry adds one; a failover inside a run does not).
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- A queued message is not picked before this time (backoff after a frequency limit).
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    -- While `sending`: the run that claimed it and until when. A row still `sending` after its
    -- lease belongs to a run that died between calling the provider and recording the answer;
    -- it is never sent again blindly (see components/delivery/src/queue.rs).
    claim           TEXT,
    lease_until     INTEGER,
    -- retry | permanent | alert | unknown, and the provider's code and message, for staff.
    error_class     TEXT CHECK (error_class IN ('retry', 'permanent', 'alert', 'unknown')),
    last_error      TEXT,
    sent_at         INTEGER,
    delivered_at    INTEGER,
    updated_at      INTEGER NOT NULL DEFAULT 0
);
INSERT INTO outbox_v2 (id, channel, recipient, template, params, idempotency_key, status, created_at, updated_at)
    SELECT id, channel, recipient, template, params, idempotency_key, status, created_at, created_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v2 RENAME TO outbox;
CREATE INDEX outbox_recipient ON outbox (recipient, created_at);
-- The delivery run's pick: queued messages whose time has come, oldest first.
CREATE INDEX outbox_due ON outbox (status, next_attempt_at, id);
-- Receipts look a message up by the provider's id for it. Not UNIQUE: a provider repeating an
-- id must not make recording a sent message fail (and leave it looking unsent).
CREATE INDEX outbox_provider_ref ON outbox (provider, provider_ref);

-- Which provider template carries each kind of message, per deployment: the provider's template
-- id and the outbox parameter names in the order the template fills them (Tencent's
-- TemplateParamSet is positional; Aliyun's TemplateParam is an object of these names). A kind
-- without a row (or with an empty template id) cannot be sent: the message waits with an
-- operator alert until staff fill it in.
CREATE TABLE sms_templates (
    provider    TEXT    NOT NULL CHECK (provider IN ('tencent', 'aliyun')),
    kind        TEXT    NOT NULL,               -- outbox.template, e.g. sign-in-code
    template_id TEXT    NOT NULL DEFAULT '',    -- the provider's id; '' until the deployment sets it
    params      TEXT    NOT NULL,               -- JSON array of parameter names, in order
    updated_at  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (provider, kind)
);
-- The default set: every message kind the product queues, with its parameters in the order the
-- product's suggested template texts use them. Template ids come from each provider's console.
INSERT INTO sms_templates (provider, kind, params)
    SELECT p.provider, k.kind, k.params
    FROM (SELECT 'tencent' AS provider UNION ALL SELECT 'aliyun') AS p,
         (SELECT 'sign-in-code' AS kind, '["code"]' AS params
          UNION ALL SELECT 'order-received', '["order_id","service","deadline"]'
          UNION ALL SELECT 'order-dispatched', '["order_id","item"]'
          UNION ALL SELECT 'order-accepted', '["order_id","item"]'
          UNION ALL SELECT 'order-completed', '["order_id","item"]'
          UNION ALL SELECT 'order-replied', '["order_id","item"]'
          UNION ALL SELECT 'order-escalated', '["order_id","item"]'
          UNION ALL SELECT 'order-cancelled', '["order_id","service","reason"]'
          UNION ALL SELECT 'case-status', '["case_no","status"]') AS k;

-- Delivery receipts as the providers pushed them, one row per receipt. `(provider, receipt_key)`
-- makes a re-pushed receipt a no-op; `outbox_id` is NULL for a serial we never sent (recorded
-- as unmatched and answered success, so the provider does not retry forever).
CREATE TABLE sms_receipts (
    id           INTEGER PRIMARY KEY,
    provider     TEXT    NOT NULL CHECK (provider IN ('tencent', 'aliyun')),
    provider_ref TEXT    NOT NULL,
    receipt_key  TEXT    NOT NULL,              -- provider_ref + phone: one receipt per number
    outbox_id    INTEGER REFERENCES outbox (id),
    delivered    INTEGER NOT NULL CHECK (delivered IN (0, 1)),
    code         TEXT    NOT NULL,
    description  TEXT    NOT NULL,
    received_at  INTEGER NOT NULL,
    UNIQUE (provider, receipt_key)
);
CREATE INDEX sms_receipts_outbox ON sms_receipts (outbox_id);
