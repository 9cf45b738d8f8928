//go:build integration

package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"boxoffice/internal/testenv"
)

// wait is how long one browser step may take on a busy machine.
const wait = 30 * time.Second

// panel drives the admin panel in one browser tab.
type panel struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// openPanel opens the panel in ctx (a tab) and collects the page's
// uncaught exceptions, which fail the test.
func openPanel(t *testing.T, ctx context.Context) *panel {
	t.Helper()
	p := &panel{t: t, ctx: ctx, base: "http://" + testenv.Config(t).EdgeAddr + "/admin/"}
	var mu sync.Mutex
	var thrown []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() {
				mu.Lock()
				thrown = append(thrown, m.String())
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range thrown {
			t.Errorf("page exception: %s", e)
		}
	})
	testenv.Do(t, ctx, wait, "open the panel", chromedp.Navigate(p.base), chromedp.WaitVisible("#view h1"))
	return p
}

// login logs in through the form as the demo admin.
func (p *panel) login() {
	p.t.Helper()
	p.set(`#view input[name=email]`, "admin@boxoffice.local")
	p.set(`#view input[name=password]`, testenv.Config(p.t).DemoPassword)
	p.click(`#view form.login button[type=submit]`)
	p.waitFor("the panel after login", `!document.getElementById("nav").hidden && location.hash === "#/shows"`)
}

// open shows the page at hash (again, if it is the current one) and waits
// for it: rendered anew, with a heading that says title.
func (p *panel) open(hash, title string) {
	p.t.Helper()
	n := p.rendered()
	p.eval(fmt.Sprintf(`((h) => { if (location.hash === h) dispatchEvent(new HashChangeEvent("hashchange")); else location.hash = h; })(%q)`, hash))
	p.waitRendered(n, "page "+hash, fmt.Sprintf(`(document.querySelector("#view h1")?.textContent || "").includes(%q)`, title))
}

// rendered counts the pages the panel has shown.
func (p *panel) rendered() int {
	p.t.Helper()
	return testenv.Get(p.t, p.ctx, wait, "pages shown", chromedp.Evaluate[int](`Number(document.getElementById("view").dataset.rendered || 0)`))
}

// waitRendered waits for a page shown after the first n, on which cond holds.
func (p *panel) waitRendered(n int, what, cond string) {
	p.t.Helper()
	p.waitFor(what, fmt.Sprintf(`Number(document.getElementById("view").dataset.rendered || 0) > %d && (%s)`, n, cond))
}

// waitFor polls the JavaScript condition until it holds.
func (p *panel) waitFor(what, cond string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, wait+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(wait)))
	if err != nil {
		shot := testenv.Screenshot(p.t, p.ctx, "failed-"+strings.ReplaceAll(p.t.Name(), "/", "-"))
		p.t.Fatalf("wait for %s: %v (screenshot %s)", what, err, shot)
	}
}

