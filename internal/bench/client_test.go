package bench

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// The plain client reads replies with a length, chunked ones and ones
// that close the connection, and keeps a connection only when it may.
func TestHTTPTargetReplies(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Authorization") != "Bearer t" || r.Header.Get("Idempotency-Key") != "k1" ||
			string(body) != `{"seat_ids":[7,8]}` {
			http.Error(w, fmt.Sprintf("bad request %q", body), http.StatusBadRequest)
			return
		}
		switch r.URL.Path {
		case "/chunked/holds":
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"order_no":`)
			w.(http.Flusher).Flush()
			fmt.Fprint(w, `"B1-2-3"}`)
		case "/close/holds":
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusConflict)
		default:
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"order_no":"B4-5-6"}`)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	paths := map[int64]string{1: "/length/holds", 2: "/chunked/holds", 3: "/close/holds"}
	h := newHTTP(func(sid int64) string { return srv.URL + paths[sid] }, 1)
	defer h.close()
	b := &buyer{auth: "Bearer t", ip: "10.0.0.1"}
	for _, c := range []struct {
		sid    int64
		status int
		order  string
	}{{1, 201, "B4-5-6"}, {2, 201, "B1-2-3"}, {1, 201, "B4-5-6"}, {3, 409, ""}, {1, 201, "B4-5-6"}} {
		r := h.grab(grab{sid: c.sid, buyer: b, key: "k1", seats: []int64{7, 8}})
		if r.status != c.status || r.orderNo != c.order {
			t.Errorf("session %d: got %d %q, want %d %q", c.sid, r.status, r.orderNo, c.status, c.order)
		}
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2: one kept until the server closed it, then a new one", n)
	}
}
