package mysql

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/boxoffice"
)

// Outcomes of one sale event applied by ApplySaleEvents.
const (
	EventInserted  = "inserted"  // the event wrote its order's row
	EventUpdated   = "updated"   // the event moved its order to a later status
	EventUnchanged = "unchanged" // replayed or late: nothing to change
	// The event contradicts the order's row, which it leaves as it is.
	EventReleaseOfPaid   = "conflict_release_of_paid"   // a release of a PAID order
	EventSaleOfCancelled = "conflict_sale_of_cancelled" // a sale of a cancelled order
)

// ErrSeatTaken is a new order's seat still in another live order in MySQL:
// normally the other order's release is yet to come (events of different
// orders travel on different partitions), so trying again later may pass.
var ErrSeatTaken = errors.New("a seat of the order is still in another live order")

// writeChunk bounds the rows of one statement (placeholders stay under 65,535).
const writeChunk = 1000

// ApplySaleEvents writes a batch of sale events, in the order given, into
// orders and order_items in one transaction, and returns each event's
// outcome. Their change sequences are registered first (registerSeqs). Every write is conditional on the current status, so
// applying a batch again changes nothing:
//   - hold.created inserts the order LOCKED with its items live, unless the
//     order has a row;
//   - hold.released moves a LOCKED or PAYING order to TIMEOUT_CANCELLED
//     (reason timeout) or CANCELLED and frees its items (active NULL);
//   - hold.sold moves a LOCKED or PAYING order to PAID.
//
// A release of a PAID order or a sale of a cancelled one contradicts the
// row: it is left as it is and the outcome names the conflict
// (EventReleaseOfPaid, EventSaleOfCancelled).
//
// A released or sold event whose order has no row yet (events can arrive
// out of order) inserts it straight in that status. Any other event type is
// an error, and so is a seat already in another live order (the unique key
// of order_items: ErrSeatTaken) or a session, user or seat that does not exist.
func ApplySaleEvents(ctx context.Context, db *sqlx.DB, events []boxoffice.SaleEvent) ([]string, error) {
	if err := registerSeqs(ctx, db, events); err != nil {
		return nil, err
	}
	tx, err := db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return nil, fmt.Errorf("apply sale events: %w", err)
	}
	defer tx.Rollback()
	w := &orderWrite{tx: tx, rows: map[string]*orderRow{}}
	if err := w.lock(ctx, events); err != nil {
		return nil, err
	}
	outcomes := make([]string, len(events))
	for i, e := range events {
		if outcomes[i], err = w.fold(e); err != nil {
			return nil, err
		}
	}
	// Free the seats of released orders before taking them for new ones: a
	// batch may hold one buyer's release and the next buyer's hold of a seat.
	if err := w.update(ctx); err != nil {
		return nil, err
	}
	if err := w.insert(ctx); err != nil {
		return nil, err
	}
	if err := recordSeqs(ctx, tx, events); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("apply sale events: commit: %w", err)
	}
	return outcomes, nil
}

// orderWrite is one batch: the rows it touches, as they will be.
type orderWrite struct {
	tx    *sqlx.Tx
	rows  map[string]*orderRow
	fresh []*orderRow // rows to insert, in event order
}

// orderRow is an order as the batch leaves it.
type orderRow struct {
	ID       int64  `db:"id"`
	OrderNo  string `db:"order_no"`
	Status   string `db:"status"`
	fresh    bool   // no row yet: the batch inserts it
	moved    bool   // an existing row the batch moves to Status
	e        boxoffice.SaleEvent
	reason   string
	paidAt   time.Time
	expireAt time.Time
}

// lock reads and locks the existing rows of the batch's orders.
func (w *orderWrite) lock(ctx context.Context, events []boxoffice.SaleEvent) error {
	seen := map[string]bool{}
	var nos []string
	for _, e := range events {
		if !seen[e.OrderNo] {
			seen[e.OrderNo] = true
			nos = append(nos, e.OrderNo)
		}
	}
	for start := 0; start < len(nos); start += writeChunk {
		q, args, err := sqlx.In(`SELECT id, order_no, status FROM orders WHERE order_no IN (?) FOR UPDATE`,
			nos[start:min(start+writeChunk, len(nos))])
		if err != nil {
			return fmt.Errorf("lock orders: %w", err)
		}
		var rows []*orderRow
		if err := w.tx.SelectContext(ctx, &rows, q, args...); err != nil {
			return fmt.Errorf("lock orders: %w", err)
		}
		for _, r := range rows {
			w.rows[r.OrderNo] = r
		}
	}
	return nil
}

