package testenv

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// StartDaemon runs one more boxoffice daemon beside the test stack's, with
// its health listener on a free port (addrVar names its setting). It waits
// until /readyz answers 200 and stops it (SIGTERM) when the test ends,
// showing its log if the test failed. It returns the listener's address.
func StartDaemon(tb testing.TB, name, addrVar string) string {
	tb.Helper()
	return start(tb, name, addrVar, "/readyz", name)
}

// StartEdge runs a second edge node beside the test stack's: nginx with the
// same settings on a free port and a prefix of its own, so it shares no
// memory with the first node and has seen none of its grabs. It waits
// until /healthz answers 200, stops it when the test ends and returns a
// client for it.
func StartEdge(tb testing.TB) *Client {
	tb.Helper()
	// In the run folder: nginx's workers read the prefix as the stack's
	// own edge does.
	prefix, err := os.MkdirTemp(Config(tb).RunDir, "edge-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(prefix) })
	c := Edge(tb)
	c.Base = "http://" + start(tb, "edge", "BOXOFFICE_EDGE_ADDR", "/healthz", "edge", "-p", prefix)
	return c
}

// start runs the boxoffice binary with args, its listener on a free port
// (addrVar names its setting), until health answers 200 there; it stops
// it (SIGTERM) when the test ends, showing its log if the test failed, and
// returns the listener's address.
func start(tb testing.TB, name, addrVar, health string, args ...string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	logPath := filepath.Join(tb.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := Command(tb, []string{addrVar + "=" + addr}, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start another %s: %v", name, err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		logFile.Close()
		if tb.Failed() {
			b, _ := os.ReadFile(logPath)
			tb.Logf("the other %s's log:\n%s", name, b)
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + health); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the other %s is not ready at %s after 30 s", name, addr)
		}
	}
}
