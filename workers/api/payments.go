package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/payments"
	"boxoffice/internal/web"
)

// maxNotifyBody is the largest notification the gateway may send.
const maxNotifyBody = 16 << 10

// settleTimeout bounds settling one notification; it is not cut short when
// the gateway hangs up, so a confirmed hold gets its payment row.
const settleTimeout = 10 * time.Second

// newNotifyOutcomes counts the gateway's notifications by outcome.
func newNotifyOutcomes(reg prometheus.Registerer) *prometheus.CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "boxoffice_payment_notifications_total",
		Help: "Payment notifications from the gateway by outcome: paid, already_paid, refund_flagged, integrity_conflict, ignored or an error code."},
		[]string{"outcome"})
	reg.MustRegister(v)
	return v
}

// notify is the gateway's callback (no JWT: the HMAC signature of the body
// authenticates it). A successful payment is settled: its hold confirmed
// and the payment recorded once per transaction, or flagged for refund if
// the hold was released. 200 {"status":"success"} tells the gateway to stop
// retrying; 401 bad signature; 400 bad body or wrong amount (nothing
// recorded); 503 when the sale Redis is down.
func (s *Server) notify(c *gin.Context) {
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, maxNotifyBody+1))
	if err != nil || len(body) > maxNotifyBody {
		s.notifyFailed(c, web.Invalid("the body is unreadable or larger than %d bytes", maxNotifyBody))
		return
	}
	if !payments.Verify(s.PaySecret, body, c.GetHeader(payments.SignatureHeader)) {
		s.notifyFailed(c, boxoffice.Errorf(boxoffice.EUNAUTHORIZED, "missing or bad %s", payments.SignatureHeader))
		return
	}
	if err := web.ValidUTF8(body); err != nil {
		s.notifyFailed(c, err)
		return
	}
	var p payments.Payment
	if err := json.Unmarshal(body, &p); err != nil {
		s.notifyFailed(c, web.Invalid("the body is not a payment notification: %v", err))
		return
	}
	if p.Status != payments.StatusSucceeded {
		s.Log.Info("payment notification ignored", "order", p.OrderNo, "payment", p.ID, "status", p.Status)
		s.notifyDone(c, "ignored")
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), settleTimeout)
	defer cancel()
	out, err := payments.Settle(ctx, s.DB, s.Sale, p)
	if err != nil {
		s.notifyFailed(c, err)
		return
	}
	if out == payments.Conflict {
		s.Log.Error("integrity conflict: a paid hold's seats are not all locked by it; nothing sold, the payment flagged for refund",
			"order", p.OrderNo, "payment", p.ID, "txn", p.TxnID)
	} else {
		s.Log.Info("payment settled", "order", p.OrderNo, "payment", p.ID, "txn", p.TxnID, "outcome", string(out))
	}
	s.notifyDone(c, string(out))
}

func (s *Server) notifyDone(c *gin.Context, outcome string) {
	s.notifyOutcomes.WithLabelValues(outcome).Inc()
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"status": "success"})
}

func (s *Server) notifyFailed(c *gin.Context, err error) {
	code := boxoffice.ErrorCode(err)
	s.notifyOutcomes.WithLabelValues(code).Inc()
	if code != boxoffice.EINTERNAL {
		s.Log.Warn("payment notification refused", "err", err)
	}
	web.Error(c, s.Log, err)
}
