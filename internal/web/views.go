package web

import (
	"time"

	"boxoffice/internal/boxoffice"
)

// OrderView is an order as the API serves it (openapi.json's Order).
type OrderView struct {
	OrderNo   string `json:"order_no"`
	SessionID int64  `json:"session_id"`
	ShowRef
	Status         string        `json:"status"`
	AmountCents    int64         `json:"amount_cents"`
	ExpireAt       time.Time     `json:"expire_at"`
	PayDeadline    *time.Time    `json:"pay_deadline,omitempty"`
	PaidAt         *time.Time    `json:"paid_at,omitempty"`
	Reason         *string       `json:"cancel_reason,omitempty"`
	RefundRequired bool          `json:"refund_required"`
	CreatedAt      time.Time     `json:"created_at"`
	Items          []ItemView    `json:"items"`
	Payments       []PaymentView `json:"payments,omitempty"`
}

// ItemView is one seat of an order (OrderItem).
type ItemView struct {
	SeatID     int64  `json:"seat_id"`
	Section    string `json:"section"`
	Row        string `json:"row"` // the row's label
	Number     int    `json:"number"`
	PriceCents int64  `json:"price_cents"`
}

// PaymentView is a recorded payment of an order (PaymentRecord).
type PaymentView struct {
	TxnID          string    `json:"txn_id"`
	AmountCents    int64     `json:"amount_cents"`
	Status         string    `json:"status"`
	RefundRequired bool      `json:"refund_required"`
	CreatedAt      time.Time `json:"created_at"`
}

// ShowRef names the show of an order or a reservation.
type ShowRef struct {
	ShowID    int64     `json:"show_id"`
	ShowTitle string    `json:"show_title"`
	StartsAt  time.Time `json:"starts_at"`
}

// ViewOrder returns the view of o.
func ViewOrder(o boxoffice.Order) OrderView {
	v := OrderView{OrderNo: o.OrderNo, SessionID: o.SessionID, Status: o.Status, AmountCents: o.AmountCents,
		ExpireAt: o.ExpireAt, PayDeadline: o.PayDeadline, PaidAt: o.PaidAt, Reason: o.Reason,
		RefundRequired: o.RefundRequired, CreatedAt: o.CreatedAt, ShowRef: ShowRef{o.ShowID, o.ShowTitle, o.StartsAt},
		Items: make([]ItemView, len(o.Items))}
	for i, it := range o.Items {
		v.Items[i] = ItemView{SeatID: it.SeatID, Section: it.Section, Row: it.Row, Number: it.Number, PriceCents: it.PriceCents}
	}
	for _, p := range o.Payments {
		v.Payments = append(v.Payments, PaymentView{TxnID: p.TxnID, AmountCents: p.AmountCents, Status: p.Status,
			RefundRequired: p.RefundRequired, CreatedAt: p.CreatedAt})
	}
	return v
}
