package cli_test

import (
	"bytes"
	"strings"
	"testing"

	"boxoffice/internal/cli"
)

// commandNames reads the command names from the top-level usage, so a new
// command is covered without editing this test.
func commandNames(t *testing.T) []string {
	t.Helper()
	var out bytes.Buffer
	if code := cli.Run(nil, &out, &out); code != 0 {
		t.Fatalf("boxoffice = exit %d, want 0", code)
	}
	_, list, _ := strings.Cut(out.String(), "commands:\n")
	var names []string
	for _, line := range strings.Split(list, "\n") {
		if f := strings.Fields(line); strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "    ") && len(f) > 0 {
			names = append(names, f[0])
		}
	}
	if len(names) < 13 {
		t.Fatalf("found commands %v in the usage:\n%s", names, out.String())
	}
	return names
}

func TestEveryCommandHelp(t *testing.T) {
	for _, name := range commandNames(t) {
		for _, flag := range []string{"--help", "-h"} {
			t.Run(name+" "+flag, func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				code := cli.Run([]string{name, flag}, &stdout, &stderr)
				if code != 0 || !strings.HasPrefix(stdout.String(), "usage: boxoffice "+name) || stderr.Len() != 0 {
					t.Errorf("boxoffice %s %s = exit %d, stdout %q, stderr %q; want exit 0 and the usage on stdout",
						name, flag, code, stdout.String(), stderr.String())
				}
			})
		}
	}
}

func TestEveryCommandBadFlag(t *testing.T) {
	for _, name := range commandNames(t) {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := cli.Run([]string{name, "--no-such-flag"}, &stdout, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), "usage: boxoffice "+name) || stdout.Len() != 0 {
				t.Errorf("boxoffice %s --no-such-flag = exit %d, stdout %q, stderr %q; want exit 2 and the usage on stderr",
					name, code, stdout.String(), stderr.String())
			}
		})
	}
}

func TestUnknownCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := cli.Run([]string{"nonsense"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "unknown command") {
		t.Errorf("boxoffice nonsense = exit %d, stderr %q; want 2 naming the unknown command", code, stderr.String())
	}
}

func TestDevPartActionsNeedParts(t *testing.T) {
	for _, action := range []string{"stop", "kill", "start"} {
		var stdout, stderr bytes.Buffer
		code := cli.Run([]string{"dev", action}, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), "dev "+action+" needs part names") {
			t.Errorf("boxoffice dev %s = exit %d, stderr %q; want 2 asking for part names", action, code, stderr.String())
		}
	}
}

// The multi mix compares a second stack's cluster with the first stack's
// one Redis: without that stack it is a usage error, before any connection.
func TestBenchMultiNeedsClusterEnv(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := cli.Run([]string{"bench", "--mixes", "rush,multi"}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "the multi mix needs --cluster-env") {
		t.Errorf("boxoffice bench --mixes rush,multi = exit %d, stderr %q; want 2 asking for --cluster-env", code, stderr.String())
	}
}
