-- A visit's kind is one the billing engine prices (regular, scheduled, emergency, repeat): an
-- unknown kind would otherwise be billed as a regular visit. SQLite cannot add a CHECK without
-- rebuilding the table, so two triggers refuse a bad kind on insert and update instead (as a
-- NOT VALID check on PostgreSQL, old rows are not checked; statements refuse them by name).
CREATE TRIGGER order_visits_kind_insert BEFORE INSERT ON order_visits
WHEN NEW.kind NOT IN ('regular', 'scheduled', 'emergency', 'repeat')
BEGIN
    SELECT RAISE(ABORT, 'order_visits.kind must be one of: regular, scheduled, emergency, repeat');
END;

CREATE TRIGGER order_visits_kind_update BEFORE UPDATE OF kind ON order_visits
WHEN NEW.kind NOT IN ('regular', 'scheduled', 'emergency', 'repeat')
BEGIN
    SELECT RAISE(ABORT, 'order_visits.kind must be one of: regular, scheduled, emergency, repeat');
END;
