package payments

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/integrity"
	"boxoffice/internal/mysql"
	"boxoffice/internal/sale"
)

// Outcome is what Settle did with a payment.
type Outcome string

// Settle outcomes.
const (
	// Paid: the payment sold the hold's seats and was recorded.
	Paid Outcome = "paid"
	// AlreadyPaid: this transaction was settled before; nothing changed.
	AlreadyPaid Outcome = "already_paid"
	// RefundFlagged: the money came for a hold that was released, is
	// unknown, or was paid by another transaction; the payment is flagged
	// refund_required, the seats untouched. The order (if written) is
	// flagged too unless another payment paid it.
	RefundFlagged Outcome = "refund_flagged"
	// Conflict: the hold's seats were not all locked by it, or MySQL gives
	// one to another PAID order (an integrity fault): nothing was sold, the
	// payment and the order are flagged refund_required as for a released
	// hold.
	Conflict Outcome = "integrity_conflict"
)

// Settle records a successful payment and confirms its hold: idempotent by
// transaction id; a payment for a released hold (or one whose seats are not
// all its own) is recorded with a refund flag.
// The amount must be positive and match the hold's (or, with no hold in the sale Redis,
// the order row's). Errors: EINVALID for a payment that did not succeed, or
// whose amount does not match (nothing is recorded); EUNAVAILABLE when the
// sale Redis is down; ECONFLICT when the transaction is recorded for
// another order.
func Settle(ctx context.Context, db *sqlx.DB, rdb goredis.UniversalClient, p Payment) (Outcome, error) {
	if p.Status != StatusSucceeded || p.TxnID == "" || p.OrderNo == "" || len(p.TxnID) > 64 || len(p.OrderNo) > 40 {
		return "", boxoffice.Errorf(boxoffice.EINVALID,
			"payment %q of order %q is %s: only a SUCCEEDED payment with a transaction id settles", p.ID, p.OrderNo, p.Status)

	}
	if p.AmountCents <= 0 { // the amount columns are unsigned, and nothing sells for free
		return "", boxoffice.Errorf(boxoffice.EINVALID,
			"payment %q of order %q has amount_cents %d: it must be positive", p.ID, p.OrderNo, p.AmountCents)
	}
	h, err := checkAmount(ctx, db, rdb, p)
	if err != nil {
		return "", err
	}
	res, err := confirm(ctx, db, rdb, p, h)
	if boxoffice.ErrorCode(err) == boxoffice.EINVALID { // not an order number the sale knows
		res, err = sale.Unknown, nil
	}
	if err != nil {
		return "", err
	}
	unpayable := res == sale.Released || res == sale.Unknown || res == sale.NotAllHeld
	refund := unpayable
	if res == sale.SoldAlready {
		refund, err = paidByOther(ctx, rdb, p)
		if err != nil {
			return "", err
		}
	}
	rec, inserted, err := mysql.RecordPayment(ctx, db, boxoffice.Payment{OrderNo: p.OrderNo, TxnID: p.TxnID,
		AmountCents: p.AmountCents, Status: boxoffice.PaymentSucceeded, RefundRequired: refund})
	switch {
	case err != nil:
		return "", err
	case rec.RefundRequired && res == sale.NotAllHeld:
		return Conflict, mysql.FlagOrderRefund(ctx, db, p.OrderNo)
	case rec.RefundRequired && unpayable:
		return RefundFlagged, mysql.FlagOrderRefund(ctx, db, p.OrderNo)
	case rec.RefundRequired: // a second payment: the order stays paid, only this one is refunded
		return RefundFlagged, nil
	case inserted:
		return Paid, nil
	}
	return AlreadyPaid, nil
}

// checkAmount fails with EINVALID unless p pays what the hold (or, once the
// hold is gone from the sale Redis, the order row) costs. It returns the
// hold, nil if the sale Redis has none.
func checkAmount(ctx context.Context, db *sqlx.DB, rdb goredis.UniversalClient, p Payment) (*boxoffice.Hold, error) {
	want := int64(-1)
	h, err := sale.GetHold(ctx, rdb, p.OrderNo)
	switch {
	case err == nil:
		want = h.Amount
	case boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND:
		return nil, err
	default:
		o, err := mysql.OrderByNo(ctx, db, p.OrderNo)
		if err == nil {
			want = o.AmountCents
		} else if boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND {
			return nil, err
		}
	}
	if want >= 0 && want != p.AmountCents {
		return nil, boxoffice.Errorf(boxoffice.EINVALID,
			"payment of %d cents does not match order %s's amount of %d", p.AmountCents, p.OrderNo, want).
			With("amount_cents", p.AmountCents).With("want_amount_cents", want)
	}
	return h, nil
}

// confirm sells hold h (nil: the sale Redis has none) for p, unless MySQL
// gives one of its seats to another PAID order (a seat sold twice after
// the sale Redis lost changes): then the first buyer keeps the seat, the
// seats are kept out of sale by a conflict naming both orders, and the
// hold is released, so its order records the refund (NotAllHeld, and so
// for a replay).
func confirm(ctx context.Context, db *sqlx.DB, rdb goredis.UniversalClient, p Payment, h *boxoffice.Hold) (string, error) {
	if h != nil && h.Reason == boxoffice.ReasonSoldTwice {
		return sale.NotAllHeld, nil
	}
	if h == nil || (h.State != boxoffice.HoldLocked && h.State != boxoffice.HoldPaying) {
		return sale.Confirm(ctx, rdb, p.OrderNo, p.TxnID)
	}
	owners, err := mysql.SeatOwners(ctx, db, h.SessionID, h.SeatIDs)
	if err != nil {
		return "", err
	}
	paid := map[string][]int64{} // another PAID order → its seats of h
	for _, seat := range h.SeatIDs {
		if o := owners[seat]; o.OrderNo != h.OrderNo && o.Status == boxoffice.OrderPaid {
			paid[o.OrderNo] = append(paid[o.OrderNo], seat)
		}
	}
	if len(paid) == 0 {
		return sale.Confirm(ctx, rdb, p.OrderNo, p.TxnID)
	}
	for other, seats := range paid {
		c := boxoffice.Conflict{Kind: boxoffice.ConflictSoldTwice, OrderNo: h.OrderNo, OtherOrderNo: other,
			Detail: fmt.Sprintf("sale Redis: order %s paid (transaction %s) for seats %v; MySQL: order %s has them PAID",
				h.OrderNo, p.TxnID, seats, other)}
		if _, err := integrity.Flag(ctx, db, rdb, h.SessionID, c, seats); err != nil {
			return "", err
		}
	}
	_, err = sale.Release(ctx, rdb, h.OrderNo, sale.ReleaseOpts{Reason: boxoffice.ReasonSoldTwice})
	return sale.NotAllHeld, err
}

// paidByOther reports whether a sold hold was paid by another transaction
// than p's: then p is a second payment of the same order.
func paidByOther(ctx context.Context, rdb goredis.UniversalClient, p Payment) (bool, error) {
	h, err := sale.GetHold(ctx, rdb, p.OrderNo)
	if err != nil {
		return false, err
	}
	return h.Txn != p.TxnID, nil
}
