package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"boxoffice/internal/auth"
	"boxoffice/internal/boxoffice"
	"boxoffice/internal/mysql"
	"boxoffice/internal/payments"
	"boxoffice/internal/sale"
	"boxoffice/internal/web"
)

// gatewayTimeout bounds one call to the payment gateway.
const gatewayTimeout = 3 * time.Second

// mountOrders registers the buyer's orders and the gateway's callback under /api.
func (s *Server) mountOrders(g *gin.RouterGroup) {
	buyer := g.Group("", web.RequireRole(s.Keys, s.Log, auth.RoleUser))
	buyer.POST("/orders/:no/pay", s.pay)
	buyer.POST("/orders/:no/cancel", s.cancel)
	buyer.GET("/orders/:no", s.order)
	buyer.GET("/me/orders", mine(s, mysql.OrdersOf, web.ViewOrder))
	g.POST("/payments/notify", s.notify)
}

// pay starts paying the buyer's hold: the hold becomes PAYING with a
// deadline, the order row follows if it is written, and the gateway makes
// (or returns the pending) payment. 200 {order_no, status, pay_url,
// pay_deadline, ...}; 404 for an order that is not the buyer's; 409 when the
// hold expired, was released or is paid; 503 when the gateway is down
// (paying again is safe).
func (s *Server) pay(c *gin.Context) {
	no, ctx, uid := c.Param("no"), c.Request.Context(), web.Claims(c).UserID()
	out, h, err := sale.MarkPaying(ctx, s.Sale, no, uid, s.PayWindow)
	if err == nil && out == sale.Unknown {
		out, h, err = s.ended(ctx, no, uid)
	}
	if err == nil {
		err = payRefusal(no, out, h)
	}
	if err != nil {
		web.Error(c, s.Log, notFoundIfInvalid(no, err))
		return
	}
	deadline := time.UnixMilli(h.PayDeadline).UTC()
	// The sale Redis is the authority: a row not written yet (or MySQL
	// down) must not stop the payment; the row catches up from events.
	if _, err := mysql.MarkOrderPaying(ctx, s.DB, no, deadline); err != nil {
		s.Log.Warn("order row not marked paying", "order", no, "err", err)
	}
	p, err := s.Gateway.Create(ctx, no, h.Amount, s.NotifyURL)
	if err != nil {
		web.Error(c, s.Log, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"order_no": no, "status": boxoffice.OrderPaying, "pay_url": p.PayURL, "payment_id": p.ID,
		"amount_cents": h.Amount, "pay_deadline": deadline})
}

// payRefusal turns a MarkPaying outcome other than Paying into an error.
func payRefusal(no, out string, h *boxoffice.Hold) error {
	switch out {
	case sale.Paying:
		return nil
	case sale.Expired:
		return boxoffice.Errorf(boxoffice.ECONFLICT, "the hold of order %s expired at %s; its seats are being released",
			no, time.UnixMilli(h.ExpiresAt).UTC().Format(time.RFC3339)).
			With("reason", "expired")
	case sale.Released, sale.ReleasedAlready:
		return boxoffice.Errorf(boxoffice.ECONFLICT, "order %s is %s (%s) and can no longer be paid",
			no, h.OrderStatus(), h.Reason).
			With("reason", h.Reason).With("status", h.OrderStatus())
	case sale.Sold:
		return boxoffice.Errorf(boxoffice.ECONFLICT, "order %s is already paid", no).
			With("reason", "paid").With("status", boxoffice.OrderPaid)
	}
	return boxoffice.Errorf(boxoffice.ENOTFOUND, "no order %s", no)
}

// notFoundIfInvalid answers a malformed order number as an unknown order.
func notFoundIfInvalid(no string, err error) error {
	if boxoffice.ErrorCode(err) == boxoffice.EINVALID {
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "no order %s", no)
	}
	return err
}

// cancel releases the buyer's hold (the seats come back at once; the
// order row follows from the hold.released event): 200 {order_no, status};
// 409 if it is paid; 404 if it is not the buyer's. A PAYING hold's payment
// is cancelled at the gateway first (503 if it does not answer).
func (s *Server) cancel(c *gin.Context) {
	no, ctx, uid := c.Param("no"), c.Request.Context(), web.Claims(c).UserID()
	if err := s.cancelPayment(ctx, no, uid); err != nil {
		web.Error(c, s.Log, err)
		return
	}
	out, err := sale.Release(ctx, s.Sale, no, sale.ReleaseOpts{Reason: boxoffice.ReasonCancelled, Owner: uid})
	var h *boxoffice.Hold
	if err == nil && out == sale.Unknown {
		out, h, err = s.ended(ctx, no, uid)
	}
	if err != nil {
		web.Error(c, s.Log, notFoundIfInvalid(no, err))
		return
	}
	status := boxoffice.OrderCancelled
	switch out {
	case sale.Released:
	case sale.ReleasedAlready:
		if h == nil {
			h, _ = sale.GetHold(ctx, s.Sale, no)
		}
		if h != nil {
			status = h.OrderStatus() // TIMEOUT_CANCELLED if it timed out first
		}
	case sale.Sold:
		web.Error(c, s.Log, boxoffice.Errorf(boxoffice.ECONFLICT, "order %s is already paid and cannot be cancelled", no).
			With("status", boxoffice.OrderPaid))
		return
	default:
		web.Error(c, s.Log, boxoffice.Errorf(boxoffice.ENOTFOUND, "no order %s", no))
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"order_no": no, "status": status})
}

