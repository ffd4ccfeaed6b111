-- Processing jobs, the SageMaker side of registered model versions, pipelines and their executions, lineage.
CREATE TABLE processing_jobs (
    name          TEXT    NOT NULL PRIMARY KEY,
    status        TEXT    NOT NULL,
    creation_time INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    document      TEXT    NOT NULL
);

-- Keyed "<registered model>/<version>": what a model package adds to an MLflow model version.
CREATE TABLE model_packages (
    name          TEXT    NOT NULL PRIMARY KEY,
    status        TEXT    NOT NULL,
    creation_time INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    document      TEXT    NOT NULL
);

CREATE TABLE pipelines (
    name          TEXT    NOT NULL PRIMARY KEY,
    status        TEXT    NOT NULL,
    creation_time INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    document      TEXT    NOT NULL
);

CREATE TABLE pipeline_executions (
    name          TEXT    NOT NULL PRIMARY KEY,
    status        TEXT    NOT NULL,
    creation_time INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    document      TEXT    NOT NULL
);

-- Artifacts, actions and contexts, keyed by ARN; status holds the entity kind.
CREATE TABLE lineage_entities (
    name          TEXT    NOT NULL PRIMARY KEY,
    status        TEXT    NOT NULL,
    creation_time INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    document      TEXT    NOT NULL
);

CREATE TABLE lineage_associations (
    source_arn       TEXT    NOT NULL,
    destination_arn  TEXT    NOT NULL,
    association_type TEXT,
    creation_time    INTEGER NOT NULL,
    PRIMARY KEY (source_arn, destination_arn)
);
CREATE INDEX lineage_associations_destination ON lineage_associations (destination_arn);
