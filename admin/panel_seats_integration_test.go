//go:build integration

package admin_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

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
