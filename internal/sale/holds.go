package sale

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/lua"
)

// holdRecord is a hold as the scripts write it ({s:N}:holds, JSON).
type holdRecord struct {
	UserID      int64  `json:"user"`
	Seats       string `json:"seats"` // comma-separated seat ids
	Amount      int64  `json:"amount"`
	ExpiresAt   int64  `json:"expires_at"`
	CreatedAt   int64  `json:"created_at"`
	State       string `json:"state"`
	PayDeadline int64  `json:"pay_deadline,omitempty"`
	Reason      string `json:"reason,omitempty"`
	Txn         string `json:"txn,omitempty"`
	SoldAt      int64  `json:"sold_at,omitempty"`
	ReleasedAt  int64  `json:"released_at,omitempty"`
}

// EncodeHold is h's hold record.
func EncodeHold(h boxoffice.Hold) ([]byte, error) {
	r := holdRecord{UserID: h.UserID, Seats: joinIDs(h.SeatIDs), Amount: h.Amount, ExpiresAt: h.ExpiresAt,
		CreatedAt: h.CreatedAt, State: h.State, PayDeadline: h.PayDeadline, Reason: h.Reason, Txn: h.Txn}
	switch h.State {
	case boxoffice.HoldSold:
		r.SoldAt = h.EndedAt
	case boxoffice.HoldReleased:
		r.ReleasedAt = h.EndedAt
	}
	return json.Marshal(r)
}

// DecodeHold reads the hold record of an order number.
func DecodeHold(orderNo, raw string) (*boxoffice.Hold, error) {
	var r holdRecord
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return nil, fmt.Errorf("hold %s: %w", orderNo, err)
	}
	sid, _ := boxoffice.OrderSession(orderNo)
	h := &boxoffice.Hold{OrderNo: orderNo, SessionID: sid, UserID: r.UserID, SeatIDs: parseIDs(r.Seats),
		Amount: r.Amount, ExpiresAt: r.ExpiresAt, CreatedAt: r.CreatedAt, State: r.State,
		PayDeadline: r.PayDeadline, Reason: r.Reason, Txn: r.Txn}
	switch h.State {
	case boxoffice.HoldSold, boxoffice.HoldReleased:
		// A record that does not say when it ended counts from its creation.
		h.EndedAt = max(r.SoldAt, r.ReleasedAt, r.CreatedAt)
	}
	return h, nil
}

var (
	releaseScript = lua.Script("release")
	payScript     = lua.Script("pay")
	confirmScript = lua.Script("confirm")
)

// GetHold reads a hold; ENOTFOUND if the sale Redis has none by that number.
func GetHold(ctx context.Context, rdb goredis.UniversalClient, orderNo string) (*boxoffice.Hold, error) {
	sid, err := boxoffice.OrderSession(orderNo)
	if err != nil {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "no order %s", orderNo)
	}
	raw, err := rdb.HGet(ctx, KeysFor(sid).Key("holds"), orderNo).Result()
	if err == goredis.Nil {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "no order %s", orderNo)
	}
	if err != nil {
		return nil, unavailable(err)
	}
	return DecodeHold(orderNo, raw)
}

// Outcomes of the release, pay and confirm scripts.
const (
	Released        = "released"
	ReleasedAlready = "released_already"
	NotOwner        = "not_owner"
	NotDue          = "not_due"
	Unknown         = "unknown"
	Paying          = "paying"
	Expired         = "expired"
	Sold            = "sold"
	SoldAlready     = "sold_already"
	NotAllHeld      = "conflict" // confirm: a seat of the hold is not its own
)

// ReleaseOpts says who releases and why.
type ReleaseOpts struct {
	Reason    string // boxoffice.ReasonTimeout, boxoffice.ReasonCancelled, ...
	Owner     int64  // the buyer who must own the hold; 0 for any
	OnlyIfDue bool   // release only past the expiry (or payment deadline)
}

// Release runs the release script for orderNo and returns its outcome:
// Released, ReleasedAlready, Sold, Unknown, NotOwner or NotDue.
func Release(ctx context.Context, rdb goredis.UniversalClient, orderNo string, o ReleaseOpts) (string, error) {
	sid, err := boxoffice.OrderSession(orderNo)
	if err != nil {
		return "", err
	}
	k := KeysFor(sid)
	due := "0"
	if o.OnlyIfDue {
		due = "1"
	}
	return runOutcome(ctx, releaseScript, rdb,
		k.keys("seats", "tier", "counts", "soldout", "held", "holds", "expiry", "outbox", "eventseq",
			"index", "packed", "conflict"),
		sid, orderNo, o.Reason, o.Owner, due)
}

// MarkPaying moves the owner's LOCKED hold to PAYING with a deadline window
// from now. It returns the outcome (Paying, Unknown, NotOwner, Expired,
// Released or Sold) and the hold as it now is.
func MarkPaying(ctx context.Context, rdb goredis.UniversalClient, orderNo string, owner int64, window time.Duration) (string, *boxoffice.Hold, error) {
	sid, err := boxoffice.OrderSession(orderNo)
	if err != nil {
		return "", nil, err
	}
	k := KeysFor(sid)
	res, err := payScript.Run(ctx, rdb, k.keys("holds", "expiry"), orderNo, owner, window.Milliseconds()).StringSlice()
	if err != nil {
		return "", nil, unavailable(err)
	}
	if res[0] == Unknown || res[0] == NotOwner {
		return res[0], nil, nil
	}
	h, err := DecodeHold(orderNo, res[1])
	return res[0], h, err
}

// Confirm runs the confirm script after a payment: Sold, SoldAlready,
// Released (too late: refund), Conflict (some of the hold's seats are not
// locked by it: nothing sold, an integrity fault) or Unknown.
func Confirm(ctx context.Context, rdb goredis.UniversalClient, orderNo, txnID string) (string, error) {
	sid, err := boxoffice.OrderSession(orderNo)
	if err != nil {
		return "", err
	}
	k := KeysFor(sid)
	return runOutcome(ctx, confirmScript, rdb, k.keys("seats", "tier", "counts", "holds", "expiry", "outbox", "eventseq",
		"index", "packed", "conflict"),
		sid, orderNo, txnID)
}

func runOutcome(ctx context.Context, s *goredis.Script, rdb goredis.UniversalClient, keys []string, args ...any) (string, error) {
	res, err := s.Run(ctx, rdb, keys, args...).StringSlice()
	if err != nil {
		return "", unavailable(err)
	}
	return res[0], nil
}

// keys returns the named keys of the session.
func (k Keys) keys(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = k.Key(n)
	}
	return out
}

// joinIDs writes ids comma-separated, as the scripts do.
func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

// parseIDs reads comma-separated ids, skipping what is not one.
func parseIDs(csv string) []int64 {
	var out []int64
	for _, s := range strings.Split(csv, ",") {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}
