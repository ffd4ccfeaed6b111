-- The audit log (docs/security.md): one row per mutating or refused call, hash-chained (each row's hash covers the
-- previous row's hash and its own fields). Rows are never changed or removed: the trigger refuses it, and the chain
-- shows it if the trigger is disabled.
CREATE TABLE audit_log (
    sequence       BIGINT  NOT NULL PRIMARY KEY,
    time           BIGINT  NOT NULL,
    user_name      TEXT COLLATE "C" NOT NULL,
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

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
