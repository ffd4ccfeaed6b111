-- The model registry. A deleted version keeps its row (stage 'Deleted_Internal') so its number is never reused.
CREATE TABLE registered_models (
    name              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    creation_time     BIGINT NOT NULL,
    last_updated_time BIGINT NOT NULL,
    description       TEXT
);

CREATE TABLE registered_model_tags (
    name  TEXT COLLATE "C" NOT NULL REFERENCES registered_models (name) ON UPDATE CASCADE ON DELETE CASCADE,
    key   TEXT COLLATE "C" NOT NULL,
    value TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (name, key)
);

CREATE TABLE model_versions (
    name              TEXT COLLATE "C" NOT NULL REFERENCES registered_models (name) ON UPDATE CASCADE ON DELETE CASCADE,
    version           BIGINT NOT NULL,
    creation_time     BIGINT NOT NULL,
    last_updated_time BIGINT NOT NULL,
    description       TEXT,
    user_id           TEXT,
    current_stage     TEXT COLLATE "C" NOT NULL,
    source            TEXT COLLATE "C" NOT NULL,
    run_id            TEXT COLLATE "C",
    run_link          TEXT,
    status            TEXT NOT NULL,
    status_message    TEXT,
    storage_location  TEXT,
    PRIMARY KEY (name, version)
);
CREATE INDEX model_versions_by_run ON model_versions (run_id);

CREATE TABLE model_version_tags (
    name    TEXT COLLATE "C" NOT NULL,
    version BIGINT NOT NULL,
    key     TEXT COLLATE "C" NOT NULL,
    value   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (name, version, key),
    FOREIGN KEY (name, version) REFERENCES model_versions (name, version) ON UPDATE CASCADE ON DELETE CASCADE
);

CREATE TABLE registered_model_aliases (
    name    TEXT COLLATE "C" NOT NULL REFERENCES registered_models (name) ON UPDATE CASCADE ON DELETE CASCADE,
    alias   TEXT COLLATE "C" NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (name, alias)
);
