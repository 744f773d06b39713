-- Attempts at the rotating check-in code (动态签到码), per volunteer and activity, so the
-- 6-digit code cannot be guessed without limit (issue 13). One row per pair: a fixed window that
-- starts at the first attempt after the previous window ended, and the attempts counted in it.
-- Check-in reserves an attempt with one conditional upsert before comparing the code (so
-- concurrent guesses cannot all slip past a limit they read before it was reached) and gives it
-- back when the code was right; once `attempts` reaches the limit, every check-in of that pair is
-- refused with 429 until `window_start + checkin.code_lockout_s`.
--
-- Deployment rules (see deployment_settings):
--   checkin.code_attempts   — wrong rotating codes allowed per volunteer and activity per window
--                             (default 5)
--   checkin.code_lockout_s  — the window's length in seconds (default 600)
CREATE TABLE checkin_code_attempts (
    activity_id  INTEGER NOT NULL REFERENCES activities (id),
    volunteer_id INTEGER NOT NULL REFERENCES volunteers (id),
    window_start INTEGER NOT NULL,
    attempts     INTEGER NOT NULL,
    PRIMARY KEY (activity_id, volunteer_id)
);

INSERT INTO deployment_settings (key, value, updated_at) VALUES
    ('checkin.code_attempts', '5', unixepoch()),
    ('checkin.code_lockout_s', '600', unixepoch());
