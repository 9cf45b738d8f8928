//go:build integration

package openresty_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"boxoffice/internal/testenv"
)

// BenchmarkSoldOutFlood times grabs of a session the edge knows is sold
// out, by many buyers from many addresses (make bench-soldout): the path
// that must stay away from Redis. It reports the share answered 410.
func BenchmarkSoldOutFlood(b *testing.B) {
	const n = 5000
	s, buyers := testenv.OnSale(b, testenv.SessionSpec{Seats: 1}, n)
	edge := testenv.Edge(b)
	if r := edge.As(buyers[0].Token).Grab(b, s.ID, "all", s.SeatIDs[0]); r.Status != 201 {
		b.Fatalf("grab = %d %s", r.Status, r.Body)
	}
	waitSoldOut(b, edge.As(buyers[1].Token), s.ID, s.SeatIDs[0])
	url := edge.Base + holds(s.ID)
	body := []byte(fmt.Sprintf(`{"seat_ids":[%d]}`, s.SeatIDs[0]))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	var next, gone atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+buyers[1+i%(n-1)].Token)
			req.Header.Set("Idempotency-Key", fmt.Sprint("flood-", i))
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusGone {
				gone.Add(1)
			}
		}
	})
	b.ReportMetric(float64(gone.Load())/float64(b.N), "sold_out/op")
}
