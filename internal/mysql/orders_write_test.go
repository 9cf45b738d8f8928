package mysql_test

import (
	"fmt"
	"testing"

	"boxoffice/internal/mysql"
)

func TestItemPrices(t *testing.T) {
	tiers := map[int64]int64{1: 10000, 2: 5000, 3: 5000}
	for _, c := range []struct {
		name   string
		seats  []int64
		amount int64
		want   string
	}{
		{"Tiers", []int64{1, 2}, 15000, "[10000 5000]"},
		{"Repriced", []int64{1, 2}, 12000, "[6000 6000]"},
		{"OddCents", []int64{1, 2, 3}, 10001, "[3334 3334 3333]"},
		{"UnknownSeat", []int64{1, 9}, 15000, "[7500 7500]"},
		{"NoSeats", nil, 100, "[]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := fmt.Sprint(mysql.ItemPrices(c.seats, tiers, c.amount)); got != c.want {
				t.Errorf("ItemPrices(%v, %d) = %s, want %s", c.seats, c.amount, got, c.want)
			}
		})
	}
}
