// Package lua embeds the sale-Redis scripts in lua/redis so that Go runs
// the very files the edge loads: one copy of each script.
package lua

import (
	"embed"
	"fmt"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

//go:embed redis/*.lua
var scripts embed.FS

// Source returns the text sent to Redis for lua/redis/<name>.lua:
// redis/prelude.lua (what the scripts share), then the script; a script's
// "#!lua" line stays first. The edge's boxoffice.scripts builds the same.
func Source(name string) string {
	src, err := scripts.ReadFile("redis/" + name + ".lua")
	if err != nil || name == "prelude" {
		panic(fmt.Sprintf("lua: no script %q", name))
	}
	prelude, err := scripts.ReadFile("redis/prelude.lua")
	if err != nil {
		panic("lua: no redis/prelude.lua")
	}
	text := string(src)
	if strings.HasPrefix(text, "#!") {
		line, rest, _ := strings.Cut(text, "\n")
		return line + "\n" + string(prelude) + rest
	}
	return string(prelude) + text
}

// Script returns the named script (lua/redis/<name>.lua, after the
// prelude), ready for EVALSHA with an EVAL fallback.
func Script(name string) *goredis.Script {
	return goredis.NewScript(Source(name))
}
