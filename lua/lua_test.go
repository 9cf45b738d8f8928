package lua

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestSourcePutsThePreludeFirst(t *testing.T) {
	prelude, _ := scripts.ReadFile("redis/prelude.lua")
	hold, _ := scripts.ReadFile("redis/hold.lua")
	if got, want := Source("hold"), string(prelude)+string(hold); got != want {
		t.Errorf("Source(hold) is not the prelude then hold.lua (%d bytes, want %d)", len(got), len(want))
	}
}

func TestSourceKeepsTheShebangFirst(t *testing.T) {
	prelude, _ := scripts.ReadFile("redis/prelude.lua")
	lease, _ := scripts.ReadFile("redis/lease.lua")
	line, rest, _ := strings.Cut(string(lease), "\n")
	if line != "#!lua flags=allow-oom" {
		t.Fatalf("lease.lua starts with %q, want its #!lua line", line)
	}
	if got, want := Source("lease"), line+"\n"+string(prelude)+rest; got != want {
		t.Errorf("Source(lease) = %.80q..., want the #!lua line, the prelude, then the rest", got)
	}
}

// The edge (boxoffice.scripts, run here by luajit) sends Redis the same
// text as Go for every script, so both run it under one SHA1.
func TestEdgeSendsTheSameText(t *testing.T) {
	files, err := filepath.Glob("redis/*.lua")
	if err != nil || len(files) < 2 {
		t.Fatalf("no scripts in redis/: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".lua")
		if name == "prelude" {
			continue
		}
		cmd := exec.Command("luajit", "-e",
			`package.path = "./?.lua"; io.write(require("boxoffice.scripts").source(".", os.getenv("SCRIPT")))`)
		cmd.Env = append(os.Environ(), "SCRIPT="+name)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("luajit boxoffice.scripts %s: %v", name, err)
		}
		if string(out) != Source(name) {
			t.Errorf("%s: the edge's text (%d bytes) differs from Go's (%d bytes)", name, len(out), len(Source(name)))
		}
	}
}
