//go:build integration

package admin_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"boxoffice/internal/auth"
	"boxoffice/internal/testenv"
)

// TestPanelStaleEdit: two admins edit the same record (a show, a venue, a
// session, price tiers) in two browser contexts; the second save is refused
// as stale, the panel shows the newer values, and applying the second
// admin's change keeps both changes.
func TestPanelStaleEdit(t *testing.T) {
	admin := testenv.Admin(t)
	venueID := newVenue(t, admin)
	sessionID := num(t, newSession(t, admin, venueID), "id")
	first := testenv.Browser(t)
	second, cancel := chromedp.NewContext(first, chromedp.WithNewBrowserContext())
	defer cancel()
	a, b := openPanel(t, first), openPanel(t, second)
	a.login()
	b.login()

	for _, rec := range []struct {
		path, title string
		form        string // the record's form
		field       string // the field the first admin changes
		value       string
		other       string // the field the second admin changes
		otherValue  string
	}{
		{fmt.Sprintf("shows/%d", newShow(t, admin)), "Show:", "#view form.edit", "title", "Renamed " + testenv.Unique(), "artist", "Second Admin's Artist"},
		{fmt.Sprintf("venues/%d", venueID), "Venue:", "#view form.edit", "name", "Renamed " + testenv.Unique(), "city", "Othertown"},
		{fmt.Sprintf("sessions/%d", sessionID), "Session of", "#view form.edit:not(.tiers)", "seat_limit", "6", "hold_seconds", "600"},
	} {
		a.open("#/"+rec.path, rec.title)
		b.open("#/"+rec.path, rec.title)
		a.set(fmt.Sprintf(`%s [name=%s]`, rec.form, rec.field), rec.value)
		a.eval(`document.getElementById("toast").textContent = ""`)
		a.click(rec.form + ` button[type=submit]`)
		a.waitFor("the first save of "+rec.path, `document.getElementById("toast").textContent === "Saved."`)

		b.set(fmt.Sprintf(`%s [name=%s]`, rec.form, rec.other), rec.otherValue)
		b.click(rec.form + ` button[type=submit]`)
		b.waitFor("the conflict on "+rec.path, fmt.Sprintf(`!document.querySelector(%q).hidden`, rec.form+" .conflict"))
		if got := b.text(rec.form + ` .conflict .theirs`); got != rec.value {
			t.Fatalf("%s: the conflict shows %q as the newer %s, want %q", rec.path, got, rec.field, rec.value)
		}
		b.eval(`document.getElementById("toast").textContent = ""`)
		b.click(rec.form + ` .conflict button.redo`)
		b.waitFor("the second save of "+rec.path, fmt.Sprintf(`document.getElementById("toast").textContent === "Saved." && document.querySelector(%q).hidden`, rec.form+" .conflict"))
		r := want(t, admin.Do(t, "GET", "/admin/api/"+rec.path, nil, nil), http.StatusOK)
		if fmt.Sprint(r.JSON[rec.field]) != rec.value || fmt.Sprint(r.JSON[rec.other]) != rec.otherValue {
			t.Errorf("%s = %s, want both changes", rec.path, r.Body)
		}
	}

	// Price tiers: the second save shows the tiers the first admin saved.
	page := fmt.Sprintf("#/sessions/%d", sessionID)
	a.open(page, "Session of")
	b.open(page, "Session of")
	for i, p := range []*panel{a, b} {
		p.set(`#tier-0-code`, []string{"FIRST", "SECOND"}[i])
		p.set(`#tier-0-name`, "Stalls")
		p.set(`#tier-0-price_cents`, "10")
	}
	a.click(`form.tiers button[type=submit]`)
	a.waitFor("the first tiers", `document.getElementById("toast").textContent === "Price tiers saved."`)
	b.click(`form.tiers button[type=submit]`)
	b.waitFor("the tier conflict", `!document.querySelector("form.tiers .conflict").hidden &&
		document.querySelector("form.tiers .conflict td")?.textContent === "FIRST"`)
	b.click(`form.tiers .conflict button.redo`)
	b.waitFor("the second tiers", `document.getElementById("toast").textContent === "Price tiers saved."`)
	r := want(t, admin.Do(t, "GET", fmt.Sprintf("/admin/api/sessions/%d/tiers", sessionID), nil, nil), http.StatusOK)
	if tiers := r.JSON["tiers"].([]any); len(tiers) != 1 || tiers[0].(map[string]any)["code"] != "SECOND" {
		t.Errorf("tiers = %s, want the second admin's", r.Body)
	}
}

