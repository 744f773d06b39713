-- Settings one county deployment chooses for itself (its name, and later its hour-rounding rule,
-- star thresholds, points coefficients). Text values keep the table schema-free; each reader
-- parses and validates the keys it owns.
CREATE TABLE deployment_settings (
    key        TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL  -- unix seconds, UTC
);

INSERT INTO deployment_settings (key, value, updated_at)
VALUES ('county_name', '示范县新时代文明实践中心', unixepoch());
