-- Integrity conflicts: seats the sale Redis and MySQL disagree about, kept
-- out of sale (the sale Redis's {s:N}:conflict mirrors the open ones and is
-- rebuilt from here after a loss). One row per seat, order and kind, so a
-- disagreement found again is not raised again; an admin's clear sets
-- cleared_at and the row stays as the record.

-- +goose Up
CREATE TABLE sale_conflicts (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    session_id     BIGINT UNSIGNED NOT NULL,
    seat_id        BIGINT UNSIGNED NOT NULL,
    kind           VARCHAR(32)     NOT NULL,
    order_no       VARCHAR(40)     NOT NULL,
    other_order_no VARCHAR(40)     NOT NULL DEFAULT '',
    detail         VARCHAR(1000)   NOT NULL,
    created_at     DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    cleared_at     DATETIME(3)     NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_sale_conflicts (session_id, seat_id, order_no, kind),
    -- The open conflicts of a session, and of one seat.
    KEY idx_sale_conflicts_open (session_id, cleared_at, seat_id),
    CONSTRAINT fk_sale_conflicts_session FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE sale_conflicts;
