-- Creates the table that 0002 fills; 0002 fails if the order is wrong.
CREATE TABLE notes (
    id   INTEGER PRIMARY KEY,
    body TEXT NOT NULL
);
