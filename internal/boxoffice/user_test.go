package boxoffice_test

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"boxoffice/internal/boxoffice"
)

func TestParsePhone(t *testing.T) {
	ok := map[string]string{
		"13800138000":     "13800138000",
		"+8613800138000":  "13800138000",
		"138 0013 8000":   "13800138000",
		"+447700900123":   "+447700900123",
		"+1-415-555-2671": "+14155552671",
		"19912345678":     "19912345678",
	}
	for in, want := range ok {
		if got, err := boxoffice.ParsePhone(in); err != nil || got != want {
			t.Errorf("ParsePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "12800138000", "1380013800", "138001380000", "+0123456789", "+12", "abc", "+86 12345", "1380013800x", "++8613800138000"} {
		if _, err := boxoffice.ParsePhone(in); boxoffice.ErrorCode(err) != boxoffice.EINVALID {
			t.Errorf("ParsePhone(%q) = %v, want bad_request", in, err)
		}
	}
}

func TestValidateEmail(t *testing.T) {
	tests := []struct {
		name, email string
		ok          bool
	}{
		{"plain", "admin@boxoffice.local", true},
		{"subdomain and plus", "ops+tickets@mail.example.com", true},
		{"empty", "", false},
		{"no at", "admin.boxoffice.local", false},
		{"no domain dot", "root@localhost", false},
		{"display name", "Admin <admin@example.com>", false},
		{"spaces", " admin@example.com", false},
		{"two ats", "a@b@example.com", false},
		{"trailing dot", "a@example.", false},
		{"too long", strings.Repeat("a", 250) + "@example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := boxoffice.ValidateEmail(tt.email)
			if got := err == nil; got != tt.ok || (err != nil && boxoffice.ErrorCode(err) != boxoffice.EINVALID) {
				t.Errorf("ValidateEmail(%q) = %v, want ok=%v", tt.email, err, tt.ok)
			}
		})
	}
}

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		name, password string
		ok             bool
	}{
		{"eight", "password", true},
		{"seventy-two bytes", strings.Repeat("x", 72), true},
		{"seven", "passwor", false},
		{"empty", "", false},
		{"seventy-three bytes", strings.Repeat("x", 73), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := boxoffice.ValidatePassword(tt.password)
			if got := err == nil; got != tt.ok || (err != nil && boxoffice.ErrorCode(err) != boxoffice.EINVALID) {
				t.Errorf("ValidatePassword(len %d) = %v, want ok=%v", len(tt.password), err, tt.ok)
			}
		})
	}
}

func TestHashPassword(t *testing.T) {
	t.Run("verifies with bcrypt", func(t *testing.T) {
		h, err := boxoffice.HashPassword("correct horse")
		if err != nil {
			t.Fatalf("HashPassword: %v", err)
		}
		if err := bcrypt.CompareHashAndPassword([]byte(h), []byte("correct horse")); err != nil {
			t.Errorf("CompareHashAndPassword = %v, want nil", err)
		}
		if cost, _ := bcrypt.Cost([]byte(h)); cost != bcrypt.DefaultCost {
			t.Errorf("cost = %d, want %d", cost, bcrypt.DefaultCost)
		}
	})
	t.Run("rejects short", func(t *testing.T) {
		if _, err := boxoffice.HashPassword("short"); boxoffice.ErrorCode(err) != boxoffice.EINVALID {
			t.Errorf("HashPassword(short) = %v, want bad_request", err)
		}
	})
}
