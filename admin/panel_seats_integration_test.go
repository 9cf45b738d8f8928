//go:build integration

package admin_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"boxoffice/internal/testenv"
)

// TestPanelImport50k imports a 50,000-seat CSV in the seat map editor,
// saves it and opens it again, logging how long each step took.
func TestPanelImport50k(t *testing.T) {
	const sections, rows, perRow = 10, 50, 100
	var b strings.Builder
	b.WriteString("section,row,number,x,y,tier\n")
	for s := 0; s < sections; s++ {
		for r := 0; r < rows; r++ {
			for n := 1; n <= perRow; n++ {
				fmt.Fprintf(&b, "S%d,R%d,%d,%d,%d,%s\n", s, r, n, (s%5)*1100+n*10, (s/5)*700+r*12, []string{"A", "B", "VIP"}[r%3])
			}
		}
	}
	file := filepath.Join(t.TempDir(), "seats.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	admin := testenv.Admin(t)
	venueID := newVenue(t, admin)
	p := openPanel(t, testenv.Browser(t))
	p.login()
	page := fmt.Sprintf("#/venues/%d/seats", venueID)
	p.open(page, "Seat map")

	began := time.Now()
	testenv.Do(t, p.ctx, wait, "choose the file", chromedp.SetUploadFiles("#seat-file", []string{file}))
	p.waitFor("50,000 seats", `document.getElementById("seat-count").textContent.startsWith("50000 seats")`)
	imported := time.Since(began)

	began = time.Now()
	p.click("#save-seats")
	p.waitFor("the save", `document.getElementById("seat-count").textContent.endsWith("(version 2)")`)
	saved := time.Since(began)

	began = time.Now()
	p.open("#/venues", "Venues")
	p.open(page, "Seat map")
	p.waitFor("50,000 seats again", `document.getElementById("seat-count").textContent.startsWith("50000 seats")`)
	reopened := time.Since(began)

	var n int
	if err := testenv.DB(t).Get(&n, `SELECT COUNT(*) FROM seats WHERE venue_id = ?`, venueID); err != nil || n != 50000 {
		t.Fatalf("stored %d seats (%v), want 50000", n, err)
	}
	t.Logf("50,000 seats (%d KiB of CSV): import %v, save %v, open again %v",
		b.Len()>>10, imported.Round(time.Millisecond), saved.Round(time.Millisecond), reopened.Round(time.Millisecond))
}

// TestPanelSeatEditorKeyboard edits a seat map without the mouse: the
// arrows pick seats, Shift selects on the way, Space unselects, the
// selection is painted, deleted, renumbered; Ctrl+Z and Ctrl+Shift+Z undo
// and redo; the map goes out as JSON and comes back, and is saved.
func TestPanelSeatEditorKeyboard(t *testing.T) {
	admin := testenv.Admin(t)
	venueID := newVenue(t, admin)
	p := openPanel(t, testenv.Browser(t))
	p.login()
	p.open(fmt.Sprintf("#/venues/%d/seats", venueID), "Seat map")
	p.set(`.generator input[name=name]`, "Stalls")
	p.set(`.generator input[name=rows]`, "2")
	p.set(`.generator input[name=seats]`, "5")
	p.click(`.generator button[type=submit]`)
	count := func(what, prefix string) {
		t.Helper()
		p.waitFor(what, fmt.Sprintf(`document.getElementById("seat-count").textContent.startsWith(%q)`, prefix))
	}
	count("the section", "10 seats, 0 selected")

	const ctrl, shift = chromedp.ModifierCtrl, chromedp.ModifierShift
	// press presses key on the seat map with the modifiers.
	press := func(key string, mods chromedp.Modifier) {
		t.Helper()
		testenv.Do(t, p.ctx, wait, "press "+key, chromedp.Focus("canvas.seatmap"), chromedp.KeyEvent(key, chromedp.KeyModifiers(mods)))
	}
	press(kb.ArrowRight, 0) // the cursor starts on the first seat
	p.waitFor("the first seat", `document.getElementById("seat-tip").textContent === "Section Stalls, row A, seat 1, tier A"`)
	press(kb.ArrowRight, shift)
	press(kb.ArrowRight, shift)
	press(" ", 0)
	p.waitFor("seats 1 and 2 selected", `document.getElementById("seat-tip").textContent === "Section Stalls, row A, seat 3, tier A" &&
		document.getElementById("seat-count").textContent.startsWith("10 seats, 2 selected")`)
	p.set(`input[name=paint-tier]`, "VIP")
	// Buttons too are pressed from the keyboard: Enter on the focused one.
	enter := func(sel string) {
		t.Helper()
		testenv.Do(t, p.ctx, wait, "enter on "+sel, chromedp.WaitEnabled(sel), chromedp.Focus(sel), chromedp.KeyEvent(kb.Enter))
	}
	enter("#paint-selection")
	tier := func(what, code, n string) {
		t.Helper()
		p.waitFor(what, fmt.Sprintf(`(document.querySelector('#tier-counts li[data-tier=%q]')?.textContent || "none") === %q`, code, n))
	}
	tier("two VIP seats", "VIP", "VIP: 2")
	press("z", ctrl)
	tier("the paint undone", "VIP", "none")
	press("z", ctrl|shift)
	tier("the paint redone", "VIP", "VIP: 2")
	press(kb.Delete, 0)
	count("two seats deleted", "8 seats, 0 selected")
	press("z", ctrl)
	count("the delete undone", "10 seats, 2 selected")
	press("z", ctrl|shift)
	count("the delete redone", "8 seats, 0 selected")
	press(" ", 0) // the cursor's seat (row A, seat 3) selects its row for renumbering
	p.waitFor("seat 3 selected", `document.getElementById("seat-tip").textContent === "Section Stalls, row A, seat 3, tier A, selected"`)
	enter("#renumber")
	press(" ", 0)
	p.waitFor("seat 3 renumbered 1", `document.getElementById("seat-tip").textContent === "Section Stalls, row A, seat 1, tier A"`)

	// Out as JSON, everything deleted, back in from the file.
	dir := t.TempDir()
	if _, err := chromedp.CallBrowser(p.ctx, browser.SetDownloadBehavior,
		browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir}); err != nil {
		t.Fatal(err)
	}
	p.click("#export-json")
	file := filepath.Join(dir, fmt.Sprintf("venue-%d-seats.json", venueID))
	testenv.Eventually(t, wait, "the download", func() (bool, string) {
		_, err := os.Stat(file)
		return err == nil, fmt.Sprint(err)
	})
	press("a", ctrl)
	press(kb.Delete, 0)
	count("all deleted", "0 seats")
	testenv.Do(t, p.ctx, wait, "choose the file", chromedp.SetUploadFiles("#seat-file", []string{file}))
	count("the JSON back", "8 seats")
	p.click("#save-seats")
	p.waitFor("the save", `document.getElementById("seat-count").textContent.endsWith("(version 2)")`)

	var got []string
	if err := testenv.DB(t).Select(&got, `SELECT CONCAT(row_label, number, ':', tier_code) FROM seats WHERE venue_id = ? ORDER BY row_label, number`, venueID); err != nil {
		t.Fatal(err)
	}
	if want := "[A1:A A2:A A3:A B1:A B2:A B3:A B4:A B5:A]"; fmt.Sprint(got) != want {
		t.Errorf("saved seats %v, want %s (row A renumbered from 1 after its first two seats went)", got, want)
	}
}
