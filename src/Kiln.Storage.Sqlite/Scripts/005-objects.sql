-- The S3-compatible object store's index: buckets, object metadata (bytes are in the artifact store)
-- and multipart uploads in progress. Keys sort in binary order, as S3 lists them.
CREATE TABLE s3_buckets (
    name          TEXT    NOT NULL PRIMARY KEY,
    creation_time INTEGER NOT NULL
);

CREATE TABLE s3_objects (
    bucket        TEXT    NOT NULL REFERENCES s3_buckets (name) ON DELETE CASCADE,
    key           TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    etag          TEXT    NOT NULL,
    content_type  TEXT    NOT NULL,
    last_modified INTEGER NOT NULL,
    metadata      TEXT    NOT NULL,
    PRIMARY KEY (bucket, key)
) WITHOUT ROWID;

CREATE TABLE s3_uploads (
    upload_id    TEXT    NOT NULL PRIMARY KEY,
    bucket       TEXT    NOT NULL REFERENCES s3_buckets (name) ON DELETE CASCADE,
    key          TEXT    NOT NULL,
    initiated    INTEGER NOT NULL,
    content_type TEXT    NOT NULL,
    metadata     TEXT    NOT NULL
);

CREATE TABLE s3_upload_parts (
    upload_id     TEXT    NOT NULL REFERENCES s3_uploads (upload_id) ON DELETE CASCADE,
    part_number   INTEGER NOT NULL,
    size          INTEGER NOT NULL,
    etag          TEXT    NOT NULL,
    last_modified INTEGER NOT NULL,
    PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;
