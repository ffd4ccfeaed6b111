-- The audit log (docs/security.md): one row per mutating or refused call, hash-chained (each row's hash covers the
-- previous row's hash and its own fields). Rows are never changed or removed: the triggers refuse it, and the chain
-- shows it if the triggers are dropped.
CREATE TABLE audit_log (
    sequence       INTEGER NOT NULL PRIMARY KEY,
    time           INTEGER NOT NULL,
    user_name      TEXT    NOT NULL,
    access_key_id  TEXT,
    action         TEXT    NOT NULL,
    resource       TEXT,
    remote_ip      TEXT,
    status         INTEGER NOT NULL,
    error_code     TEXT,
    previous_hash  TEXT    NOT NULL,
    hash           TEXT    NOT NULL
);

CREATE INDEX audit_log_by_user ON audit_log (user_name, sequence);
CREATE INDEX audit_log_by_time ON audit_log (time);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
