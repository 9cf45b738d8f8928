-- A show (演出) is what buyers browse; its sessions are the dated performances.

-- +goose Up
CREATE TABLE shows (
    id          BIGINT UNSIGNED              NOT NULL AUTO_INCREMENT,
    title       VARCHAR(200)                 NOT NULL,
    artist      VARCHAR(200)                 NOT NULL DEFAULT '',
    description TEXT                         NULL,
    poster_url  VARCHAR(1000)                NOT NULL DEFAULT '',
    status      ENUM('draft','published')    NOT NULL DEFAULT 'draft',
    version     INT UNSIGNED                 NOT NULL DEFAULT 1,
    created_at  DATETIME(3)                  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at  DATETIME(3)                  NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    -- Public listing: published shows, newest first, keyset-paginated by id.
    KEY idx_shows_status_id (status, id),
    -- Prefix search (LIKE 'abc%') within a status.
    KEY idx_shows_status_title (status, title),
    KEY idx_shows_status_artist (status, artist)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE shows;
