-- Seats of an order. Defence in depth against double sale: active is 1 while
-- the order is live and NULL once it is cancelled (never 0). NULLs do not
-- collide in a UNIQUE key, so a seat is in at most one live order per session
-- but in any number of cancelled ones.

-- +goose Up
CREATE TABLE order_items (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    order_id    BIGINT UNSIGNED NOT NULL,
    -- Copied from the order so the unique key can include it.
    session_id  BIGINT UNSIGNED NOT NULL,
    seat_id     BIGINT UNSIGNED NOT NULL,
    price_cents BIGINT UNSIGNED NOT NULL,
    active      TINYINT         NULL DEFAULT 1,
    PRIMARY KEY (id),
    UNIQUE KEY uq_order_items_live_seat (session_id, seat_id, active),
    KEY idx_order_items_order (order_id),
    KEY idx_order_items_seat (seat_id),
    CONSTRAINT fk_order_items_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE RESTRICT,
    CONSTRAINT fk_order_items_session FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE RESTRICT,
    CONSTRAINT fk_order_items_seat FOREIGN KEY (seat_id) REFERENCES seats (id) ON DELETE RESTRICT,
    -- 0 would collide between two cancelled rows; only 1 or NULL pass.
    CONSTRAINT ck_order_items_active CHECK (active = 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE order_items;
