package mysql_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	mysqldriver "github.com/go-sql-driver/mysql"

	"boxoffice/internal/mysql"
)

func TestUnavailable(t *testing.T) {
	down := map[string]error{
		"refused":      &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED},
		"bad conn":     driver.ErrBadConn,
		"invalid conn": fmt.Errorf("query: %w", mysqldriver.ErrInvalidConn),
		"deadline":     fmt.Errorf("query: %w", context.DeadlineExceeded),
		"reset":        syscall.ECONNRESET,
		"deadlock":     &mysqldriver.MySQLError{Number: 1213},
		"lock wait":    &mysqldriver.MySQLError{Number: 1205},
		"gone away":    &mysqldriver.MySQLError{Number: 2006},
		"too many":     &mysqldriver.MySQLError{Number: 1040},
	}
	for name, err := range down {
		if !mysql.Unavailable(err) {
			t.Errorf("%s: Unavailable(%v) = false, want true", name, err)
		}
	}
	wrong := map[string]error{
		"nil":       nil,
		"plain":     errors.New("no such seat"),
		"duplicate": &mysqldriver.MySQLError{Number: 1062},
		"fk":        &mysqldriver.MySQLError{Number: 1452},
	}
	for name, err := range wrong {
		if mysql.Unavailable(err) {
			t.Errorf("%s: Unavailable(%v) = true, want false", name, err)
		}
	}
}
