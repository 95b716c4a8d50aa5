-- The knowledge base (issue 18): articles with their revision history, their search index, and
-- what client users did after the portal showed them articles while reporting a fault.
-- tags, categories (order categories) and asset_types are stored as ',a,b,' so one LIKE finds
-- an entry; each list is short and bounded.
CREATE TABLE articles (
    id              INTEGER PRIMARY KEY,
    title           TEXT   NOT NULL,
    body            TEXT   NOT NULL DEFAULT '',
    category        TEXT   NOT NULL DEFAULT '',
    tags            TEXT   NOT NULL DEFAULT '',
    categories      TEXT   NOT NULL DEFAULT '',
    asset_types     TEXT   NOT NULL DEFAULT '',
    lang            TEXT   NOT NULL DEFAULT 'zh' CHECK (lang IN ('zh', 'en')),
    audience        TEXT   NOT NULL DEFAULT 'internal' CHECK (audience IN ('internal', 'clients')),
    state           TEXT   NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'published', 'archived')),
    version         BIGINT NOT NULL DEFAULT 1,
    author_id       BIGINT REFERENCES users (id),
    reviewer_id     BIGINT REFERENCES users (id),
    reviewed_at     BIGINT,
    source_order_id BIGINT REFERENCES orders (id),
    problem_id      BIGINT REFERENCES problems (id),
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    published_at    BIGINT
);
CREATE INDEX articles_state ON articles (state, audience, id);

CREATE TABLE article_revisions (
    article_id BIGINT NOT NULL REFERENCES articles (id),
    version    BIGINT NOT NULL,
    title      TEXT   NOT NULL,
    body       TEXT   NOT NULL,
    state      TEXT   NOT NULL,
    edited_by  BIGINT REFERENCES users (id),
    edited_at  BIGINT NOT NULL,
    PRIMARY KEY (article_id, version)
);

-- rowid = the article's id; tokens computed in Rust like the orders' (weihu-domain/src/search.rs).
CREATE VIRTUAL TABLE article_search USING fts5(title_tokens, body_tokens, tokenize = 'unicode61 remove_diacritics 0');

CREATE TABLE kb_deflections (
    id            INTEGER PRIMARY KEY,
    client_org_id BIGINT NOT NULL REFERENCES organizations (id),
    user_id       BIGINT NOT NULL REFERENCES users (id),
    article_id    BIGINT REFERENCES articles (id),
    outcome       TEXT   NOT NULL CHECK (outcome IN ('solved', 'reported')),
    created_at    BIGINT NOT NULL
);
CREATE INDEX kb_deflections_client ON kb_deflections (client_org_id, created_at);
CREATE INDEX kb_deflections_user ON kb_deflections (user_id, created_at);

-- Images shown in articles, stored like order attachments (base64 text, type sniffed).
CREATE TABLE article_images (
    id           INTEGER PRIMARY KEY,
    article_id   BIGINT NOT NULL REFERENCES articles (id),
    filename     TEXT   NOT NULL,
    content_type TEXT   NOT NULL,
    size         BIGINT NOT NULL,
    data         TEXT   NOT NULL,
    uploaded_by  BIGINT REFERENCES users (id),
    created_at   BIGINT NOT NULL
);
CREATE INDEX article_images_article ON article_images (article_id);
