//go:build integration

package openresty_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
)

// The buyer app in a real Chromium against the test stack.

const (
	soldRGB      = "59,65,72"    // COLOURS.sold in seatmap.js
	heldRGB      = "125,135,148" // COLOURS.held
	firstTierRGB = "27,127,95"   // COLOURS.tiers[0]: tier A, available
)

// buyerApp opens a browser for the test and returns it with the edge URL.
func buyerApp(t *testing.T) (context.Context, string) {
	t.Helper()
	return testenv.Browser(t), "http://" + testenv.Config(t).EdgeAddr
}

// js quotes s as a JavaScript string.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// waitJS waits until the JavaScript expression is truthy, within d. A
// poll does not survive a navigation, so it starts again on the new page.
func waitJS(t *testing.T, ctx context.Context, d time.Duration, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		tctx, cancel := context.WithTimeout(ctx, left+5*time.Second)
		_, err := chromedp.Run(tctx, chromedp.Poll[chromedp.Void](expr,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(left)))
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond) // the page is navigating: poll the next one
	}
}

// waitText waits until the element's text contains want.
func waitText(t *testing.T, ctx context.Context, d time.Duration, sel, want string) {
	t.Helper()
	waitJS(t, ctx, d, fmt.Sprintf("%s shows %q", sel, want),
		fmt.Sprintf(`(document.querySelector(%s)?.textContent ?? '').includes(%s)`, js(sel), js(want)))
}

