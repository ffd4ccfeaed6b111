-- AutoML jobs (their candidates inside the document).
CREATE TABLE automl_jobs (
    name          TEXT    NOT NULL PRIMARY KEY,
    status        TEXT    NOT NULL,
    creation_time INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    document      TEXT    NOT NULL
);
