package main

import (
	"context"
	"fmt"
	"io"
	"net"
)

func runServe(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("serve", "serve [flags]", env, stderr)
	db := f.str("db", defaultDB, "database: sqlite:///path/file.db, sqlite://./file.db or postgres://user@host:5432/db")
	addr := f.str("addr", "127.0.0.1:8080", "address to listen on (HOST:PORT; :8080 for every interface)")
	config := f.serverFlags(stderr)
	if err := f.parse(args); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(*addr); err != nil || *addr == "" {
		return fmt.Errorf("--addr must be HOST:PORT, such as 127.0.0.1:8080 (or :8080 for every interface), not %q", *addr)
	}
	c, err := config(*db, *addr)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, c)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		a.close()
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	return a.serve(ctx, ln)
}

// serverFlags declares the flags that every command serving the app shares (logging, the GC
// target, learning, journeys and channels) and returns what builds the app's configuration once
// they are parsed.
func (f *flags) serverFlags(stderr io.Writer) func(db, addr string) (appConfig, error) {
	lf := f.logging()
	gc := f.integer("gc-percent", defaultGCPercent, "garbage collector target (GOGC): higher trades memory for CPU; a GOGC environment variable wins")
	learnf := f.learningFlags()
	journeyf := f.journeyFlags()
	return func(db, addr string) (appConfig, error) {
		log, err := lf.logger(stderr)
		if err != nil {
			return appConfig{}, err
		}
		lc, err := learnf()
		if err != nil {
			return appConfig{}, err
		}
		jc, err := journeyf(addr)
		if err != nil {
			return appConfig{}, err
		}
		return appConfig{db: db, log: log, logRequests: *lf.requests, learning: lc, journeys: jc, gcPercent: *gc}, nil
	}
}