// text is the element's text now.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return testenv.Get(t, ctx, 10*time.Second, "read "+sel,
		chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%s)?.textContent ?? ''`, js(sel))))
}

// loginAs stores a fixture buyer's token as the app does after a login.
func loginAs(t *testing.T, ctx context.Context, base string, b testenv.Buyer) {
	t.Helper()
	session := fmt.Sprintf(`{"phone":%s,"token":%s,"expires_at":%s}`, js(b.Phone), js(b.Token),
		js(time.Now().Add(time.Hour).UTC().Format(time.RFC3339)))
	testenv.Do(t, ctx, 30*time.Second, "log in "+b.Phone, chromedp.Navigate(base+"/"),
		chromedp.Evaluate[chromedp.Void](`localStorage.setItem('boxoffice.session', `+js(session)+`)`))
}

// openSale opens a session's sale page and waits for its live seat states.
func openSale(t *testing.T, ctx context.Context, base string, sid int64) {
	t.Helper()
	testenv.Do(t, ctx, 30*time.Second, "open the sale", chromedp.Navigate(fmt.Sprintf("%s/sessions/%d", base, sid)))
	waitJS(t, ctx, 30*time.Second, "live seat states", `(() => { const m = document.querySelector('#seatmap')?.seatMap;
		return m && m.firstPaintAt > 0; })()`)
}

// atSale opens a new browser on a session's sale page, logged in as b.
func atSale(t *testing.T, sid int64, b testenv.Buyer) (context.Context, string) {
	t.Helper()
	ctx, base := buyerApp(t)
	loginAs(t, ctx, base, b)
	openSale(t, ctx, base, sid)
	return ctx, base
}

// pick clicks a seat on the canvas.
func pick(t *testing.T, ctx context.Context, seat int64) {
	t.Helper()
	var p struct{ X, Y float64 }
	raw := testenv.Get(t, ctx, 10*time.Second, "seat position",
		chromedp.Evaluate[[]byte](fmt.Sprintf(`document.querySelector('#seatmap').seatMap.clientPoint(%d)`, seat)))
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	testenv.Do(t, ctx, 10*time.Second, fmt.Sprintf("click seat %d", seat), chromedp.MouseClickXY(p.X, p.Y))
	waitJS(t, ctx, 10*time.Second, fmt.Sprintf("seat %d in the basket", seat),
		fmt.Sprintf(`!!document.querySelector('#picked li[data-seat="%d"]')`, seat))
}

// seatRGB is the expression for the colour drawn at a seat's centre.
func seatRGB(seat int64) string {
	return fmt.Sprintf(`(() => { const c = document.querySelector('#seatmap'), m = c.seatMap, p = m.clientPoint(%d),
		r = c.getBoundingClientRect(), d = m.dpr;
		return Array.from(c.getContext('2d').getImageData(Math.round((p.x - r.left) * d), Math.round((p.y - r.top) * d), 1, 1).data.slice(0, 3)).join(','); })()`, seat)
}

// waitDrawn waits until the seat is drawn in the colour rgb.
func waitDrawn(t *testing.T, ctx context.Context, d time.Duration, seat int64, rgb string) {
	t.Helper()
	waitJS(t, ctx, d, fmt.Sprintf("seat %d drawn %s", seat, rgb), seatRGB(seat)+` === `+js(rgb))
}

// seatName is how the app names a fixture seat.
func seatName(s *testenv.Session, seat int64) string {
	for i, id := range s.SeatIDs {
		if id == seat {
			st := s.Seats[i]
			return fmt.Sprintf("Section %s, row %s, seat %d", st.Section, st.Row, st.Number)
		}
	}
	return ""
}

// seatID is the id of a fixture seat by its place.
func seatID(t *testing.T, s *testenv.Session, section, row string, number int) int64 {
	t.Helper()
	for i, st := range s.Seats {
		if st.Section == section && st.Row == row && st.Number == number {
			return s.SeatIDs[i]
		}
	}
	t.Fatalf("no seat %s %s %d", section, row, number)
	return 0
}

// crowd has the buyers hold seats of session s in groups of one to four
// neighbours of a row, spread over the map (never the seats in keep), and
// pay for every other group: a map part held, part sold. It returns a
// seat of the last group paid for.
func crowd(t *testing.T, s *testenv.Session, buyers []testenv.Buyer, keep ...int64) (sold int64) {
	t.Helper()
	rnd := rand.New(rand.NewPCG(1, 2)) // the same map every run
	used := map[int]bool{}
	for _, id := range keep {
		used[slices.Index(s.SeatIDs, id)] = true
	}
	group := func() []int64 {
		for {
			j, k := rnd.IntN(len(s.SeatIDs)-4), 1+rnd.IntN(4)
			var ids []int64
			for i := j; i < j+k && !used[i] && s.Seats[i].Row == s.Seats[j].Row && s.Seats[i].Section == s.Seats[j].Section; i++ {
				ids = append(ids, s.SeatIDs[i])
			}
			if len(ids) == k {
				for i := j; i < j+k; i++ {
					used[i] = true
				}
				return ids
			}
		}
	}
	edge := testenv.Edge(t)
	var paid []string
	owner := map[string]testenv.Buyer{}
	for i, b := range buyers {
		ids := group()
		body, _ := json.Marshal(map[string][]int64{"seat_ids": ids})
		h := http.Header{"Idempotency-Key": {testenv.Unique()}, "X-Forwarded-For": {fmt.Sprintf("172.30.%d.%d", i>>8&255, i&255)}}
		// The page may call the sale open up to half a second before the
		// sale Redis does (its clock is read from Date headers).
		var r *testenv.Response
		testenv.Eventually(t, testenv.Settle, "the sale open in the sale Redis", func() (bool, string) {
			r = edge.As(b.Token).Do(t, "POST", holds(s.ID), body, h)
			return r.Status != 403 || r.JSON["error"] != "sale_not_open", string(r.Body)
		})
		if r.Status != 201 {
			t.Fatalf("grab %v = %d %s", ids, r.Status, r.Body)
		}
		if i%2 == 0 {
			no := r.JSON["order_no"].(string)
			paid, owner[no], sold = append(paid, no), b, ids[0]
		}
	}
	testenv.WaitOrderRows(t, testenv.DB(t), s.ID, paid, testenv.Settle)
	for _, no := range paid {
		r := edge.As(owner[no].Token).Do(t, "POST", "/api/orders/"+no+"/pay", nil, nil)
		if r.Status != 200 {
			t.Fatalf("pay %s = %d %s", no, r.Status, r.Body)
		}
		testenv.ConfirmPayment(t, r.JSON["payment_id"].(string))
	}
	return sold
}

func saleRedis(t *testing.T) *goredis.Client {
	t.Helper()
	cfg := testenv.Config(t)
	rdb := goredis.NewClient(&goredis.Options{Addr: cfg.SaleRedisAddr, Password: cfg.SaleRedisPassword})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

func TestBuyerPurchase(t *testing.T) {
	db := testenv.DB(t)
	ctx, base := buyerApp(t)

	// Register and log in (the app logs in right after registering).
	phone := fmt.Sprintf("+4477%08d", time.Now().UnixNano()%1e8)
	testenv.Do(t, ctx, 30*time.Second, "register", chromedp.Navigate(base+"/login?next=/me"),
		chromedp.SendKeys("#phone", phone), chromedp.SendKeys("#password", "correct horse"), chromedp.Click("#register"))
	waitText(t, ctx, 15*time.Second, "#nav", phone)
	// Logging in again with the form works too, and survives a reload.
	testenv.Do(t, ctx, 10*time.Second, "log out", chromedp.Click("#nav button"))
	waitText(t, ctx, 10*time.Second, "#nav", "Log in")
	testenv.Do(t, ctx, 30*time.Second, "log in", chromedp.Navigate(base+"/login"),
		chromedp.SendKeys("#phone", phone), chromedp.SendKeys("#password", "correct horse"), chromedp.Click("#login"))
	waitText(t, ctx, 15*time.Second, "#nav", phone)

	// Reservations close, and the sale opens, 30 s from now: time enough
	// to reserve; the browser then waits for the opening. Other buyers
	// reserve too, and take seats once it opens.
	now := time.Now()
	s := testenv.NewSession(t, db, testenv.SessionSpec{Hall: true, ReserveEnd: now.Add(30 * time.Second)})
	others := testenv.NewBuyers(t, db, 60)
	testenv.Reserve(t, db, s.ID, others)
	var title string
	if err := db.Get(&title, `SELECT title FROM shows WHERE id = ?`, s.ShowID); err != nil {
		t.Fatal(err)
	}
	testenv.Do(t, ctx, 30*time.Second, "reserve", chromedp.Navigate(fmt.Sprintf("%s/shows/%d", base, s.ShowID)),
		chromedp.Click(fmt.Sprintf("#session-%d .reserve-button", s.ID)))
	waitText(t, ctx, 10*time.Second, fmt.Sprintf("#session-%d .reserve", s.ID), "You have reserved this session")

	// Browse: search finds the show.
	testenv.Do(t, ctx, 30*time.Second, "search", chromedp.Navigate(base+"/"),
		chromedp.SendKeys("#q", title), chromedp.Click(`form.search button[type="submit"]`))
	waitText(t, ctx, 10*time.Second, "#shows", title)
	if n := testenv.Get(t, ctx, 5*time.Second, "count cards", chromedp.Evaluate[int](`document.querySelectorAll('#shows li').length`)); n != 1 {
		t.Fatalf("the search for %q shows %d cards, want 1: %s", title, n, text(t, ctx, "main"))
	}
	testenv.Screenshot(t, ctx, "buyer-show-list")

	admin := testenv.Admin(t)
	for _, verb := range []string{"arm", "open"} {
		if r := admin.Do(t, "POST", fmt.Sprintf("/admin/api/sessions/%d/%s", s.ID, verb), nil, nil); r.Status != 200 {
			t.Fatalf("%s = %d %s", verb, r.Status, r.Body)
		}
	}

	// The countdown, then the sale.
	openSale(t, ctx, base, s.ID)
	if time.Now().Before(now.Add(25 * time.Second)) {
		waitText(t, ctx, 5*time.Second, "#countdown", "The sale opens in")
	}
	waitText(t, ctx, 40*time.Second, "#sale-status", "The sale is open")
	a, b := seatID(t, s, "B", "1", 7), seatID(t, s, "B", "1", 8) // VIP, front and centre
	waitDrawn(t, ctx, 30*time.Second, crowd(t, s, others, a, b), soldRGB)
	pick(t, ctx, a)
	pick(t, ctx, b)
	waitText(t, ctx, 5*time.Second, "#total", "¥2560.00")
	testenv.Screenshot(t, ctx, "buyer-seat-map")
	testenv.Do(t, ctx, 10*time.Second, "grab", chromedp.Click("#grab"))
	waitJS(t, ctx, 15*time.Second, "the order page", `document.querySelector('#order-status')?.dataset.status === 'LOCKED'`)
	waitText(t, ctx, 5*time.Second, "#order-countdown", "Pay within")
	no := strings.TrimPrefix(testenv.Get(t, ctx, 5*time.Second, "order no", chromedp.Evaluate[string](`location.pathname`)), "/orders/")

	// Pay at the gateway and come back.
	testenv.Do(t, ctx, 15*time.Second, "pay", chromedp.Click("#pay"))
	waitJS(t, ctx, 15*time.Second, "the gateway's page", `location.pathname.startsWith('/pay/') && !!document.querySelector('form[action$="/confirm"] button')`)
	testenv.Do(t, ctx, 15*time.Second, "confirm", chromedp.Click(`form[action$="/confirm"] button`))
	waitText(t, ctx, 15*time.Second, "#status", "SUCCEEDED")
	testenv.Do(t, ctx, 15*time.Second, "back to the shop", chromedp.Click("#return"))
	waitJS(t, ctx, 30*time.Second, "PAID", `document.querySelector('#order-status')?.dataset.status === 'PAID'`)
	if got := testenv.Get(t, ctx, 5*time.Second, "path", chromedp.Evaluate[string](`location.pathname`)); got != "/orders/"+no {
		t.Errorf("came back to %s, want /orders/%s", got, no)
	}
	waitText(t, ctx, 5*time.Second, "#order-status", "Paid")
	waitJS(t, ctx, 5*time.Second, "no Pay or Cancel once paid",
		`!document.querySelector('#pay').checkVisibility() && !document.querySelector('#cancel').checkVisibility()`)
	testenv.Screenshot(t, ctx, "buyer-order-paid")

	// The seats are drawn as sold.
	openSale(t, ctx, base, s.ID)
	waitDrawn(t, ctx, 15*time.Second, a, soldRGB)
	waitDrawn(t, ctx, 15*time.Second, b, soldRGB)

	// My tickets lists the order as paid, and the reservation.
	testenv.Do(t, ctx, 15*time.Second, "my tickets", chromedp.Navigate(base+"/me"))
	waitText(t, ctx, 15*time.Second, "#my-orders", no)
	waitText(t, ctx, 5*time.Second, "#my-orders", "Paid")
	waitText(t, ctx, 5*time.Second, "#my-reservations", title)
}

func TestBuyerConflict(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 20}, 2)
	ctx, _ := atSale(t, s.ID, buyers[0])
	a, b := s.SeatIDs[4], s.SeatIDs[6]
	pick(t, ctx, a)
	pick(t, ctx, b)

	// Another buyer takes a while it is picked: the map shows it taken.
	taken := time.Now()
	if r := testenv.Edge(t).As(buyers[1].Token).Grab(t, s.ID, "other-"+testenv.Unique(), a); r.Status != 201 {
		t.Fatalf("the other buyer's grab = %d %s", r.Status, r.Body)
	}
	waitDrawn(t, ctx, 10*time.Second, a, heldRGB)
	t.Logf("seat %d drawn taken %v after the other buyer's grab", a, time.Since(taken).Round(time.Millisecond))
	waitText(t, ctx, 5*time.Second, fmt.Sprintf(`#picked li[data-seat="%d"]`, a), "(taken)")

	// A grab that includes it names it and holds nothing.
	testenv.Do(t, ctx, 10*time.Second, "grab", chromedp.Click("#grab"))
	waitText(t, ctx, 15*time.Second, "#grab-status", "Nothing was held")
	if msg := text(t, ctx, "#grab-status"); !strings.Contains(msg, seatName(s, a)) || strings.Contains(msg, seatName(s, b)) {
		t.Errorf("message %q should name %s and only it", msg, seatName(s, a))
	}
	state, err := saleRedis(t).HGet(context.Background(), sale.KeysFor(s.ID).Key("seats"), fmt.Sprint(b)).Result()
	if err != nil || state != "A" {
		t.Errorf("seat %d = %q (%v), want still available", b, state, err)
	}
	// The taken seat left the basket; the other is still picked.
	waitJS(t, ctx, 5*time.Second, "basket", fmt.Sprintf(`!document.querySelector('#picked li[data-seat="%d"]') && !!document.querySelector('#picked li[data-seat="%d"]')`, a, b))
}

