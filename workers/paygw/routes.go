package paygw

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"boxoffice/internal/payments"
	"boxoffice/internal/web"
)

// maxBody is the largest request body the gateway reads.
const maxBody = 16 << 10

// Server is the mock gateway: its merchant API, its pay page and its test
// switches. Payments live in memory only.
type Server struct {
	PublicURL string // where buyers reach the gateway: pay URLs start with it
	Secret    string // HMAC key shared with the merchant
	Notifier  *Notifier
	Log       *slog.Logger
	store     *store
}

// NewServer returns a gateway with no payments and every switch off.
func NewServer(publicURL, secret string, n *Notifier, log *slog.Logger) *Server {
	return &Server{PublicURL: strings.TrimRight(publicURL, "/"), Secret: secret, Notifier: n, Log: log, store: newStore()}
}

// Handler returns the gateway's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/payments", s.create)
	mux.HandleFunc("GET /api/payments", s.latest)
	mux.HandleFunc("POST /api/payments/cancel", s.cancel)
	mux.HandleFunc("GET /api/payments/{id}", s.get)
	mux.HandleFunc("POST /api/payments/{id}/confirm", s.apiAction(s.confirm))
	mux.HandleFunc("POST /api/payments/{id}/decline", s.apiAction(s.store.decline))
	mux.HandleFunc("GET /pay/{id}", s.page)
	mux.HandleFunc("POST /pay/{id}/confirm", s.pageAction(s.confirm))
	mux.HandleFunc("POST /pay/{id}/decline", s.pageAction(s.store.decline))
	mux.HandleFunc("GET /api/switches", s.getSwitches)
	mux.HandleFunc("POST /api/switches", s.setSwitches)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such route: "+r.Method+" "+r.URL.Path)
	})
	return mux
}

type createRequest struct {
	OrderNo     string `json:"order_no"`
	AmountCents int64  `json:"amount_cents"`
	NotifyURL   string `json:"notify_url"`
	ReturnURL   string `json:"return_url"` // optional: the pay page links back to it
}

// signedBody reads a merchant request's body and checks its signature,
// answering 400 or 401 (ok false) when it cannot.
func (s *Server) signedBody(w http.ResponseWriter, r *http.Request) (body []byte, ok bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "the body is unreadable or larger than 16 KiB")
		return nil, false
	}
	if !payments.Verify(s.Secret, body, r.Header.Get(payments.SignatureHeader)) {
		writeError(w, http.StatusUnauthorized, "unauthorized", "missing or bad "+payments.SignatureHeader)
		return nil, false
	}
	return body, true
}

