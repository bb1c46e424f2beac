package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// A shop's name is the sender name of its emails until it sets a brand: a line break in it
// would have every one of them refused by the mail path, so shop create refuses it, as the
// brand API does.
func TestShopCreateRefusesNamesEmailsCannotCarry(t *testing.T) {
	db := "sqlite://" + filepath.Join(t.TempDir(), "e.db")
	noEnv := func(string) string { return "" }
	create := func(name string) (string, error) {
		var out, errs bytes.Buffer
		err := run(context.Background(), []string{"shop", "create", "--db", db, "--name", name, "--json"}, noEnv, &out, &errs)
		return out.String(), err
	}
	for name, want := range map[string]string{
		"Line1\r\nBcc: x@evil.example": "one line",
		"Nul\x00Shop":                  "one line",
		"   ":                          "required",
		strings.Repeat("x", 100_000):   "too long",
	} {
		if _, err := create(name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("name %.20q: %v, want an error saying %q", name, err, want)
		}
	}
	out, err := create("  Demo Coffee Co.  ")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(out), &got); err != nil || !strings.HasPrefix(got["secret_key"], "sk_") {
		t.Fatalf("created: %q, %v", out, err)
	}
}