func TestBuyerTimeout(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 10}, 1)
	ctx, _ := atSale(t, s.ID, buyers[0])
	seat := s.SeatIDs[0]
	pick(t, ctx, seat)
	testenv.Do(t, ctx, 10*time.Second, "grab", chromedp.Click("#grab"))
	waitJS(t, ctx, 15*time.Second, "held", `document.querySelector('#order-status')?.dataset.status === 'LOCKED'`)
	// The hold time runs out once the page shows the hold, however long that took.
	testenv.Expire(t, saleRedis(t), testenv.HoldOrderNos(t, s.ID)[0])
	waitJS(t, ctx, 30*time.Second, "timed out", `document.querySelector('#order-status')?.dataset.status === 'TIMEOUT_CANCELLED'`)
	waitText(t, ctx, 5*time.Second, "#order-status", "Time ran out")
	if !testenv.Get(t, ctx, 5*time.Second, "pay hidden", chromedp.Evaluate[bool](`!document.querySelector('#pay').checkVisibility()`)) {
		t.Error("Pay is still offered for a timed-out order")
	}
	// Its seat is back on the map.
	testenv.Do(t, ctx, 10*time.Second, "back to the map", chromedp.Click(`a[href="/sessions/`+fmt.Sprint(s.ID)+`"]`))
	waitJS(t, ctx, 15*time.Second, "map", `!!document.querySelector('#seatmap')?.seatMap?.firstPaintAt`)
	waitDrawn(t, ctx, 15*time.Second, seat, firstTierRGB)
}

