-- Feature Store: feature group definitions (JSON documents keyed by lower-cased name) and the online store, one row
-- per (group, record identifier) holding the record with the latest event time (or a soft-delete marker).
CREATE TABLE feature_groups (
    name          TEXT    NOT NULL PRIMARY KEY,
    status        TEXT    NOT NULL,
    creation_time INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    document      TEXT    NOT NULL
);

CREATE TABLE feature_records (
    group_key  TEXT    NOT NULL,
    record_id  TEXT    NOT NULL,
    event_time INTEGER NOT NULL, -- UTC ticks (100 ns)
    deleted    INTEGER NOT NULL,
    expires_at INTEGER,          -- UTC ticks, null when the record does not expire
    record_values TEXT NOT NULL, -- JSON array of [name, value] pairs
    PRIMARY KEY (group_key, record_id)
) WITHOUT ROWID;