func (p *panel) set(sel, value string) {
	p.t.Helper()
	testenv.Do(p.t, p.ctx, wait, "set "+sel, chromedp.SetValue(sel, value),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const el = document.querySelector(%q);
			for (const type of ["input", "change"]) el.dispatchEvent(new Event(type, {bubbles: true})); })()`, sel)))
}

// armClick makes the page note whether the next click reaches an element
// sel matches (one listener on the document, so a button drawn again in
// between still counts).
const armClick = `((sel) => {
	window.__clickSeen = false;
	window.__clickSel = sel;
	if (!window.__clickArmed) {
		window.__clickArmed = true;
		document.addEventListener("click", (e) => {
			if (e.target.closest && e.target.closest(window.__clickSel)) window.__clickSeen = true;
		}, true);
	}
})(%q)`

// click clicks the element sel matches with the mouse, as a person does.
// A click the page moved from under the pointer (the scroll that brings
// the element into view, a reflow) reaches nothing and is sent again: the
// mouse events return once the page has handled them, so whether the
// element saw the click is known at once.
func (p *panel) click(sel string) {
	p.t.Helper()
	for range 5 {
		testenv.Do(p.t, p.ctx, wait, "click "+sel, chromedp.WaitEnabled(sel),
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(armClick, sel)), chromedp.Click(sel))
		if testenv.Get(p.t, p.ctx, wait, "the click seen", chromedp.Evaluate[bool](`window.__clickSeen === true`)) {
			return
		}
		p.t.Logf("a click on %s reached another element; clicking again", sel)
	}
	p.t.Fatalf("5 clicks on %s reached other elements", sel)
}

// confirm clicks the button then the yes of the dialog it opens.
func (p *panel) confirm(sel string) {
	p.t.Helper()
	p.click(sel)
	p.click("dialog #dlg-yes")
}

func (p *panel) text(sel string) string {
	p.t.Helper()
	return testenv.Get(p.t, p.ctx, wait, "text of "+sel, chromedp.TextContent(sel))
}

func (p *panel) eval(js string) {
	p.t.Helper()
	testenv.Do(p.t, p.ctx, wait, "run "+js, chromedp.Evaluate[chromedp.Void](js))
}

// hashID returns the number after prefix in the page's location hash.
func (p *panel) hashID(prefix string) int64 {
	p.t.Helper()
	p.waitFor("a "+prefix+"N page", fmt.Sprintf(`/^%s\d+$/.test(location.hash)`, strings.ReplaceAll(prefix, "/", `\/`)))
	hash := testenv.Get(p.t, p.ctx, wait, "hash", chromedp.Evaluate[string](`location.hash`))
	id, err := strconv.ParseInt(strings.TrimPrefix(hash, prefix), 10, 64)
	if err != nil {
		p.t.Fatalf("hash %q: %v", hash, err)
	}
	return id
}

// box scrolls sel into view and returns its viewport left, top, width and
// height.
func (p *panel) box(sel string) (x, y, w, h float64) {
	p.t.Helper()
	raw := testenv.Get(p.t, p.ctx, wait, "box of "+sel, chromedp.Evaluate[string](fmt.Sprintf(
		`(() => { const el = document.querySelector(%q); el.scrollIntoView({block: "center"}); const r = el.getBoundingClientRect(); return JSON.stringify([r.left, r.top, r.width, r.height]); })()`, sel)))
	var b [4]float64
	if err := json.Unmarshal([]byte(raw), &b); err != nil {
		p.t.Fatal(err)
	}
	return b[0], b[1], b[2], b[3]
}

// drag presses the mouse at (x0, y0), moves to (x1, y1) in steps and
// releases it.
func (p *panel) drag(x0, y0, x1, y1 float64) {
	p.t.Helper()
	steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(chromedp.MouseMoved, x0, y0),
		chromedp.MouseEvent(chromedp.MousePressed, x0, y0, chromedp.ButtonLeft, chromedp.ClickCount(1))}
	const n = 40
	for i := 1; i <= n; i++ {
		f := float64(i) / n
		steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, x0+(x1-x0)*f, y0+(y1-y0)*f, chromedp.ButtonLeft))
	}
	steps = append(steps, chromedp.MouseEvent(chromedp.MouseReleased, x1, y1, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	testenv.Do(p.t, p.ctx, wait, "drag", steps...)
}

// localTime formats t as a datetime-local value in the browser's zone.
func (p *panel) localTime(t time.Time) string {
	p.t.Helper()
	return testenv.Get(p.t, p.ctx, wait, "local time", chromedp.Evaluate[string](fmt.Sprintf(`(() => {
		const d = new Date(%d), z = (n) => String(n).padStart(2, "0");
		return d.getFullYear() + "-" + z(d.getMonth() + 1) + "-" + z(d.getDate()) + "T" + z(d.getHours()) + ":" + z(d.getMinutes());
	})()`, t.UnixMilli())))
}

// seatBody is a grab's body for one seat.
func seatBody(seat int64) *strings.Reader {
	return strings.NewReader(fmt.Sprintf(`{"seat_ids":[%d]}`, seat))
}
