-- Which event holds each change sequence of a session (registered by
-- workers/orders as the events arrive, even before they apply). The sale
-- Redis gives each sequence once; two events of a session with the same
-- sequence mean it came back with older data and gave again numbers whose
-- events MySQL has: that is a loss, however far its sequence has climbed
-- since. sale_sequences.lost counts such findings; workers/timeouts
-- repairs the session and sets it back to 0.

-- +goose Up
CREATE TABLE sale_event_seqs (
    session_id BIGINT UNSIGNED NOT NULL,
    seq        BIGINT UNSIGNED NOT NULL,
    event_id   VARCHAR(64)     NOT NULL,
    PRIMARY KEY (session_id, seq, event_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

ALTER TABLE sale_sequences ADD COLUMN lost INT UNSIGNED NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE sale_sequences DROP COLUMN lost;
DROP TABLE sale_event_seqs;
