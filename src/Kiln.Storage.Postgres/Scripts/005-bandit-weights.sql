-- How each bandit-routed endpoint's routing weights moved while it learned: one row per reading, the weights of its
-- production variants as JSON, a bounded number of the newest readings per endpoint.
CREATE TABLE bandit_weights (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint TEXT COLLATE "C" NOT NULL,
    time     BIGINT NOT NULL,
    weights  TEXT   NOT NULL
);

CREATE INDEX bandit_weights_by_endpoint ON bandit_weights (endpoint, id);
