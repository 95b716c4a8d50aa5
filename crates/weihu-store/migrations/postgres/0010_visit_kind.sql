-- A visit's kind is one the billing engine prices (regular, scheduled, emergency, repeat): an
-- unknown kind would otherwise be billed as a regular visit. NOT VALID checks every new or changed
-- row without failing the upgrade on an old bad row; statements refuse such a row by name.
ALTER TABLE order_visits ADD CONSTRAINT order_visits_kind
    CHECK (kind IN ('regular', 'scheduled', 'emergency', 'repeat')) NOT VALID;