// TestBuyerRefusals drives each refusal of the grab with a crafted state
// and checks the message the buyer reads.
func TestBuyerRefusals(t *testing.T) {
	grabAndRead := func(t *testing.T, ctx context.Context, want string) {
		t.Helper()
		testenv.Do(t, ctx, 10*time.Second, "grab", chromedp.Click("#grab"))
		waitText(t, ctx, 20*time.Second, "#grab-status", want)
	}
	t.Run("NotEligible", func(t *testing.T) {
		s, _ := testenv.OnSale(t, testenv.SessionSpec{Seats: 4}, 1)
		stranger := testenv.NewBuyers(t, testenv.DB(t), 1)[0]
		ctx, _ := atSale(t, s.ID, stranger)
		pick(t, ctx, s.SeatIDs[0])
		grabAndRead(t, ctx, "you did not reserve it")
	})
	t.Run("LimitExceeded", func(t *testing.T) {
		s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 6, Limit: 2}, 1)
		if r := testenv.Edge(t).As(buyers[0].Token).Grab(t, s.ID, testenv.Unique(), s.SeatIDs[0], s.SeatIDs[1]); r.Status != 201 {
			t.Fatalf("first grab = %d %s", r.Status, r.Body)
		}
		ctx, _ := atSale(t, s.ID, buyers[0])
		pick(t, ctx, s.SeatIDs[3])
		grabAndRead(t, ctx, "at most 2 seats in this session and you already hold 2")
	})
	t.Run("SaleNotOpen", func(t *testing.T) {
		db := testenv.DB(t)
		opens := time.Now().Add(time.Hour).Truncate(time.Minute)
		s := testenv.NewSession(t, db, testenv.SessionSpec{Seats: 4, ReserveEnd: opens, SaleOpen: opens})
		buyers := testenv.NewBuyers(t, db, 1)
		testenv.Reserve(t, db, s.ID, buyers)
		if r := testenv.Admin(t).Do(t, "POST", fmt.Sprintf("/admin/api/sessions/%d/arm", s.ID), nil, nil); r.Status != 200 {
			t.Fatalf("arm = %d %s", r.Status, r.Body)
		}
		ctx, _ := atSale(t, s.ID, buyers[0])
		waitText(t, ctx, 10*time.Second, "#countdown", "The sale opens in")
		pick(t, ctx, s.SeatIDs[0])
		at := testenv.Get(t, ctx, 5*time.Second, "the opening as the app writes it", chromedp.Evaluate[string](fmt.Sprintf(
			`new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(%d))`, opens.UnixMilli())))
		grabAndRead(t, ctx, "The sale is not open. It opens "+at+".")
	})
	t.Run("SoldOut", func(t *testing.T) {
		s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 2}, 2)
		ctx, _ := atSale(t, s.ID, buyers[0])
		pick(t, ctx, s.SeatIDs[0])
		other := testenv.Edge(t).As(buyers[1].Token)
		if r := other.Grab(t, s.ID, testenv.Unique(), s.SeatIDs...); r.Status != 201 {
			t.Fatalf("the other buyer's grab = %d %s", r.Status, r.Body)
		}
		// Wait until the edge has the sold-out flag (it refreshes it).
		for deadline := time.Now().Add(15 * time.Second); other.Grab(t, s.ID, testenv.Unique(), s.SeatIDs[0]).Status != 410; {
			if time.Now().After(deadline) {
				t.Fatal("the edge never answered sold_out")
			}
			time.Sleep(100 * time.Millisecond) // poll the edge, under its rate limit
		}
		grabAndRead(t, ctx, "Sold out")
	})
	t.Run("RateLimited", func(t *testing.T) {
		// The buyer is at the limit already, so a grab that passes the
		// rate limit is refused too (limit_exceeded) and can be tried again.
		s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 4, Limit: 1}, 1)
		if r := testenv.Edge(t).As(buyers[0].Token).Grab(t, s.ID, testenv.Unique(), s.SeatIDs[3]); r.Status != 201 {
			t.Fatalf("first grab = %d %s", r.Status, r.Body)
		}
		ctx, base := atSale(t, s.ID, buyers[0])
		pick(t, ctx, s.SeatIDs[0])
		// The same buyer floods from another address (a seat that does
		// not exist: nothing is held) until the end of the subtest.
		flood, stop := context.WithCancel(context.Background())
		limited := make(chan string, 1) // the Retry-After of the first 429
		done := make(chan struct{})
		go func() {
			defer close(done)
			c := &http.Client{Timeout: 5 * time.Second}
			once := false
			for flood.Err() == nil {
				req, _ := http.NewRequestWithContext(flood, "POST", base+holds(s.ID), strings.NewReader(`{"seat_ids":[999999999]}`))
				req.Header = ip(7)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+buyers[0].Token)
				req.Header.Set("Idempotency-Key", testenv.Unique())
				if resp, err := c.Do(req); err == nil {
					resp.Body.Close()
					if resp.StatusCode == 429 && !once {
						once = true
						limited <- resp.Header.Get("Retry-After")
					}
				}
			}
		}()
		defer func() { stop(); <-done }()
		var retryAfter string
		select {
		case retryAfter = <-limited:
		case <-time.After(15 * time.Second):
			t.Fatal("the flood was never rate limited")
		}
		if retryAfter == "" {
			t.Fatal("a 429 without Retry-After")
		}
		tooMany := "Too many tries at once. You can try again in " + retryAfter + " s."
		outcome := fmt.Sprintf(`(() => { const m = document.querySelector('#grab-status').textContent;
			return !document.querySelector('#grab').disabled && (m.includes(%s) || m.includes('at most 1 seats')); })()`, js(tooMany))
		for deadline := time.Now().Add(30 * time.Second); !strings.Contains(text(t, ctx, "#grab-status"), tooMany); {
			if time.Now().After(deadline) {
				t.Fatalf("never rate limited; the page says %q", text(t, ctx, "#grab-status"))
			}
			testenv.Do(t, ctx, 10*time.Second, "grab", chromedp.Click("#grab"))
			waitJS(t, ctx, 20*time.Second, "an answer", outcome)
		}
	})
	t.Run("BusyRetried", func(t *testing.T) {
		s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 4}, 1)
		ctx, _ := atSale(t, s.ID, buyers[0])
		pick(t, ctx, s.SeatIDs[0])
		// The session's meta key of the wrong type makes the grab script
		// fail: the edge answers 503 until it is back.
		rdb, bg := saleRedis(t), context.Background()
		meta := sale.KeysFor(s.ID).Key("meta")
		if err := rdb.Rename(bg, meta, meta+"-aside").Err(); err != nil {
			t.Fatal(err)
		}
		restore := func() {
			rdb.Del(bg, meta)
			rdb.Rename(bg, meta+"-aside", meta)
		}
		defer restore()
		if err := rdb.Set(bg, meta, "broken", 0).Err(); err != nil {
			t.Fatal(err)
		}
		grabAndRead(t, ctx, "The sale is very busy; trying again")
		restore()
		waitJS(t, ctx, 30*time.Second, "held after the retry", `document.querySelector('#order-status')?.dataset.status === 'LOCKED'`)
		if n := len(testenv.HoldOrderNos(t, s.ID)); n != 1 {
			t.Errorf("%d holds, want 1 (retries reuse the Idempotency-Key)", n)
		}
	})
}

