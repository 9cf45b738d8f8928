package mysql

import (
	"context"
	"database/sql/driver"
	"errors"
	"net"
	"syscall"

	mysqldriver "github.com/go-sql-driver/mysql"
)

// Unavailable reports whether err says the database could not do the work
// right now rather than that the work is wrong: the connection failed,
// broke or timed out (net errors, so a Redis that is down reads the same),
// the server is going away or read-only, or it chose this statement as a
// deadlock victim or timed out its lock wait. Trying again later may work.
func Unavailable(err error) bool {
	var ne net.Error
	switch {
	case err == nil:
		return false
	case errors.As(err, &ne), errors.Is(err, driver.ErrBadConn), errors.Is(err, mysqldriver.ErrInvalidConn),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET):
		return true
	}
	var me *mysqldriver.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1040, 1053, 1205, 1213, 1290, 1317, 1927, 2006, 2013:
			return true
		}
	}
	return false
}
