-- The highest change sequence (the sale Redis's {s:N}:eventseq, carried by
-- each sale event as seq) that workers/orders has applied per session, in
-- the transaction of the batch. A sale Redis whose sequence is behind this
-- has lost changes that MySQL has: workers/timeouts repairs the session.

-- +goose Up
CREATE TABLE sale_sequences (
    session_id BIGINT UNSIGNED NOT NULL,
    seq        BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (session_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE sale_sequences;
