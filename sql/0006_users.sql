-- Accounts. Buyers log in by phone, admins by email; NULLs do not collide
-- in a UNIQUE key, so either may be absent (but not both).

-- +goose Up
CREATE TABLE users (
    id            BIGINT UNSIGNED       NOT NULL AUTO_INCREMENT,
    -- Stored lower-case; the _ci collation also compares case-insensitively.
    email         VARCHAR(254)          NULL,
    -- E.164 digits, e.g. 13800000001 or +8613800000001.
    phone         VARCHAR(20)           NULL,
    -- bcrypt today (60 chars); room for other encodings later.
    password_hash VARCHAR(255)          NOT NULL,
    role          ENUM('user','admin')  NOT NULL DEFAULT 'user',
    created_at    DATETIME(3)           NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at    DATETIME(3)           NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uq_users_email (email),
    UNIQUE KEY uq_users_phone (phone),
    CONSTRAINT ck_users_login CHECK (email IS NOT NULL OR phone IS NOT NULL)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE users;
