-- A user's own time zone for the pages (NULL: the installation's, serve --time-zone).
ALTER TABLE users ADD COLUMN time_zone TEXT;
