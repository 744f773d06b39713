-- Rotating check-in code attempts (动态签到码, migration 0010) are counted by kit's one rate-limit
-- mechanism now: the `throttle_counters` row named `checkin_code` with the key
-- `<activity>:<volunteer>` (see components/kit/src/throttle.rs). Same rule, same settings
-- (`checkin.code_attempts`, `checkin.code_lockout_s`); the table of its own goes. A window under
-- way at the upgrade starts afresh.
DROP TABLE checkin_code_attempts;
