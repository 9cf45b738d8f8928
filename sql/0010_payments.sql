-- Payment gateway transactions, one row per gateway transaction id, so a
-- replayed callback inserts nothing new. No foreign key to orders: a
-- callback is recorded even when its order is unknown or no longer payable
-- (then refund_required = 1).

-- +goose Up
CREATE TABLE payments (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    order_no        VARCHAR(40)     NOT NULL,
    gateway_txn_id  VARCHAR(64)     NOT NULL,
    amount_cents    BIGINT UNSIGNED NOT NULL,
    status          ENUM('PENDING','SUCCEEDED','FAILED','REFUNDED') NOT NULL,
    refund_required TINYINT         NOT NULL DEFAULT 0,
    created_at      DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at      DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    -- Also the index for "payments of an order".
    UNIQUE KEY uq_payments_order_txn (order_no, gateway_txn_id),
    UNIQUE KEY uq_payments_txn (gateway_txn_id),
    -- Refund worklist.
    KEY idx_payments_refund (refund_required, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE payments;