// fold applies e to the batch's picture of its order and returns its outcome.
func (w *orderWrite) fold(e boxoffice.SaleEvent) (string, error) {
	status, reason := e.OrderStatus(), ""
	switch {
	case status == "":
		return "", fmt.Errorf("order %s: event of unknown type %q", e.OrderNo, e.Type)
	case e.Type == boxoffice.EventHoldReleased:
		reason = cmp.Or(e.Reason, boxoffice.ReasonReleased)
		reason = reason[:min(len(reason), 64)]
	}
	at := time.UnixMilli(e.At).UTC()
	r := w.rows[e.OrderNo]
	if r == nil {
		r = &orderRow{OrderNo: e.OrderNo, Status: status, fresh: true, e: e, reason: reason, expireAt: at}
		if e.ExpiresAt > 0 {
			r.expireAt = time.UnixMilli(e.ExpiresAt).UTC()
		}
		if status == boxoffice.OrderPaid {
			r.paidAt = at
		}
		w.rows[e.OrderNo], w.fresh = r, append(w.fresh, r)
		return EventInserted, nil
	}
	if e.Type == boxoffice.EventHoldCreated || (r.Status != boxoffice.OrderLocked && r.Status != boxoffice.OrderPaying) {
		switch {
		case r.fresh && e.ExpiresAt > 0 && e.Type == boxoffice.EventHoldCreated:
			r.expireAt = time.UnixMilli(e.ExpiresAt).UTC() // a late created: its expiry is the true one
		case e.Type == boxoffice.EventHoldReleased && r.Status == boxoffice.OrderPaid:
			return EventReleaseOfPaid, nil
		case e.Type == boxoffice.EventHoldSold && !boxoffice.LiveStatus(r.Status):
			return EventSaleOfCancelled, nil
		}
		return EventUnchanged, nil
	}
	r.Status, r.reason, r.moved = status, reason, !r.fresh
	if status == boxoffice.OrderPaid {
		r.paidAt = at
	}
	return EventUpdated, nil
}

// insert writes the batch's new orders and their items.
func (w *orderWrite) insert(ctx context.Context) error {
	if len(w.fresh) == 0 {
		return nil
	}
	for start := 0; start < len(w.fresh); start += writeChunk {
		part := w.fresh[start:min(start+writeChunk, len(w.fresh))]
		rows := make([]string, len(part))
		args := make([]any, 0, 8*len(part))
		for i, r := range part {
			var paidAt, reason any
			if !r.paidAt.IsZero() {
				paidAt = r.paidAt
			}
			if r.reason != "" {
				reason = r.reason
			}
			createdAt := boxoffice.OrderHeldAt(r.OrderNo)
			if createdAt.IsZero() {
				createdAt = time.Now()
			}
			rows[i] = "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
			args = append(args, r.OrderNo, r.e.SessionID, r.e.UserID, r.Status, r.e.AmountCents, r.expireAt, paidAt, reason, createdAt)
		}
		if _, err := w.tx.ExecContext(ctx, `INSERT INTO orders (order_no, session_id, user_id, status,
			amount_cents, expire_at, paid_at, cancel_reason, created_at) VALUES `+strings.Join(rows, ", "), args...); err != nil {
			return fmt.Errorf("insert %d orders (first %s): %w", len(part), part[0].OrderNo, err)
		}
		if err := w.ids(ctx, part); err != nil {
			return err
		}
		if err := w.flagRefunds(ctx, part); err != nil {
			return err
		}
	}
	return w.insertItems(ctx)
}

// flagRefunds carries a refund flag over from payments settled before
// their order row was written (money for a hold already released, not a
// second payment of a paid one).
func (w *orderWrite) flagRefunds(ctx context.Context, part []*orderRow) error {
	nos := make([]string, len(part))
	for i, r := range part {
		nos[i] = r.OrderNo
	}
	q, args, err := sqlx.In(`UPDATE orders o SET o.refund_required = 1 WHERE o.order_no IN (?) AND `+refundOwed, nos)
	if err == nil {
		_, err = w.tx.ExecContext(ctx, q, args...)
	}
	if err != nil {
		return fmt.Errorf("flag refunds of new orders: %w", err)
	}
	return nil
}

// ids reads the ids of freshly inserted orders.
func (w *orderWrite) ids(ctx context.Context, part []*orderRow) error {
	nos := make([]string, len(part))
	for i, r := range part {
		nos[i] = r.OrderNo
	}
	q, args, err := sqlx.In(`SELECT id, order_no FROM orders WHERE order_no IN (?)`, nos)
	if err != nil {
		return fmt.Errorf("order ids: %w", err)
	}
	var got []struct {
		ID      int64  `db:"id"`
		OrderNo string `db:"order_no"`
	}
	if err := w.tx.SelectContext(ctx, &got, q, args...); err != nil {
		return fmt.Errorf("order ids: %w", err)
	}
	for _, g := range got {
		w.rows[g.OrderNo].ID = g.ID
	}
	return nil
}

