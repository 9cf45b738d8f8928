//go:build integration

package openresty_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
)

// The buyer app in a real Chromium against the test stack.

const (
	soldRGB      = "59,65,72"    // COLOURS.sold in seatmap.js
	heldRGB      = "167,175,184" // COLOURS.held
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

// seatName is how the app names a fixture seat (NewSession's layout).
func seatName(s *testenv.Session, seat int64) string {
	for i, id := range s.SeatIDs {
		if id == seat {
			return fmt.Sprintf("Section S, row R%d, seat %d", i/100, i%100+1)
		}
	}
	return ""
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
	// to reserve; the browser then waits for the opening.
	now := time.Now()
	s := testenv.NewSession(t, db, testenv.SessionSpec{Seats: 40, ReserveEnd: now.Add(30 * time.Second)})
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
	a, b := s.SeatIDs[0], s.SeatIDs[2] // both tier A
	pick(t, ctx, a)
	pick(t, ctx, b)
	waitText(t, ctx, 5*time.Second, "#total", "¥200.00")
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
		s := testenv.NewSession(t, db, testenv.SessionSpec{Seats: 4})
		buyers := testenv.NewBuyers(t, db, 1)
		testenv.Reserve(t, db, s.ID, buyers)
		if r := testenv.Admin(t).Do(t, "POST", fmt.Sprintf("/admin/api/sessions/%d/arm", s.ID), nil, nil); r.Status != 200 {
			t.Fatalf("arm = %d %s", r.Status, r.Body)
		}
		ctx, _ := atSale(t, s.ID, buyers[0])
		waitText(t, ctx, 10*time.Second, "#countdown", "The sale opens in")
		pick(t, ctx, s.SeatIDs[0])
		grabAndRead(t, ctx, "The sale is not open. It opens")
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
		limited := make(chan struct{})
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
						close(limited)
					}
				}
			}
		}()
		defer func() { stop(); <-done }()
		select {
		case <-limited:
		case <-time.After(15 * time.Second):
			t.Fatal("the flood was never rate limited")
		}
		const tooMany = "Too many tries at once. You can try again in"
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

// TestBuyerAppServing checks how the edge serves the app: the entry page
// revalidated, hashed files immutable and gzipped, app routes answered by
// the entry page, API routes still JSON.
func TestBuyerAppServing(t *testing.T) {
	base := "http://" + testenv.Config(t).EdgeAddr
	get := func(path string, gzip bool) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		if gzip {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = io.Copy(&b, resp.Body)
		return resp, b.String()
	}
	resp, page := get("/", false)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-cache" || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/ = %d %v, want the entry page, no-cache", resp.StatusCode, resp.Header)
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
