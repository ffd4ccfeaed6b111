-- Training jobs. The job (spec, statuses, transitions, metrics) is one JSON document; the columns
-- beside it are the ones listings filter and sort on.
CREATE TABLE training_jobs (
    name               TEXT    NOT NULL PRIMARY KEY,
    status             TEXT    NOT NULL,
    creation_time      INTEGER NOT NULL,
    last_modified_time INTEGER NOT NULL,
    job                TEXT    NOT NULL
);
CREATE INDEX training_jobs_by_creation ON training_jobs (creation_time);
