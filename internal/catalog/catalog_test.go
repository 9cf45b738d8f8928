package catalog_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/catalog"
	"boxoffice/internal/config"
	"boxoffice/internal/mysql"
)

func TestKeys(t *testing.T) {
	if got := catalog.ShowKey(12); got != "catalog:show:12" {
		t.Errorf("ShowKey = %q", got)
	}
	if got := catalog.SessionKey(7); got != "catalog:session:7" {
		t.Errorf("SessionKey = %q", got)
	}
	q := catalog.ShowsQuery{Q: "rock", Page: 1, PerPage: 20}
	a, b := catalog.ListKey("5", q), catalog.ListKey("6", q)
	if !strings.HasPrefix(a, "catalog:shows:5:") || a == b {
		t.Errorf("ListKey = %q and %q, want the generation in the key", a, b)
	}
	for _, other := range []catalog.ShowsQuery{{Q: "rock", Page: 2, PerPage: 20}, {Q: "rock", Page: 1, PerPage: 10},
		{Q: "rock", City: "x", Page: 1, PerPage: 20}, {Q: "roc", City: "k", Page: 1, PerPage: 20}} {
		if catalog.ListKey("5", other) == a {
			t.Errorf("%+v has the key of %+v", other, q)
		}
	}
}

func TestNormalize(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		got, err := catalog.ShowsQuery{Q: "  The BAND ", City: "ShangHai", Page: 1, PerPage: 20}.Normalize()
		if err != nil || got.Q != "the band" || got.City != "shanghai" {
			t.Errorf("got %+v, %v", got, err)
		}
	})
	t.Run("CharactersNotBytes", func(t *testing.T) {
		if _, err := (catalog.ShowsQuery{Q: strings.Repeat("演", 100), Page: 1, PerPage: 1}).Normalize(); err != nil {
			t.Errorf("100 characters: %v", err)
		}
	})
	t.Run("ErrTooLong", func(t *testing.T) {
		for _, q := range []catalog.ShowsQuery{{Q: strings.Repeat("a", 101), Page: 1, PerPage: 1},
			{City: strings.Repeat("a", 101), Page: 1, PerPage: 1}, {Page: 0, PerPage: 1}} {
			if _, err := q.Normalize(); boxoffice.ErrorCode(err) != boxoffice.EINVALID {
				t.Errorf("%+v: got %v, want bad_request", q, err)
			}
		}
	})
}

func TestEntryEncoding(t *testing.T) {
	in := catalog.Entry{Body: []byte("{\"a\":\"x\\ny\"}\n"), ETag: `"abc"`}
	got, ok, err := catalog.RoundTrip(in, "")
	if !ok || err != nil || string(got.Body) != string(in.Body) || got.ETag != in.ETag {
		t.Errorf("round trip = %+v, %v, %v; want %+v", got, err, ok, in)
	}
	_, ok, err = catalog.RoundTrip(catalog.Entry{}, "no published show 3")
	if !ok || boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND || !strings.Contains(err.Error(), "show 3") {
		t.Errorf("not found round trip = %v, %v", err, ok)
	}
	for _, bad := range []string{"", "x", "=", "=\"e\"", "=\nbody", "!", "!msg", "!1\n", "!\nmsg"} {
		if catalog.Decode(bad) {
			t.Errorf("Decode(%q) = ok, want refused", bad)
		}
	}
}

// TestAllDown: with neither MySQL nor the cache Redis reachable, reads
// answer unavailable at once.
func TestAllDown(t *testing.T) {
	cfg, err := config.LoadFrom(func(k string) (string, bool) {
		v, ok := map[string]string{"BOXOFFICE_RUN_DIR": t.TempDir(), "BOXOFFICE_MYSQL_ADDR": "127.0.0.1:1",
			"BOXOFFICE_MYSQL_PASSWORD": "x"}[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	db, err := mysql.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer rdb.Close()
	c := catalog.New(slog.New(slog.DiscardHandler), db, rdb, nil, catalog.Options{})
	defer c.Close()
	start := time.Now()
	_, err = c.Show(context.Background(), 1)
	if boxoffice.ErrorCode(err) != boxoffice.EUNAVAILABLE {
		t.Errorf("Show = %v, want unavailable", err)
	}
	_, err = c.Shows(context.Background(), catalog.ShowsQuery{Page: 1, PerPage: 20})
	if boxoffice.ErrorCode(err) != boxoffice.EUNAVAILABLE {
		t.Errorf("Shows = %v, want unavailable", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %s, want well under a second", d)
	}
}
