-- The S3-compatible object store's index: buckets, object metadata (bytes are in the artifact store) and multipart
-- uploads in progress. Keys sort in byte order (COLLATE "C"), as S3 lists them.
CREATE TABLE s3_buckets (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    creation_time BIGINT NOT NULL
);

CREATE TABLE s3_objects (
    bucket             TEXT COLLATE "C" NOT NULL REFERENCES s3_buckets (name) ON DELETE CASCADE,
    key                TEXT COLLATE "C" NOT NULL,
    size               BIGINT NOT NULL,
    etag               TEXT   NOT NULL,
    content_type       TEXT   NOT NULL,
    last_modified      BIGINT NOT NULL,
    metadata           TEXT   NOT NULL,
    checksum_algorithm TEXT,
    checksum_value     TEXT,
    PRIMARY KEY (bucket, key)
);

CREATE TABLE s3_uploads (
    upload_id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    bucket             TEXT COLLATE "C" NOT NULL REFERENCES s3_buckets (name) ON DELETE CASCADE,
    key                TEXT COLLATE "C" NOT NULL,
    initiated          BIGINT NOT NULL,
    content_type       TEXT   NOT NULL,
    metadata           TEXT   NOT NULL,
    checksum_algorithm TEXT
);
CREATE INDEX s3_uploads_by_key ON s3_uploads (bucket, key, initiated, upload_id);

CREATE TABLE s3_upload_parts (
    upload_id          TEXT COLLATE "C" NOT NULL REFERENCES s3_uploads (upload_id) ON DELETE CASCADE,
    part_number        INTEGER NOT NULL,
    size               BIGINT  NOT NULL,
    etag               TEXT    NOT NULL,
    last_modified      BIGINT  NOT NULL,
    checksum_algorithm TEXT,
    checksum_value     TEXT,
    PRIMARY KEY (upload_id, part_number)
);
