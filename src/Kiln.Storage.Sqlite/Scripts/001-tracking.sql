-- Experiments, runs and their key/value data. Column names follow MLflow's SQL schema so the
-- mapping between the two stays obvious; ids 0.. are assigned by SQLite (0 is the Default experiment).
CREATE TABLE experiments (
    experiment_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT    NOT NULL UNIQUE,
    artifact_location TEXT    NOT NULL,
    lifecycle_stage   TEXT    NOT NULL CHECK (lifecycle_stage IN ('active', 'deleted')),
    creation_time     INTEGER NOT NULL,
    last_update_time  INTEGER NOT NULL
);

CREATE TABLE experiment_tags (
    experiment_id INTEGER NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
    key           TEXT    NOT NULL,
    value         TEXT    NOT NULL,
    PRIMARY KEY (experiment_id, key)
) WITHOUT ROWID;

CREATE TABLE runs (
    run_uuid        TEXT    NOT NULL PRIMARY KEY,
    name            TEXT    NOT NULL,
    experiment_id   INTEGER NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
    user_id         TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED')),
    start_time      INTEGER,
    end_time        INTEGER,
    deleted_time    INTEGER,
    lifecycle_stage TEXT    NOT NULL CHECK (lifecycle_stage IN ('active', 'deleted')),
    artifact_uri    TEXT    NOT NULL
);
CREATE INDEX runs_by_experiment ON runs (experiment_id, start_time DESC, run_uuid);

-- Every logged point. Identical points (same key, value, timestamp and step) are stored once, as MLflow does.
-- Clustered on the key (WITHOUT ROWID): one B-tree per insert, and history reads come out in order.
CREATE TABLE metrics (
    run_uuid  TEXT    NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    key       TEXT    NOT NULL,
    value     REAL    NOT NULL,
    timestamp INTEGER NOT NULL,
    step      INTEGER NOT NULL,
    is_nan    INTEGER NOT NULL,
    PRIMARY KEY (run_uuid, key, timestamp, step, value, is_nan)
) WITHOUT ROWID;

-- The point search and order_by see: the one with the greatest (step, timestamp, value).
CREATE TABLE latest_metrics (
    run_uuid  TEXT    NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    key       TEXT    NOT NULL,
    value     REAL    NOT NULL,
    timestamp INTEGER NOT NULL,
    step      INTEGER NOT NULL,
    is_nan    INTEGER NOT NULL,
    PRIMARY KEY (run_uuid, key)
) WITHOUT ROWID;
CREATE INDEX latest_metrics_by_key ON latest_metrics (key, value);

CREATE TABLE params (
    run_uuid TEXT NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (run_uuid, key)
) WITHOUT ROWID;

CREATE TABLE tags (
    run_uuid TEXT NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (run_uuid, key)
) WITHOUT ROWID;

CREATE TABLE datasets (
    dataset_uuid  TEXT    NOT NULL PRIMARY KEY,
    experiment_id INTEGER NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    digest        TEXT    NOT NULL,
    source_type   TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    schema        TEXT,
    profile       TEXT,
    UNIQUE (experiment_id, name, digest)
);

-- A dataset used by a run (MLflow's inputs table, restricted to the DATASET -> RUN edge it has today).
CREATE TABLE run_inputs (
    input_uuid   TEXT NOT NULL PRIMARY KEY,
    dataset_uuid TEXT NOT NULL REFERENCES datasets (dataset_uuid) ON DELETE CASCADE,
    run_uuid     TEXT NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    UNIQUE (run_uuid, dataset_uuid)
);

CREATE TABLE run_input_tags (
    input_uuid TEXT NOT NULL REFERENCES run_inputs (input_uuid) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (input_uuid, name)
) WITHOUT ROWID;
