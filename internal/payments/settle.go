package payments

import (
	"context"

	"github.com/jmoiron/sqlx"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
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
	// Conflict: the hold's seats were not all locked by it (an integrity
	// fault): nothing was sold, the payment and the order are flagged
	// refund_required as for a released hold.
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
func Settle(ctx context.Context, db *sqlx.DB, rdb *goredis.Client, p Payment) (Outcome, error) {
	if p.Status != StatusSucceeded || p.TxnID == "" || p.OrderNo == "" || len(p.TxnID) > 64 || len(p.OrderNo) > 40 {
		return "", boxoffice.Errorf(boxoffice.EINVALID,
			"payment %q of order %q is %s: only a SUCCEEDED payment with a transaction id settles", p.ID, p.OrderNo, p.Status)

	}
	if p.AmountCents <= 0 { // the amount columns are unsigned, and nothing sells for free
		return "", boxoffice.Errorf(boxoffice.EINVALID,
			"payment %q of order %q has amount_cents %d: it must be positive", p.ID, p.OrderNo, p.AmountCents)
	}
	if err := checkAmount(ctx, db, rdb, p); err != nil {
		return "", err
	}
	res, err := sale.Confirm(ctx, rdb, p.OrderNo, p.TxnID)
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
// hold is gone from the sale Redis, the order row) costs.
func checkAmount(ctx context.Context, db *sqlx.DB, rdb *goredis.Client, p Payment) error {
	want := int64(-1)
	h, err := sale.GetHold(ctx, rdb, p.OrderNo)
	switch {
	case err == nil:
		want = h.Amount
	case boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND:
		return err
	default:
		o, err := mysql.OrderByNo(ctx, db, p.OrderNo)
		if err == nil {
			want = o.AmountCents
		} else if boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND {
			return err
		}
	}
	if want >= 0 && want != p.AmountCents {
		return boxoffice.Errorf(boxoffice.EINVALID,
			"payment of %d cents does not match order %s's amount of %d", p.AmountCents, p.OrderNo, want).
			With("amount_cents", p.AmountCents).With("want_amount_cents", want)
	}
	return nil
}

// paidByOther reports whether a sold hold was paid by another transaction
// than p's: then p is a second payment of the same order.
func paidByOther(ctx context.Context, rdb *goredis.Client, p Payment) (bool, error) {
	h, err := sale.GetHold(ctx, rdb, p.OrderNo)
	if err != nil {
		return false, err
	}
	return h.Txn != p.TxnID, nil
}
