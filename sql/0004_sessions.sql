-- A session (场次) is one performance of a show at a venue. Its windows are
-- ordered: reservation, then sale. state is the sale state machine
-- DRAFT -> RESERVING -> ARMED -> ON_SALE -> CLOSED.

-- +goose Up
CREATE TABLE sessions (
    id                BIGINT UNSIGNED   NOT NULL AUTO_INCREMENT,
    show_id           BIGINT UNSIGNED   NOT NULL,
    venue_id          BIGINT UNSIGNED   NOT NULL,
    starts_at         DATETIME(3)       NOT NULL,
    reserve_opens_at  DATETIME(3)       NOT NULL,
    reserve_closes_at DATETIME(3)       NOT NULL,
    sale_opens_at     DATETIME(3)       NOT NULL,
    sale_closes_at    DATETIME(3)       NOT NULL,
    -- Most seats one buyer may hold or buy in this session.
    seat_limit        TINYINT UNSIGNED  NOT NULL DEFAULT 4,
    -- How long a hold keeps seats LOCKED before they return.
    hold_seconds      INT UNSIGNED      NOT NULL DEFAULT 900,
    state             ENUM('DRAFT','RESERVING','ARMED','ON_SALE','CLOSED') NOT NULL DEFAULT 'DRAFT',
    version           INT UNSIGNED      NOT NULL DEFAULT 1,
    created_at        DATETIME(3)       NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at        DATETIME(3)       NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    KEY idx_sessions_show_starts (show_id, starts_at),
    KEY idx_sessions_venue_starts (venue_id, starts_at),
    -- Schedulers: sessions in a state whose sale opens next.
    KEY idx_sessions_state_sale (state, sale_opens_at),
    CONSTRAINT fk_sessions_show FOREIGN KEY (show_id) REFERENCES shows (id) ON DELETE RESTRICT,
    CONSTRAINT fk_sessions_venue FOREIGN KEY (venue_id) REFERENCES venues (id) ON DELETE RESTRICT,
    -- CHECK names are per schema in MySQL 8, hence the table prefix.
    CONSTRAINT ck_sessions_windows CHECK (
        reserve_opens_at <= reserve_closes_at
        AND reserve_closes_at <= sale_opens_at
        AND sale_opens_at < sale_closes_at),
    CONSTRAINT ck_sessions_seat_limit CHECK (seat_limit >= 1),
    CONSTRAINT ck_sessions_hold CHECK (hold_seconds >= 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE sessions;
