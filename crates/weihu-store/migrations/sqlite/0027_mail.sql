-- Mail (issue 17). The outbox is written in the transaction of the event that causes a mail and
-- drained by the sender job; a row is claimed by setting state 'sending' and moving
-- next_attempt_at past a lease, so an instance killed mid-send leaves it to be taken again.
-- The inbox records every message that arrived (orders, comments, the review queue, ignored
-- auto-replies); message_id is unique so a message fetched twice is taken once.
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT   NOT NULL,
    user_id         BIGINT REFERENCES users (id),
    to_addr         TEXT   NOT NULL,
    to_name         TEXT   NOT NULL DEFAULT '',
    locale          TEXT,
    order_id        BIGINT REFERENCES orders (id),
    ref_id          BIGINT,
    detail          TEXT   NOT NULL DEFAULT '',
    state           TEXT   NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'skipped', 'expired')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT   NOT NULL DEFAULT '',
    sent_at         BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE state IN ('queued', 'sending');
CREATE INDEX mail_outbox_state ON mail_outbox (state, id);
CREATE INDEX mail_outbox_order ON mail_outbox (order_id) WHERE order_id IS NOT NULL;

CREATE TABLE mail_inbox (
    id            INTEGER PRIMARY KEY,
    message_id    TEXT,
    source        TEXT   NOT NULL,
    from_addr     TEXT   NOT NULL,
    from_name     TEXT   NOT NULL DEFAULT '',
    subject       TEXT   NOT NULL DEFAULT '',
    body          TEXT   NOT NULL DEFAULT '',
    raw           TEXT,
    state         TEXT   NOT NULL
                  CHECK (state IN ('order', 'comment', 'review', 'accepted', 'rejected', 'ignored')),
    reason        TEXT   NOT NULL DEFAULT '',
    user_id       BIGINT REFERENCES users (id),
    order_id      BIGINT REFERENCES orders (id),
    client_org_id BIGINT REFERENCES organizations (id),
    decided_by    BIGINT REFERENCES users (id),
    decided_at    BIGINT,
    received_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX mail_inbox_message ON mail_inbox (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX mail_inbox_state ON mail_inbox (state, id);

-- One row per polled IMAP mailbox: the instance holding the lease polls it.
CREATE TABLE mail_polls (
    mailbox      TEXT   PRIMARY KEY,
    locked_until BIGINT NOT NULL DEFAULT 0,
    last_poll_at BIGINT,
    last_error   TEXT   NOT NULL DEFAULT ''
);

-- The kinds of optional mail a user turned off, as ',kind,kind,' (empty: every mail).
ALTER TABLE users ADD COLUMN mail_off TEXT NOT NULL DEFAULT '';
