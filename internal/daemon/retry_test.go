package daemon_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"boxoffice/internal/daemon"
)

func TestBackoffWait(t *testing.T) {
	b := daemon.Backoff{First: 50 * time.Millisecond, Max: 300 * time.Millisecond}
	want := []time.Duration{50, 100, 200, 300, 300}
	for i, w := range want {
		if got := b.Wait(i + 1); got != w*time.Millisecond {
			t.Errorf("Wait(%d) = %v, want %v", i+1, got, w*time.Millisecond)
		}
	}
	if got := b.Wait(1000); got != b.Max {
		t.Errorf("Wait(1000) = %v, want the cap %v", got, b.Max)
	}
}

func TestBackoffFailed(t *testing.T) {
	var logs bytes.Buffer
	b := daemon.Backoff{First: time.Millisecond, Max: time.Millisecond, Log: slog.New(slog.NewTextHandler(&logs, nil))}
	for n := 1; n <= 40; n++ {
		if !b.Failed(context.Background(), n, "publish", errors.New("broker down")) {
			t.Fatalf("Failed(%d) = false with a live context", n)
		}
	}
	if got := strings.Count(logs.String(), "publish"); got != 3 {
		t.Errorf("warnings = %d, want 3 (failures 1, 20 and 40):\n%s", got, logs.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if (daemon.Backoff{First: time.Hour, Max: time.Hour, Log: b.Log}).Failed(ctx, 2, "publish", errors.New("down")) {
		t.Error("Failed with an ended context = true, want false")
	}
}
