//go:build integration

package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"boxoffice/internal/auth"
	"boxoffice/internal/boxoffice"
	"boxoffice/internal/mysql"
	"boxoffice/internal/redis"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
	"boxoffice/workers/api"
)

// An api whose sale Redis is full (maxmemory, noeviction) answers every
// change of the sale 503 unavailable in the JSON error shape, with
// Retry-After, and changes nothing; the admin dashboard raises the alarm.
func TestFullSaleRedis(t *testing.T) {
	ctx := context.Background()
	cfg, db := testenv.Config(t), testenv.DB(t)
	rdb, cache := testenv.PrivateRedis(t, 8<<20), redis.NewCache(cfg)
	t.Cleanup(func() { cache.Close() })
	s := api.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), db, rdb, cache, prometheus.NewRegistry())
	srv := httptest.NewServer(s.Router())
	t.Cleanup(srv.Close)
	token, _, err := auth.NewKeys(cfg).Sign(1, auth.RoleAdmin, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	admin := &testenv.Client{Base: srv.URL, Token: token, HTTP: &http.Client{Timeout: 30 * time.Second}}
	now := time.Now()
	spec := testenv.SessionSpec{Seats: 4, ReserveOpen: now.Add(-time.Hour), ReserveEnd: now.Add(-time.Minute),
		SaleOpen: now.Add(-time.Minute)}
	sess, other := testenv.NewSession(t, db, spec), testenv.NewSession(t, db, spec)
	buyers := testenv.NewBuyers(t, db, 1)
	testenv.Reserve(t, db, sess.ID, buyers)
	for _, verb := range []string{"arm", "open"} {
		if r := admin.Do(t, "POST", fmt.Sprintf("/admin/api/sessions/%d/%s", sess.ID, verb), nil, nil); r.Status != 200 {
			t.Fatalf("%s = %d %s", verb, r.Status, r.Body)
		}
	}
	a, err := testenv.RunHold(rdb, sess.ID, buyers[0].ID, "k1", sess.SeatIDs[0])
	if err != nil || a.Status != 201 {
		t.Fatalf("grab = %+v %v", a, err)
	}
	no := a.Payload["order_no"].(string)
	testenv.FillRedis(t, rdb)

	buyer := admin.As(buyers[0].Token)
	for _, c := range []struct {
		name string
		as   *testenv.Client
		path string
	}{
		{"pay", buyer, "/api/orders/" + no + "/pay"},
		{"cancel", buyer, "/api/orders/" + no + "/cancel"},
		{"close", admin, fmt.Sprintf("/admin/api/sessions/%d/close", sess.ID)},
		{"arm", admin, fmt.Sprintf("/admin/api/sessions/%d/arm", other.ID)},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := c.as.Do(t, "POST", c.path, nil, nil)
			r.WantError(t, http.StatusServiceUnavailable, boxoffice.EUNAVAILABLE)
			if r.Header.Get("Retry-After") == "" {
				t.Error("a 503 without Retry-After")
			}
		})
	}
	if h, err := sale.GetHold(ctx, rdb, no); err != nil || h.State != boxoffice.HoldLocked {
		t.Errorf("hold = %+v %v, want it LOCKED as before", h, err)
	}
	if st, err := mysql.GetSession(ctx, db, sess.ID); err != nil || st.State != boxoffice.SessionOnSale {
		t.Errorf("session in MySQL = %+v %v, want ON_SALE as before", st, err)
	}
	if staging, _ := rdb.Keys(ctx, sale.KeysFor(other.ID).Staging("*")).Result(); len(staging) != 0 {
		t.Errorf("the refused arm left %v", staging)
	}

	t.Run("Alarm", func(t *testing.T) {
		r := admin.Do(t, "GET", fmt.Sprintf("/admin/api/sessions/%d/dashboard", sess.ID), nil, nil)
		if r.Status != 200 {
			t.Fatalf("dashboard = %d %s", r.Status, r.Body)
		}
		alarms, _ := r.JSON["alarms"].([]any)
		if !strings.Contains(fmt.Sprint(alarms), "of its maxmemory") {
			t.Errorf("alarms = %v, want the sale Redis's memory", alarms)
		}
	})
}
