-- One migration per table: MySQL cannot roll DDL back, so a file with a
-- single CREATE either applies whole or not at all.
--
-- Catalog domain (venues, seats, shows, sessions, price tiers): read-mostly.
-- Admins edit these rows with optimistic concurrency:
--   UPDATE ... SET version = version + 1 WHERE id = ? AND version = ?

-- +goose Up
CREATE TABLE venues (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    name       VARCHAR(200)    NOT NULL,
    city       VARCHAR(100)    NOT NULL,
    address    VARCHAR(500)    NOT NULL DEFAULT '',
    version    INT UNSIGNED    NOT NULL DEFAULT 1,
    created_at DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    -- One venue of a name per city; also the seed's natural key.
    UNIQUE KEY uq_venues_name_city (name, city)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE venues;
