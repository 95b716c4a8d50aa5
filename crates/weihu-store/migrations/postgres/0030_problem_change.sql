-- Issue 18: a problem's permanent fix may need a change request; the problem is resolved only
-- once that change is implemented.
ALTER TABLE problems ADD COLUMN change_request_id BIGINT REFERENCES change_requests (id);
CREATE INDEX problems_change_request ON problems (change_request_id);
