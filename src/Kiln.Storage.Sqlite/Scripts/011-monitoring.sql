-- Model Monitor: data quality job definitions, monitoring schedules and their executions
-- (an execution is keyed "<schedule>/<scheduled time in ms>").
CREATE TABLE monitoring_job_definitions (
    name          TEXT    NOT NULL PRIMARY KEY,
    status        TEXT    NOT NULL,
    creation_time INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    document      TEXT    NOT NULL
);

CREATE TABLE monitoring_schedules (
    name          TEXT    NOT NULL PRIMARY KEY,
    status        TEXT    NOT NULL,
    creation_time INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    document      TEXT    NOT NULL
);

CREATE TABLE monitoring_executions (
    name          TEXT    NOT NULL PRIMARY KEY,
    status        TEXT    NOT NULL,
    creation_time INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    document      TEXT    NOT NULL
);

CREATE INDEX monitoring_executions_by_schedule ON monitoring_executions (json_extract(document, '$.ScheduleName'));
