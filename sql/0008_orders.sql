-- The durable record of a hold, written from sale events. Status only moves
-- forward (LOCKED -> PAYING -> PAID; LOCKED|PAYING -> CANCELLED or
-- TIMEOUT_CANCELLED), every UPDATE conditional on the current status.

-- +goose Up
CREATE TABLE orders (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    -- Minted at the edge with the hold; the idempotency key of every consumer.
    order_no        VARCHAR(40)     NOT NULL,
    session_id      BIGINT UNSIGNED NOT NULL,
    user_id         BIGINT UNSIGNED NOT NULL,
    status          ENUM('LOCKED','PAYING','PAID','CANCELLED','TIMEOUT_CANCELLED') NOT NULL DEFAULT 'LOCKED',
    amount_cents    BIGINT UNSIGNED NOT NULL,
    -- When the hold ends and the seats return unless paid.
    expire_at       DATETIME(3)     NOT NULL,
    -- Set on LOCKED -> PAYING: the gateway must confirm by then.
    pay_deadline    DATETIME(3)     NULL,
    paid_at         DATETIME(3)     NULL,
    cancel_reason   VARCHAR(64)     NULL,
    -- 1 when money arrived for an order that can no longer be paid.
    refund_required TINYINT         NOT NULL DEFAULT 0,
    created_at      DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at      DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uq_orders_order_no (order_no),
    -- Timeout sweep: WHERE status IN ('LOCKED','PAYING') AND expire_at < ?.
    KEY idx_orders_status_expire (status, expire_at),
    -- "My orders", newest first.
    KEY idx_orders_user_created (user_id, created_at),
    -- Per-session stats and rebuilding the sale Redis after a restart.
    KEY idx_orders_session_status (session_id, status),
    CONSTRAINT fk_orders_session FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE RESTRICT,
    CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE orders;
