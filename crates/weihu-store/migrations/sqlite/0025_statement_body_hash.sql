-- The SHA-256 of a regular statement's body, so month-end drafting can tell an unchanged month
-- without reading every stored body back (about 150 KB each for a contract with a thousand
-- visits). NULL for rows written before this migration and for adjustments: those are compared by
-- their body, as before.
ALTER TABLE statements ADD COLUMN body_hash TEXT;
