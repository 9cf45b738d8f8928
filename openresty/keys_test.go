package openresty_test

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
)

// The edge's keys module (lua/boxoffice/keys.lua, run with luajit) builds
// the same sale-Redis keys as internal/sale: every name, a buyer's
// idempotency record and a second's grab counts.
func TestKeysAgreeWithGo(t *testing.T) {
	luajit, err := exec.LookPath("luajit")
	if err != nil {
		t.Fatal("luajit is not installed: make deps installs it")
	}
	script := `local keys = require "boxoffice.keys"
		for _, name in ipairs(keys.NAMES) do print(keys.key(7, name)) end
		print(keys.idem(7, 42, "k-1"))
		print(keys.grabs(7, 1000))`
	cmd := exec.Command(luajit, "-e", script)
	cmd.Env = append(cmd.Environ(), "LUA_PATH="+filepath.Join(testenv.Root(), "lua", "?.lua")+";;")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("luajit: %v\n%s", err, out)
	}
	lua := strings.Fields(string(out))

	k := sale.KeysFor(7)
	var want []string
	for _, name := range sale.Names {
		want = append(want, k.Key(name))
	}
	want = append(want, k.Idem(42, "k-1"), k.Grabs(1000))
	if !slices.Equal(lua, want) {
		t.Errorf("lua/boxoffice/keys.lua builds\n%v\ninternal/sale names\n%v", lua, want)
	}
}
