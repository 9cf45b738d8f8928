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

// Hold states in the sale Redis.
const (
	HoldLocked   = "LOCKED"
	HoldPaying   = "PAYING"
	HoldSold     = "SOLD"
	HoldReleased = "RELEASED"
)

// Hold is a hold record ({s:N}:holds), as the scripts write it. Times are
// unix milliseconds.
type Hold struct {
	OrderNo     string `json:"-"`
	SessionID   int64  `json:"-"`
	UserID      int64  `json:"user"`
	Seats       string `json:"seats"` // comma-separated seat ids
	Amount      int64  `json:"amount"`
	ExpiresAt   int64  `json:"expires_at"`
	CreatedAt   int64  `json:"created_at"`
	State       string `json:"state"`
	PayDeadline int64  `json:"pay_deadline,omitempty"`
	Reason      string `json:"reason,omitempty"`
	Txn         string `json:"txn,omitempty"`
}

// SeatIDs returns the hold's seats.
func (h *Hold) SeatIDs() []int64 { return parseIDs(h.Seats) }

var (
	releaseScript = lua.Script("release")
	payScript     = lua.Script("pay")
	confirmScript = lua.Script("confirm")
)

// SessionOf returns the session of an order number ("B<session>-<ms>-<seq>",
// minted by the hold script), or EINVALID.
func SessionOf(orderNo string) (int64, error) {
	rest, ok := strings.CutPrefix(orderNo, "B")
	sid, _, ok2 := strings.Cut(rest, "-")
	id, err := strconv.ParseInt(sid, 10, 64)
	if !ok || !ok2 || err != nil || id <= 0 || len(orderNo) > 40 {
		return 0, boxoffice.Errorf(boxoffice.EINVALID, "%q is not an order number", orderNo)
	}
	return id, nil
}

// HeldAt returns when the hold of an order number was made (its middle
// part), or the zero time.
func HeldAt(orderNo string) time.Time {
	parts := strings.Split(orderNo, "-")
	if len(parts) != 3 {
		return time.Time{}
	}
	ms, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// GetHold reads a hold; ENOTFOUND if the sale Redis has none by that number.
func GetHold(ctx context.Context, rdb *goredis.Client, orderNo string) (*Hold, error) {
	sid, err := SessionOf(orderNo)
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
	return decodeHold(sid, orderNo, raw)
}

func decodeHold(sid int64, orderNo, raw string) (*Hold, error) {
	h := &Hold{OrderNo: orderNo, SessionID: sid}
	if err := json.Unmarshal([]byte(raw), h); err != nil {
		return nil, fmt.Errorf("hold %s: %w", orderNo, err)
	}
	return h, nil
}

// Release outcomes.
const (
	Released        = "released"
	ReleasedAlready = "released_already"
	NotOwner        = "not_owner"
	NotDue          = "not_due"
	Unknown         = "unknown"
)

// ReleaseOpts says who releases and why.
type ReleaseOpts struct {
	Reason    string // "timeout", "cancelled", ...
	Owner     int64  // the buyer who must own the hold; 0 for any
	OnlyIfDue bool   // release only past the expiry (or payment deadline)
}

// Release runs the release script for orderNo and returns its outcome:
// Released, ReleasedAlready, "sold", Unknown, NotOwner or NotDue.
func Release(ctx context.Context, rdb *goredis.Client, orderNo string, o ReleaseOpts) (string, error) {
	sid, err := SessionOf(orderNo)
	if err != nil {
		return "", err
	}
	k := KeysFor(sid)
	due := "0"
	if o.OnlyIfDue {
		due = "1"
	}
	return runOutcome(ctx, releaseScript, rdb,
		k.keys("seats", "tier", "counts", "soldout", "held", "holds", "expiry", "outbox"),
		sid, orderNo, o.Reason, o.Owner, due)
}

// MarkPaying moves the owner's LOCKED hold to PAYING with a deadline window
// from now. It returns the outcome ("paying", Unknown, NotOwner, "expired",
// "released" or "sold") and the hold as it now is.
func MarkPaying(ctx context.Context, rdb *goredis.Client, orderNo string, owner int64, window time.Duration) (string, *Hold, error) {
	sid, err := SessionOf(orderNo)
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
	h, err := decodeHold(sid, orderNo, res[1])
	return res[0], h, err
}

// Confirm runs the confirm script after a payment: "sold", "sold_already",
// "released" (too late: refund) or Unknown.
func Confirm(ctx context.Context, rdb *goredis.Client, orderNo, txnID string) (string, error) {
	sid, err := SessionOf(orderNo)
	if err != nil {
		return "", err
	}
	k := KeysFor(sid)
	return runOutcome(ctx, confirmScript, rdb, k.keys("seats", "tier", "counts", "holds", "expiry", "outbox"),
		sid, orderNo, txnID)
}

func runOutcome(ctx context.Context, s *goredis.Script, rdb *goredis.Client, keys []string, args ...any) (string, error) {
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

func parseIDs(csv string) []int64 {
	var out []int64
	for _, s := range strings.Split(csv, ",") {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}
