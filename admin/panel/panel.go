// Package panel holds the admin panel's browser files (the entry page, its
// style sheet and modules), embedded for internal/webassets to build into
// the edge's nginx prefix. Its unit tests (test/) run under node --test.
package panel

import (
	"embed"
	"io/fs"
)

//go:embed index.html panel.css js
var files embed.FS

// Files are the panel's source files.
func Files() fs.FS { return files }
