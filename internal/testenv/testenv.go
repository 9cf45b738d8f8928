// Package testenv gives integration tests the running test stack: its
// settings, the boxoffice binary, and small HTTP helpers.
package testenv

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"boxoffice/internal/config"
)

// Root is the repository's root folder.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

var (
	stackOnce sync.Once
	stackErr  error
)

// Config loads the test stack's settings, failing the test with a hint if
// the stack does not answer.
func Config(tb testing.TB) *config.Config {
	tb.Helper()
	cfg, err := config.Load()
	if err != nil {
		tb.Fatalf("load settings: %v", err)
	}
	if cfg.MySQLPassword == "" {
		tb.Fatalf("no test stack settings: run integration tests with 'make test'")
	}
	stackOnce.Do(func() {
		conn, err := net.DialTimeout("tcp", cfg.MySQLAddr, time.Second)
		if err == nil {
			conn.Close()
		}
		stackErr = err
	})
	if stackErr != nil {
		tb.Fatalf("the test stack is not running (%v): run integration tests with 'make test'", stackErr)
	}
	return cfg
}

// Bin returns the path of the built boxoffice binary.
func Bin(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(Root(), "bin", "boxoffice")
	if _, err := os.Stat(bin); err != nil {
		tb.Fatalf("%s is missing: run 'make build'", bin)
	}
	return bin
}

// Run runs the boxoffice binary with args and returns its combined output.
func Run(tb testing.TB, args ...string) (string, error) {
	tb.Helper()
	return RunEnv(tb, nil, args...)
}

// RunEnv is Run with extra KEY=value environment entries.
func RunEnv(tb testing.TB, env []string, args ...string) (string, error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Bin(tb), args...)
	cmd.Dir = Root()
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Command prepares the boxoffice binary with args and extra environment.
func Command(tb testing.TB, env []string, args ...string) *exec.Cmd {
	tb.Helper()
	cmd := exec.Command(Bin(tb), args...)
	cmd.Dir = Root()
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// GetJSON fetches url and decodes its JSON body into a map.
func GetJSON(tb testing.TB, url string) (int, map[string]any) {
	tb.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body map[string]any
	if err := json.Unmarshal(b, &body); err != nil {
		tb.Fatalf("GET %s: body is not JSON: %q", url, b)
	}
	return resp.StatusCode, body
}
