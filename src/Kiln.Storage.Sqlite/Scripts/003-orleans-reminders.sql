-- Orleans reminders for the job engine: the watchdog that resumes a job on another node (or after a
-- restart) lives here, next to the jobs themselves. grain_hash is Orleans' uniform hash of the grain id,
-- used to split reminders between silos by hash range.
CREATE TABLE orleans_reminders (
    service_id    TEXT    NOT NULL,
    grain_id      TEXT    NOT NULL,
    reminder_name TEXT    NOT NULL,
    start_time    INTEGER NOT NULL,
    period_ms     INTEGER NOT NULL,
    grain_hash    INTEGER NOT NULL,
    etag          TEXT    NOT NULL,
    PRIMARY KEY (service_id, grain_id, reminder_name)
) WITHOUT ROWID;
CREATE INDEX orleans_reminders_by_hash ON orleans_reminders (service_id, grain_hash);
