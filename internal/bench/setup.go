package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/auth"
	"boxoffice/internal/boxoffice"
	"boxoffice/internal/mysql"
	"boxoffice/internal/sale"
)

// seatLimit is the bench sessions' seats per buyer.
const seatLimit = 4

// buyer is a bench buyer: its id, its Authorization header and the client
// address it sends from (X-Forwarded-For), so per-IP limits see many clients.
type buyer struct {
	id   int64
	auth string
	ip   string
}

// fixture is what every session of a run shares: one venue with its seats,
// one show and the buyers, who reserve each session.
type fixture struct {
	tag     string
	venue   int64
	show    int64
	seats   []int64 // in the venue's order: the first ones are the best
	buyers  []buyer
	bloomFP float64
}

// numbers is a derived table of n = 0..999,999, made of digits so it needs
// neither a sequence engine nor recursion.
func numbers() string {
	digits := "(SELECT 0 AS d" + strings.Repeat(" UNION ALL SELECT ?", 9) + ")"
	var from, sum []string
	for i := 0; i < 6; i++ {
		from = append(from, fmt.Sprintf("%s d%d", digits, i))
		sum = append(sum, fmt.Sprintf("d%d.d * %d", i, pow10(i)))
	}
	return "(SELECT " + strings.Join(sum, " + ") + " AS n FROM " + strings.Join(from, " CROSS JOIN ") + ") nums"
}

// digitArgs are the placeholders' values of numbers().
func digitArgs() []any {
	var out []any
	for i := 0; i < 6; i++ {
		for d := 1; d <= 9; d++ {
			out = append(out, d)
		}
	}
	return out
}

func pow10(i int) int {
	p := 1
	for ; i > 0; i-- {
		p *= 10
	}
	return p
}

// newFixture creates the venue with nSeats seats (the best 5 % in tier A),
// the show and nBuyers buyers with tokens minted by keys.
func newFixture(ctx context.Context, db *sqlx.DB, keys *auth.Keys, nSeats, nBuyers int, bloomFP float64) (*fixture, error) {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	f := &fixture{tag: hex.EncodeToString(b), bloomFP: bloomFP}
	name := "bench " + f.tag
	var err error
	if f.venue, err = insert(ctx, db, `INSERT INTO venues (name, city, address) VALUES (?, 'Bench', '1 Bench St')`, name); err != nil {
		return nil, err
	}
	if f.show, err = insert(ctx, db, `INSERT INTO shows (title, artist, status) VALUES (?, 'Bench', 'published')`, name); err != nil {
		return nil, err
	}
	args := append([]any{f.venue, hot(nSeats)}, digitArgs()...)
	if _, err := db.ExecContext(ctx, `INSERT INTO seats (venue_id, section, row_label, number, x, y, tier_code)
		SELECT ?, 'S', CONCAT('R', n DIV 100), n % 100 + 1, n % 100 * 10, n DIV 100 * 10, IF(n < ?, 'A', 'B')
		FROM `+numbers()+` WHERE n < ?`, append(args, nSeats)...); err != nil {
		return nil, fmt.Errorf("insert seats: %w", err)
	}
	if err := db.SelectContext(ctx, &f.seats, `SELECT id FROM seats WHERE venue_id = ? ORDER BY id`, f.venue); err != nil {
		return nil, err
	}
	// Phones are 20 characters at most: "+7" and the tag leave 10 digits.
	args = append([]any{"+7" + f.tag}, digitArgs()...)
	if _, err := db.ExecContext(ctx, `INSERT INTO users (phone, password_hash, role)
		SELECT CONCAT(?, LPAD(n, 10, '0')), 'x', 'user' FROM `+numbers()+` WHERE n < ?`, append(args, nBuyers)...); err != nil {
		return nil, fmt.Errorf("insert buyers: %w", err)
	}
	var ids []int64
	if err := db.SelectContext(ctx, &ids, `SELECT id FROM users WHERE phone LIKE ? ORDER BY id`, "+7"+f.tag+"%"); err != nil {
		return nil, err
	}
	now := time.Now()
	for i, id := range ids {
		token, _, err := keys.Sign(id, auth.RoleUser, now)
		if err != nil {
			return nil, err
		}
		f.buyers = append(f.buyers, buyer{id: id, auth: "Bearer " + token,
			ip: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)})
	}
	return f, nil
}

// hot is how many of n seats are the best 5 % (at least one).
func hot(n int) int { return max(1, n/20) }

func insert(ctx context.Context, db *sqlx.DB, q string, args ...any) (int64, error) {
	res, err := db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// session creates a session of the fixture's show, reserved by every buyer,
// and arms and opens it as the admin API does.
func (f *fixture) session(ctx context.Context, db *sqlx.DB, rdb goredis.UniversalClient) (int64, error) {
	sid, err := f.insertSession(ctx, db)
	if err != nil {
		return 0, err
	}
	return sid, f.open(ctx, db, rdb, sid)
}

// insertSession inserts the row of a session of the fixture's show.
func (f *fixture) insertSession(ctx context.Context, db *sqlx.DB) (int64, error) {
	now := time.Now().UTC()
	sid, err := insert(ctx, db, `INSERT INTO sessions (show_id, venue_id, starts_at, reserve_opens_at,
		reserve_closes_at, sale_opens_at, sale_closes_at, seat_limit, hold_seconds, state)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 3600, 'RESERVING')`, f.show, f.venue, now.Add(3*time.Hour),
		now.Add(-time.Hour), now.Add(-time.Minute), now.Add(-time.Minute), now.Add(2*time.Hour), seatLimit)
	if err != nil {
		return 0, fmt.Errorf("insert session: %w", err)
	}
	return sid, nil
}

// open gives session sid its prices and every buyer's reservation, and
// arms and opens it as the admin API does.
func (f *fixture) open(ctx context.Context, db *sqlx.DB, rdb goredis.UniversalClient, sid int64) error {
	if _, err := db.ExecContext(ctx, `INSERT INTO price_tiers (session_id, code, name, price_cents)
		VALUES (?, 'A', 'Front', 20000), (?, 'B', 'Stalls', 8000)`, sid, sid); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO reservations (session_id, user_id)
		SELECT ?, id FROM users WHERE phone LIKE ?`, sid, "+7"+f.tag+"%"); err != nil {
		return fmt.Errorf("reserve: %w", err)
	}
	plan, err := mysql.ArmSession(ctx, db, sid)
	if err != nil {
		return err
	}
	if _, err := sale.Arm(ctx, rdb, plan, f.bloomFP); err != nil {
		return err
	}
	if err := sale.SetState(ctx, rdb, sid, boxoffice.SessionOnSale); err != nil {
		return err
	}
	return mysql.SetSessionState(ctx, db, sid, boxoffice.SessionOnSale, boxoffice.SessionArmed)
}

// idList is seat ids as the JSON array of a grab's body.
func idList(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return "[" + strings.Join(parts, ",") + "]"
}
