//go:build integration

package openresty_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"boxoffice/internal/testenv"
)

func holds(sid int64) string { return fmt.Sprintf("/api/sale/sessions/%d/holds", sid) }

// ids formats JSON numbers (float64) and seat ids alike, for comparing.
func ids(v any) string {
	var out []string
	switch list := v.(type) {
	case []any:
		for _, x := range list {
			out = append(out, fmt.Sprintf("%.0f", x))
		}
	case []int64:
		for _, x := range list {
			out = append(out, fmt.Sprint(x))
		}
	}
	return strings.Join(out, ",")
}

// ip gives each caller its own client address, so per-IP limits of one
// test do not touch another (the test edge trusts X-Forwarded-For).
func ip(n int) http.Header {
	return http.Header{"X-Forwarded-For": {fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)}}
}

func withKey(h http.Header, key string) http.Header {
	h = h.Clone()
	h.Set("Idempotency-Key", key)
	return h
}

func TestGrab(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 20}, 3)
	c := testenv.Edge(t).As(buyers[0].Token)

	t.Run("Created", func(t *testing.T) {
		r := c.Grab(t, s.ID, "k-ok", s.SeatIDs[0], s.SeatIDs[1])
		if r.Status != 201 {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
		exp, err := time.Parse(time.RFC3339, r.JSON["expires_at"].(string))
		if err != nil || r.JSON["amount_cents"] != float64(15000) || r.JSON["session_id"] != float64(s.ID) ||
			ids(r.JSON["seat_ids"]) != ids(s.SeatIDs[:2]) ||
			time.Until(exp) < 14*time.Minute || r.JSON["order_no"] == "" {
			t.Errorf("body %s (expires_at %v %v)", r.Body, exp, err)
		}
	})
	t.Run("Replayed", func(t *testing.T) {
		first := c.Grab(t, s.ID, "k-replay", s.SeatIDs[2])
		again := c.Grab(t, s.ID, "k-replay", s.SeatIDs[2])
		if first.Status != 201 || again.Status != 201 || again.JSON["order_no"] != first.JSON["order_no"] {
			t.Errorf("first %d %s, again %d %s; want the same order", first.Status, first.Body, again.Status, again.Body)
		}
	})
	t.Run("ErrIdempotencyConflict", func(t *testing.T) {
		c.Grab(t, s.ID, "k-replay", s.SeatIDs[3]).WantError(t, 422, "idempotency_conflict")
	})
	t.Run("ErrLimitExceeded", func(t *testing.T) {
		c.Grab(t, s.ID, "k-limit", s.SeatIDs[4], s.SeatIDs[5]).WantError(t, 403, "limit_exceeded")
	})
	t.Run("ErrSeatUnavailable", func(t *testing.T) {
		r := testenv.Edge(t).As(buyers[1].Token).Grab(t, s.ID, "k-taken", s.SeatIDs[6], s.SeatIDs[0])
		r.WantError(t, 409, "seat_unavailable")
		if ids(r.JSON["seat_ids"]) != ids(s.SeatIDs[:1]) {
			t.Errorf("taken ids = %v, want [%d]", r.JSON["seat_ids"], s.SeatIDs[0])
		}
		free := testenv.Edge(t).As(buyers[2].Token).Grab(t, s.ID, "k-free", s.SeatIDs[6])
		if free.Status != 201 {
			t.Errorf("seat %d after a refused grab: %d %s, want it still free", s.SeatIDs[6], free.Status, free.Body)
		}
	})
	t.Run("ErrNotEligible", func(t *testing.T) {
		stranger := testenv.NewBuyers(t, testenv.DB(t), 1)[0]
		testenv.Edge(t).As(stranger.Token).Grab(t, s.ID, "k-stranger", s.SeatIDs[7]).WantError(t, 403, "not_eligible")
	})
	t.Run("ErrSeatOfAnotherSession", func(t *testing.T) {
		other := testenv.NewSession(t, testenv.DB(t), testenv.SessionSpec{Seats: 1})
		testenv.Edge(t).As(buyers[1].Token).Grab(t, s.ID, "k-other", other.SeatIDs[0]).WantError(t, 404, "not_found")
	})
	t.Run("ErrUnknownSession", func(t *testing.T) {
		c.Grab(t, 1<<50, "k-unknown", 1).WantError(t, 404, "not_found")
	})
}

func TestGrabSaleNotOpen(t *testing.T) {
	now := time.Now()
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{ReserveOpen: now.Add(-time.Hour), ReserveEnd: now.Add(-time.Minute),
		SaleOpen: now.Add(time.Hour)}, 1)
	r := testenv.Edge(t).As(buyers[0].Token).Grab(t, s.ID, "k", s.SeatIDs[0])
	r.WantError(t, 403, "sale_not_open")
	if opens, err := time.Parse(time.RFC3339, fmt.Sprint(r.JSON["opens_at"])); err != nil || opens.Sub(now.Add(time.Hour)).Abs() > time.Second {
		t.Errorf("opens_at = %v, want the sale's opening time", r.JSON["opens_at"])
	}
}

