//go:build integration

package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"boxoffice/internal/testenv"
)

// TestPanelSale walks the whole sale through the panel: a venue drawn in
// the seat map editor, a show and a session with tiers, a buyer's
// reservation, arming and opening, the live dashboard while seats are
// grabbed through the edge, and closing.
func TestPanelSale(t *testing.T) {
	db := testenv.DB(t)
	p := openPanel(t, testenv.Browser(t))
	p.login()

	// A venue and its seat map: two sections, three tiers.
	p.open("#/venues/new", "New venue")
	venueName := "Panel Hall " + testenv.Unique()
	p.set(`#view input[name=name]`, venueName)
	p.set(`#view input[name=city]`, "Testville")
	p.click(`#view form.edit button[type=submit]`)
	venueID := p.hashID("#/venues/")
	p.open(fmt.Sprintf("#/venues/%d/seats", venueID), "Seat map")
	addSection := func(name, x, curve string) {
		p.set(`.generator input[name=name]`, name)
		p.set(`.generator input[name=rows]`, "5")
		p.set(`.generator input[name=seats]`, "10")
		p.set(`.generator input[name=x]`, x)
		p.set(`.generator input[name=curve]`, curve)
		p.click(`.generator button[type=submit]`)
	}
	addSection("Left", "0", "0")
	addSection("Right", "150", "6")
	p.waitFor("100 seats", `document.getElementById("seat-count").textContent.startsWith("100 seats")`)
	x, y, w, h := p.box("canvas.seatmap")
	// VIP by selection: the top left of the left section.
	p.set(`input[name=paint-tier]`, "VIP")
	p.drag(x+2, y+2, x+w*0.3, y+h/2)
	p.click("#paint-selection")
	// B with the brush: a stroke across the right section.
	p.click(`input[name=tool][value=brush]`)
	p.set(`input[name=paint-tier]`, "B")
	x, y, w, h = p.box("canvas.seatmap") // the clicks may have scrolled the page
	p.drag(x+w*0.6, y+h*0.3, x+w*0.95, y+h*0.7)
	p.waitFor("three tiers", `["A", "B", "VIP"].every((t) => document.querySelector('#tier-counts li[data-tier="' + t + '"]'))`)
	// The legend shows the tiers in code order, each in the panel palette's
	// colour at its place (its first three), though VIP was painted before B.
	p.waitFor("the legend in code order, coloured in its order", `(() => {
		const items = [...document.querySelectorAll('#tier-counts li')];
		const colours = items.map((li) => li.querySelector('.swatch').dataset.color);
		return items.map((li) => li.dataset.tier).join() === "A,B,VIP" && colours.join() === "#d9480f,#1971c2,#2f9e44";
	})()`)
	// The preview is the buyer app's own seat map, drawn with every seat, its
	// tiers coloured in the legend's order.
	p.click("#preview")
	p.waitFor("the buyer's seat map", `document.getElementById("buyer-map")?.seatMap?.firstPaintAt > 0 &&
		document.getElementById("buyer-map").seatMap.seats.length === 100 && document.querySelector("canvas.seatmap").hidden`)
	p.waitFor("the preview's colours in the legend's order", `(() => {
		const shown = [...document.querySelectorAll('#tier-counts li')].map((li) => li.dataset.tier);
		const m = document.getElementById("buyer-map").seatMap;
		return m.seats.every((s, i) => m.tier[i] === shown.indexOf(s.tier));
	})()`)
	p.click("#preview")
	p.waitFor("the editor again", `!document.querySelector("canvas.seatmap").hidden && !document.getElementById("buyer-map")`)
	p.click("#save-seats")
	p.waitFor("the save", `/version [2-9]/.test(document.getElementById("seat-count").textContent)`)
	var tiers []string
	if err := db.Select(&tiers, `SELECT DISTINCT tier_code FROM seats WHERE venue_id = ? ORDER BY tier_code`, venueID); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(tiers) != "[A B VIP]" {
		t.Fatalf("saved tiers = %v, want [A B VIP]", tiers)
	}

	// A published show and a session with its tiers, taking reservations.
	p.open("#/shows/new", "New show")
	title := "Panel Show " + testenv.Unique()
	p.set(`#view input[name=title]`, title)
	p.set(`#view input[name=artist]`, "The Testers")
	p.click(`#view form.edit button[type=submit]`)
	showID := p.hashID("#/shows/")
	p.waitFor("the show page", fmt.Sprintf(`document.querySelector("#view h1").textContent === %q`, "Show: "+title))
	p.click("button.publish")
	p.waitFor("published", `document.querySelector("button.publish").textContent === "Unpublish"`)
	now := time.Now()
	newSession := `#view section form.edit`
	p.set(newSession+` input[type=search]`, venueName)
	p.waitFor("the venue in the picker", fmt.Sprintf(`!!document.querySelector('%s select[name=venue_id] option[value="%d"]')`, newSession, venueID))
	p.set(newSession+` select[name=venue_id]`, fmt.Sprint(venueID))
	p.set(newSession+` input[name=starts_at]`, p.localTime(now.Add(72*time.Hour)))
	p.set(newSession+` input[name=reserve_opens_at]`, p.localTime(now.Add(-time.Hour)))
	p.set(newSession+` input[name=reserve_closes_at]`, p.localTime(now.Add(time.Hour)))
	p.set(newSession+` input[name=sale_opens_at]`, p.localTime(now.Add(time.Hour)))
	p.set(newSession+` input[name=sale_closes_at]`, p.localTime(now.Add(48*time.Hour)))
	p.set(newSession+` input[name=seat_limit]`, "4")
	p.click(newSession + ` button[type=submit]`)
	sessionID := p.hashID("#/sessions/")
	p.waitFor("the session page", `!!document.querySelector("form.tiers")`)
	for i, tier := range [][3]string{{"A", "Stalls", "50"}, {"B", "Balcony", "30"}, {"VIP", "Front", "120"}} {
		if i > 0 {
			p.click(`form.tiers .row button[type=button]`)
		}
		for j, name := range []string{"code", "name", "price_cents"} {
			p.set(fmt.Sprintf(`#tier-%d-%s`, i, name), tier[j])
		}
	}
	p.click(`form.tiers button[type=submit]`)
	p.waitFor("tiers saved", `document.getElementById("toast").textContent === "Price tiers saved."`)
	p.set(`#view form.edit select[name=state]`, "RESERVING")
	n := p.rendered()
	p.click(`#view form.edit:not(.tiers) button[type=submit]`)
	p.waitRendered(n, "reserving", `document.querySelector(".sale .state")?.textContent === "RESERVING"`)

	// Buyers reserve through the API, then the sale window is moved to now.
	buyers := testenv.NewBuyers(t, db, 3)
	edge := testenv.Edge(t)
	for _, b := range buyers {
		r := edge.As(b.Token).Do(t, "POST", fmt.Sprintf("/api/sessions/%d/reservations", sessionID), nil, nil)
		if r.Status != http.StatusCreated {
			t.Fatalf("reserve = %d %s", r.Status, r.Body)
		}
	}
	p.set(`#view form.edit input[name=reserve_closes_at]`, p.localTime(now.Add(-2*time.Minute)))
	p.set(`#view form.edit input[name=sale_opens_at]`, p.localTime(now.Add(-2*time.Minute)))
	n = p.rendered()
	p.click(`#view form.edit:not(.tiers) button[type=submit]`)
	p.waitRendered(n, "the session again, its sale window moved", `document.querySelector(".sale .state")?.textContent === "RESERVING"`)

	// Arm, open, watch.
	n = p.rendered()
	p.confirm(`[data-action=arm]`)
	p.waitRendered(n, "armed", `document.querySelector(".sale .state")?.textContent === "ARMED"`)
	p.confirm(`[data-action=open]`)
	p.waitFor("the dashboard", `document.getElementById("live-state")?.textContent === "ON_SALE"`)
	p.waitFor("reservations", `document.querySelector('[data-key=reservations]')?.textContent === "3"`)

	var seatIDs []int64
	if err := db.Select(&seatIDs, `SELECT id FROM seats WHERE venue_id = ? ORDER BY id`, venueID); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i, b := range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			grabUntil(ctx, edge.As(b.Token), sessionID, seatIDs[i*2:i*2+4], "", 50*time.Millisecond)
		}()
	}
	// One buyer's burst over the per-buyer rate limit: some answers are 429.
	var burst sync.WaitGroup
	for i := range 20 {
		burst.Add(1)
		go func() {
			defer burst.Done()
			edge.As(buyers[0].Token).Grab(t, sessionID, fmt.Sprintf("burst-%d", i), seatIDs[0])
		}()
	}
	burst.Wait()
	p.waitFor("held seats", `[...document.querySelectorAll("#live-tiers td.held")].some((td) => Number(td.textContent) > 0)`)
	p.waitFor("the grab rate", `Number(document.querySelector('[data-key=rate]')?.textContent) > 0 &&
		["created", "seat_unavailable", "rate_limited"].every((o) => document.querySelector('#grab-legend li[data-outcome=' + o + ']'))`)
	stop()
	wg.Wait()

	p.open(fmt.Sprintf("#/sessions/%d", sessionID), "Session of")
	p.confirm(`[data-action=close]`)
	p.waitFor("closed", `document.getElementById("live-state")?.textContent === "CLOSED"`)
	var state string
	if err := db.Get(&state, `SELECT state FROM sessions WHERE id = ?`, sessionID); err != nil || state != "CLOSED" {
		t.Fatalf("session state = %q, %v; want CLOSED", state, err)
	}

	// The buyers' orders, found by phone and opened.
	holds := testenv.HoldOrderNos(t, sessionID)
	testenv.WaitOrderRows(t, db, sessionID, holds, wait)
	var phone, orderNo string
	if err := db.QueryRow(`SELECT u.phone, o.order_no FROM orders o JOIN users u ON u.id = o.user_id
		WHERE o.session_id = ? ORDER BY o.id LIMIT 1`, sessionID).Scan(&phone, &orderNo); err != nil {
		t.Fatal(err)
	}
	p.open("#/orders?q="+url.QueryEscape(phone), "Orders")
	p.waitFor("the buyer's orders", fmt.Sprintf(`[...document.querySelectorAll("#orders a")].some((a) => a.textContent === %q)`, orderNo))
	p.click(fmt.Sprintf(`#orders a[href="#/orders/%s"]`, orderNo))
	p.waitFor("the order", fmt.Sprintf(`document.querySelector("#view h1").textContent === %q &&
		document.querySelectorAll("#order-items tbody tr").length > 0`, "Order "+orderNo))
	if got := p.text("#order-status"); got != "LOCKED" {
		t.Errorf("order status = %q, want LOCKED", got)
	}
	_ = showID
}

// grabUntil grabs the seats as one buyer, again and again (each try with
// a new key, pause apart), until ctx ends: the first takes them, the others
// collide. A buyer with an ip comes from it (X-Forwarded-For, which the test
// edge believes from 127.0.0.1).
func grabUntil(ctx context.Context, c *testenv.Client, sid int64, seats []int64, ip string, pause time.Duration) {
	client := *c
	client.HTTP = &http.Client{Timeout: 5 * time.Second}
	for n := 0; ctx.Err() == nil; n++ {
		req, _ := http.NewRequestWithContext(ctx, "POST", fmt.Sprintf("%s/api/sale/sessions/%d/holds", c.Base, sid),
			seatBody(seats[n%len(seats)]))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+c.Token)
		req.Header.Set("Idempotency-Key", fmt.Sprintf("panel-%d", n))
		if ip != "" {
			req.Header.Set("X-Forwarded-For", ip)
		}
		resp, err := client.HTTP.Do(req)
		if err != nil {
			return
		}
		resp.Body.Close()
		select {
		case <-ctx.Done():
		case <-time.After(pause): // pacing the load, not waiting for a result
		}
	}
}