// create starts a payment for a signed merchant request: 201 with the new
// payment, 200 with the order's payment already pending.
func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	body, ok := s.signedBody(w, r)
	if !ok {
		return
	}
	var req createRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "body is not a payment request: "+err.Error())
		return
	}
	if msg := validate(req); msg != "" {
		writeError(w, http.StatusBadRequest, "bad_request", msg)
		return
	}
	p, created, err := s.store.create(req, s.PublicURL)
	if err != nil {
		s.fail(w, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	web.WriteJSON(w, status, p)
}

// cancel fails the pending payment of an order for a signed merchant
// request (body {"order_no"}), so it can no longer be paid, and answers
// the order's latest payment as it now is: FAILED, or SUCCEEDED if it was
// paid first; 404 if the order has none.
func (s *Server) cancel(w http.ResponseWriter, r *http.Request) {
	body, ok := s.signedBody(w, r)
	if !ok {
		return
	}
	var req struct {
		OrderNo string `json:"order_no"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.OrderNo == "" {
		writeError(w, http.StatusBadRequest, "bad_request", `body is not {"order_no": "..."}`)
		return
	}
	p, err := s.store.cancel(req.OrderNo)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.Log.Info("payment cancel", "payment", p.ID, "order", p.OrderNo, "status", p.Status)
	web.WriteJSON(w, http.StatusOK, p)
}

// validate returns what is wrong with a payment request, or "".
func validate(req createRequest) string {
	switch {
	case req.OrderNo == "" || len(req.OrderNo) > 64:
		return "order_no must be 1 to 64 characters"
	case req.AmountCents <= 0:
		return "amount_cents must be positive"
	case !absoluteHTTP(req.NotifyURL):
		return "notify_url must be an absolute http or https URL"
	case req.ReturnURL != "" && !absoluteHTTP(req.ReturnURL):
		return "return_url, if given, must be an absolute http or https URL"
	}
	return ""
}

func absoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// latest answers the latest payment of ?order_no=.
func (s *Server) latest(w http.ResponseWriter, r *http.Request) {
	no := r.URL.Query().Get("order_no")
	if no == "" {
		writeError(w, http.StatusBadRequest, "bad_request", "order_no is required")
		return
	}
	p, ok := s.store.latest(no)
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "no payment for order "+no)
		return
	}
	web.WriteJSON(w, http.StatusOK, p)
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	p, ok := s.store.get(r.PathValue("id"))
	if !ok {
		s.fail(w, errNotFound(r.PathValue("id")))
		return
	}
	web.WriteJSON(w, http.StatusOK, p.Payment)
}

// confirm pays a payment and, if it just succeeded, notifies the merchant.
func (s *Server) confirm(id string) (payments.Payment, error) {
	p, n, err := s.store.confirm(id)
	if n != nil {
		s.notify(n)
	}
	return p, err
}

// notification is the body of a notification, in this field order.
type notificationBody struct {
	ID          string    `json:"payment_id"`
	TxnID       string    `json:"txn_id"`
	OrderNo     string    `json:"order_no"`
	AmountCents int64     `json:"amount_cents"`
	Status      string    `json:"status"`
	PaidAt      time.Time `json:"paid_at"`
}

func (s *Server) notify(n *notification) {
	p := n.payment
	body, _ := json.Marshal(notificationBody{ID: p.ID, TxnID: p.TxnID, OrderNo: p.OrderNo,
		AmountCents: p.AmountCents, Status: p.Status, PaidAt: p.PaidAt})
	s.Log.Info("payment succeeded", "payment", p.ID, "order", p.OrderNo, "txn", p.TxnID,
		"duplicates", n.sw.Duplicates, "delay_ms", n.sw.DelayMS)
	s.Notifier.Send(n.url, body, 1+n.sw.Duplicates, time.Duration(n.sw.DelayMS)*time.Millisecond)
}

// apiAction answers an action on a payment with the payment as JSON.
func (s *Server) apiAction(act func(id string) (payments.Payment, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := act(r.PathValue("id"))
		if err != nil {
			s.fail(w, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, p)
	}
}

// fail maps the store's errors to the JSON error shape.
func (s *Server) fail(w http.ResponseWriter, err error) {
	var nf errNotFound
	var conflict errConflict
	switch {
	case errors.Is(err, errDeclined):
		writeError(w, http.StatusPaymentRequired, "payment_declined", "the payment was declined (decline switch on)")
	case errors.As(err, &nf):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	case errors.As(err, &conflict):
		writeError(w, http.StatusConflict, "conflict", err.Error())
	default:
		s.Log.Error("request failed", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "internal error")
	}
}

func (s *Server) getSwitches(w http.ResponseWriter, _ *http.Request) {
	web.WriteJSON(w, http.StatusOK, s.store.getSwitches())
}

// setSwitches changes the switches named in the body and answers them all.
func (s *Server) setSwitches(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Decline    *bool `json:"decline"`
		Duplicates *int  `json:"duplicates"`
		DelayMS    *int  `json:"delay_ms"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "body is not {decline, duplicates, delay_ms}: "+err.Error())
		return
	}
	sw, err := s.store.updateSwitches(func(sw *Switches) {
		if req.Decline != nil {
			sw.Decline = *req.Decline
		}
		if req.Duplicates != nil {
			sw.Duplicates = *req.Duplicates
		}
		if req.DelayMS != nil {
			sw.DelayMS = *req.DelayMS
		}
	})
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	s.Log.Info("switches set", "decline", sw.Decline, "duplicates", sw.Duplicates, "delay_ms", sw.DelayMS)
	web.WriteJSON(w, http.StatusOK, sw)
}

func writeError(w http.ResponseWriter, code int, errCode, msg string) {
	web.WriteJSON(w, code, map[string]string{"error": errCode, "message": msg})
}