// TestPanelBadInput: bad input in each form shows the server's message
// next to the field, and nothing is saved.
func TestPanelBadInput(t *testing.T) {
	db := testenv.DB(t)
	admin := testenv.Admin(t)
	p := openPanel(t, testenv.Browser(t))
	p.login()
	count := func(table string) (n int) {
		if err := db.Get(&n, "SELECT COUNT(*) FROM "+table); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// wantBeside waits for the server's message in the error slot of field.
	wantBeside := func(field, message string) {
		t.Helper()
		p.waitFor(field+" error", fmt.Sprintf(`[...document.querySelectorAll('[data-error-for=%q]')].some((e) => e.textContent.includes(%q))`, field, message))
	}

	{ // Venue
		before := count("venues")
		p.open("#/venues/new", "New venue")
		p.set(`#view input[name=city]`, "Testville")
		p.click(`#view form.edit button[type=submit]`)
		wantBeside("name", "name is required")
		if count("venues") != before {
			t.Error("a venue was saved")
		}
	}
	{ // Show
		before := count("shows")
		p.open("#/shows/new", "New show")
		p.set(`#view input[name=title]`, "Bad poster")
		p.set(`#view input[name=poster_url]`, "ftp://example.com/p.png")
		p.click(`#view form.edit button[type=submit]`)
		wantBeside("poster_url", "must be an http:// or https:// URL")
		if count("shows") != before {
			t.Error("a show was saved")
		}
	}
	venueID := newVenue(t, admin)
	session := newSession(t, admin, venueID)
	{ // NewSession: the form on a show's page
		before := count("sessions")
		p.open(fmt.Sprintf("#/shows/%d", newShow(t, admin)), "Show:")
		form := `#view section form.edit`
		p.waitFor("the venue picker", fmt.Sprintf(`!!document.querySelector('%s select[name=venue_id] option')`, form))
		for i, name := range []string{"reserve_opens_at", "reserve_closes_at", "sale_opens_at", "sale_closes_at", "starts_at"} {
			p.set(fmt.Sprintf(`%s input[name=%s]`, form, name), p.localTime(jan2030.Add(time.Duration(i-9)*24*time.Hour)))
		}
		p.set(form+` input[name=seat_limit]`, "50")
		p.click(form + ` button[type=submit]`)
		wantBeside("seat_limit", "seat_limit must be from 1 to 20")
		if count("sessions") != before {
			t.Error("a session was saved")
		}
	}
	{ // OrderSearch
		p.open("#/orders", "Orders")
		p.set(`#order-q`, strings.Repeat("9", 41))
		p.click(`#view form.search button[type=submit]`)
		wantBeside("q", "q must be an order number or a buyer's phone")
	}
	{ // VenueInUse
		p.open(fmt.Sprintf("#/venues/%d", venueID), "Venue:")
		p.confirm(`#view button.danger`)
		p.waitFor("the refusal", fmt.Sprintf(`(document.querySelector("#view > p.error")?.textContent || "").includes("Still used by: sessions %d")`,
			num(t, session, "id")))
		want(t, admin.Do(t, "GET", fmt.Sprintf("/admin/api/venues/%d", venueID), nil, nil), http.StatusOK)
	}
	sessionID, version := num(t, session, "id"), num(t, session, "version")
	{ // Session
		p.open(fmt.Sprintf("#/sessions/%d", sessionID), "Session of")
		p.set(`#view form.edit:not(.tiers) input[name=seat_limit]`, "50")
		p.click(`#view form.edit:not(.tiers) button[type=submit]`)
		wantBeside("seat_limit", "seat_limit must be from 1 to 20")
	}
	{ // SessionWindows
		p.open(fmt.Sprintf("#/sessions/%d", sessionID), "Session of")
		p.set(`#view form.edit:not(.tiers) input[name=sale_opens_at]`,
			p.localTime(jan2030.Add(-10*24*time.Hour)))
		p.click(`#view form.edit:not(.tiers) button[type=submit]`)
		wantBeside("sale_opens_at", "The sale must open at or after reservations close.")
	}
	{ // Tiers
		p.open(fmt.Sprintf("#/sessions/%d", sessionID), "Session of")
		p.set(`#tier-0-code`, "A")
		p.set(`#tier-0-name`, "Stalls")
		p.set(`#tier-0-price_cents`, "0")
		p.click(`form.tiers button[type=submit]`)
		wantBeside("tiers[0].price_cents", "price_cents must be from 1")
	}
	r := want(t, admin.Do(t, "GET", fmt.Sprintf("/admin/api/sessions/%d", sessionID), nil, nil), http.StatusOK)
	if num(t, r, "version") != version || num(t, r, "seat_limit") != 4 {
		t.Errorf("session changed: %s", r.Body)
	}
	if n := count(fmt.Sprintf("price_tiers WHERE session_id = %d", sessionID)); n != 0 {
		t.Errorf("%d price tiers saved", n)
	}
	{ // SeatMap
		p.open(fmt.Sprintf("#/venues/%d/seats", venueID), "Seat map")
		p.set(`.generator input[name=rows]`, "2")
		p.set(`.generator input[name=seats]`, "3")
		p.set(`.generator input[name=tier]`, "a b")
		p.click(`.generator button[type=submit]`)
		p.click("#save-seats")
		p.waitFor("the server's message", `document.getElementById("seat-message").textContent.includes("tier must be 1 to 16 of A-Z")`)
		if n := count(fmt.Sprintf("seats WHERE venue_id = %d", venueID)); n != 0 {
			t.Errorf("%d seats saved", n)
		}
	}
}

// TestPanelLogin: a wrong password, the lockout, a buyer's token, log out.
func TestPanelLogin(t *testing.T) {
	p := openPanel(t, testenv.Browser(t))
	email := newAdmin(t, "correct horse")
	try := func(password string) {
		p.set(`#view input[name=email]`, email)
		p.set(`#view input[name=password]`, password)
		p.eval(`document.querySelector(".form-error").textContent = ""`)
		p.click(`#view form.login button[type=submit]`)
		p.waitFor("an answer", `document.querySelector(".form-error").textContent !== ""`)
	}
	for i := 0; i < 5; i++ {
		try("wrong horse")
	}
	try("correct horse")
	if msg := p.text(".form-error"); !strings.Contains(msg, "locked out") {
		t.Errorf("after 5 failures the panel says %q, want a lockout", msg)
	}

	token, _, err := auth.NewKeys(testenv.Config(t)).Sign(1, auth.RoleUser, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p.eval(fmt.Sprintf(`sessionStorage.setItem("boxoffice.admin.token", %q); location.hash = "#/venues"; true`, token))
	p.waitFor("the refusal", `(document.querySelector(".notice")?.textContent || "").includes("not an admin")`)

	p.login()
	p.click("#logout")
	p.waitFor("logged out", `!!document.querySelector("form.login") && !sessionStorage.getItem("boxoffice.admin.token")`)
}

// TestPanelServing checks how the edge serves the built panel: the entry
// page revalidated with its import map allowed by its own policy, hashed
// files immutable and gzipped, the source names gone.
func TestPanelServing(t *testing.T) {
	base := "http://" + testenv.Config(t).EdgeAddr
	resp, page := testenv.Fetch(t, base+"/admin/", false)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-cache" || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/admin/ = %d %v, want the entry page, no-cache", resp.StatusCode, resp.Header)
	}
	m := regexp.MustCompile(`src="(/admin/js/app\.[0-9a-f]{10}\.js)"`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `<script type="importmap">`) || !strings.Contains(page, `script-src 'self' 'sha256-`) {
		t.Fatalf("the entry page lacks the hashed app module, the import map or its hash in the policy: %s", page)
	}
	for _, path := range []string{m[1], regexp.MustCompile(`href="(/admin/panel\.[0-9a-f]{10}\.css)"`).FindStringSubmatch(page)[1]} {
		resp, _ = testenv.Fetch(t, base+path, true)
		if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
			resp.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("%s = %d %v, want immutable and gzipped", path, resp.StatusCode, resp.Header)
		}
	}
	for _, path := range []string{"/admin/js/app.js", "/admin/panel.css", "/admin/test/seatmap.test.js"} {
		if resp, body := testenv.Fetch(t, base+path, false); resp.StatusCode != 404 || !strings.Contains(body, `"not_found"`) {
			t.Errorf("%s = %d %s, want the JSON 404", path, resp.StatusCode, body)
		}
	}
}

