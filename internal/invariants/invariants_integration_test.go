//go:build integration

package invariants_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/invariants"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
)

// TestCheckFindsBrokenInvariants: a settled sale passes every check; then
// each way of breaking one is made by hand and must be reported.
func TestCheckFindsBrokenInvariants(t *testing.T) {
	ctx := context.Background()
	c, err := invariants.New(testenv.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 4, HoldSeconds: 900}, 2)
	testenv.WaitRelayed(t, sess.ID)
	nos := testenv.GrabEach(t, sess.ID, buyers, sess.SeatIDs[:2], 2, 0)
	testenv.WaitOrderRows(t, testenv.DB(t), sess.ID, nos, testenv.Settle)
	sids := []int64{sess.ID}
	var answered []invariants.Order
	for _, no := range nos {
		answered = append(answered, invariants.Order{No: no, Want: invariants.Left})
	}
	testenv.Eventually(t, testenv.Settle, "the sale to settle", func() (bool, string) {
		pending, err := c.Pending(ctx, sids, answered)
		return err == nil && len(pending) == 0, fmt.Sprint(pending, err)
	})
	check := func(answered []invariants.Order) string {
		t.Helper()
		problems, err := c.Check(ctx, sids, answered)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(problems, "\n")
	}
	if got := check(answered); got != "" {
		t.Fatalf("a settled sale breaks invariants:\n%s", got)
	}

	t.Run("AnsweredUnknown", func(t *testing.T) {
		lost := append(answered, invariants.Order{No: "B1-0-0", Want: invariants.Left})
		wantReported(t, check(lost), "order B1-0-0 was answered 201 and has no row in MySQL")
	})
	t.Run("StatusBuyerRulesOut", func(t *testing.T) {
		paid := append([]invariants.Order{}, answered...)
		paid[0].Want = []string{boxoffice.OrderPaid}
		wantReported(t, check(paid), fmt.Sprintf("order %s is LOCKED in MySQL; its buyer's last step says PAID", nos[0]))
	})
	t.Run("SeatInTwoHolds", func(t *testing.T) {
		h := testenv.Hold(t, c.Sale, nos[1])
		h.SeatIDs = append(h.SeatIDs, sess.SeatIDs[0])
		raw, err := sale.EncodeHold(*h)
		if err != nil {
			t.Fatal(err)
		}
		c.Sale.HSet(ctx, sale.KeysFor(sess.ID).Key(sale.KeyHolds), nos[1], raw)
		wantReported(t, check(answered), fmt.Sprintf("sale Redis: seat %d is in two live orders", sess.SeatIDs[0]))
	})
	t.Run("SeatFreedInRedisOnly", func(t *testing.T) {
		c.Sale.HSet(ctx, sale.KeysFor(sess.ID).Key(sale.KeySeats), fmt.Sprint(sess.SeatIDs[1]), "A")
		got := check(answered)
		wantReported(t, got, fmt.Sprintf("seat %d is \"A\" in the sale Redis, MySQL says \"L:%s\"", sess.SeatIDs[1], nos[1]))
		wantReported(t, got, "counts[avail] = 2, seats say 3")
	})
}

func wantReported(t *testing.T, problems, want string) {
	t.Helper()
	if !strings.Contains(problems, want) {
		t.Errorf("problems do not report %q:\n%s", want, problems)
	}
}