// TestBuyerLiveReconnect loses the seat map's live stream (notify stops)
// while the page is open and changes seats meanwhile: a grab refused for
// one of them marks it taken, and once the stream is back the page
// reloads the map and shows the other.
func TestBuyerLiveReconnect(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 20}, 2)
	ctx, _ := atSale(t, s.ID, buyers[0])
	waitText(t, ctx, 15*time.Second, ".live", "Live")
	seatsRead := fmt.Sprintf(`performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/api/sale/sessions/%d/seats')).length`, s.ID)
	// The page reads the map until it has a copy newer than the stream's
	// opening (a read every 500 ms): wait until it is done (3 s without one).
	before := testenv.Get(t, ctx, 30*time.Second, "seat map reads settled", chromedp.Evaluate[int](`(async () => {
		const reads = () => `+seatsRead+`;
		for (let n = reads(), since = performance.now(); ; ) {
			await new Promise((r) => setTimeout(r, 100));
			if (reads() !== n) [n, since] = [reads(), performance.now()];
			else if (performance.now() - since > 3000) return n;
		}
	})()`, chromedp.EvalAwaitPromise))

	t.Cleanup(func() {
		if out, err := testenv.Run(t, "dev", "up"); err != nil {
			t.Errorf("dev up: %v\n%s", err, out)
		}
	})
	if out, err := testenv.Run(t, "dev", "stop", "notify"); err != nil {
		t.Fatalf("dev stop notify: %v\n%s", err, out)
	}
	waitText(t, ctx, 15*time.Second, ".live", "Reconnecting")
	// The other buyer takes two seats the page does not hear of.
	seen, unseen := s.SeatIDs[2], s.SeatIDs[4] // tier A
	if r := testenv.Edge(t).As(buyers[1].Token).Grab(t, s.ID, testenv.Unique(), seen, unseen); r.Status != 201 {
		t.Fatalf("the other buyer's grab = %d %s", r.Status, r.Body)
	}
	for _, seat := range []int64{seen, unseen} {
		if got := testenv.Get(t, ctx, 5*time.Second, "seat colour", chromedp.Evaluate[string](seatRGB(seat))); got != firstTierRGB {
			t.Fatalf("seat %d drawn %s while the stream was down, want still available (%s)", seat, got, firstTierRGB)
		}
	}
	// A grab of one of them is refused: the map marks it taken.
	pick(t, ctx, seen)
	testenv.Do(t, ctx, 10*time.Second, "grab", chromedp.Click("#grab"))
	waitText(t, ctx, 15*time.Second, "#grab-status", "Someone else has just taken "+seatName(s, seen)+". Nothing was held")
	waitDrawn(t, ctx, 5*time.Second, seen, heldRGB)

	// The stream comes back: the map is read again and shows the other.
	if out, err := testenv.Run(t, "dev", "up"); err != nil {
		t.Fatalf("dev up: %v\n%s", err, out)
	}
	waitText(t, ctx, 30*time.Second, ".live", "Live")
	waitDrawn(t, ctx, 15*time.Second, unseen, heldRGB)
	if after := testenv.Get(t, ctx, 5*time.Second, "seat map reads", chromedp.Evaluate[int](seatsRead)); after <= before {
		t.Errorf("the seat map was read %d times before the stream was lost and %d after it came back: no reload", before, after)
	}
}