// TestPanelOrder: an order paid after its hold ran out is on the refund
// list; its page shows its seat, the payment and its history.
func TestPanelOrder(t *testing.T) {
	db := testenv.DB(t)
	s := testenv.NewSession(t, db, testenv.SessionSpec{Seats: 4})
	b := testenv.NewBuyers(t, db, 1)[0]
	no, txn := "P"+testenv.Unique(), "txn-"+testenv.Unique()
	held := time.Now().Add(-20 * time.Minute).UTC()
	res, err := db.Exec(`INSERT INTO orders (order_no, session_id, user_id, status, amount_cents, expire_at, pay_deadline,
		cancel_reason, refund_required, created_at) VALUES (?, ?, ?, 'TIMEOUT_CANCELLED', 5000, ?, ?, 'expired', 1, ?)`,
		no, s.ID, b.ID, held.Add(15*time.Minute), held.Add(10*time.Minute), held)
	if err != nil {
		t.Fatal(err)
	}
	orderID, _ := res.LastInsertId()
	if _, err := db.Exec(`INSERT INTO order_items (order_id, session_id, seat_id, price_cents, active) VALUES (?, ?, ?, 5000, NULL)`,
		orderID, s.ID, s.SeatIDs[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO payments (order_no, gateway_txn_id, amount_cents, status, refund_required, created_at)
		VALUES (?, ?, 5000, 'SUCCEEDED', 1, ?)`, no, txn, held.Add(16*time.Minute)); err != nil {
		t.Fatal(err)
	}

	p := openPanel(t, testenv.Browser(t))
	p.login()
	p.open("#/orders/refunds", "flagged for refund")
	link := fmt.Sprintf(`#orders a[href="#/orders/%s"]`, no)
	p.waitFor("the order on the refund list", fmt.Sprintf(`!!document.querySelector(%q)`, link))
	p.click(link)
	p.waitFor("the order", fmt.Sprintf(`document.querySelector("#view h1").textContent === %q`, "Order "+no))
	for sel, want := range map[string]string{
		"#order-status":   "TIMEOUT_CANCELLED",
		"#order-items":    "50.00", // the seat's price
		"#order-payments": txn,
	} {
		if got := p.text(sel); !strings.Contains(got, want) {
			t.Errorf("%s says %q, want %q in it", sel, got, want)
		}
	}
	history := p.text("#order-history")
	for _, want := range []string{"Seats held", "Payment started", "Payment " + txn + ": SUCCEEDED", "refund needed", "TIMEOUT_CANCELLED: expired"} {
		if !strings.Contains(history, want) {
			t.Errorf("the history %q lacks %q", history, want)
		}
	}
}
