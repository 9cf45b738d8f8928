//go:build integration

package openresty_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"boxoffice/internal/testenv"
)

// refusals are requests nginx itself refuses, before or instead of Lua
// and the api, and the status each gets.
var refusals = []struct {
	name   string
	raw    string
	status int
}{
	{"BadRequestLine", "GARBAGE\r\n\r\n", 400},
	{"RequestLineExtra", "GET /api/shows HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400},
	{"LowerCaseMethod", "get /api/shows HTTP/1.1\r\nHost: x\r\n\r\n", 400},
	{"BadHTTPVersion", "GET /api/shows HTTP/9.9\r\nHost: x\r\n\r\n", 400},
	{"BadPercentEscape", "GET /api/%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400},
	{"PathAboveRoot", "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 400},
	{"URITooLong", "GET /api/shows?q=" + strings.Repeat("a", 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414},
	{"HeaderTooLarge", "GET /api/shows HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 9000) + "\r\n\r\n", 400},
	{"DoubledAuthorization", "GET /api/me/reservations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n\r\n", 400},
	{"DoubledHost", "GET /api/shows HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400},
	{"NoHostHTTP11", "GET /api/shows HTTP/1.1\r\n\r\n", 400},
	{"BadHeaderName", "GET /api/shows HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", 400},
	{"Trace", "TRACE /api/shows HTTP/1.1\r\nHost: x\r\n\r\n", 405},
	{"Connect", "CONNECT example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n", 400},
	{"UnknownTransferEncoding", "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400},
	{"BadContentLength", "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400},
	{"BadChunks", "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n", 400},
	{"BadChunksGrab", "POST /api/sale/sessions/1/holds HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n", 400},
	{"BodyTooLarge", "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", 413},
	{"NoRoute", "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404},
	{"ErrorPageDirectly", "GET /_error/internal HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404},
	{"MetricsFromOutside", "GET /edge/metrics HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 192.0.2.1\r\nConnection: close\r\n\r\n", 403},
	// The api (Go) refuses HTTP/1.1 without Host in plain text; the edge
	// always names the upstream as Host, so an HTTP/1.0 client gets JSON.
	{"NoHostHTTP10", "GET /api/me/reservations HTTP/1.0\r\n\r\n", 401},
}

// Every refusal of the edge is the JSON error shape with Content-Type
// application/json, whichever part refused it.
func TestEdgeRefusalsAreJSON(t *testing.T) {
	addr := testenv.Config(t).EdgeAddr
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := rawRequest(t, addr, tc.raw)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if problem := jsonErrorProblem(resp, body); problem != "" {
				t.Error(problem)
			}
		})
	}
}

// rawRequest writes raw to the edge on a new connection and reads one
// response.
func rawRequest(t *testing.T, addr, raw string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no HTTP response: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	return resp, body
}

// jsonErrorProblem says what keeps an error answer from the JSON error
// shape, or "".
func jsonErrorProblem(resp *http.Response, body []byte) string {
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return "Content-Type " + ct + ", want application/json: " + string(body)
	}
	var e struct{ Error, Message string }
	if err := json.Unmarshal(body, &e); err != nil || e.Error == "" || e.Message == "" {
		return "body is not the JSON error shape: " + string(body)
	}
	return ""
}