func TestGrabBadRequests(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 10}, 1)
	c := testenv.Edge(t).As(buyers[0].Token)
	json := http.Header{"Idempotency-Key": {"k"}}
	cases := []struct {
		name   string
		method string
		body   []byte
		header http.Header
	}{
		{"Duplicates", "POST", []byte(fmt.Sprintf(`{"seat_ids":[%d,%d]}`, s.SeatIDs[0], s.SeatIDs[0])), json},
		{"ZeroSeats", "POST", []byte(`{"seat_ids":[]}`), json},
		{"OverLimit", "POST", []byte(fmt.Sprintf(`{"seat_ids":[%d,%d,%d,%d,%d]}`, s.SeatIDs[0], s.SeatIDs[1], s.SeatIDs[2], s.SeatIDs[3], s.SeatIDs[4])), json},
		{"Float", "POST", []byte(`{"seat_ids":[1.5]}`), json},
		{"Negative", "POST", []byte(`{"seat_ids":[-3]}`), json},
		{"NotJSON", "POST", []byte(`seat_ids=1`), json},
		{"NoIdempotencyKey", "POST", []byte(fmt.Sprintf(`{"seat_ids":[%d]}`, s.SeatIDs[0])), nil},
		{"LongIdempotencyKey", "POST", []byte(fmt.Sprintf(`{"seat_ids":[%d]}`, s.SeatIDs[0])), http.Header{"Idempotency-Key": {strings.Repeat("k", 65)}}},
		{"TooLarge", "POST", []byte(`{"seat_ids":[1` + strings.Repeat(" ", 5000) + `]}`), json},
		{"WrongMethod", "PUT", []byte(fmt.Sprintf(`{"seat_ids":[%d]}`, s.SeatIDs[0])), json},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.Do(t, tc.method, holds(s.ID), tc.body, tc.header).WantError(t, 400, "bad_request")
		})
	}
	t.Run("WrongContentType", func(t *testing.T) {
		h := http.Header{"Idempotency-Key": {"k"}, "Content-Type": {"text/plain"}}
		c.Do(t, "POST", holds(s.ID), []byte(fmt.Sprintf(`{"seat_ids":[%d]}`, s.SeatIDs[0])), h).WantError(t, 400, "bad_request")
	})
}

func sign(t *testing.T, method jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGrabUnauthorized(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 5}, 1)
	cfg := testenv.Config(t)
	secret := []byte(cfg.JWTSecret)
	now := time.Now()
	claims := func(exp time.Time) jwt.MapClaims {
		return jwt.MapClaims{"sub": fmt.Sprint(buyers[0].ID), "role": "user", "iss": "boxoffice", "iat": now.Unix(), "exp": exp.Unix()}
	}
	kid := map[string]any{"kid": cfg.JWTKID}
	good := buyers[0].Token
	parts := strings.Split(good, ".")
	cases := map[string]string{
		"Missing":           "",
		"TamperedSignature": parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2])),
		"AlgNone":           sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid, claims(now.Add(time.Hour))),
		"HS512":             sign(t, jwt.SigningMethodHS512, secret, kid, claims(now.Add(time.Hour))),
		"Expired":           sign(t, jwt.SigningMethodHS256, secret, kid, claims(now.Add(-time.Minute))),
		"UnknownKid":        sign(t, jwt.SigningMethodHS256, secret, map[string]any{"kid": "nope"}, claims(now.Add(time.Hour))),
		"Malformed":         "not-a-token",
	}
	for name, token := range cases {
		t.Run(name, func(t *testing.T) {
			testenv.Edge(t).As(token).Grab(t, s.ID, "k-"+name, s.SeatIDs[0]).WantError(t, 401, "unauthorized")
		})
	}
	t.Run("AdminToken", func(t *testing.T) {
		testenv.Edge(t).As(testenv.Admin(t).Token).Grab(t, s.ID, "k-admin", s.SeatIDs[0]).WantError(t, 403, "forbidden")
	})
}

