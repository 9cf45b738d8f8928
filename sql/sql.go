// Package sql holds boxoffice's database migrations as numbered goose SQL
// files that run on both MySQL 8 and MariaDB 10.11.
package sql

import "embed"

// Migrations is the set of migration files (0001_*.sql, 0002_*.sql, ...),
// embedded at the root of the file system and applied in numeric order.
//
//go:embed *.sql
var Migrations embed.FS
