package boxoffice

import "strconv"

// ParseID parses a positive decimal id strictly: ASCII digits only, no
// sign, space or leading zero, and no larger than the largest int64.
func ParseID(s string) (int64, bool) {
	if s == "" || s[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}
