//go:build integration

package openresty_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"boxoffice/internal/testenv"
)

// contract is every status the grab endpoint may answer.
var contract = map[int]bool{201: true, 400: true, 401: true, 403: true, 404: true, 409: true, 410: true,
	422: true, 429: true, 503: true}

// fuzzRequest makes one random, usually malformed, grab request.
func fuzzRequest(rng *rand.Rand, base string, sid int64, seats []int64, tokens []string) *http.Request {
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	method := "POST"
	if rng.IntN(10) == 0 {
		method = pick("GET", "PUT", "DELETE", "PATCH")
	}
	path := fmt.Sprintf("/api/sale/sessions/%d/holds", sid)
	if rng.IntN(10) == 0 {
		path = fmt.Sprintf("/api/sale/sessions/%d/holds", rng.Int64N(1<<40))
	}
	req, _ := http.NewRequest(method, base+path, bytes.NewReader(fuzzBody(rng, seats)))
	ct := "application/json"
	if rng.IntN(8) == 0 {
		ct = pick("application/json; charset=utf-8", "text/plain", "", "application/jsonx")
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	switch rng.IntN(12) {
	case 0:
	case 1:
		req.Header.Set("Idempotency-Key", strings.Repeat("k", 1+rng.IntN(100)))
	case 2:
		req.Header.Set("Idempotency-Key", string(headerBytes(rng, 1+rng.IntN(20))))
	default:
		req.Header.Set("Idempotency-Key", fmt.Sprint("f", rng.IntN(1000)))
	}
	switch rng.IntN(6) {
	case 0:
	case 1:
		req.Header.Set("Authorization", "Bearer "+string(headerBytes(rng, rng.IntN(300))))
	case 2:
		tok := tokens[rng.IntN(len(tokens))]
		req.Header.Set("Authorization", "Bearer "+tok[:rng.IntN(len(tok))])
	case 3:
		req.Header.Set("Authorization", pick("Basic abc", "Bearer", "bearer x.y.z", "Bearer a.b.c"))
	default:
		req.Header.Set("Authorization", "Bearer "+tokens[rng.IntN(len(tokens))])
	}
	req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", rng.IntN(256), rng.IntN(256), rng.IntN(256)))
	return req
}

func fuzzBody(rng *rand.Rand, seats []int64) []byte {
	seat := func() string { return fmt.Sprint(seats[rng.IntN(len(seats))]) }
	switch rng.IntN(18) {
	case 0:
		return randBytes(rng, rng.IntN(200))
	case 1:
		return []byte(`{"seat_ids":[` + strings.Repeat("1,", 3000) + `1]}`)
	case 2:
		return []byte(strings.Repeat("[", 1+rng.IntN(2000)))
	case 3:
		return []byte(`{"seat_ids":[` + seat() + `.0]}`)
	case 4:
		return []byte(`{"seat_ids":["` + seat() + `"]}`)
	case 5:
		return []byte(`{"seat_ids":[-` + seat() + `]}`)
	case 6:
		return []byte(`{"seat_ids":[` + seat() + `,` + seat() + `,` + seat() + `,` + seat() + `,` + seat() + `]}`)
	case 7:
		return []byte(`{"seat_ids":[1e400]}`)
	case 8:
		b := []byte(`{"seat_ids":[` + seat() + `]}`)
		b[rng.IntN(len(b))] = byte(rng.IntN(256))
		return b
	case 9:
		return nil
	}
	return []byte(`{"seat_ids":[` + seat() + `]}`)
}

// headerBytes are random bytes a client may put in a header value:
// visible ASCII, space and obs-text (0x80-0xFF).
func headerBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		if b[i] = byte(0x20 + rng.IntN(0xE0)); b[i] == 0x7F {
			b[i] = 'x'
		}
	}
	return b
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.IntN(256))
	}
	return b
}

// 10,000 random or malformed requests: every answer is a contract status
// in the JSON error shape (or a 201 hold), and nginx logs no Lua error.
func TestGrabFuzz(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 300, Limit: 4}, 300)
	tokens := make([]string, len(buyers))
	for i, b := range buyers {
		tokens[i] = b.Token
	}
	cfg := testenv.Config(t)
	errLog := filepath.Join(cfg.RunDir, "nginx", "logs", "error.log")
	before, _ := os.ReadFile(errLog)

	const n, workers = 10_000, 16
	client := &http.Client{Timeout: 10 * time.Second}
	var mu sync.Mutex
	statuses := map[int]int{}
	var failures []string
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			for i := 0; i < n/workers; i++ {
				req := fuzzRequest(rng, "http://"+cfg.EdgeAddr, s.ID, s.SeatIDs, tokens)
				status, problem := check(client, req)
				mu.Lock()
				statuses[status]++
				if problem != "" && len(failures) < 20 {
					failures = append(failures, problem)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("statuses: %v", statuses)
	for _, f := range failures {
		t.Error(f)
	}
	after, _ := os.ReadFile(errLog)
	luaError := regexp.MustCompile(`(?i)(lua entry thread aborted|runtime error|stack traceback|\[lua\].*(attempt to|bad argument))`)
	for _, line := range strings.Split(string(after[len(before):]), "\n") {
		if luaError.MatchString(line) {
			t.Errorf("Lua error in the nginx log: %s", line)
		}
	}
}

// check sends req and returns its status and what is wrong with the answer.
func check(client *http.Client, req *http.Request) (int, string) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Sprintf("%s: %v", req.Method, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if !contract[resp.StatusCode] {
		return resp.StatusCode, fmt.Sprintf("status %d is not in the contract: %s", resp.StatusCode, raw)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		return resp.StatusCode, fmt.Sprintf("status %d with a body that is not a JSON object: %q", resp.StatusCode, raw)
	}
	if resp.StatusCode == 201 {
		if body["order_no"] == nil {
			return 201, fmt.Sprintf("201 without an order number: %s", raw)
		}
		return 201, ""
	}
	if code, _ := body["error"].(string); code == "" || body["message"] == nil {
		return resp.StatusCode, fmt.Sprintf("status %d without the error shape: %s", resp.StatusCode, raw)
	}
	return resp.StatusCode, ""
}