// acceptLanguage makes the browser speak langs (navigator.languages and
// Accept-Language), as a browser set up in that language does.
func acceptLanguage(t *testing.T, ctx context.Context, langs string) {
	t.Helper()
	ua := testenv.Get(t, ctx, 10*time.Second, "user agent", chromedp.Evaluate[string](`navigator.userAgent`))
	testenv.Do(t, ctx, 10*time.Second, "accept "+langs, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: langs})
		return err
	}))
}

// TestBuyerChinese opens the shop in a browser set to Chinese: the pages
// are in Chinese, the server's refusals too (by their code and field); the
// buyer's switch to English is remembered.
func TestBuyerChinese(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Hall: true}, 1)
	ctx, base := buyerApp(t)
	acceptLanguage(t, ctx, "zh-CN,zh;q=0.9")
	testenv.Do(t, ctx, 30*time.Second, "register with a malformed phone", chromedp.Navigate(base+"/login"),
		chromedp.SendKeys("#phone", "12345"), chromedp.SendKeys("#password", "correct horse"), chromedp.Click("#register"))
	waitText(t, ctx, 10*time.Second, "#login-status", "手机号格式不正确")
	phone := fmt.Sprintf("+4478%08d", time.Now().UnixNano()%1e8)
	testenv.Do(t, ctx, 10*time.Second, "register with a short password",
		chromedp.SetValue("#phone", phone), chromedp.SetValue("#password", "short"), chromedp.Click("#register"))
	waitText(t, ctx, 10*time.Second, "#login-status", "密码长度须为 8 到 72 个字符")
	loginAs(t, ctx, base, buyers[0])
	openSale(t, ctx, base, s.ID)
	waitJS(t, ctx, 10*time.Second, "lang=zh-CN", `document.documentElement.lang === 'zh-CN'`)
	waitText(t, ctx, 10*time.Second, "#nav", "我的票夹")
	waitText(t, ctx, 10*time.Second, "#sale-status", "已开售，请选择座位。")
	pick(t, ctx, seatID(t, s, "B", "1", 7))
	waitText(t, ctx, 5*time.Second, "#total", "合计 ¥1280.00")
	waitText(t, ctx, 5*time.Second, "#picked", "B 1排7号")
	testenv.Screenshot(t, ctx, "buyer-seat-map-zh")

	// The switch: English, and it stays so across a reload.
	testenv.Do(t, ctx, 10*time.Second, "switch to English", chromedp.WaitVisible("#lang"),
		chromedp.Evaluate[chromedp.Void](`(() => { const l = document.querySelector('#lang'); l.value = 'en'; l.dispatchEvent(new Event('change')); })()`))
	waitText(t, ctx, 15*time.Second, "#nav", "My tickets")
	testenv.Do(t, ctx, 10*time.Second, "reload", chromedp.Reload())
	waitText(t, ctx, 15*time.Second, "#sale-status", "The sale is open")
	waitJS(t, ctx, 5*time.Second, "lang=en", `document.documentElement.lang === 'en' && document.querySelector('#lang').value === 'en'`)
}

// TestBuyerSeatMap50k measures the seat map of 50,000 seats in Chromium:
// the first paint with live states and the frames of a pan.
func TestBuyerSeatMap50k(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 50000, Limit: 4}, 1)
	ctx, _ := atSale(t, s.ID, buyers[0])
	firstPaint := testenv.Get(t, ctx, 10*time.Second, "first paint",
		chromedp.Evaluate[float64](`document.querySelector('#seatmap').seatMap.firstPaintAt`))
	raw := testenv.Get(t, ctx, 60*time.Second, "pan", chromedp.Evaluate[[]byte](`(async () => {
		const m = document.querySelector('#seatmap').seatMap;
		m.zoomAt(0.9);
		const idle = [];
		for (let k = 0, last = 0; k < 31; k++) {
			const now = await new Promise((r) => requestAnimationFrame(r));
			if (last) idle.push(now - last);
			last = now;
		}
		// Each frame pans, as a drag does; the map draws in the next frame.
		const draws = [], frames = [], draw = m.draw.bind(m);
		m.draw = () => {
			const t0 = performance.now();
			draw();
			draws.push(performance.now() - t0);
		};
		for (let k = 0, last = 0; k < 61; k++) {
			const now = await new Promise((r) => requestAnimationFrame(r));
			if (last) frames.push(now - last);
			m.panBy(2, 1);
			last = now;
		}
		m.draw = draw;
		const q = (a, p) => a.slice().sort((x, y) => x - y)[Math.floor(p * (a.length - 1))];
		const geo = performance.getEntriesByType('resource').find((e) => /\/api\/sessions\/\d+$/.test(new URL(e.name).pathname));
		return { geometry_kb: geo.transferSize / 1024, geometry_ms: geo.duration, idle_median: q(idle, 0.5), draw_median: q(draws, 0.5), draw_p95: q(draws, 0.95), frame_median: q(frames, 0.5), frame_p95: q(frames, 0.95) };
	})()`, chromedp.EvalAwaitPromise))
	var pan map[string]float64
	if err := json.Unmarshal(raw, &pan); err != nil {
		t.Fatal(err)
	}
	t.Logf("50,000 seats: first paint with live states %.0f ms after navigation (geometry %.0f KiB in %.0f ms); "+
		"pan: draw median %.1f ms, p95 %.1f ms; frame median %.1f ms, p95 %.1f ms (an idle frame: %.1f ms)",
		firstPaint, pan["geometry_kb"], pan["geometry_ms"], pan["draw_median"], pan["draw_p95"], pan["frame_median"], pan["frame_p95"], pan["idle_median"])
	waitJS(t, ctx, 10*time.Second, "every seat available",
		`document.querySelector('#seatmap').seatMap.states.state.every((x) => x === 0)`)
}

