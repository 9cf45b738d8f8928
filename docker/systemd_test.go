// Package docker_test checks the production files: 'make install' into a
// scratch root, the installed units through systemd-analyze verify, and the
// installed env files through boxoffice config check.
package docker_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// install runs 'make install' below a scratch directory and returns it.
func install(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	cmd := exec.Command("make", "-s", "-C", "..", "install")
	cmd.Env = append(os.Environ(), "PREFIX="+root+"/usr", "SYSCONFDIR="+root+"/etc", "UNITDIR="+root+"/units")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	return root
}

// Every unit, templates through the instances boxoffice.target starts,
// passes systemd-analyze verify with nothing to say.
func TestUnitsVerify(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Fatal("systemd-analyze is missing: 'make deps' installs Debian's systemd")
	}
	units := filepath.Join(install(t), "units")
	target, err := os.ReadFile(filepath.Join(units, "boxoffice.target"))
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`boxoffice-[a-z]+(@[0-9]+)?\.service`).FindAllString(string(target), -1)
	files, _ := filepath.Glob(filepath.Join(units, "*.service"))
	if len(names) != len(files) {
		t.Fatalf("boxoffice.target wants %v; the units are %v", names, files)
	}
	for _, name := range append(names, "boxoffice.target") {
		cmd := exec.Command("systemd-analyze", "verify", name)
		cmd.Dir = units
		cmd.Env = append(os.Environ(), "SYSTEMD_UNIT_PATH="+units+":")
		out, err := cmd.CombinedOutput()
		if err != nil || len(out) > 0 {
			t.Errorf("systemd-analyze verify %s: %v\n%s", name, err, out)
		}
	}
}

// The installed env file passes config check once secrets.env is filled
// in, and without it the check names every missing secret.
func TestEnvFilesCheck(t *testing.T) {
	root := install(t)
	bin := filepath.Join(root, "usr/bin/boxoffice")
	env := filepath.Join(root, "etc/boxoffice/boxoffice.env")
	secrets := filepath.Join(root, "etc/boxoffice/secrets.env")
	check := func() (string, error) {
		out, err := exec.Command(bin, "config", "check", env, secrets).CombinedOutput()
		return string(out), err
	}

	out, err := check()
	if err == nil {
		t.Fatalf("config check passed with empty secrets:\n%s", out)
	}
	for _, name := range []string{"BOXOFFICE_MYSQL_PASSWORD", "BOXOFFICE_JWT_SECRET", "BOXOFFICE_PAY_SECRET"} {
		if !strings.Contains(out, name) {
			t.Errorf("config check does not name %s:\n%s", name, out)
		}
	}

	filled := strings.NewReplacer(
		"BOXOFFICE_MYSQL_PASSWORD=\n", "BOXOFFICE_MYSQL_PASSWORD=a-database-password\n",
		"BOXOFFICE_JWT_SECRET=\n", "BOXOFFICE_JWT_SECRET="+strings.Repeat("j", 32)+"\n",
		"BOXOFFICE_PAY_SECRET=\n", "BOXOFFICE_PAY_SECRET="+strings.Repeat("p", 32)+"\n")
	raw, err := os.ReadFile(secrets)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secrets, []byte(filled.Replace(string(raw))), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := check(); err != nil || !strings.Contains(out, "configuration OK") {
		t.Fatalf("config check with secrets: %v\n%s", err, out)
	}
}
