package boxoffice

import (
	"strconv"
	"strings"
	"time"
)

// Order statuses, as MySQL keeps them: LOCKED → PAYING → PAID, or
// CANCELLED (by the buyer) or TIMEOUT_CANCELLED (not paid in time).
const (
	OrderLocked           = "LOCKED"
	OrderPaying           = "PAYING"
	OrderPaid             = "PAID"
	OrderCancelled        = "CANCELLED"
	OrderTimeoutCancelled = "TIMEOUT_CANCELLED"
)

// Hold states, as the sale Redis keeps them.
const (
	HoldLocked   = "LOCKED"
	HoldPaying   = "PAYING"
	HoldSold     = "SOLD"
	HoldReleased = "RELEASED"
)

// Seat states on the live seat map.
const (
	SeatAvailable = "AVAILABLE"
	SeatLocked    = "LOCKED"
	SeatSold      = "SOLD"
)

// Sale event types.
const (
	EventHoldCreated  = "hold.created"
	EventHoldReleased = "hold.released"
	EventHoldSold     = "hold.sold"
)

// Release reasons: why a hold's seats came back.
const (
	ReasonTimeout   = "timeout"    // not paid in time: the order is TIMEOUT_CANCELLED
	ReasonCancelled = "cancelled"  // the buyer cancelled
	ReasonReleased  = "released"   // what an order records when the event names no reason
	ReasonSoldTwice = "sold_twice" // paid for seats MySQL gives another paid order: refunded
)

// PaymentSucceeded is the status of a recorded payment.
const PaymentSucceeded = "SUCCEEDED"

// Order is the durable record of a hold, with its show and, when read one
// at a time, its seats and payments.
type Order struct {
	ID          int64      `db:"id"`
	OrderNo     string     `db:"order_no"`
	SessionID   int64      `db:"session_id"`
	UserID      int64      `db:"user_id"`
	Status      string     `db:"status"` // OrderLocked, OrderPaying, OrderPaid, OrderCancelled or OrderTimeoutCancelled
	AmountCents int64      `db:"amount_cents"`
	ExpireAt    time.Time  `db:"expire_at"`     // when the hold expires unless it is being paid
	PayDeadline *time.Time `db:"pay_deadline"`  // set once PAYING
	PaidAt      *time.Time `db:"paid_at"`       // set once PAID
	Reason      *string    `db:"cancel_reason"` // why it was cancelled
	// RefundRequired is the order's flag or any of its payments'.
	RefundRequired bool      `db:"refund_required"`
	CreatedAt      time.Time `db:"created_at"`
	ShowID         int64     `db:"show_id"`
	ShowTitle      string    `db:"show_title"`
	StartsAt       time.Time `db:"starts_at"`
	Items          []OrderItem
	Payments       []Payment
}

// OrderItem is one seat of an order.
type OrderItem struct {
	OrderID    int64  `db:"order_id"`
	SeatID     int64  `db:"seat_id"`
	Section    string `db:"section"`
	Row        string `db:"row_label"`
	Number     int    `db:"number"`
	PriceCents int64  `db:"price_cents"`
}

// Payment is a payment the merchant recorded: one per gateway transaction.
type Payment struct {
	ID             int64     `db:"id"`
	OrderNo        string    `db:"order_no"`
	TxnID          string    `db:"gateway_txn_id"`
	AmountCents    int64     `db:"amount_cents"`
	Status         string    `db:"status"`
	RefundRequired bool      `db:"refund_required"`
	CreatedAt      time.Time `db:"created_at"`
}

// Reservation is a buyer's reservation (预约) of a session, with its show.
type Reservation struct {
	ID        int64     `db:"id"`
	SessionID int64     `db:"session_id"`
	UserID    int64     `db:"user_id"`
	CreatedAt time.Time `db:"created_at"`
	ShowID    int64     `db:"show_id"`
	ShowTitle string    `db:"show_title"`
	StartsAt  time.Time `db:"starts_at"`
	SaleOpens time.Time `db:"sale_opens_at"`
}

// LiveStatus reports whether an order's seats stay taken in its status.
func LiveStatus(status string) bool {
	return status != OrderCancelled && status != OrderTimeoutCancelled
}

// ReleasedStatus is the status of an order whose hold was released for
// reason.
func ReleasedStatus(reason string) string {
	if reason == ReasonTimeout {
		return OrderTimeoutCancelled
	}
	return OrderCancelled
}

// Hold is a buyer's claim on seats in the sale Redis, from the grab until
// it is sold or released. Times are unix milliseconds.
type Hold struct {
	OrderNo     string
	SessionID   int64
	UserID      int64
	SeatIDs     []int64
	Amount      int64
	ExpiresAt   int64
	CreatedAt   int64
	State       string // HoldLocked, HoldPaying, HoldSold or HoldReleased
	PayDeadline int64  // set once PAYING
	Reason      string // why it was released
	Txn         string // the gateway transaction that paid it
	EndedAt     int64  // when it was sold or released; 0 while in play
}

