// Package shareddata finds the real third-party data that sits beside the repository
// (../shared/data: webhook payloads, Open Bandit samples, retail transactions) for tests, which
// skip with a clear message when it is absent.
package shareddata

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Payload reads one of the real webhook payloads in shared/data/payloads (the environment
// variable EPILOGUE_PAYLOADS overrides where), skipping the test when they are not there.
func Payload(t testing.TB, name string) []byte {
	t.Helper()
	dir := os.Getenv("EPILOGUE_PAYLOADS")
	if dir == "" {
		dir = filepath.Join(moduleRoot(t), "..", "shared", "data", "payloads")
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if os.IsNotExist(err) {
		t.Skipf("real payloads not found in %s (set EPILOGUE_PAYLOADS to the shared/data/payloads directory)", dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Unwrap returns the bare webhook form of a REST fixture: the object under its wrapper key
// ("order", "fulfillment", …), which a webhook sends without.
func Unwrap(t testing.TB, b []byte, key string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m[key] == nil {
		t.Fatalf("fixture has no %q: %v", key, err)
	}
	return m[key]
}

// moduleRoot is the directory holding go.mod, found upwards from the test's directory.
func moduleRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}
