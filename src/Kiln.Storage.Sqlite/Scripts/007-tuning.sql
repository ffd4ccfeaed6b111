-- Hyperparameter tuning jobs (their trials inside the document).
CREATE TABLE tuning_jobs (
    name          TEXT    NOT NULL PRIMARY KEY,
    status        TEXT    NOT NULL,
    creation_time INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    document      TEXT    NOT NULL
);
