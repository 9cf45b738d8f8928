package config_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"boxoffice/internal/config"
)

func env(kv map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
}

func TestLoad(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		c, err := config.LoadFrom(env(map[string]string{"BOXOFFICE_RUN_DIR": t.TempDir()}))
		if err != nil {
			t.Fatal(err)
		}
		if c.SaleRedisAddr != "127.0.0.1:6390" || c.MySQLAddr != "127.0.0.1:3307" || c.DepTimeout != 500*time.Millisecond {
			t.Errorf("got %s %s %s, want the documented defaults", c.SaleRedisAddr, c.MySQLAddr, c.DepTimeout)
		}
		if got := c.KafkaBrokers; len(got) != 1 || got[0] != "127.0.0.1:19092" {
			t.Errorf("brokers = %v", got)
		}
	})
	t.Run("ErrEveryProblemAtOnce", func(t *testing.T) {
		_, err := config.LoadFrom(env(map[string]string{
			"BOXOFFICE_RUN_DIR":        t.TempDir(),
			"BOXOFFICE_API_ADDR":       "8081",
			"BOXOFFICE_LOG_LEVEL":      "loud",
			"BOXOFFICE_DEP_TIMEOUT":    "-1s",
			"BOXOFFICE_KAFKA_BROKERS":  "a:1,b",
			"BOXOFFICE_JWT_SECRET":     "short",
			"BOXOFFICE_MYSQL_DATABASE": "x;drop",
		}))
		var cerr *config.Error
		if !errors.As(err, &cerr) {
			t.Fatalf("err = %v, want *config.Error", err)
		}
		for _, name := range []string{"BOXOFFICE_API_ADDR", "BOXOFFICE_LOG_LEVEL", "BOXOFFICE_DEP_TIMEOUT",
			"BOXOFFICE_KAFKA_BROKERS", "BOXOFFICE_JWT_SECRET", "BOXOFFICE_MYSQL_DATABASE"} {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error does not name %s:\n%v", name, err)
			}
		}
		if len(cerr.Problems) != 6 {
			t.Errorf("got %d problems, want 6", len(cerr.Problems))
		}
	})
	t.Run("SecretsFileUnderEnvironment", func(t *testing.T) {
		dir := t.TempDir()
		secrets := "# comment\nBOXOFFICE_JWT_SECRET=" + strings.Repeat("f", 32) + "\nBOXOFFICE_MYSQL_PASSWORD=fromfile\n"
		if err := os.WriteFile(filepath.Join(dir, "secrets.env"), []byte(secrets), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := config.LoadFrom(env(map[string]string{"BOXOFFICE_RUN_DIR": dir, "BOXOFFICE_MYSQL_PASSWORD": "fromenv"}))
		if err != nil {
			t.Fatal(err)
		}
		if c.JWTSecret != strings.Repeat("f", 32) || c.MySQLPassword != "fromenv" {
			t.Errorf("got jwt %q password %q, want the file's secret and the environment's password", c.JWTSecret, c.MySQLPassword)
		}
	})
	t.Run("ErrMissingExplicitSecretsFile", func(t *testing.T) {
		_, err := config.LoadFrom(env(map[string]string{"BOXOFFICE_SECRETS_FILE": "/nonexistent/secrets.env"}))
		if err == nil || !strings.Contains(err.Error(), "BOXOFFICE_SECRETS_FILE") {
			t.Errorf("err = %v, want one naming BOXOFFICE_SECRETS_FILE", err)
		}
	})
}

func TestRequireAll(t *testing.T) {
	c, err := config.LoadFrom(env(map[string]string{"BOXOFFICE_RUN_DIR": t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	err = c.RequireAll()
	for _, name := range []string{"BOXOFFICE_JWT_SECRET", "BOXOFFICE_PAY_SECRET", "BOXOFFICE_MYSQL_PASSWORD"} {
		if err == nil || !strings.Contains(err.Error(), name+" is not set") {
			t.Errorf("RequireAll() = %v, want it to name %s", err, name)
		}
	}
}

func TestWriteExampleListsEverySetting(t *testing.T) {
	var b bytes.Buffer
	if err := config.WriteExample(&b); err != nil {
		t.Fatal(err)
	}
	for _, v := range config.Vars {
		if !strings.Contains(b.String(), "\n"+v.Name+"="+v.Default+"\n") {
			t.Errorf("example lacks %s=%s", v.Name, v.Default)
		}
	}
}

// The README's table and docker/boxoffice.env are the documentation of the
// settings; they must list every one with its default.
func TestDocsListEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../../docker/boxoffice.env")
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	_ = config.WriteExample(&want)
	if !bytes.Equal(example, want.Bytes()) {
		t.Errorf("docker/boxoffice.env is stale: regenerate it with 'bin/boxoffice config env > docker/boxoffice.env'")
	}
	for _, v := range config.Vars {
		row := "| `" + v.Name + "` | `" + v.Default + "` |"
		if v.Default == "" {
			row = "| `" + v.Name + "` | |"
		}
		if !strings.Contains(string(readme), row) {
			t.Errorf("README.md has no row starting %q", row)
		}
	}
}
