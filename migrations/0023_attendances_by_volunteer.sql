-- A volunteer's own attendances, read by volunteer: 我的评价 (GET /api/v1/ratings/rateable lists
-- the activities the caller attended). The UNIQUE (activity_id, volunteer_id) index leads with the
-- activity, so without this index each such read scans every attendance of the county (millions
-- of rows at county scale) instead of one volunteer's few.
CREATE INDEX attendances_volunteer ON attendances (volunteer_id);
