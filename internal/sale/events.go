package sale

import (
	"context"
	"fmt"
	"strconv"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
)

// EventFromStream decodes an outbox stream entry written by the scripts.
func EventFromStream(values map[string]any) (boxoffice.SaleEvent, error) {
	str := func(k string) string { s, _ := values[k].(string); return s }
	num := func(k string) int64 { n, _ := strconv.ParseInt(str(k), 10, 64); return n }
	e := boxoffice.SaleEvent{ID: str("id"), Type: str("type"), Reason: str("reason"), SessionID: num("session"),
		OrderNo: str("order_no"), UserID: num("user"), SeatIDs: parseIDs(str("seats")),
		AmountCents: num("amount"), ExpiresAt: num("expires_at"), Txn: str("txn"), At: num("at"), Seq: num("seq")}
	if e.ID == "" || e.OrderNo == "" || e.SessionID <= 0 {
		return e, fmt.Errorf("outbox entry lacks id, order_no or session: %v", values)
	}
	switch e.Type {
	case boxoffice.EventHoldCreated, boxoffice.EventHoldReleased, boxoffice.EventHoldSold:
		return e, nil
	}
	return e, fmt.Errorf("outbox entry of unknown type %q", e.Type)
}

// streamValues is the outbox entry of e, as the scripts write it.
func streamValues(e boxoffice.SaleEvent) []any {
	v := []any{"type", e.Type, "id", e.ID, "session", e.SessionID, "order_no", e.OrderNo,
		"user", e.UserID, "seats", joinIDs(e.SeatIDs), "amount", e.AmountCents, "at", e.At}
	if e.ExpiresAt != 0 {
		v = append(v, "expires_at", e.ExpiresAt)
	}
	if e.Reason != "" {
		v = append(v, "reason", e.Reason)
	}
	if e.Txn != "" {
		v = append(v, "txn", e.Txn)
	}
	return v
}

// Emit appends e to its session's outbox, as a script would but without a
// seq (it changes nothing in Redis), and returns its entry id: the
// reconciler uses it to re-send events Kafka lost.
func Emit(ctx context.Context, rdb *goredis.Client, e boxoffice.SaleEvent) (string, error) {
	id, err := rdb.XAdd(ctx, &goredis.XAddArgs{Stream: KeysFor(e.SessionID).Key("outbox"), Values: streamValues(e)}).Result()
	if err != nil {
		return "", unavailable(err)
	}
	return id, nil
}

// Sessions is the set of session ids ever armed in this sale Redis: where
// the relay, the timeouts and the reconciler look for work.
const Sessions = "sale:sessions"

// ActiveSessions returns the armed session ids.
func ActiveSessions(ctx context.Context, rdb *goredis.Client) ([]int64, error) {
	members, err := rdb.SMembers(ctx, Sessions).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]int64, 0, len(members))
	for _, m := range members {
		if id, err := strconv.ParseInt(m, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out, nil
}

// Retire drops session id from Sessions once nothing of its sale can still
// move: it is CLOSED, no hold waits in its expiry queue and its outbox is
// drained. The caller must first have checked that MySQL has every hold's
// final state (the reconciler does). It reports whether it retired it.
// After that no script writes the session's outbox. Its hold and
// idempotency records, all in MySQL by then, are trimmed: a late payment
// finds no hold and is flagged for refund.
func Retire(ctx context.Context, rdb *goredis.Client, id int64) (bool, error) {
	k := KeysFor(id)
	pipe := rdb.Pipeline()
	state := pipe.HGet(ctx, k.Key("meta"), "state")
	due := pipe.ZCard(ctx, k.Key("expiry"))
	queued := pipe.XLen(ctx, k.Key("outbox"))
	if _, err := pipe.Exec(ctx); err != nil && err != goredis.Nil {
		return false, unavailable(err)
	}
	if state.Val() != boxoffice.SessionClosed || due.Val() != 0 || queued.Val() != 0 {
		return false, nil
	}
	// Trimmed first: a failure leaves the session watched, to retire again.
	if err := trim(ctx, rdb, k); err != nil {
		return false, err
	}
	if err := rdb.SRem(ctx, Sessions, id).Err(); err != nil {
		return false, unavailable(err)
	}
	return true, nil
}

// trim deletes a retired session's hold records and idempotency records.
func trim(ctx context.Context, rdb *goredis.Client, k Keys) error {
	if err := rdb.Unlink(ctx, k.Key("holds")).Err(); err != nil {
		return unavailable(err)
	}
	iter := rdb.Scan(ctx, 0, k.Key("idem:")+"*", 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		if batch = append(batch, iter.Val()); len(batch) == 1000 {
			if err := rdb.Unlink(ctx, batch...).Err(); err != nil {
				return unavailable(err)
			}
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return unavailable(err)
	}
	if len(batch) > 0 {
		if err := rdb.Unlink(ctx, batch...).Err(); err != nil {
			return unavailable(err)
		}
	}
	return nil
}
