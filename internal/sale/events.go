package sale

import (
	"context"
	"fmt"
	"strconv"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/redis"
	"boxoffice/lua"
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
func Emit(ctx context.Context, rdb goredis.UniversalClient, e boxoffice.SaleEvent) (string, error) {
	id, err := rdb.XAdd(ctx, &goredis.XAddArgs{Stream: KeysFor(e.SessionID).Key("outbox"), Values: streamValues(e)}).Result()
	if err != nil {
		return "", unavailable(err)
	}
	return id, nil
}

// Sessions is the set of session ids ever armed in this sale Redis: where
// the relay, the timeouts and the reconciler look for work.
// The {sale} hash tag keeps the global keys on one cluster slot.
const Sessions = "{sale}:sessions"

// ActiveSessions returns the armed session ids.
func ActiveSessions(ctx context.Context, rdb goredis.UniversalClient) ([]int64, error) {
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
// move and MySQL has all of it (retire.lua): it is CLOSED, no hold waits in
// its expiry queue, its outbox is drained and its change sequence is at
// most applied, the one MySQL had applied when read before this call. The
// caller must also have checked that MySQL has every hold's final state
// (the reconciler does). It reports whether it retired it.
//
// After that no script writes the session. It is marked trimmed (meta, the
// change sequence then), so a repair never takes its missing records for
// lost ones, and its hold and idempotency records, all in MySQL, are
// deleted in batches, and its holders; then it leaves Sessions. All of it works in a full
// sale Redis. What a grab reads first (meta) stays: it answers 403
// sale_not_open; a late payment finds no hold and is flagged for refund.
func Retire(ctx context.Context, rdb goredis.UniversalClient, id, applied int64) (bool, error) {
	k := KeysFor(id)
	ok, err := retireScript.Run(ctx, rdb, k.keys("meta", "expiry", "outbox", "eventseq"), applied).Int()
	if err != nil {
		return false, unavailable(err)
	}
	if ok == 0 {
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

var retireScript = lua.Script("retire")

// MetaTrimmed is the field of a session's meta that says its hold and
// idempotency records were trimmed (Retire), at which change sequence.
const MetaTrimmed = "trimmed"

// trimBatch is how many records one command of a trim deletes.
const trimBatch = 500

// trim deletes a retired session's hold records and idempotency records,
// trimBatch at a time, so Redis never blocks on one big delete, then its
// holders, which served only the replays of those records.
func trim(ctx context.Context, rdb goredis.UniversalClient, k Keys) error {
	holds := rdb.HScan(ctx, k.Key("holds"), 0, "", trimBatch).Iterator()
	err := inBatches(ctx, holds, 2, func(fields []string) error { return rdb.HDel(ctx, k.Key("holds"), fields...).Err() })
	if err != nil {
		return err
	}
	// SCAN walks one server: the one holding the session's slot.
	node, err := redis.NodeFor(ctx, rdb, k.Key("holds"))
	if err != nil {
		return unavailable(err)
	}
	idem := node.Scan(ctx, 0, k.Key("idem:")+"*", trimBatch).Iterator()
	if err := inBatches(ctx, idem, 1, func(keys []string) error { return rdb.Unlink(ctx, keys...).Err() }); err != nil {
		return err
	}
	if err := rdb.Unlink(ctx, k.Key(KeyHolders)).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

// inBatches deletes what it iterates with del, trimBatch at a time: every
// step-th item (an HSCAN yields field, value, field, value, ...).
func inBatches(ctx context.Context, it *goredis.ScanIterator, step int, del func([]string) error) error {
	var batch []string
	flush := func() error {
		var err error
		if len(batch) > 0 {
			err = del(batch)
		}
		batch = batch[:0]
		return err
	}
	for i := 0; it.Next(ctx); i++ {
		if i%step == 0 {
			batch = append(batch, it.Val())
		}
		if len(batch) == trimBatch {
			if err := flush(); err != nil {
				return unavailable(err)
			}
		}
	}
	if err := it.Err(); err != nil {
		return unavailable(err)
	}
	if err := flush(); err != nil {
		return unavailable(err)
	}
	return nil
}
