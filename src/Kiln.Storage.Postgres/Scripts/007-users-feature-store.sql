-- What used to stay in each node's SQLite file under --store: users and their access keys (docs/security.md), and the
-- Feature Store's group definitions and online records. The same shapes as the SQLite schema.
CREATE TABLE users (
    name              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    is_admin          BOOLEAN NOT NULL,
    can_run_code      BOOLEAN NOT NULL,
    access_key_id     TEXT COLLATE "C" NOT NULL UNIQUE,
    encrypted_secret  BYTEA   NOT NULL,
    secret_digest     TEXT COLLATE "C" NOT NULL UNIQUE,
    creation_time     BIGINT  NOT NULL
);

-- Feature group definitions as JSON documents keyed by lower-cased name.
CREATE TABLE feature_groups (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    status        TEXT COLLATE "C" NOT NULL,
    creation_time BIGINT NOT NULL,
    last_modified BIGINT NOT NULL,
    document      JSON   NOT NULL
);

-- The online store: one row per (group, record identifier) holding the record with the latest event time (or a
-- soft-delete marker).
CREATE TABLE feature_records (
    group_key     TEXT COLLATE "C" NOT NULL,
    record_id     TEXT COLLATE "C" NOT NULL,
    event_time    BIGINT  NOT NULL, -- UTC ticks (100 ns)
    deleted       BOOLEAN NOT NULL,
    expires_at    BIGINT,           -- UTC ticks, null when the record does not expire
    record_values TEXT    NOT NULL, -- JSON array of [name, value] pairs
    PRIMARY KEY (group_key, record_id)
);
