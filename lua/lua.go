// Package lua embeds the sale-Redis scripts in lua/redis so that Go runs
// the very files the edge loads: one copy of each script.
package lua

import (
	"embed"
	"fmt"

	goredis "github.com/redis/go-redis/v9"
)

//go:embed redis/*.lua
var scripts embed.FS

// Script returns the named script (lua/redis/<name>.lua), ready for EVALSHA
// with an EVAL fallback.
func Script(name string) *goredis.Script {
	src, err := scripts.ReadFile("redis/" + name + ".lua")
	if err != nil {
		panic(fmt.Sprintf("lua: no script %q", name))
	}
	return goredis.NewScript(string(src))
}
