package testenv

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/redis"
	"boxoffice/internal/sale"
)

// GrabEach has buyer i grab seats[i] through the edge, from workers
// goroutines that pause between two grabs, each buyer from its own client
// address (so per-IP limits do not interfere); a 503 is tried again
// (RetryBusy). It returns the order numbers of the holds made and fails
// the test on any other answer but 201.
func GrabEach(tb testing.TB, sid int64, buyers []Buyer, seats []int64, workers int, pause time.Duration) []string {
	tb.Helper()
	block := 16 + rand.IntN(16)
	nos := make([]string, len(buyers))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := Edge(tb)
			for i := range next {
				ip := http.Header{"X-Forwarded-For": {fmt.Sprintf("172.%d.%d.%d", block, i>>8&255, i&255)},
					"Idempotency-Key": {fmt.Sprint("each-", i)}}
				body := []byte(fmt.Sprintf(`{"seat_ids":[%d]}`, seats[i]))
				r := RetryBusy(func() *Response {
					return c.As(buyers[i].Token).Do(tb, "POST", fmt.Sprintf("/api/sale/sessions/%d/holds", sid), body, ip)
				})
				if r.Status != http.StatusCreated {
					tb.Errorf("grab %d by buyer %d = %d %s", seats[i], buyers[i].ID, r.Status, r.Body)
					continue
				}
				nos[i], _ = r.JSON["order_no"].(string)
				time.Sleep(pause)
			}
		}()
	}
	for i := range buyers {
		next <- i
	}
	close(next)
	wg.Wait()
	out := nos[:0]
	for _, no := range nos {
		if no != "" {
			out = append(out, no)
		}
	}
	return out
}

// WaitRelayed waits until the relays read session sid's outbox (their
// consumer group exists on it): they find a new session within a second.
func WaitRelayed(tb testing.TB, sid int64) {
	tb.Helper()
	rdb := redis.NewSale(Config(tb))
	defer rdb.Close()
	Eventually(tb, Settle, fmt.Sprintf("a relay reading the outbox of session %d", sid), func() (bool, string) {
		groups, err := rdb.XInfoGroups(context.Background(), sale.KeysFor(sid).Key("outbox")).Result()
		for _, g := range groups {
			if g.Name == "relay" {
				return true, ""
			}
		}
		return false, fmt.Sprintf("groups %v (%v)", groups, err)
	})
}

// HoldOrderNos returns the order numbers of every hold of session sid in
// the sale Redis, sorted.
func HoldOrderNos(tb testing.TB, sid int64) []string {
	tb.Helper()
	rdb := redis.NewSale(Config(tb))
	defer rdb.Close()
	nos, err := rdb.HKeys(context.Background(), sale.KeysFor(sid).Key("holds")).Result()
	if err != nil {
		tb.Fatalf("holds of session %d: %v", sid, err)
	}
	sort.Strings(nos)
	return nos
}

// OrderNosOf returns the order numbers of session sid's order rows, sorted.
func OrderNosOf(tb testing.TB, db *sqlx.DB, sid int64) []string {
	tb.Helper()
	var nos []string
	if err := db.Select(&nos, `SELECT order_no FROM orders WHERE session_id = ? ORDER BY order_no`, sid); err != nil {
		tb.Fatalf("orders of session %d: %v", sid, err)
	}
	return nos
}

// WaitOrderRows polls MySQL until every order number in want has a row,
// and fails the test naming those still missing after within.
func WaitOrderRows(tb testing.TB, db *sqlx.DB, sid int64, want []string, within time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for {
		have := map[string]bool{}
		for _, no := range OrderNosOf(tb, db, sid) {
			have[no] = true
		}
		var missing []string
		for _, no := range want {
			if !have[no] {
				missing = append(missing, no)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("after %v, %d of %d holds have no order row, e.g. %s", within, len(missing), len(want),
				strings.Join(missing[:min(5, len(missing))], " "))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
