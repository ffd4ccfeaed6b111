-- Hosting: models, endpoint configs, endpoints and transform jobs as JSON documents (with the columns
-- listings filter and sort on), and the reward counts of bandit-routed endpoints.
CREATE TABLE hosted_models (
    name          TEXT    NOT NULL PRIMARY KEY,
    status        TEXT    NOT NULL,
    creation_time INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    document      TEXT    NOT NULL
);

CREATE TABLE endpoint_configs (
    name          TEXT    NOT NULL PRIMARY KEY,
    status        TEXT    NOT NULL,
    creation_time INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    document      TEXT    NOT NULL
);

CREATE TABLE endpoints (
    name          TEXT    NOT NULL PRIMARY KEY,
    status        TEXT    NOT NULL,
    creation_time INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    document      TEXT    NOT NULL
);

CREATE TABLE transform_jobs (
    name          TEXT    NOT NULL PRIMARY KEY,
    status        TEXT    NOT NULL,
    creation_time INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    document      TEXT    NOT NULL
);

CREATE TABLE bandit_state (
    endpoint TEXT NOT NULL PRIMARY KEY,
    state    TEXT NOT NULL
);
