// Package invariants checks what a sale must keep true whatever fails
// around it: no seat in two live orders, no buyer charged twice, every
// answered grab accounted for, counters equal to seat states, and nothing
// left in flight. The fault suite runs it after every fault; a load test
// can run it after its load.
package invariants

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/config"
	"boxoffice/internal/kafka"
	"boxoffice/internal/mysql"
	"boxoffice/internal/payments"
	"boxoffice/internal/redis"
	"boxoffice/internal/sale"
	"boxoffice/workers/orders"
)

// Order is one grab the edge answered 201, and what its buyer then saw.
type Order struct {
	No string
	// Want are the MySQL statuses that agree with what the buyer did last:
	// PAID once the gateway took the money, the cancel's answer once
	// cancelled, TIMEOUT_CANCELLED or still live when the buyer left it.
	Want []string
	// Charged is set once the gateway answered the buyer's payment SUCCEEDED.
	Charged bool
}

// Left are the statuses of an order its buyer left alone: it timed out, or
// it is still live (Pending reports a live order past its end).
var Left = []string{boxoffice.OrderTimeoutCancelled, boxoffice.OrderLocked, boxoffice.OrderPaying}

// Checker reads a stack's MySQL, sale Redis, Kafka, orders daemon and
// payment gateway.
type Checker struct {
	DB        *sqlx.DB
	Sale      goredis.UniversalClient
	Gateway   *payments.Gateway
	Brokers   []string
	Topic     string
	OrdersURL string // the orders daemon's base URL, for its /metrics
}

// New opens a checker of the stack cfg describes; Close releases it.
func New(cfg *config.Config) (*Checker, error) {
	db, err := mysql.Open(cfg)
	if err != nil {
		return nil, err
	}
	return &Checker{DB: db, Sale: redis.NewSale(cfg),
		Gateway: payments.NewGateway(cfg.PaygwURL, cfg.PaySecret, 5*time.Second),
		Brokers: cfg.KafkaBrokers, Topic: cfg.KafkaTopic, OrdersURL: "http://" + cfg.OrdersAddr}, nil
}

// Close closes the checker's connections.
func (c *Checker) Close() {
	c.DB.Close()
	c.Sale.Close()
}

// Pending returns what the stack still has in flight for the sessions:
// outbox entries not relayed, events orders has not applied, a session
// being repaired, events parked, holds past their expiry or payment
// deadline not yet ended, charges whose notification MySQL has not
// recorded yet. None means settled.
func (c *Checker) Pending(ctx context.Context, sids []int64, answered []Order) ([]string, error) {
	var out []string
	for _, sid := range sids {
		k := sale.KeysFor(sid)
		n, err := c.Sale.XLen(ctx, k.Key(sale.KeyOutbox)).Result()
		if err != nil {
			return nil, fmt.Errorf("outbox of session %d: %w", sid, err)
		}
		if n > 0 {
			out = append(out, fmt.Sprintf("session %d: %d outbox entries not relayed", sid, n))
		}
		on, err := sale.Recovering(ctx, c.Sale, sid)
		if err != nil {
			return nil, err
		}
		if on {
			out = append(out, fmt.Sprintf("session %d: recovering", sid))
		}
		due, err := c.Sale.ZCount(ctx, k.Key(sale.KeyExpiry), "-inf", strconv.FormatInt(time.Now().UnixMilli(), 10)).Result()
		if err != nil {
			return nil, err
		}
		if due > 0 {
			out = append(out, fmt.Sprintf("session %d: %d holds past their expiry", sid, due))
		}
	}
	lag, err := kafka.GroupLag(ctx, c.Brokers, orders.Group, c.Topic)
	if err != nil {
		return nil, err
	}
	if lag > 0 {
		out = append(out, fmt.Sprintf("orders consumer lag %d", lag))
	}
	parked, err := Metric(ctx, c.OrdersURL, "boxoffice_orders_parked")
	if err != nil {
		return nil, err
	}
	if parked > 0 {
		out = append(out, fmt.Sprintf("%v events parked in orders", parked))
	}
	overdue, err := c.overdue(ctx, sids)
	if err != nil {
		return nil, err
	}
	unrecorded, err := c.unrecorded(ctx, answered)
	return append(append(out, overdue...), unrecorded...), err
}

// unrecorded lists charged orders MySQL has no payment of yet.
func (c *Checker) unrecorded(ctx context.Context, answered []Order) ([]string, error) {
	var charged []string
	for _, o := range answered {
		if o.Charged {
			charged = append(charged, o.No)
		}
	}
	if len(charged) == 0 {
		return nil, nil
	}
	q, args, err := sqlx.In(`SELECT DISTINCT order_no FROM payments WHERE order_no IN (?)`, charged)
	if err != nil {
		return nil, err
	}
	var recorded []string
	if err := c.DB.SelectContext(ctx, &recorded, q, args...); err != nil {
		return nil, fmt.Errorf("recorded payments: %w", err)
	}
	var out []string
	for _, no := range charged {
		if !slices.Contains(recorded, no) {
			out = append(out, fmt.Sprintf("order %s: its charge is not recorded yet", no))
		}
	}
	return out, nil
}

