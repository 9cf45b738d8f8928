package testenv

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// Client sends requests to a base URL (usually the edge) as one caller.
type Client struct {
	Base  string
	Token string // sent as a bearer token when set
	HTTP  *http.Client
}

// Edge returns a client for the test stack's edge.
func Edge(tb testing.TB) *Client {
	tb.Helper()
	cfg := Config(tb)
	return &Client{Base: "http://" + cfg.EdgeAddr, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// Admin returns an edge client logged in as the demo admin.
func Admin(tb testing.TB) *Client {
	tb.Helper()
	c := Edge(tb)
	cfg := Config(tb)
	r := c.Do(tb, "POST", "/admin/api/login", map[string]string{
		"email": "admin@boxoffice.local", "password": cfg.DemoPassword}, nil)
	if r.Status != http.StatusOK {
		tb.Fatalf("admin login = %d %s", r.Status, r.Body)
	}
	c.Token, _ = r.JSON["token"].(string)
	return c
}

// Response is a finished request.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any // the body, when it is a JSON object
}

// Do sends a request. body may be nil, []byte (sent as is) or a value
// encoded as JSON; JSON bodies get Content-Type application/json unless
// header says otherwise.
func (c *Client) Do(tb testing.TB, method, path string, body any, header http.Header) *Response {
	tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.Base+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := &Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
	_ = json.Unmarshal(raw, &r.JSON)
	return r
}

// WantError fails the test unless r is the JSON error shape with the status
// and code.
func (r *Response) WantError(tb testing.TB, status int, code string) {
	tb.Helper()
	if r.Status != status || r.JSON["error"] != code {
		tb.Fatalf("got %d %s, want %d with error %q", r.Status, r.Body, status, code)
	}
	if msg, _ := r.JSON["message"].(string); msg == "" {
		tb.Errorf("error body has no message: %s", r.Body)
	}
}

// Fetch GETs url with nothing added (asking for gzip when gzip is set) and
// returns the answer and its body as sent (not unzipped).
func Fetch(tb testing.TB, url string, gzip bool) (*http.Response, string) {
	tb.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if gzip {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp, string(body)
}
