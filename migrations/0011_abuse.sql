-- Holding up under abuse on the sign-in side (issue 13): rate limits per client and in all,
-- password lockouts per account *and client*, an account-wide progressive delay, and a bounded
-- number of concurrent password checks. A client is `kit::client_key`: the peer's IP address,
-- an IPv6 address reduced to its /64.

-- Rate-limit counters (`kit::throttle`): one fixed window per (budget, client), and one per
-- budget under the client '*' for everyone together. A request is counted by one conditional
-- upsert inside its transaction, so concurrent requests cannot overshoot and a refused request
-- leaves no count. Rows are a handful per active client; an ended window is reused in place.
CREATE TABLE throttle_counters (
    name         TEXT    NOT NULL,
    client       TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (name, client)
);

-- Failed password sign-ins per (account, client): this client's consecutive failures, and the
-- lock they set. A lock set by one client does not stop the holder signing in from another, so
-- an outsider cannot keep an account (the only centre admin's, say) locked. A success from the
-- client deletes its row; an admin unlock deletes them all.
CREATE TABLE sign_in_locks (
    account_id   INTEGER NOT NULL REFERENCES accounts (id),
    client       TEXT    NOT NULL,
    failures     INTEGER NOT NULL,
    locked_until INTEGER,
    PRIMARY KEY (account_id, client)
);

-- The account-wide side: `failed_sign_ins` now counts consecutive failures from all clients
-- together, and past `identity.delay_after` of them every further attempt must wait until
-- `delayed_until` (a doubling delay, capped at `identity.delay_cap_s`). Guesses stay bounded
-- whatever the number of clients, and the holder waits at most the cap. A success clears both.
ALTER TABLE accounts RENAME COLUMN locked_until TO delayed_until;

-- Password checks (argon2, ~50 ms of a core each) that may run at once: a check holds a slot
-- (taken in the same transaction that reserves the attempt) until `held_until`, and gives it back
-- when done; a slot whose holder died frees itself when `held_until` passes. Only slots numbered
-- up to `identity.argon2_slots` are used, so the rows are the most a deployment may allow.
CREATE TABLE argon2_slots (
    slot       INTEGER PRIMARY KEY,
    held_until INTEGER NOT NULL DEFAULT 0
);
INSERT INTO argon2_slots (slot) VALUES
    (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13), (14), (15), (16),
    (17), (18), (19), (20), (21), (22), (23), (24), (25), (26), (27), (28), (29), (30), (31), (32);

-- Where each volunteer has lived: one row per home org, from `since`. A survey counts a
-- volunteer where they lived when it was published (or opened, if earlier), not where they live
-- when answering, so moving one's own home org into a survey's audience and back again is no way
-- into it. Triggers keep the history for every writer (registration, moves, the demo, imports).
CREATE TABLE volunteer_homes (
    id           INTEGER PRIMARY KEY,
    volunteer_id INTEGER NOT NULL REFERENCES volunteers (id),
    org_id       INTEGER NOT NULL REFERENCES orgs (id),
    since        INTEGER NOT NULL
);
CREATE INDEX volunteer_homes_by_volunteer ON volunteer_homes (volunteer_id, since);
INSERT INTO volunteer_homes (volunteer_id, org_id, since) SELECT id, home_org_id, created_at FROM volunteers;
CREATE TRIGGER volunteer_homes_registered AFTER INSERT ON volunteers
BEGIN
    INSERT INTO volunteer_homes (volunteer_id, org_id, since) VALUES (NEW.id, NEW.home_org_id, NEW.created_at);
END;
CREATE TRIGGER volunteer_homes_moved AFTER UPDATE OF home_org_id ON volunteers
WHEN NEW.home_org_id IS NOT OLD.home_org_id
BEGIN
    INSERT INTO volunteer_homes (volunteer_id, org_id, since) VALUES (NEW.id, NEW.home_org_id, NEW.updated_at);
END;

-- Deployment rules (deployment_settings), with the defaults used when a key is unset:
--   throttle.sms_codes.per_client  SMS code requests per client per window       (40)
--   throttle.sms_codes.global      SMS code requests from everyone per window    (300)
--   throttle.sms_codes.window_s    that window, in seconds                       (600)
--   throttle.sign_ins.per_client   sign-ins (password or code) per client/window (100)
--   throttle.sign_ins.global       sign-ins from everyone per window             (1000)
--   throttle.sign_ins.window_s     that window, in seconds                       (60)
--   identity.lock_failures         consecutive failures that lock (account, client)  (5)
--   identity.lock_s                how long such a lock lasts, in seconds        (900)
--   identity.delay_after           account-wide failures before the delay starts (10)
--   identity.delay_cap_s           the longest account-wide delay, in seconds    (60)
--   identity.argon2_slots          password checks at once, 1 to 32              (4)
--   identity.argon2_wait_ms        how long a sign-in waits for a slot before 503 (5000)