// overdue lists orders MySQL still has LOCKED or PAYING past their end.
func (c *Checker) overdue(ctx context.Context, sids []int64) ([]string, error) {
	q, args, err := sqlx.In(`SELECT order_no, status FROM orders WHERE session_id IN (?)
		AND ((status = 'LOCKED' AND expire_at < ?) OR (status = 'PAYING' AND pay_deadline < ?))`,
		sids, time.Now().UTC(), time.Now().UTC())
	if err != nil {
		return nil, err
	}
	var rows []struct {
		OrderNo string `db:"order_no"`
		Status  string `db:"status"`
	}
	if err := c.DB.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("overdue orders: %w", err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("order %s still %s past its end", r.OrderNo, r.Status))
	}
	return out, nil
}

// Metric reads one sample of a daemon's /metrics at base (its health
// address as a URL), e.g. boxoffice_orders_parked; 0 while it is absent.
func Metric(ctx context.Context, base, sample string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("metrics of %s: %w", base, err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, sc.Err()
}

// Check returns every invariant the sessions break, given the orders
// clients were answered 201 for; run it once Pending is empty.
func (c *Checker) Check(ctx context.Context, sids []int64, answered []Order) ([]string, error) {
	var out []string
	mine := map[string]*row{}
	for _, sid := range sids {
		rows, err := c.rows(ctx, sid)
		if err != nil {
			return nil, err
		}
		holds, err := c.holds(ctx, sid)
		if err != nil {
			return nil, err
		}
		seats, err := c.Sale.HGetAll(ctx, sale.KeysFor(sid).Key(sale.KeySeats)).Result()
		if err != nil {
			return nil, err
		}
		out = append(out, twice(sid, rows, holds)...)
		out = append(out, disagree(sid, rows, holds, seats)...)
		audit, err := sale.Audit(ctx, c.Sale, sid)
		if err != nil {
			return nil, err
		}
		for _, p := range audit {
			out = append(out, fmt.Sprintf("session %d: %s", sid, p))
		}
		conflicts, err := c.Sale.HLen(ctx, sale.KeysFor(sid).Key(sale.KeyConflict)).Result()
		if err != nil {
			return nil, err
		}
		if conflicts > 0 {
			out = append(out, fmt.Sprintf("session %d: %d seats held out of sale by integrity conflicts", sid, conflicts))
		}
		for no, r := range rows {
			mine[no] = r
		}
	}
	out = append(out, accounted(answered, mine)...)
	charges, err := c.charges(ctx, answered, mine)
	return append(out, charges...), err
}

// row is an order as MySQL has it.
type row struct {
	No     string
	Status string
	Seats  []int64
}

func (r *row) live() bool { return boxoffice.HoldState(r.Status) != "" }

// rows reads session sid's orders and their seats from MySQL.
func (c *Checker) rows(ctx context.Context, sid int64) (map[string]*row, error) {
	var items []struct {
		OrderNo string `db:"order_no"`
		Status  string `db:"status"`
		SeatID  *int64 `db:"seat_id"`
	}
	err := c.DB.SelectContext(ctx, &items, `SELECT o.order_no, o.status, i.seat_id
		FROM orders o LEFT JOIN order_items i ON i.order_id = o.id WHERE o.session_id = ?`, sid)
	if err != nil {
		return nil, fmt.Errorf("orders of session %d: %w", sid, err)
	}
	out := map[string]*row{}
	for _, it := range items {
		r := out[it.OrderNo]
		if r == nil {
			r = &row{No: it.OrderNo, Status: it.Status}
			out[it.OrderNo] = r
		}
		if it.SeatID != nil {
			r.Seats = append(r.Seats, *it.SeatID)
		}
	}
	return out, nil
}

// holds reads session sid's holds from the sale Redis.
func (c *Checker) holds(ctx context.Context, sid int64) (map[string]*boxoffice.Hold, error) {
	return holdsOf(ctx, c.Sale, sid)
}

func holdsOf(ctx context.Context, rdb goredis.UniversalClient, sid int64) (map[string]*boxoffice.Hold, error) {
	raw, err := rdb.HGetAll(ctx, sale.KeysFor(sid).Key(sale.KeyHolds)).Result()
	if err != nil {
		return nil, fmt.Errorf("holds of session %d: %w", sid, err)
	}
	out := map[string]*boxoffice.Hold{}
	for no, v := range raw {
		h, err := sale.DecodeHold(no, v)
		if err != nil {
			return nil, err
		}
		out[no] = h
	}
	return out, nil
}

// twice lists seats that two live orders have, in MySQL or in the sale Redis.
func twice(sid int64, rows map[string]*row, holds map[string]*boxoffice.Hold) []string {
	var out []string
	inMySQL, inRedis := map[int64]string{}, map[int64]string{}
	for _, no := range sortedKeys(rows) {
		if r := rows[no]; r.live() {
			out = append(out, claim(inMySQL, r.Seats, no, fmt.Sprintf("session %d MySQL", sid))...)
		}
	}
	for _, no := range sortedKeys(holds) {
		if h := holds[no]; h.State != boxoffice.HoldReleased {
			out = append(out, claim(inRedis, h.SeatIDs, no, fmt.Sprintf("session %d sale Redis", sid))...)
		}
	}
	return out
}

// claim gives seats to order no, naming each seat another order has.
func claim(owner map[int64]string, seats []int64, no, where string) []string {
	var out []string
	for _, s := range seats {
		if other, ok := owner[s]; ok {
			out = append(out, fmt.Sprintf("%s: seat %d is in two live orders, %s and %s", where, s, other, no))
		}
		owner[s] = no
	}
	return out
}

// disagree lists where MySQL and the sale Redis differ: an order's status,
// a hold MySQL lacks, a live order's seats.
func disagree(sid int64, rows map[string]*row, holds map[string]*boxoffice.Hold, seats map[string]string) []string {
	var out []string
	for _, no := range sortedKeys(rows) {
		r, h := rows[no], holds[no]
		switch {
		case h == nil:
			out = append(out, fmt.Sprintf("order %s is %s in MySQL and unknown to the sale Redis", no, r.Status))
		case h.OrderStatus() != r.Status:
			out = append(out, fmt.Sprintf("order %s is %s in MySQL and %s in the sale Redis", no, r.Status, h.OrderStatus()))
		}
	}
	for _, no := range sortedKeys(holds) {
		if rows[no] == nil {
			out = append(out, fmt.Sprintf("hold %s (%s) has no order row in MySQL", no, holds[no].State))
		}
	}
	want := map[string]string{}
	for _, no := range sortedKeys(rows) {
		r := rows[no]
		for _, s := range r.Seats {
			if r.live() {
				prefix := "L:"
				if r.Status == boxoffice.OrderPaid {
					prefix = "S:"
				}
				want[strconv.FormatInt(s, 10)] = prefix + no
			}
		}
	}
	ids := sortedKeys(seats)
	for _, id := range ids {
		got, w := seats[id], want[id]
		if w == "" {
			w = "A"
		}
		if got != w {
			out = append(out, fmt.Sprintf("session %d seat %s is %q in the sale Redis, MySQL says %q", sid, id, got, w))
		}
	}
	return out
}

// accounted lists answered orders MySQL lacks or has in a state their
// buyers' last steps rule out.
func accounted(answered []Order, rows map[string]*row) []string {
	var out []string
	for _, o := range answered {
		r := rows[o.No]
		switch {
		case r == nil:
			out = append(out, fmt.Sprintf("order %s was answered 201 and has no row in MySQL", o.No))
		case !slices.Contains(o.Want, r.Status):
			out = append(out, fmt.Sprintf("order %s is %s in MySQL; its buyer's last step says %s",
				o.No, r.Status, strings.Join(o.Want, " or ")))
		}
	}
	return out
}

// charges compares what the gateway charged with MySQL: every charge is
// recorded, and one whose order is not PAID is flagged for refund; no seat
// is paid for twice without a refund flag.
func (c *Checker) charges(ctx context.Context, answered []Order, rows map[string]*row) ([]string, error) {
	var out []string
	paidFor := map[int64]string{}
	for _, o := range answered {
		p, err := c.Gateway.Status(ctx, o.No)
		if boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("gateway payment of %s: %w", o.No, err)
		}
		if p.Status != payments.StatusSucceeded {
			if o.Charged {
				out = append(out, fmt.Sprintf("order %s: its buyer was charged and the gateway says %s", o.No, p.Status))
			}
			continue
		}
		var refund []bool
		if err := c.DB.SelectContext(ctx, &refund, `SELECT refund_required FROM payments WHERE gateway_txn_id = ?`, p.TxnID); err != nil {
			return nil, err
		}
		r := rows[o.No]
		switch {
		case len(refund) == 0:
			out = append(out, fmt.Sprintf("order %s: charge %s is not recorded in MySQL", o.No, p.TxnID))
		case refund[0]:
		case r == nil || r.Status != boxoffice.OrderPaid:
			out = append(out, fmt.Sprintf("order %s: charged (%s) but not PAID and not flagged for refund", o.No, p.TxnID))
		default:
			out = append(out, claim(paidFor, r.Seats, o.No, "two buyers charged for one seat")...)
		}
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
