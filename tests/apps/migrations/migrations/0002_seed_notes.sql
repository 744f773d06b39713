-- Not idempotent on purpose: applying it twice would leave four rows instead of two.
INSERT INTO notes (body) VALUES ('first');
INSERT INTO notes (body) VALUES ('second');
