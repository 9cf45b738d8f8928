package api

import (
	"time"

	"boxoffice/internal/boxoffice"
)

// orderView is an order as a buyer sees it (openapi.json's Order).
type orderView struct {
	OrderNo   string `json:"order_no"`
	SessionID int64  `json:"session_id"`
	showRef
	Status         string        `json:"status"`
	AmountCents    int64         `json:"amount_cents"`
	ExpireAt       time.Time     `json:"expire_at"`
	PayDeadline    *time.Time    `json:"pay_deadline,omitempty"`
	PaidAt         *time.Time    `json:"paid_at,omitempty"`
	Reason         *string       `json:"cancel_reason,omitempty"`
	RefundRequired bool          `json:"refund_required"`
	CreatedAt      time.Time     `json:"created_at"`
	Items          []itemView    `json:"items"`
	Payments       []paymentView `json:"payments,omitempty"`
}

// itemView is one seat of an order (OrderItem).
type itemView struct {
	SeatID     int64  `json:"seat_id"`
	Section    string `json:"section"`
	Row        string `json:"row"` // the row's label
	Number     int    `json:"number"`
	PriceCents int64  `json:"price_cents"`
}

// paymentView is a recorded payment of an order (PaymentRecord).
type paymentView struct {
	TxnID          string    `json:"txn_id"`
	AmountCents    int64     `json:"amount_cents"`
	Status         string    `json:"status"`
	RefundRequired bool      `json:"refund_required"`
	CreatedAt      time.Time `json:"created_at"`
}

// reservationView is a buyer's reservation (Reservation).
type reservationView struct {
	ID        int64     `json:"id"`
	SessionID int64     `json:"session_id"`
	CreatedAt time.Time `json:"created_at"`
	showRef
	SaleOpens time.Time `json:"sale_opens_at"`
}

// showRef names the show of an order or a reservation.
type showRef struct {
	ShowID    int64     `json:"show_id"`
	ShowTitle string    `json:"show_title"`
	StartsAt  time.Time `json:"starts_at"`
}

func viewOrder(o boxoffice.Order) orderView {
	v := orderView{OrderNo: o.OrderNo, SessionID: o.SessionID, Status: o.Status, AmountCents: o.AmountCents,
		ExpireAt: o.ExpireAt, PayDeadline: o.PayDeadline, PaidAt: o.PaidAt, Reason: o.Reason,
		RefundRequired: o.RefundRequired, CreatedAt: o.CreatedAt, showRef: showRef{o.ShowID, o.ShowTitle, o.StartsAt},
		Items: make([]itemView, len(o.Items))}
	for i, it := range o.Items {
		v.Items[i] = itemView{SeatID: it.SeatID, Section: it.Section, Row: it.Row, Number: it.Number, PriceCents: it.PriceCents}
	}
	for _, p := range o.Payments {
		v.Payments = append(v.Payments, paymentView{TxnID: p.TxnID, AmountCents: p.AmountCents, Status: p.Status,
			RefundRequired: p.RefundRequired, CreatedAt: p.CreatedAt})
	}
	return v
}

func viewReservation(r boxoffice.Reservation) reservationView {
	return reservationView{ID: r.ID, SessionID: r.SessionID, CreatedAt: r.CreatedAt,
		showRef: showRef{r.ShowID, r.ShowTitle, r.StartsAt}, SaleOpens: r.SaleOpens}
}