func TestGrabRateLimited(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 5}, 2)
	cfg := testenv.Config(t)
	t.Run("PerUser", func(t *testing.T) {
		c := testenv.Edge(t).As(buyers[0].Token)
		r := untilLimited(t, func(i int) *testenv.Response {
			return c.Do(t, "POST", holds(s.ID), []byte(`{"seat_ids":[999999999]}`), withKey(ip(1000+i), fmt.Sprint("u", i)))
		})
		if r.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	})
	t.Run("PerIP", func(t *testing.T) {
		// Buyers enough that none of them meets the per-buyer limit first.
		tokens := testenv.NewBuyers(t, testenv.DB(t), cfg.EdgeBurstIP+100)
		untilLimited(t, func(i int) *testenv.Response {
			return testenv.Edge(t).As(tokens[i%len(tokens)].Token).Do(t, "POST", holds(s.ID), []byte(`{"seat_ids":[999999999]}`),
				withKey(ip(77), fmt.Sprint("i", i)))
		})
	})
	t.Run("PerIPBadTokens", func(t *testing.T) {
		// Refused tokens count against the IP's limit too.
		bad := testenv.Edge(t).As("not-a-token")
		untilLimited(t, func(i int) *testenv.Response {
			r := bad.Do(t, "POST", holds(s.ID), []byte(`{"seat_ids":[999999999]}`), withKey(ip(78), fmt.Sprint("b", i)))
			if r.Status != 401 && r.Status != 429 {
				t.Errorf("bad token = %d %s, want 401 or 429", r.Status, r.Body)
			}
			return r
		})
	})
}

// untilLimited sends requests (send(i) sends the i-th) from a few clients
// at once until one is rate limited, and returns that 429 after checking
// its error shape. It fails the test if none is limited within
// testenv.Settle. Whether one request is limited depends on how fast the
// others went, so it looks for the first, never at one request.
func untilLimited(t *testing.T, send func(i int) *testenv.Response) *testenv.Response {
	t.Helper()
	var (
		next    atomic.Int64
		limited = make(chan *testenv.Response, 1)
		wg      sync.WaitGroup
	)
	deadline := time.Now().Add(testenv.Settle)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for len(limited) == 0 && time.Now().Before(deadline) && !t.Failed() {
				if r := send(int(next.Add(1))); r.Status == 429 {
					select {
					case limited <- r:
					default:
					}
				}
			}
		}()
	}
	wg.Wait()
	select {
	case r := <-limited:
		r.WantError(t, 429, "rate_limited")
		return r
	default:
		t.Fatalf("none of %d requests was rate limited within %s", next.Load(), testenv.Settle)
		return nil
	}
}

func TestGrabSoldOut(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 2}, 2)
	if r := testenv.Edge(t).As(buyers[0].Token).Grab(t, s.ID, "all", s.SeatIDs...); r.Status != 201 {
		t.Fatalf("grab = %d %s", r.Status, r.Body)
	}
	c := testenv.Edge(t).As(buyers[1].Token)
	waitSoldOut(t, c, s.ID, s.SeatIDs[0]).WantError(t, 410, "sold_out")
}

// The sale Redis stopped: grabs answer 503 quickly and work again once it
// is back (and timeouts has checked it against MySQL: 503 recovering
// until then).
func TestGrabRedisDown(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 5}, 1)
	c := testenv.Edge(t).As(buyers[0].Token)
	if out, err := testenv.Run(t, "dev", "stop", "sale-redis"); err != nil {
		t.Fatalf("dev stop sale-redis: %v\n%s", err, out)
	}
	t.Cleanup(func() { testenv.Run(t, "dev", "up") })
	began := time.Now()
	r := c.Grab(t, s.ID, "down", s.SeatIDs[0])
	took := time.Since(began)
	r.WantError(t, 503, "unavailable")
	if r.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	t.Logf("503 after %s", took.Round(time.Millisecond))
	if took > time.Second {
		t.Errorf("503 took %s, want under 1 s", took)
	}
	if out, err := testenv.Run(t, "dev", "up"); err != nil {
		t.Fatalf("dev up: %v\n%s", err, out)
	}
	waitStatus(t, func() *testenv.Response { return c.Grab(t, s.ID, "back", s.SeatIDs[0]) }, 201)
}

func TestSeatMap(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 4}, 1)
	if r := testenv.Edge(t).As(buyers[0].Token).Grab(t, s.ID, "k", s.SeatIDs[0]); r.Status != 201 {
		t.Fatalf("grab = %d %s", r.Status, r.Body)
	}
	var seats map[int64]string
	testenv.Eventually(t, testenv.Settle, "the seat map showing the seat LOCKED", func() (bool, string) {
		seats = testenv.SeatStates(t, s.ID)
		return seats[s.SeatIDs[0]] == "LOCKED", fmt.Sprint(seats)
	})
	if len(seats) != 4 || seats[s.SeatIDs[1]] != "AVAILABLE" {
		t.Errorf("seats = %v", seats)
	}
	path := fmt.Sprintf("/api/sale/sessions/%d/seats", s.ID)
	r := testenv.Edge(t).Do(t, "GET", path, nil, nil)
	etag := r.Header.Get("ETag")
	if etag == "" || r.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("seat map headers = %v, want an ETag and no-cache", r.Header)
	}
	if r := testenv.Edge(t).Do(t, "GET", path, nil, http.Header{"If-None-Match": {etag}}); r.Status != 304 || len(r.Body) != 0 {
		t.Errorf("If-None-Match of the current ETag = %d %q, want 304 without a body", r.Status, r.Body)
	}
	testenv.Edge(t).Do(t, "GET", "/api/sale/sessions/999999999999/seats", nil, nil).WantError(t, 404, "not_found")
	testenv.Edge(t).Do(t, "POST", fmt.Sprintf("/api/sale/sessions/%d/seats", s.ID), nil, nil).WantError(t, 405, "method_not_allowed")
}

