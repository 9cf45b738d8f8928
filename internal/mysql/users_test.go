package mysql_test

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"boxoffice/internal/mysql"
)

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
			err := mysql.ValidateEmail(tt.email)
			if got := err == nil; got != tt.ok {
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
			err := mysql.ValidatePassword(tt.password)
			if got := err == nil; got != tt.ok {
				t.Errorf("ValidatePassword(len %d) = %v, want ok=%v", len(tt.password), err, tt.ok)
			}
		})
	}
}

func TestHashPassword(t *testing.T) {
	t.Run("verifies with bcrypt", func(t *testing.T) {
		h, err := mysql.HashPassword("correct horse")
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
		if _, err := mysql.HashPassword("short"); err == nil {
			t.Error("HashPassword(short) = nil error, want one")
		}
	})
}
