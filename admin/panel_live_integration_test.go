//go:build integration

package admin_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"boxoffice/internal/testenv"
)

// arenaCSV is a venue of several sections and tiers: a curved floor (its
// front rows VIP), two wings and a balcony, about a thousand seats.
func arenaCSV() []byte {
	var b strings.Builder
	b.WriteString("section,row,number,x,y,tier\n")
	block := func(name string, rows, seats int, x, y, curve float64, tier func(row int) string) {
		for r := 0; r < rows; r++ {
			for n := 0; n < seats; n++ {
				t := float64(n)/float64(seats-1)*2 - 1
				fmt.Fprintf(&b, "%s,%c,%d,%d,%d,%s\n", name, 'A'+r, n+1,
					int(x+float64(n)*12), int(math.Round(y+float64(r)*14+curve*t*t)), tier(r))
			}
		}
	}
	floor := func(r int) string { return map[bool]string{true: "VIP", false: "A"}[r < 4] }
	wing := func(int) string { return "B" }
	block("Floor", 12, 30, 170, 60, 18, floor)
	block("Left", 12, 10, 0, 90, -12, wing)
	block("Right", 12, 10, 550, 90, -12, wing)
	block("Balcony", 8, 54, 30, 290, 30, func(int) string { return "C" })
	return []byte(b.String())
}

// TestPanelLiveDashboard shows a sale in progress: an arena's seat map in
// the editor, then the dashboard while buyers grab seats through the
// edge. It measures how often one open dashboard asks the API (the rate is
// logged; it must stay at a few requests a second) and saves the
// screenshots the README shows.
func TestPanelLiveDashboard(t *testing.T) {
	db := testenv.DB(t)
	admin := testenv.Admin(t)
	venueID := num(t, want(t, admin.Do(t, "POST", "/admin/api/venues",
		map[string]string{"name": "Riverside Arena " + testenv.Unique(), "city": "Lisbon", "address": "Cais do Sodré 1"}, nil), http.StatusCreated), "id")
	want(t, admin.Do(t, "PUT", fmt.Sprintf("/admin/api/venues/%d/seats", venueID), arenaCSV(), csvHeader(1)), http.StatusOK)
	show := want(t, admin.Do(t, "POST", "/admin/api/shows",
		map[string]string{"title": "Aurora Skies: World Tour " + testenv.Unique(), "artist": "Aurora Skies", "status": "published"}, nil), http.StatusCreated)
	now := time.Now()
	body := sessionBody(num(t, show, "id"), venueID, now.Add(72*time.Hour))
	f := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	body["reserve_opens_at"], body["reserve_closes_at"] = f(now.Add(-3*time.Hour)), f(now.Add(-2*time.Hour))
	body["sale_opens_at"], body["sale_closes_at"] = f(now.Add(-time.Hour)), f(now.Add(48*time.Hour))
	sessionID := num(t, want(t, admin.Do(t, "POST", "/admin/api/sessions", body, nil), http.StatusCreated), "id")
	want(t, admin.Do(t, "PUT", fmt.Sprintf("/admin/api/sessions/%d/tiers", sessionID), map[string]any{"tiers": []map[string]any{
		{"code": "VIP", "name": "Front floor", "price_cents": 12000}, {"code": "A", "name": "Floor", "price_cents": 8000},
		{"code": "B", "name": "Wings", "price_cents": 5500}, {"code": "C", "name": "Balcony", "price_cents": 3500}}}, ifMatch(1)), http.StatusOK)
	setState(t, sessionID, "RESERVING")
	buyers := testenv.NewBuyers(t, db, 60)
	testenv.Reserve(t, db, sessionID, buyers)

	p := openPanel(t, testenv.Browser(t))
	p.login()
	p.open(fmt.Sprintf("#/venues/%d/seats", venueID), "Seat map")
	p.waitFor("the arena", `document.getElementById("seat-count").textContent.startsWith("1032 seats")`)
	x, y, w, h := p.box("canvas.seatmap")
	p.drag(x+w*0.3, y+h*0.2, x+w*0.7, y+h*0.35) // a selection on the floor
	testenv.Screenshot(t, p.ctx, "panel-seat-editor")

	want(t, admin.Do(t, "POST", action(sessionID, "arm"), nil, nil), http.StatusOK)
	want(t, admin.Do(t, "POST", action(sessionID, "open"), nil, nil), http.StatusOK)
	var seatIDs []int64
	if err := db.Select(&seatIDs, `SELECT id FROM seats WHERE venue_id = ? ORDER BY id`, venueID); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	edge := testenv.Edge(t)
	for i, b := range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Popular seats: every buyer tries the same front third, each
			// from an address of their own, about four times a second (a
			// burst now and then passes the per-buyer limit): some grabs
			// take seats, some collide, later ones pass the seat limit.
			r := rand.New(rand.NewPCG(uint64(i), 1))
			seats := make([]int64, 12)
			for j := range seats {
				seats[j] = seatIDs[r.IntN(len(seatIDs)/3)]
			}
			grabUntil(ctx, edge.As(b.Token), sessionID, seats, fmt.Sprintf("10.1.%d.%d", i/250, i%250+1), time.Duration(150+r.IntN(200))*time.Millisecond)
		}()
	}
	defer func() { stop(); wg.Wait() }()

	p.open(fmt.Sprintf("#/sessions/%d/live", sessionID), "Live:")
	p.eval(`window.dashboardAsks = []; new PerformanceObserver((list) => { for (const e of list.getEntries())
		if (e.name.includes("/dashboard")) dashboardAsks.push(e.startTime); }).observe({ type: "resource" }); true`)
	// Fifteen asks span about ten seconds of a moving chart.
	p.waitFor("fifteen dashboard requests and grabs on the chart", `dashboardAsks.length >= 15 &&
		Number(document.querySelector('[data-key=held]')?.textContent) > 0 &&
		["created", "seat_unavailable"].every((o) => document.querySelector('#grab-legend li[data-outcome=' + o + ']'))`)
	rate := testenv.Get(t, p.ctx, wait, "the request rate", chromedp.Evaluate[float64](
		`(dashboardAsks.length - 1) / ((dashboardAsks.at(-1) - dashboardAsks[0]) / 1000)`))
	t.Logf("one open dashboard: %.2f requests/s to the API", rate)
	if rate > 3 {
		t.Errorf("one open dashboard sends %.2f requests/s, want at most a few (3)", rate)
	}
	testenv.Screenshot(t, p.ctx, "panel-dashboard")
}
