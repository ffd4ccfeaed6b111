-- Users and their access keys (authentication, docs/security.md). The secret is AES-GCM encrypted with a key kept
-- outside the database; secret_digest is a keyed HMAC of it, to find a bearer token's user.
CREATE TABLE users (
    name              TEXT    NOT NULL PRIMARY KEY,
    is_admin          INTEGER NOT NULL,
    can_run_code      INTEGER NOT NULL,
    access_key_id     TEXT    NOT NULL UNIQUE,
    encrypted_secret  BLOB    NOT NULL,
    secret_digest     TEXT    NOT NULL UNIQUE,
    creation_time     INTEGER NOT NULL
);
