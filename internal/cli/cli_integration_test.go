//go:build integration

package cli_test

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"boxoffice/internal/auth"
	"boxoffice/internal/testenv"
)

func TestErrBadSettingExitsAtOnce(t *testing.T) {
	out, err := testenv.RunEnv(t, []string{"BOXOFFICE_API_ADDR=nonsense", "BOXOFFICE_DEP_TIMEOUT=soon"}, "api")
	if err == nil {
		t.Fatal("api started with bad settings")
	}
	for _, name := range []string{"BOXOFFICE_API_ADDR", "BOXOFFICE_DEP_TIMEOUT"} {
		if !strings.Contains(out, name) {
			t.Errorf("output does not name %s:\n%s", name, out)
		}
	}
}

func TestConfigCheck(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		if out, err := testenv.Run(t, "config", "check"); err != nil || !strings.Contains(out, "configuration OK") {
			t.Errorf("config check = %v %q", err, out)
		}
	})
	t.Run("ErrMissingSecret", func(t *testing.T) {
		out, err := testenv.RunEnv(t, []string{"BOXOFFICE_SECRETS_FILE=/dev/null", "BOXOFFICE_PAY_SECRET="}, "config", "check")
		if err == nil || !strings.Contains(out, "BOXOFFICE_PAY_SECRET is not set") {
			t.Errorf("config check = %v %q, want it to name BOXOFFICE_PAY_SECRET", err, out)
		}
	})
}

func TestMigrateTwiceIsNoOp(t *testing.T) {
	out, err := testenv.Run(t, "migrate")
	if err != nil || !strings.Contains(out, "schema up to date") {
		t.Errorf("migrate on a migrated database = %v %q, want 'schema up to date'", err, out)
	}
}

// A daemon logs JSON, answers soon after start, and exits cleanly on SIGTERM.
func TestDaemonLifecycle(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := testenv.Command(t, []string{"BOXOFFICE_API_ADDR=" + addr}, "api")
	stderr, _ := cmd.StderrPipe()
	began := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Since(began) > 10*time.Second {
			t.Fatal("api never answered /healthz")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("api answered /healthz %s after exec", time.Since(began).Round(time.Millisecond))

	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line is not JSON: %q", line)
			continue
		}
		msgs = append(msgs, rec["msg"].(string))
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("api exited with %v after SIGTERM, want 0", err)
	}
	if got := strings.Join(msgs, ","); got != "started,shutting down,stopped" {
		t.Errorf("log messages = %s, want started,shutting down,stopped", got)
	}
}

// boxoffice edge prepares its own nginx prefix and becomes nginx, with the
// secrets from the secrets file: a good token passes the edge's JWT check
// and a forged one does not; SIGQUIT stops it.
func TestEdgeCommand(t *testing.T) {
	addr := freeAddr(t)
	cmd := testenv.Command(t, []string{"BOXOFFICE_EDGE_ADDR=" + addr, "BOXOFFICE_EDGE_WORKERS=1"},
		"edge", "-p", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	testenv.Eventually(t, testenv.Settle, "the edge answers /healthz", func() (bool, string) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == 200, resp.Status
	})

	cfg := testenv.Config(t)
	good, _, _ := auth.NewKeys(cfg).Sign(1, "user", time.Now())
	forged := *cfg
	forged.JWTSecret = strings.Repeat("f", 32)
	bad, _, _ := auth.NewKeys(&forged).Sign(1, "user", time.Now())
	grab := func(token string) int {
		req, _ := http.NewRequest("POST", "http://"+addr+"/api/sale/sessions/999999999/holds", strings.NewReader(`{"seat_ids":[1]}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "edge-command-test")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := grab(bad); code != 401 {
		t.Errorf("grab with a forged token = %d, want 401", code)
	}
	if code := grab(good); code == 401 {
		t.Error("grab with a good token = 401: the edge did not get the JWT secret")
	}

	if err := cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("edge exited with %v after SIGQUIT, want 0", err)
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