// insertItems writes one item per seat of the new orders, priced by the
// session's tiers when those add up to the order's amount.
func (w *orderWrite) insertItems(ctx context.Context) error {
	prices, err := w.tierPrices(ctx)
	if err != nil {
		return err
	}
	var rows []string
	var args []any
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		_, err := w.tx.ExecContext(ctx, `INSERT INTO order_items (order_id, session_id, seat_id, price_cents, active)
			VALUES `+strings.Join(rows, ", "), args...)
		rows, args = rows[:0], args[:0]
		if isMySQL(err, errDuplicate) {
			return fmt.Errorf("insert order items: %w: %w", ErrSeatTaken, err)
		}
		if err != nil {
			return fmt.Errorf("insert order items: %w", err)
		}
		return nil
	}
	for _, r := range w.fresh {
		var active any = 1
		if !boxoffice.LiveStatus(r.Status) {
			active = nil
		}
		split := ItemPrices(r.e.SeatIDs, prices[r.e.SessionID], r.e.AmountCents)
		for i, seat := range r.e.SeatIDs {
			rows = append(rows, "(?, ?, ?, ?, ?)")
			args = append(args, r.ID, r.e.SessionID, seat, split[i], active)
		}
		if len(rows) >= writeChunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// tierPrices returns, per session of the new orders, the tier price of
// each of their seats.
func (w *orderWrite) tierPrices(ctx context.Context) (map[int64]map[int64]int64, error) {
	seats := map[int64][]int64{}
	for _, r := range w.fresh {
		seats[r.e.SessionID] = append(seats[r.e.SessionID], r.e.SeatIDs...)
	}
	out := map[int64]map[int64]int64{}
	for sid, ids := range seats {
		out[sid] = map[int64]int64{}
		for start := 0; start < len(ids); start += writeChunk {
			q, args, err := sqlx.In(`SELECT s.id, pt.price_cents FROM seats s
				JOIN price_tiers pt ON pt.session_id = ? AND pt.code = s.tier_code
				WHERE s.id IN (?)`, sid, ids[start:min(start+writeChunk, len(ids))])
			if err != nil {
				return nil, fmt.Errorf("seat prices: %w", err)
			}
			var got []struct {
				ID    int64 `db:"id"`
				Price int64 `db:"price_cents"`
			}
			if err := w.tx.SelectContext(ctx, &got, q, args...); err != nil {
				return nil, fmt.Errorf("seat prices of session %d: %w", sid, err)
			}
			for _, g := range got {
				out[sid][g.ID] = g.Price
			}
		}
	}
	return out, nil
}

// ItemPrices splits an order's amount over its seats: each seat's tier
// price when every seat has one and they add up to the amount (the amount
// the buyer was shown is the truth: a tier repriced after arming does not
// change it), else equal shares with the odd cents on the first seats.
func ItemPrices(seats []int64, tier map[int64]int64, amount int64) []int64 {
	out := make([]int64, len(seats))
	var sum int64
	for i, s := range seats {
		p, ok := tier[s]
		if !ok {
			sum = -1
			break
		}
		out[i], sum = p, sum+p
	}
	if sum == amount || len(seats) == 0 {
		return out
	}
	n := int64(len(seats))
	for i := range out {
		out[i] = amount / n
		if int64(i) < amount%n {
			out[i]++
		}
	}
	return out
}

// update moves the existing orders the batch changed, conditionally.
func (w *orderWrite) update(ctx context.Context) error {
	type group struct{ status, reason string }
	cancels := map[group][]int64{}
	var freed []int64
	for _, r := range w.rows {
		switch {
		case !r.moved:
		case r.Status == boxoffice.OrderPaid:
			if _, err := w.tx.ExecContext(ctx, `UPDATE orders SET status = ?, paid_at = ?
				WHERE id = ? AND status IN (?, ?)`, r.Status, r.paidAt, r.ID, boxoffice.OrderLocked, boxoffice.OrderPaying); err != nil {
				return fmt.Errorf("mark order %s paid: %w", r.OrderNo, err)
			}
		default:
			g := group{r.Status, r.reason}
			cancels[g], freed = append(cancels[g], r.ID), append(freed, r.ID)
		}
	}
	for g, ids := range cancels {
		if err := w.inChunks(ctx, `UPDATE orders SET status = ?, cancel_reason = ?
			WHERE status IN (?, ?) AND id IN (?)`, ids, g.status, g.reason, boxoffice.OrderLocked, boxoffice.OrderPaying); err != nil {
			return fmt.Errorf("cancel orders: %w", err)
		}
	}
	if err := w.inChunks(ctx, `UPDATE order_items SET active = NULL WHERE order_id IN (?) AND active = 1`, freed); err != nil {
		return fmt.Errorf("free items of cancelled orders: %w", err)
	}
	return nil
}

// inChunks runs query (whose last parameter is an IN list) for ids, a
// writeChunk at a time; lead are the parameters before the list.
func (w *orderWrite) inChunks(ctx context.Context, query string, ids []int64, lead ...any) error {
	for start := 0; start < len(ids); start += writeChunk {
		params := append(append([]any{}, lead...), ids[start:min(start+writeChunk, len(ids))])
		q, args, err := sqlx.In(query, params...)
		if err != nil {
			return err
		}
		if _, err := w.tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}
