//go:build !unix

package store

import "os"

// lockFile does nothing where flock(2) is missing: one server per SQLite file is then the
// operator's to keep.
func lockFile(*os.File) error { return nil }