// OrderStatus is the order status the hold's state stands for.
func (h *Hold) OrderStatus() string {
	switch h.State {
	case HoldSold:
		return OrderPaid
	case HoldReleased:
		return ReleasedStatus(h.Reason)
	}
	return h.State
}

// HoldState is the hold state of a live order status (LOCKED, PAYING or
// PAID), or "".
func HoldState(orderStatus string) string {
	switch orderStatus {
	case OrderLocked:
		return HoldLocked
	case OrderPaying:
		return HoldPaying
	case OrderPaid:
		return HoldSold
	}
	return ""
}

// Events are the sale events a hold's current state implies, for the
// reconciler: hold.created always, plus its final event if it has one.
func (h *Hold) Events() []SaleEvent {
	base := SaleEvent{SessionID: h.SessionID, OrderNo: h.OrderNo, UserID: h.UserID, SeatIDs: h.SeatIDs,
		AmountCents: h.Amount, ExpiresAt: h.ExpiresAt, At: h.CreatedAt}
	created := base
	created.Type, created.ID = EventHoldCreated, h.OrderNo+":created"
	out := []SaleEvent{created}
	switch h.State {
	case HoldReleased:
		e := base
		e.Type, e.ID, e.Reason, e.ExpiresAt = EventHoldReleased, h.OrderNo+":released", h.Reason, 0
		out = append(out, e)
	case HoldSold:
		e := base
		e.Type, e.ID, e.Txn, e.ExpiresAt = EventHoldSold, h.OrderNo+":sold", h.Txn, 0
		out = append(out, e)
	}
	return out
}

// SaleEvent is a change of a hold: written by the sale scripts to the
// session's outbox and carried on Kafka as JSON, keyed by order number.
// Its JSON tags are that wire format, read by the orders and notify
// daemons; buyers never see it as is. Times are unix milliseconds.
type SaleEvent struct {
	ID          string  `json:"id"` // order number and type: unique per event
	Type        string  `json:"type"`
	Reason      string  `json:"reason,omitempty"`
	SessionID   int64   `json:"session_id"`
	OrderNo     string  `json:"order_no"`
	UserID      int64   `json:"user_id"`
	SeatIDs     []int64 `json:"seat_ids"`
	AmountCents int64   `json:"amount_cents"`
	ExpiresAt   int64   `json:"expires_at,omitempty"`
	Txn         string  `json:"txn,omitempty"`
	At          int64   `json:"at"`
	// Seq is the session's change sequence the script gave the event; 0 for
	// a re-sent event (the reconciler's), which changes nothing new.
	Seq int64 `json:"seq,omitempty"`
}

// OrderStatus is the order status the event moves its order to, or "" for
// an unknown type.
func (e SaleEvent) OrderStatus() string {
	switch e.Type {
	case EventHoldCreated:
		return OrderLocked
	case EventHoldReleased:
		return ReleasedStatus(e.Reason)
	case EventHoldSold:
		return OrderPaid
	}
	return ""
}

// SeatState is the state the event leaves its seats in, or "" for an
// unknown type.
func (e SaleEvent) SeatState() string {
	switch e.Type {
	case EventHoldCreated:
		return SeatLocked
	case EventHoldReleased:
		return SeatAvailable
	case EventHoldSold:
		return SeatSold
	}
	return ""
}

// ArmPlan is what arming a session loads into the sale Redis: the session,
// its seats with their tiers and prices, the seats already in live orders,
// and who reserved.
type ArmPlan struct {
	Session  Session
	Seats    []PlanSeat
	Taken    []TakenSeat
	Reserved []int64
}

// PlanSeat is one seat of the session with its price.
type PlanSeat struct {
	ID    int64  `db:"id"`
	Tier  string `db:"tier"`
	Price int64  `db:"price_cents"`
}

// TakenSeat is a seat in a live order.
type TakenSeat struct {
	SeatID  int64  `db:"seat_id"`
	OrderNo string `db:"order_no"`
	UserID  int64  `db:"user_id"`
	Sold    bool   `db:"sold"`
}

// OrderSession returns the session of an order number
// ("B<session>-<ms>-<seq>", minted by the hold script), or EINVALID.
func OrderSession(orderNo string) (int64, error) {
	rest, ok := strings.CutPrefix(orderNo, "B")
	sid, _, ok2 := strings.Cut(rest, "-")
	id, err := strconv.ParseInt(sid, 10, 64)
	if !ok || !ok2 || err != nil || id <= 0 || len(orderNo) > 40 {
		return 0, Errorf(EINVALID, "%q is not an order number", orderNo)
	}
	return id, nil
}

// OrderHeldAt returns when the hold of an order number was made (its
// middle part), or the zero time.
func OrderHeldAt(orderNo string) time.Time {
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
