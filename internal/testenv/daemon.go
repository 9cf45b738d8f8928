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
	cmd := Command(tb, []string{addrVar + "=" + addr}, name)
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
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the other %s is not ready at %s after 10 s", name, addr)
		}
	}
}
