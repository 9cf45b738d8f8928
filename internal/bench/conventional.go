package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/auth"
)

// The conventional design, for comparison only (not a product path): seats
// in a MySQL table, locked by a conditional UPDATE in a transaction behind
// a plain net/http handler that checks the JWT, as order systems commonly
// do. It checks neither reservations nor the per-buyer limit. Its tables
// are scratch tables named after the run, created and dropped by the bench.

var tagPattern = regexp.MustCompile(`^[0-9a-f]{8}$`)

func seatsTable(tag string) string  { return "bench_seats_" + tag }
func ordersTable(tag string) string { return "bench_orders_" + tag }

// createScratch creates the run's two tables.
func createScratch(ctx context.Context, db *sqlx.DB, tag string) error {
	for _, q := range []string{
		`CREATE TABLE ` + seatsTable(tag) + ` (seat_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
			state ENUM('AVAILABLE','HELD') NOT NULL DEFAULT 'AVAILABLE', order_id BIGINT UNSIGNED NULL) ENGINE=InnoDB`,
		`CREATE TABLE ` + ordersTable(tag) + ` (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
			user_id BIGINT UNSIGNED NOT NULL, seats VARCHAR(400) NOT NULL,
			created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)) ENGINE=InnoDB`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create scratch table: %w", err)
		}
	}
	return nil
}

// dropScratch drops the run's tables.
func dropScratch(ctx context.Context, db *sqlx.DB, tag string) error {
	_, err := db.ExecContext(ctx, `DROP TABLE IF EXISTS `+seatsTable(tag)+`, `+ordersTable(tag))
	return err
}

// resetScratch empties the tables and puts the seats back, all AVAILABLE,
// or all HELD for a sold-out session.
func resetScratch(ctx context.Context, db *sqlx.DB, tag string, seats []int64, soldOut bool) error {
	for _, q := range []string{`TRUNCATE TABLE ` + seatsTable(tag), `TRUNCATE TABLE ` + ordersTable(tag)} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	state := "AVAILABLE"
	if soldOut {
		state = "HELD"
	}
	for start := 0; start < len(seats); start += 5000 {
		chunk := seats[start:min(start+5000, len(seats))]
		rows := strings.TrimSuffix(strings.Repeat("(?, ?),", len(chunk)), ",")
		args := make([]any, 0, 2*len(chunk))
		for _, id := range chunk {
			args = append(args, id, state)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO `+seatsTable(tag)+` (seat_id, state) VALUES `+rows, args...); err != nil {
			return err
		}
	}
	return nil
}

// conventional is the handler: POST /holds with {"seat_ids":[...]}.
type conventional struct {
	db   *sqlx.DB
	keys *auth.Keys
	tag  string
}

func (c *conventional) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" {
		w.WriteHeader(http.StatusOK)
		return
	}
	claims, err := c.keys.Verify(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), time.Now())
	if err != nil {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized", "message": err.Error()})
		return
	}
	var body struct {
		SeatIDs []int64 `json:"seat_ids"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&body); err != nil ||
		len(body.SeatIDs) == 0 || len(body.SeatIDs) > seatLimit {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad_request", "message": "seat_ids: 1 to 4 seat ids"})
		return
	}
	id, err := c.hold(r.Context(), claims.UserID(), body.SeatIDs)
	switch {
	case errors.Is(err, errTaken):
		writeJSON(w, http.StatusConflict, map[string]string{"error": "seat_unavailable", "message": "some of these seats are taken"})
	case err != nil:
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "unavailable", "message": err.Error()})
	default:
		writeJSON(w, http.StatusCreated, map[string]string{"order_no": fmt.Sprintf("C%s-%d", c.tag, id)})
	}
}

var errTaken = errors.New("seat taken")

// hold locks the seats that are still AVAILABLE and writes the order, all
// or nothing, in one transaction.
func (c *conventional) hold(ctx context.Context, user int64, seats []int64) (int64, error) {
	tx, err := c.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO `+ordersTable(c.tag)+` (user_id, seats) VALUES (?, ?)`, user, idList(seats))
	if err != nil {
		return 0, err
	}
	id, _ := res.LastInsertId()
	q, args, err := sqlx.In(`UPDATE `+seatsTable(c.tag)+` SET state = 'HELD', order_id = ?
		WHERE seat_id IN (?) AND state = 'AVAILABLE'`, id, seats)
	if err != nil {
		return 0, err
	}
	res, err = tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n != int64(len(seats)) {
		return 0, errTaken
	}
	return id, tx.Commit()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ServeConventional serves the conventional design's handler on addr for
// the run tag until ctx ends; the bench runs it as a process of its own so
// that its CPU is not counted as the load generator's.
func ServeConventional(ctx context.Context, db *sqlx.DB, keys *auth.Keys, addr, tag string) error {
	if !tagPattern.MatchString(tag) {
		return fmt.Errorf("--table must be 8 hex digits, got %q", tag)
	}
	db.SetMaxOpenConns(64)
	db.SetMaxIdleConns(64)
	srv := &http.Server{Addr: addr, Handler: &conventional{db: db, keys: keys, tag: tag}, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// startConventional starts this binary serving the conventional handler on
// a free port and returns its base URL, its pid and a stop function.
func startConventional(ctx context.Context, tag string) (string, int, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", 0, nil, err
	}
	addr := l.Addr().String()
	l.Close()
	exe, err := os.Executable()
	if err != nil {
		return "", 0, nil, err
	}
	cmd := exec.Command(exe, "bench", "--serve-conventional", addr, "--table", tag)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", 0, nil, err
	}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}
	base := "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			return base, cmd.Process.Pid, stop, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			stop()
			return "", 0, nil, fmt.Errorf("the conventional handler did not start on %s: %w", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
