package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/epiloguehq/epilogue/store"
)

func runMigrate(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("migrate", "migrate [--db URL] [--json]", env, stderr)
	db := f.str("db", defaultDB, "database URL")
	asJSON := f.Bool("json", false, "print one JSON document")
	if err := f.parse(args); err != nil {
		return err
	}
	s, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]any{"dialect": s.Dialect(), "schema_version": v})
	}
	fmt.Fprintf(stdout, "%s database is at schema version %d\n", s.Dialect(), v)
	return nil
}
