package boxoffice

import "strings"

// ParsePhone returns the canonical form of a mobile number: a mainland
// China mobile (1[3-9] and 9 digits, with or without +86) as its 11 digits,
// or another country's number in E.164 form (+ and 8 to 15 digits). It
// returns EINVALID for anything else.
func ParsePhone(s string) (string, error) {
	s = strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(s))
	bad := Errorf(EINVALID, "phone must be a mobile number such as 13800138000 or +447700900123")
	// After +86 only the 11 digits may follow: "+86+86…" is no number.
	rest, china := strings.CutPrefix(s, "+86")
	if china {
		s = rest
	}
	if !allDigits(strings.TrimPrefix(s, "+")) {
		return "", bad
	}
	switch {
	case len(s) == 11 && s[0] == '1' && s[1] >= '3':
		return s, nil
	case !china && strings.HasPrefix(s, "+") && len(s) >= 9 && len(s) <= 16 && s[1] != '0':
		return s, nil
	}
	return "", bad
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