// grabTwo has buyer 0 take the first two seats of s with key k through
// edge and returns the order number.
func grabTwo(t *testing.T, edge *testenv.Client, s *testenv.Session, buyers []testenv.Buyer, k string) string {
	t.Helper()
	r := edge.As(buyers[0].Token).Grab(t, s.ID, k, s.SeatIDs[:2]...)
	if r.Status != 201 {
		t.Fatalf("grab = %d %s", r.Status, r.Body)
	}
	return fmt.Sprint(r.JSON["order_no"])
}

// replays checks that buyer 0's retry of grabTwo with key k through edge
// gets its first answer, order no.
func replays(t *testing.T, edge *testenv.Client, s *testenv.Session, buyers []testenv.Buyer, k, no string) {
	t.Helper()
	r := edge.As(buyers[0].Token).Grab(t, s.ID, k, s.SeatIDs[:2]...)
	if r.Status != 201 || r.JSON["order_no"] != no {
		t.Errorf("retry with the same key = %d %s, want 201 with order %s", r.Status, r.Body, no)
	}
}

// takenAt waits until the seat map of the edge node shows the first two
// seats of s LOCKED: a copy that node refuses grabs of them from.
func takenAt(t *testing.T, edge *testenv.Client, s *testenv.Session) {
	t.Helper()
	testenv.Eventually(t, testenv.Settle, "the node's seat map showing the seats LOCKED", func() (bool, string) {
		m, _ := edge.SeatMap(t, s.ID)
		return m[s.SeatIDs[0]] == "LOCKED" && m[s.SeatIDs[1]] == "LOCKED", fmt.Sprint(m)
	})
}

// replayTests are the retries of a grab made through first, sent through
// again, that must be replayed: after a sold out (once again's node
// refuses other grabs 410, the same buyer's new ones too), on seats
// again's node knows taken (where it refuses another buyer 409), and after
// the sale closed.
func replayTests(t *testing.T, first, again *testenv.Client) {
	t.Run("SoldOut", func(t *testing.T) {
		s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 2}, 2)
		no := grabTwo(t, first, s, buyers, "k-sold-out")
		waitSoldOut(t, again.As(buyers[1].Token), s.ID, s.SeatIDs[0])
		replays(t, again, s, buyers, "k-sold-out", no)
		// Only the grab granted passes: the same buyer's next is refused.
		waitSoldOut(t, again.As(buyers[0].Token), s.ID, s.SeatIDs[0])
	})
	t.Run("KnownTaken", func(t *testing.T) {
		s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 3}, 2)
		no := grabTwo(t, first, s, buyers, "k-taken")
		takenAt(t, again, s)
		again.As(buyers[1].Token).Grab(t, s.ID, "late", s.SeatIDs[:2]...).WantError(t, 409, "seat_unavailable")
		replays(t, again, s, buyers, "k-taken", no)
	})
	t.Run("SaleClosed", func(t *testing.T) {
		s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 3}, 1)
		no := grabTwo(t, first, s, buyers, "k-closed")
		if r := testenv.Admin(t).Do(t, "POST", fmt.Sprintf("/admin/api/sessions/%d/close", s.ID), nil, nil); r.Status != 200 {
			t.Fatalf("close = %d %s", r.Status, r.Body)
		}
		takenAt(t, again, s)
		replays(t, again, s, buyers, "k-closed", no)
		again.As(buyers[0].Token).Grab(t, s.ID, "k-after", s.SeatIDs[2]).WantError(t, 403, "sale_not_open")
	})
}

// A buyer whose answer was lost retries with the same Idempotency-Key and
// gets the first answer again, although the session has sold out since,
// its seats are known taken or its sale has closed.
func TestGrabReplayWins(t *testing.T) {
	replayTests(t, testenv.Edge(t), testenv.Edge(t))
}

// The same retry reaching another edge node than the first grab, one that
// never saw its key, is replayed too: every node reads the grabs the
// session granted (its holders) with its seat map, and lets their retries
// past its sold-out flag and the seats its copy shows taken.
func TestGrabReplayOnAnotherEdge(t *testing.T) {
	replayTests(t, testenv.Edge(t), testenv.StartEdge(t))
}
