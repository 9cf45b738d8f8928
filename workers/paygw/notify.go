package paygw

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"boxoffice/internal/payments"
)

// MaxAttempts is how many times a notification is tried before the
// gateway gives up on it.
const MaxAttempts = 8

// errAbandoned is a notification dropped because the gateway shuts down.
var errAbandoned = errors.New("abandoned: the gateway is shutting down")

// Notifier delivers signed payment notifications to merchants, retrying
// with exponential backoff until the merchant answers 2xx with
// {"status":"success"}.
type Notifier struct {
	Secret   string        // HMAC key of the signature header
	Base     time.Duration // delay before the first retry; doubles each time
	Attempts int           // most tries of one notification
	Client   *http.Client  // one attempt's client, with its timeout
	Log      *slog.Logger

	ctx     context.Context // cancelled on shutdown: waits end, nothing new starts
	cancel  context.CancelFunc
	mu      sync.Mutex
	wg      sync.WaitGroup
	results *prometheus.CounterVec
}

// NewNotifier returns a notifier; its metrics go to reg when it is not nil.
func NewNotifier(secret string, base time.Duration, log *slog.Logger, reg prometheus.Registerer) *Notifier {
	ctx, cancel := context.WithCancel(context.Background())
	n := &Notifier{Secret: secret, Base: base, Attempts: MaxAttempts, Log: log,
		Client: &http.Client{Timeout: 5 * time.Second}, ctx: ctx, cancel: cancel,
		results: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "boxoffice_paygw_notifications_total",
			Help: "Payment notifications by result: delivered, gave_up or abandoned."}, []string{"result"})}
	if reg != nil {
		reg.MustRegister(n.results)
	}
	return n
}

// Send delivers body to url in the background, copies times at once (1
// normally, more to simulate a gateway that repeats itself), each after
// delay. After shutdown began it only logs that the notification is lost.
func (n *Notifier) Send(url string, body []byte, copies int, delay time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ctx.Err() != nil {
		n.Log.Warn("notification not sent", "url", url, "err", errAbandoned)
		n.results.WithLabelValues("abandoned").Inc()
		return
	}
	for range copies {
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			if err := n.wait(delay); err != nil {
				n.done(url, 0, err)
				return
			}
			tries, err := n.Deliver(n.ctx, url, body)
			n.done(url, tries, err)
		}()
	}
}

func (n *Notifier) done(url string, tries int, err error) {
	switch {
	case err == nil:
		n.results.WithLabelValues("delivered").Inc()
	case errors.Is(err, errAbandoned):
		n.results.WithLabelValues("abandoned").Inc()
		n.Log.Warn("notification abandoned", "url", url, "tries", tries)
	default:
		n.results.WithLabelValues("gave_up").Inc()
		n.Log.Error("notification given up", "url", url, "tries", tries, "err", err)
	}
}

// Run is the daemon worker: when ctx ends it stops every wait between
// tries, lets attempts in flight finish (each is bounded by the client's
// timeout) and returns.
func (n *Notifier) Run(ctx context.Context) error {
	<-ctx.Done()
	n.mu.Lock()
	n.cancel()
	n.mu.Unlock()
	n.wg.Wait()
	return nil
}

// Deliver posts body to url until the merchant accepts it, at most
// Attempts times, waiting Base, 2×Base, 4×Base… between tries. It returns
// the number of tries and the last failure; ctx ending abandons the waits.
func (n *Notifier) Deliver(ctx context.Context, url string, body []byte) (int, error) {
	delay := n.Base
	var err error
	for try := 1; ; try++ {
		if err = n.attempt(url, body); err == nil {
			return try, nil
		}
		n.Log.Info("notification refused", "url", url, "try", try, "err", err)
		if try == n.Attempts {
			return try, fmt.Errorf("after %d tries: %w", try, err)
		}
		select {
		case <-ctx.Done():
			return try, errAbandoned
		case <-time.After(delay):
		}
		delay *= 2
	}
}

// wait sleeps d unless the notifier shuts down first.
func (n *Notifier) wait(d time.Duration) error {
	if d <= 0 {
		return nil
	}
	select {
	case <-n.ctx.Done():
		return errAbandoned
	case <-time.After(d):
		return nil
	}
}

// attempt posts the notification once; an attempt in flight is not
// cancelled by shutdown, only bounded by the client's timeout.
func (n *Notifier) attempt(url string, body []byte) error {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(payments.SignatureHeader, payments.Sign(n.Secret, body))
	resp, err := n.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var ack struct {
		Status string `json:"status"`
	}
	if resp.StatusCode/100 != 2 || json.Unmarshal(raw, &ack) != nil || ack.Status != "success" {
		return fmt.Errorf("merchant answered %d %q", resp.StatusCode, raw)
	}
	return nil
}
