-- MLflow's permissions (docs/security.md): one row per user and experiment (by id) or registered model (by name).
-- Users are named, not referenced: the users table may live elsewhere.
CREATE TABLE resource_permissions (
    kind       TEXT NOT NULL,
    resource   TEXT NOT NULL,
    user_name  TEXT NOT NULL,
    permission TEXT NOT NULL,
    PRIMARY KEY (kind, resource, user_name)
);

CREATE INDEX resource_permissions_by_user ON resource_permissions (user_name);
