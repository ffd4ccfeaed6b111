-- MLflow tracking: experiments, runs and their key/value data. Column names follow MLflow's SQL schema (as the SQLite
-- store's do); text compares in byte order (COLLATE "C") so searches order as MLflow's and the SQLite store's do.
-- Experiment 0 is the Default experiment; the sequence hands out 1, 2, ….
CREATE TABLE experiments (
    experiment_id     BIGSERIAL PRIMARY KEY,
    name              TEXT COLLATE "C" NOT NULL UNIQUE,
    artifact_location TEXT   NOT NULL,
    lifecycle_stage   TEXT   NOT NULL CHECK (lifecycle_stage IN ('active', 'deleted')),
    creation_time     BIGINT NOT NULL,
    last_update_time  BIGINT NOT NULL
);

CREATE TABLE experiment_tags (
    experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
    key           TEXT COLLATE "C" NOT NULL,
    value         TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (experiment_id, key)
);

CREATE TABLE runs (
    run_uuid        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name            TEXT COLLATE "C" NOT NULL,
    experiment_id   BIGINT NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
    user_id         TEXT COLLATE "C" NOT NULL,
    status          TEXT COLLATE "C" NOT NULL CHECK (status IN ('RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED')),
    start_time      BIGINT,
    end_time        BIGINT,
    deleted_time    BIGINT,
    lifecycle_stage TEXT COLLATE "C" NOT NULL CHECK (lifecycle_stage IN ('active', 'deleted')),
    artifact_uri    TEXT COLLATE "C" NOT NULL
);
CREATE INDEX runs_by_experiment ON runs (experiment_id, start_time DESC, run_uuid);

-- Every logged point. Identical points (same key, value, timestamp and step) are stored once, as MLflow does.
CREATE TABLE metrics (
    run_uuid  TEXT COLLATE "C" NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    key       TEXT COLLATE "C" NOT NULL,
    value     DOUBLE PRECISION NOT NULL,
    timestamp BIGINT  NOT NULL,
    step      BIGINT  NOT NULL,
    is_nan    BOOLEAN NOT NULL,
    PRIMARY KEY (run_uuid, key, timestamp, step, value, is_nan)
);

-- The point search and order_by see: the one with the greatest (step, timestamp, value).
CREATE TABLE latest_metrics (
    run_uuid  TEXT COLLATE "C" NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    key       TEXT COLLATE "C" NOT NULL,
    value     DOUBLE PRECISION NOT NULL,
    timestamp BIGINT  NOT NULL,
    step      BIGINT  NOT NULL,
    is_nan    BOOLEAN NOT NULL,
    PRIMARY KEY (run_uuid, key)
);
CREATE INDEX latest_metrics_by_key ON latest_metrics (key, value);

CREATE TABLE params (
    run_uuid TEXT COLLATE "C" NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    key      TEXT COLLATE "C" NOT NULL,
    value    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (run_uuid, key)
);

CREATE TABLE tags (
    run_uuid TEXT COLLATE "C" NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    key      TEXT COLLATE "C" NOT NULL,
    value    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (run_uuid, key)
);

CREATE TABLE datasets (
    dataset_uuid  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
    name          TEXT COLLATE "C" NOT NULL,
    digest        TEXT COLLATE "C" NOT NULL,
    source_type   TEXT NOT NULL,
    source        TEXT NOT NULL,
    schema        TEXT,
    profile       TEXT,
    UNIQUE (experiment_id, name, digest)
);

-- A dataset used by a run; position keeps the order inputs were logged in.
CREATE TABLE run_inputs (
    input_uuid   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    dataset_uuid TEXT COLLATE "C" NOT NULL REFERENCES datasets (dataset_uuid) ON DELETE CASCADE,
    run_uuid     TEXT COLLATE "C" NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    position     BIGSERIAL NOT NULL,
    UNIQUE (run_uuid, dataset_uuid)
);

CREATE TABLE run_input_tags (
    input_uuid TEXT COLLATE "C" NOT NULL REFERENCES run_inputs (input_uuid) ON DELETE CASCADE,
    name       TEXT COLLATE "C" NOT NULL,
    value      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (input_uuid, name)
);