// ended stands in for a hold the sale Redis no longer has because its
// closed session was trimmed (sale.Retire): the buyer's order as MySQL
// ended it, as the outcome the scripts give such a hold (Sold or
// ReleasedAlready) and the hold it was. Unknown for anything else.
func (s *Server) ended(ctx context.Context, no string, uid int64) (string, *boxoffice.Hold, error) {
	o, err := mysql.OrderByNo(ctx, s.DB, no)
	switch {
	case boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND || (err == nil && o.UserID != uid):
		return sale.Unknown, nil, nil
	case err != nil:
		return "", nil, err
	}
	h := &boxoffice.Hold{OrderNo: no, SessionID: o.SessionID, UserID: uid, Amount: o.AmountCents}
	switch o.Status {
	case boxoffice.OrderPaid:
		h.State = boxoffice.HoldSold
		return sale.Sold, h, nil
	case boxoffice.OrderCancelled, boxoffice.OrderTimeoutCancelled:
		h.State, h.Reason = boxoffice.HoldReleased, boxoffice.ReasonCancelled
		if o.Status == boxoffice.OrderTimeoutCancelled {
			h.Reason = boxoffice.ReasonTimeout
		}
		return sale.ReleasedAlready, h, nil
	}
	return sale.Unknown, nil, nil
}

// cancelPayment cancels the gateway payment of the buyer's PAYING hold, so
// it can no longer be paid once the hold is released: ECONFLICT if it was
// paid already (its notification sells the seats).
func (s *Server) cancelPayment(ctx context.Context, no string, uid int64) error {
	h, err := sale.GetHold(ctx, s.Sale, no)
	if err != nil || h.UserID != uid || h.State != boxoffice.HoldPaying {
		return nil // Release answers these
	}
	p, err := s.Gateway.Cancel(ctx, no)
	switch {
	case boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND:
		return nil
	case err != nil:
		return err
	case p.Status == payments.StatusSucceeded:
		return boxoffice.Errorf(boxoffice.ECONFLICT, "order %s is already paid and cannot be cancelled", no).
			With("status", boxoffice.OrderPaid)
	}
	return nil
}

// order answers one of the buyer's orders with its seats and payments:
// from MySQL, or from the hold while the row is not written yet. Anyone
// else's order is 404.
func (s *Server) order(c *gin.Context) {
	no, ctx, uid := c.Param("no"), c.Request.Context(), web.Claims(c).UserID()
	o, err := mysql.OrderByNo(ctx, s.DB, no)
	if boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND {
		o, err = s.orderFromHold(ctx, no)
	}
	if err == nil && o.UserID != uid {
		err = boxoffice.Errorf(boxoffice.ENOTFOUND, "no order %s", no)
	}
	if err == nil {
		o.Payments, err = mysql.PaymentsOf(ctx, s.DB, no)
	}
	if err != nil {
		web.Error(c, s.Log, err)
		return
	}
	for _, p := range o.Payments {
		o.RefundRequired = o.RefundRequired || p.RefundRequired
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, web.ViewOrder(*o))
}

// orderFromHold builds an order from its hold in the sale Redis, with the
// seats' prices as armed; ENOTFOUND if there is no hold.
func (s *Server) orderFromHold(ctx context.Context, no string) (*boxoffice.Order, error) {
	h, err := sale.GetHold(ctx, s.Sale, no)
	if err != nil {
		return nil, err
	}
	o := &boxoffice.Order{OrderNo: no, SessionID: h.SessionID, UserID: h.UserID, Status: h.OrderStatus(),
		AmountCents: h.Amount, ExpireAt: time.UnixMilli(h.ExpiresAt).UTC(), CreatedAt: time.UnixMilli(h.CreatedAt).UTC()}
	if h.PayDeadline > 0 {
		d := time.UnixMilli(h.PayDeadline).UTC()
		o.PayDeadline = &d
	}
	if h.Reason != "" {
		o.Reason = &h.Reason
	}
	if err := mysql.SessionShow(ctx, s.DB, o); err != nil {
		return nil, err
	}
	if o.Items, err = mysql.SeatItems(ctx, s.DB, h.SeatIDs); err != nil {
		return nil, err
	}
	return o, s.fillPrices(ctx, h.SessionID, o.Items)
}

// fillPrices sets the items' prices from the session's armed prices.
func (s *Server) fillPrices(ctx context.Context, sid int64, items []boxoffice.OrderItem) error {
	if len(items) == 0 {
		return nil
	}
	fields := make([]string, len(items))
	for i, it := range items {
		fields[i] = strconv.FormatInt(it.SeatID, 10)
	}
	prices, err := s.Sale.HMGet(ctx, sale.KeysFor(sid).Key("price"), fields...).Result()
	if err != nil {
		return boxoffice.Errorf(boxoffice.EUNAVAILABLE, "the sale store is unavailable; try again shortly")
	}
	for i, p := range prices {
		if str, ok := p.(string); ok {
			items[i].PriceCents, _ = strconv.ParseInt(str, 10, 64)
		}
	}
	return nil
}
