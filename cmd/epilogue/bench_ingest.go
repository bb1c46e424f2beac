package main

import (
	"context"
	"io"
)

func benchIngest(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	return nil
}
