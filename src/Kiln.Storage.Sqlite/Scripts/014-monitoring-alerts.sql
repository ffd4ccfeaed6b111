-- Model Monitor's results per execution (metric points, violations; keyed like the execution), the schedules' alerts
-- (keyed "<schedule>/<alert>") and each alert's status changes.
CREATE TABLE monitoring_execution_results (
    name          TEXT    NOT NULL PRIMARY KEY,
    status        TEXT    NOT NULL,
    creation_time INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    document      TEXT    NOT NULL
);

CREATE INDEX monitoring_execution_results_by_schedule ON monitoring_execution_results (json_extract(document, '$.ScheduleName'));

CREATE TABLE monitoring_alerts (
    name          TEXT    NOT NULL PRIMARY KEY,
    status        TEXT    NOT NULL,
    creation_time INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    document      TEXT    NOT NULL
);

CREATE INDEX monitoring_alerts_by_schedule ON monitoring_alerts (json_extract(document, '$.ScheduleName'));

CREATE TABLE monitoring_alert_history (
    name          TEXT    NOT NULL PRIMARY KEY,
    status        TEXT    NOT NULL,
    creation_time INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    document      TEXT    NOT NULL
);

CREATE INDEX monitoring_alert_history_by_schedule ON monitoring_alert_history (json_extract(document, '$.ScheduleName'));
