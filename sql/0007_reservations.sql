-- A buyer's reservation of a session: only reserved buyers may grab seats.
-- Arming a session copies this set into the sale Redis and its Bloom filter.

-- +goose Up
CREATE TABLE reservations (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    session_id BIGINT UNSIGNED NOT NULL,
    user_id    BIGINT UNSIGNED NOT NULL,
    created_at DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uq_reservations_session_user (session_id, user_id),
    -- "My reservations", newest first.
    KEY idx_reservations_user_created (user_id, created_at),
    CONSTRAINT fk_reservations_session FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE RESTRICT,
    CONSTRAINT fk_reservations_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE reservations;
