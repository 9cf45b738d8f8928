//go:build integration

package devstack_test

import (
	"context"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"boxoffice/internal/config"
	"boxoffice/internal/devstack"
	"boxoffice/internal/testenv"
)

func TestHealth(t *testing.T) {
	cfg := testenv.Config(t)
	for _, tc := range []struct{ name, url, field, want string }{
		{"Edge", "http://" + cfg.EdgeAddr + "/healthz", "status", "ok"},
		{"API", "http://" + cfg.APIAddr + "/readyz", "status", "ready"},
		{"DevKafka", "http://" + cfg.DevKafkaAddr + "/readyz", "status", "ready"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := testenv.GetJSON(t, tc.url)
			if code != 200 || body[tc.field] != tc.want {
				t.Errorf("GET %s = %d %v, want 200 with %s=%s", tc.url, code, body, tc.field, tc.want)
			}
		})
	}
}

func TestEdgeErrorsAreJSON(t *testing.T) {
	cfg := testenv.Config(t)
	for _, path := range []string{"/api/no-such-route", "/admin/api/no-such-route", "/no-such-path"} {
		t.Run(path, func(t *testing.T) {
			code, body := testenv.GetJSON(t, "http://"+cfg.EdgeAddr+path)
			if code != 404 || body["error"] != "not_found" || body["message"] == "" {
				t.Errorf("got %d %v, want 404 with error not_found and a message", code, body)
			}
		})
	}
}

// Stopping the sale Redis makes api's /readyz name it, quickly; starting
// it again brings /readyz back.
func TestReadyzFollowsSaleRedis(t *testing.T) {
	cfg := testenv.Config(t)
	url := "http://" + cfg.APIAddr + "/readyz"
	if out, err := testenv.Run(t, "dev", "stop", "sale-redis"); err != nil {
		t.Fatalf("dev stop sale-redis: %v\n%s", err, out)
	}
	stopped := time.Now()
	t.Cleanup(func() {
		if out, err := testenv.Run(t, "dev", "up"); err != nil {
			t.Errorf("dev up: %v\n%s", err, out)
		}
	})

	code, body := waitFor(t, url, func(code int, _ map[string]any) bool { return code == 503 })
	down, _ := body["down"].([]any)
	if code != 503 || body["error"] != "unavailable" || !slices.Contains(down, any("sale_redis")) {
		t.Fatalf("readyz = %d %v, want 503 naming sale_redis", code, body)
	}
	if len(down) != 1 {
		t.Errorf("down = %v, want only sale_redis", down)
	}
	t.Logf("readyz named sale_redis %s after it stopped", time.Since(stopped).Round(time.Millisecond))

	if out, err := testenv.Run(t, "dev", "up"); err != nil {
		t.Fatalf("dev up: %v\n%s", err, out)
	}
	if code, body := waitFor(t, url, func(code int, _ map[string]any) bool { return code == 200 }); code != 200 {
		t.Errorf("readyz after restart = %d %v, want 200", code, body)
	}
}

// waitFor polls url for up to testenv.Settle until ok holds, and returns
// the last answer.
func waitFor(t *testing.T, url string, ok func(int, map[string]any) bool) (int, map[string]any) {
	t.Helper()
	var code int
	var body map[string]any
	for deadline := time.Now().Add(testenv.Settle); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if code, body = testenv.GetJSON(t, url); ok(code, body) {
			break
		}
	}
	return code, body
}

func TestErrPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	t.Setenv("BOXOFFICE_RUN_DIR", t.TempDir())
	t.Setenv("BOXOFFICE_SECRETS_FILE", "")
	t.Setenv("BOXOFFICE_EDGE_ADDR", ln.Addr().String())
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	s, err := devstack.New(cfg, testenv.Bin(t), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Up(context.Background())
	want := "port " + config.Port(ln.Addr().String()) + " (edge) is in use by another program; set BOXOFFICE_EDGE_ADDR to move it"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Up() = %v, want an error containing %q", err, want)
	}
	if entries, _ := os.ReadDir(cfg.RunDir + "/pids"); len(entries) != 0 {
		t.Errorf("Up started %d parts despite the taken port", len(entries))
	}
}

// A killed broker started again keeps what it acknowledged: a message
// published before the kill is read after the restart.
func TestKilledBrokerKeepsItsLog(t *testing.T) {
	cfg := testenv.Config(t)
	key := "kept-" + testenv.Unique()
	tail := testenv.NewKafkaTail(t, cfg.KafkaDLQTopic)
	testenv.Publish(t, cfg.KafkaDLQTopic, kafkago.Message{Key: []byte(key), Value: []byte("{}")})
	for _, action := range []string{"kill", "start"} {
		if out, err := testenv.Run(t, "dev", action, "devkafka"); err != nil {
			t.Fatalf("dev %s devkafka: %v\n%s", action, err, out)
		}
	}
	if code, body := testenv.GetJSON(t, "http://"+cfg.DevKafkaAddr+"/readyz"); code != 200 {
		t.Fatalf("devkafka readyz after dev start = %d %v, want 200", code, body)
	}
	if !tail.Read(t, testenv.Settle, func(m kafkago.Message) bool { return string(m.Key) == key }) {
		t.Errorf("the message published before the kill is gone after the restart")
	}
}
