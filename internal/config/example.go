package config

import (
	"fmt"
	"io"
	"strings"
)

// WriteExample writes every setting as a commented KEY=default line.
func WriteExample(w io.Writer) error {
	fmt.Fprintln(w, "# boxoffice settings, with their defaults. Secrets have no default.")
	for _, v := range Vars {
		req := ""
		if v.Required {
			req = " (required)"
		}
		if _, err := fmt.Fprintf(w, "\n# %s%s\n%s=%s\n", v.Doc, req, v.Name, v.Default); err != nil {
			return err
		}
	}
	return nil
}

// WriteTable writes every setting as a Markdown table row.
func WriteTable(w io.Writer) error {
	fmt.Fprintln(w, "| variable | default | meaning |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, v := range Vars {
		def := ""
		if v.Default != "" {
			def = "`" + v.Default + "`"
		}
		doc := v.Doc
		if v.Required {
			doc += " **Required.**"
		}
		if _, err := fmt.Fprintf(w, "| `%s` | %s | %s |\n", v.Name, def, strings.ReplaceAll(doc, "|", `\|`)); err != nil {
			return err
		}
	}
	return nil
}
