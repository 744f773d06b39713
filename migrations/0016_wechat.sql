-- 0016: the WeChat official account: single flight for its credentials, dedup of callbacks,
-- the custom menu.
--
-- The access token (stable_token) and the JS-SDK ticket are cached in the key-value store (Spin
-- KV), which has no compare-and-set. When a cached value runs out, many instances may notice at
-- once; only the one holding this row's lease asks WeChat (its daily quota is small, and a second
-- forced refresh would invalidate the first), the others wait for the value to appear in the
-- store. A lease whose holder died simply expires.
CREATE TABLE wechat_credential_leases (
    name   TEXT    PRIMARY KEY CHECK (name IN ('access_token', 'jsapi_ticket')),
    holder TEXT    NOT NULL,
    -- Unix seconds; the lease is free once this has passed.
    until  INTEGER NOT NULL
);

-- Messages the callback has answered, by WeChat's recommended dedup key: `msg:<MsgId>` for
-- messages, `event:<FromUserName>:<CreateTime>` for events. WeChat redelivers a message three
-- times within seconds when its answer is late; a key seen before is answered with no reply.
-- Rows older than a day are pruned by the callback itself.
CREATE TABLE wechat_inbound (
    dedup_key   TEXT    PRIMARY KEY,
    received_at INTEGER NOT NULL
);
-- The prune reads by age.
CREATE INDEX wechat_inbound_received_at ON wechat_inbound (received_at);

-- The account's custom menu (自定义菜单), kept as data and pushed to WeChat with menu/create:
-- one row, the menu in WeChat's own JSON shape as checked on the way in.
CREATE TABLE wechat_menu (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    menu       TEXT    NOT NULL,
    updated_by INTEGER NOT NULL REFERENCES accounts (id),
    updated_at INTEGER NOT NULL,
    -- When it last reached WeChat; NULL = changed here but never pushed.
    pushed_at  INTEGER
);
