-- A published service-level report is reissued, not rewritten: the issued revision (its body,
-- words and publication) is kept here with the reason it was superseded, and the report moves to
-- its next revision.
CREATE TABLE service_level_report_revisions (
    id            INTEGER PRIMARY KEY,
    report_id     BIGINT NOT NULL REFERENCES service_level_reports (id),
    revision      BIGINT NOT NULL,
    body          TEXT   NOT NULL,
    summary       TEXT   NOT NULL DEFAULT '',
    published_at  BIGINT,
    published_by  BIGINT REFERENCES users (id),
    superseded_at BIGINT NOT NULL,
    superseded_by BIGINT REFERENCES users (id),
    reason        TEXT   NOT NULL
);
CREATE UNIQUE INDEX service_level_report_revisions_number ON service_level_report_revisions (report_id, revision);
