package config

import (
	"fmt"
	"io"
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
