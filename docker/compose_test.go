package docker_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"boxoffice/internal/testenv"
)

// composeFile is what the test reads of 'docker-compose config'.
type composeFile struct {
	Services map[string]struct {
		Build       any               `yaml:"build"`
		Environment map[string]string `yaml:"environment"`
		Healthcheck map[string]any    `yaml:"healthcheck"`
	} `yaml:"services"`
}

// docker-compose accepts compose.yaml; every BOXOFFICE_* setting it gives
// our images is one boxoffice knows, and each of those services passes
// config check with what compose gives it.
func TestComposeConfig(t *testing.T) {
	if _, err := exec.LookPath("docker-compose"); err != nil {
		t.Fatal("docker-compose is missing: 'make deps' installs Debian's docker-compose")
	}
	cmd := exec.Command("docker-compose", "-f", "compose.yaml", "config")
	cmd.Env = append(os.Environ(), "BOXOFFICE_MYSQL_PASSWORD=a-database-password",
		"BOXOFFICE_JWT_SECRET="+strings.Repeat("j", 32), "BOXOFFICE_PAY_SECRET="+strings.Repeat("p", 32),
		"BOXOFFICE_PAYGW_URL=https://pay.example.com")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("docker-compose config: %v\n%s", err, stderrOf(err))
	}
	var cf composeFile
	if err := yaml.Unmarshal(out, &cf); err != nil {
		t.Fatal(err)
	}
	known := knownSettings(t)
	ours := 0
	for name, svc := range cf.Services {
		if svc.Healthcheck == nil && !strings.HasSuffix(name, "-init") && name != "migrate" {
			t.Errorf("service %s has no health check", name)
		}
		if svc.Build == nil {
			continue
		}
		ours++
		var env []string
		for k, v := range svc.Environment {
			if !slices.Contains(known, k) {
				t.Errorf("service %s sets %s, which boxoffice does not know", name, k)
			}
			env = append(env, k+"="+v)
		}
		check := exec.Command(testenv.Bin(t), "config", "check")
		check.Env = append(env, "BOXOFFICE_SECRETS_FILE=/dev/null")
		if out, err := check.CombinedOutput(); err != nil {
			t.Errorf("service %s: config check: %v\n%s", name, err, out)
		}
	}
	if ours < 11 {
		t.Errorf("%d services use our images, want migrate, api, notify, two edges and two of each consumer", ours)
	}
}

// knownSettings are the names 'boxoffice config env' documents.
func knownSettings(t *testing.T) []string {
	out, err := exec.Command(testenv.Bin(t), "config", "env").Output()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		if k, _, ok := strings.Cut(line, "="); ok && strings.HasPrefix(k, "BOXOFFICE_") {
			names = append(names, k)
		}
	}
	return names
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
