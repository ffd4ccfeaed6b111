-- SageMaker's control-plane resources as JSON documents, with the columns listings filter and sort on beside
-- each (times in Unix milliseconds, as the SQLite schema keeps them). Names compare in byte order (COLLATE "C"),
-- as SageMaker and the SQLite store sort them. Documents are `json`, not `jsonb`: jsonb reorders object members,
-- and a document must read back as written (dictionaries such as pipeline parameters keep their order).

-- SageMaker models.
CREATE TABLE hosted_models (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    status        TEXT COLLATE "C" NOT NULL,
    creation_time BIGINT NOT NULL,
    last_modified BIGINT NOT NULL,
    document      JSON   NOT NULL
);

CREATE TABLE endpoint_configs (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    status        TEXT COLLATE "C" NOT NULL,
    creation_time BIGINT NOT NULL,
    last_modified BIGINT NOT NULL,
    document      JSON   NOT NULL
);

CREATE TABLE endpoints (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    status        TEXT COLLATE "C" NOT NULL,
    creation_time BIGINT NOT NULL,
    last_modified BIGINT NOT NULL,
    document      JSON   NOT NULL
);

CREATE TABLE transform_jobs (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    status        TEXT COLLATE "C" NOT NULL,
    creation_time BIGINT NOT NULL,
    last_modified BIGINT NOT NULL,
    document      JSON   NOT NULL
);

CREATE TABLE processing_jobs (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    status        TEXT COLLATE "C" NOT NULL,
    creation_time BIGINT NOT NULL,
    last_modified BIGINT NOT NULL,
    document      JSON   NOT NULL
);

-- Trials inside the document.
CREATE TABLE tuning_jobs (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    status        TEXT COLLATE "C" NOT NULL,
    creation_time BIGINT NOT NULL,
    last_modified BIGINT NOT NULL,
    document      JSON   NOT NULL
);

-- Candidates inside the document.
CREATE TABLE automl_jobs (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    status        TEXT COLLATE "C" NOT NULL,
    creation_time BIGINT NOT NULL,
    last_modified BIGINT NOT NULL,
    document      JSON   NOT NULL
);

-- Keyed "<registered model>/<version>": what a model package adds to an MLflow model version.
CREATE TABLE model_packages (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    status        TEXT COLLATE "C" NOT NULL,
    creation_time BIGINT NOT NULL,
    last_modified BIGINT NOT NULL,
    document      JSON   NOT NULL
);

CREATE TABLE pipelines (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    status        TEXT COLLATE "C" NOT NULL,
    creation_time BIGINT NOT NULL,
    last_modified BIGINT NOT NULL,
    document      JSON   NOT NULL
);

CREATE TABLE pipeline_executions (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    status        TEXT COLLATE "C" NOT NULL,
    creation_time BIGINT NOT NULL,
    last_modified BIGINT NOT NULL,
    document      JSON   NOT NULL
);

-- Keyed by ARN; status holds the entity kind.
CREATE TABLE lineage_entities (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    status        TEXT COLLATE "C" NOT NULL,
    creation_time BIGINT NOT NULL,
    last_modified BIGINT NOT NULL,
    document      JSON   NOT NULL
);

CREATE TABLE monitoring_job_definitions (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    status        TEXT COLLATE "C" NOT NULL,
    creation_time BIGINT NOT NULL,
    last_modified BIGINT NOT NULL,
    document      JSON   NOT NULL
);

CREATE TABLE monitoring_schedules (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    status        TEXT COLLATE "C" NOT NULL,
    creation_time BIGINT NOT NULL,
    last_modified BIGINT NOT NULL,
    document      JSON   NOT NULL
);

-- Keyed "<schedule>/<scheduled time in ms>".
CREATE TABLE monitoring_executions (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    status        TEXT COLLATE "C" NOT NULL,
    creation_time BIGINT NOT NULL,
    last_modified BIGINT NOT NULL,
    document      JSON   NOT NULL
);

CREATE TABLE monitoring_execution_results (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    status        TEXT COLLATE "C" NOT NULL,
    creation_time BIGINT NOT NULL,
    last_modified BIGINT NOT NULL,
    document      JSON   NOT NULL
);

-- Keyed "<schedule>/<alert>".
CREATE TABLE monitoring_alerts (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    status        TEXT COLLATE "C" NOT NULL,
    creation_time BIGINT NOT NULL,
    last_modified BIGINT NOT NULL,
    document      JSON   NOT NULL
);

CREATE TABLE monitoring_alert_history (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    status        TEXT COLLATE "C" NOT NULL,
    creation_time BIGINT NOT NULL,
    last_modified BIGINT NOT NULL,
    document      JSON   NOT NULL
);

CREATE INDEX pipeline_executions_by_pipeline ON pipeline_executions ((document ->> 'PipelineName'));
CREATE INDEX monitoring_executions_by_schedule ON monitoring_executions ((document ->> 'ScheduleName'));
CREATE INDEX monitoring_execution_results_by_schedule ON monitoring_execution_results ((document ->> 'ScheduleName'));
CREATE INDEX monitoring_alerts_by_schedule ON monitoring_alerts ((document ->> 'ScheduleName'));
CREATE INDEX monitoring_alert_history_by_schedule ON monitoring_alert_history ((document ->> 'ScheduleName'));

-- Training jobs: the job (spec, statuses, transitions, metrics) is one document.
CREATE TABLE training_jobs (
    name               TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    status             TEXT COLLATE "C" NOT NULL,
    creation_time      BIGINT NOT NULL,
    last_modified_time BIGINT NOT NULL,
    job                JSON   NOT NULL
);
CREATE INDEX training_jobs_by_creation ON training_jobs (creation_time);

-- The reward counts of bandit-routed endpoints, shared by every node.
CREATE TABLE bandit_state (
    endpoint TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    state    TEXT NOT NULL
);

CREATE TABLE lineage_associations (
    source_arn       TEXT COLLATE "C" NOT NULL,
    destination_arn  TEXT COLLATE "C" NOT NULL,
    association_type TEXT,
    creation_time    BIGINT NOT NULL,
    PRIMARY KEY (source_arn, destination_arn)
);
CREATE INDEX lineage_associations_destination ON lineage_associations (destination_arn);
