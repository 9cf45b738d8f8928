-- The venue's seat template. seats.id is the seat id of every session held
-- at the venue (sale Redis, grab requests and order_items all use it).

-- +goose Up
CREATE TABLE seats (
    id        BIGINT UNSIGNED   NOT NULL AUTO_INCREMENT,
    venue_id  BIGINT UNSIGNED   NOT NULL,
    section   VARCHAR(32)       NOT NULL,
    row_label VARCHAR(16)       NOT NULL,
    `number`  SMALLINT UNSIGNED NOT NULL,
    -- Drawing coordinates of the seat's centre on the seat map (stage at y = 0).
    x         INT               NOT NULL,
    y         INT               NOT NULL,
    -- Default price tier; matched against price_tiers.code of each session.
    tier_code VARCHAR(16)       NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_seats_place (venue_id, section, row_label, `number`),
    CONSTRAINT fk_seats_venue FOREIGN KEY (venue_id) REFERENCES venues (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE seats;
