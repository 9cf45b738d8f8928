-- Prices of one session; a seat costs the tier whose code is its tier_code.

-- +goose Up
CREATE TABLE price_tiers (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    session_id  BIGINT UNSIGNED NOT NULL,
    code        VARCHAR(16)     NOT NULL,
    name        VARCHAR(64)     NOT NULL,
    price_cents BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_price_tiers_code (session_id, code),
    CONSTRAINT fk_price_tiers_session FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE price_tiers;
