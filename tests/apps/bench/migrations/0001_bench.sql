-- One table with an indexed key: the insert pays for the index, the select uses it.
CREATE TABLE bench_items (
    id INTEGER PRIMARY KEY,
    k  TEXT    NOT NULL,
    v  INTEGER NOT NULL
);
CREATE INDEX bench_items_k ON bench_items (k);
