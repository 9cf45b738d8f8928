// Command boxoffice is every boxoffice daemon and tool in one binary.
package main

import (
	"os"

	"boxoffice/internal/cli"
)

func main() { os.Exit(cli.Run(os.Args[1:], os.Stdout, os.Stderr)) }
