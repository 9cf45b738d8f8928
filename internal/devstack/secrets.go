package devstack

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"boxoffice/internal/config"
)

// devSecrets are generated once into the run folder's secrets.env.
var devSecrets = []string{
	"BOXOFFICE_JWT_SECRET",
	"BOXOFFICE_PAY_SECRET",
	"BOXOFFICE_MYSQL_PASSWORD",
	"BOXOFFICE_DEMO_PASSWORD",
}

// ensureSecrets adds any missing dev secret to path and returns all of them.
// Existing values are never changed.
func ensureSecrets(path string) (map[string]string, error) {
	have, err := config.ReadEnvFile(path)
	if errors.Is(err, os.ErrNotExist) {
		have, err = map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	added := false
	for _, k := range devSecrets {
		if have[k] != "" {
			continue
		}
		n := 32
		if k == "BOXOFFICE_DEMO_PASSWORD" {
			n = 6 // short enough to type
		}
		have[k] = randomHex(n)
		added = true
	}
	if !added {
		return have, nil
	}
	return have, writeEnvFile(path, have)
}

func writeEnvFile(path string, kv map[string]string) error {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# Dev secrets, generated once by 'make up'. Keep this file private.\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, kv[k])
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b)
}
