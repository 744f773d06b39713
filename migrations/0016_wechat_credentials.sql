-- 0016: single flight for the official account's credentials.
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