// TestBuyerListAndCancel buys at a phone's width from the seat list (no
// canvas), then cancels: the seat is back on the map.
func TestBuyerListAndCancel(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 250}, 1)
	ctx, base := buyerApp(t)
	testenv.Do(t, ctx, 10*time.Second, "phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	loginAs(t, ctx, base, buyers[0])
	openSale(t, ctx, base, s.ID)
	if !testenv.Get(t, ctx, 5*time.Second, "fits", chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`)) {
		t.Error("the sale page is wider than a phone's screen")
	}
	seat := s.SeatIDs[101] // row R1, seat 2
	testenv.Do(t, ctx, 10*time.Second, "pick from the list",
		chromedp.Click(".seat-list summary"),
		chromedp.SetValue("#list-row", "R1"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#list-row').dispatchEvent(new Event('change'))`),
		chromedp.Click(fmt.Sprintf("#seat-%d", seat)))
	waitJS(t, ctx, 5*time.Second, "picked", fmt.Sprintf(`!!document.querySelector('#picked li[data-seat="%d"]')`, seat))
	testenv.Do(t, ctx, 10*time.Second, "grab", chromedp.Click("#grab"))
	waitJS(t, ctx, 15*time.Second, "held", `document.querySelector('#order-status')?.dataset.status === 'LOCKED'`)
	if !testenv.Get(t, ctx, 5*time.Second, "fits", chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`)) {
		t.Error("the order page is wider than a phone's screen")
	}
	testenv.Do(t, ctx, 10*time.Second, "cancel", chromedp.Click("#cancel"))
	waitJS(t, ctx, 15*time.Second, "cancelled", `document.querySelector('#order-status')?.dataset.status === 'CANCELLED'`)
	waitText(t, ctx, 5*time.Second, "#order-status", "The seats were given back")
	openSale(t, ctx, base, s.ID)
	waitJS(t, ctx, 15*time.Second, "available again in the list", fmt.Sprintf(`(() => {
		const row = document.querySelector('#list-row');
		if (row.value !== 'R1') { row.value = 'R1'; row.dispatchEvent(new Event('change')); }
		const box = document.querySelector('#seat-%d');
		return box && !box.disabled; })()`, seat))
}

// unlabelled is the expression for the visible controls of the page that
// have no accessible name (label, aria-label or text).
const unlabelled = `[...document.querySelectorAll('input, select, button, canvas, a[href], summary')]
	.filter((e) => e.checkVisibility() && !(e.getAttribute('aria-label') ||
		[...(e.labels ?? [])].map((l) => l.textContent).join('') || e.textContent).trim())
	.map((e) => e.outerHTML.slice(0, 100))`

// wantLabelled fails the test for each control of the page without a name.
func wantLabelled(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	for _, e := range testenv.Get(t, ctx, 10*time.Second, "controls", chromedp.Evaluate[[]string](unlabelled)) {
		t.Errorf("%s: a control without a name: %s", page, e)
	}
}

// tabTo presses Tab until the element matching sel has the focus.
func tabTo(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	for range 80 {
		if testenv.Get(t, ctx, 5*time.Second, "focus", chromedp.Evaluate[bool](fmt.Sprintf(`!!document.activeElement?.matches(%s)`, js(sel)))) {
			return
		}
		testenv.Do(t, ctx, 5*time.Second, "Tab", chromedp.KeyEvent(kb.Tab))
	}
	t.Fatalf("80 Tabs never reached %s", sel)
}

// TestBuyerKeyboard buys and cancels with the keyboard only, through the
// seat list, and checks that every control on the way has a name.
func TestBuyerKeyboard(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 20}, 1)
	ctx, base := buyerApp(t)
	testenv.Do(t, ctx, 30*time.Second, "the login page", chromedp.Navigate(base+"/login"), chromedp.WaitVisible("#phone"))
	wantLabelled(t, ctx, "login")
	loginAs(t, ctx, base, buyers[0])
	waitJS(t, ctx, 15*time.Second, "the show list", `document.querySelectorAll('#shows li').length > 0`)
	wantLabelled(t, ctx, "show list")
	openSale(t, ctx, base, s.ID)

	// The map zooms from the keyboard.
	tabTo(t, ctx, "#seatmap")
	scale := `document.querySelector('#seatmap').seatMap.view.s`
	before := testenv.Get(t, ctx, 5*time.Second, "scale", chromedp.Evaluate[float64](scale))
	testenv.Do(t, ctx, 5*time.Second, "zoom in", chromedp.KeyEvent("+"))
	waitJS(t, ctx, 5*time.Second, "zoomed in", fmt.Sprintf(`%s > %v`, scale, before))

	// The list: open it, tick the first seat of the row, hold it.
	tabTo(t, ctx, ".seat-list summary")
	testenv.Do(t, ctx, 5*time.Second, "open the list", chromedp.KeyEvent(kb.Enter))
	first := fmt.Sprintf("#seat-%d", s.SeatIDs[0])
	tabTo(t, ctx, first)
	testenv.Do(t, ctx, 5*time.Second, "tick", chromedp.KeyEvent(" "))
	waitJS(t, ctx, 5*time.Second, "picked", fmt.Sprintf(`!!document.querySelector('#picked li[data-seat="%d"]')`, s.SeatIDs[0]))
	wantLabelled(t, ctx, "sale")
	tabTo(t, ctx, "#grab")
	testenv.Do(t, ctx, 5*time.Second, "hold", chromedp.KeyEvent(kb.Enter))
	waitJS(t, ctx, 15*time.Second, "held", `document.querySelector('#order-status')?.dataset.status === 'LOCKED'`)
	wantLabelled(t, ctx, "order")
	tabTo(t, ctx, "#cancel")
	testenv.Do(t, ctx, 5*time.Second, "cancel", chromedp.KeyEvent(kb.Enter))
	waitJS(t, ctx, 15*time.Second, "cancelled", `document.querySelector('#order-status')?.dataset.status === 'CANCELLED'`)
}

// TestBuyerAppServing checks how the edge serves the app: the entry page
// revalidated, hashed files immutable and gzipped, app routes answered by
// the entry page, API routes still JSON.
func TestBuyerAppServing(t *testing.T) {
	base := "http://" + testenv.Config(t).EdgeAddr
	get := func(path string, gzip bool) (*http.Response, string) {
		t.Helper()
		return testenv.Fetch(t, base+path, gzip)
	}
	resp, page := get("/", false)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-cache" || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/ = %d %v, want the entry page, no-cache", resp.StatusCode, resp.Header)
	}
	if resp, zipped := get("/", true); resp.Header.Get("Content-Encoding") != "gzip" || gunzip(t, zipped) != page {
		t.Errorf("/ with gzip = %v, want the entry page gzipped", resp.Header)
	}
	m := regexp.MustCompile(`src="(/js/main\.[0-9a-f]{10}\.js)"`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `<script type="importmap">`) {
		t.Fatalf("the entry page has no hashed main module or import map: %s", page)
	}
	resp, _ = get(m[1], true)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
		resp.Header.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("%s = %d %v, want immutable gzipped JavaScript", m[1], resp.StatusCode, resp.Header)
	}
	for _, path := range []string{"/shows/1", "/sessions/123", "/orders/B1-2-3", "/login", "/me"} {
		if resp, body := get(path, false); resp.StatusCode != 200 || body != page {
			t.Errorf("%s = %d, want the entry page", path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/js/main.0000000000.js", "/js/main.js", "/shows/x", "/no-such-path", "/api/no-such-route"} {
		if resp, body := get(path, false); resp.StatusCode != 404 || !strings.Contains(body, `"not_found"`) {
			t.Errorf("%s = %d %s, want the JSON 404", path, resp.StatusCode, body)
		}
	}
}

// rawGet GETs url, asking for gzip or not, and returns the answer with its
// body as sent (not decompressed).
func gunzip(t *testing.T, s string) string {
	t.Helper()
	zr, err := gzip.NewReader(strings.NewReader(s))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("bad gzip: %v", err)
	}
	return string(b)
}

// TestBuyerAPIGzip checks that the JSON API is gzipped through the edge:
// a session's seat map is gzipped once by the api and kept so in the edge
// cache, served plain to a client that does not take gzip; the live
// streams are never compressed.
func TestBuyerAPIGzip(t *testing.T) {
	s := testenv.NewSession(t, testenv.DB(t), testenv.SessionSpec{Seats: 2000})
	url := fmt.Sprintf("http://%s/api/sessions/%d", testenv.Config(t).EdgeAddr, s.ID)
	resp, zipped := testenv.Fetch(t, url, true)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("GET %s with gzip = %d %v, want it gzipped", url, resp.StatusCode, resp.Header)
	}
	geo := gunzip(t, zipped)
	resp, plain := testenv.Fetch(t, url, false)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" || plain != geo {
		t.Errorf("GET %s without gzip = %d %v, want the same JSON, plain", url, resp.StatusCode, resp.Header)
	}
	t.Logf("a session of 2000 seats: %d bytes of JSON, %d gzipped", len(plain), len(zipped))
	if resp, again := testenv.Fetch(t, url, true); resp.Header.Get("X-Cache") != "HIT" || again != zipped {
		t.Errorf("GET %s again = X-Cache %q, want the cached gzip copy", url, resp.Header.Get("X-Cache"))
	}

	events := fmt.Sprintf("http://%s/api/sale/sessions/%d/events", testenv.Config(t).EdgeAddr, s.ID)
	req, _ := http.NewRequest("GET", events, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	sse, err := (&http.Transport{DisableCompression: true, ResponseHeaderTimeout: 10 * time.Second}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	sse.Body.Close()
	if !strings.HasPrefix(sse.Header.Get("Content-Type"), "text/event-stream") || sse.Header.Get("Content-Encoding") != "" {
		t.Errorf("GET %s = %d %v, want an uncompressed event stream", events, sse.StatusCode, sse.Header)
	}
}
