package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// envOf is an environment holding only vars.
func envOf(vars ...string) func(string) string {
	return func(k string) string {
		for i := 0; i+1 < len(vars); i += 2 {
			if vars[i] == k {
				return vars[i+1]
			}
		}
		return ""
	}
}

// --help prints the command's help on stdout, once prefixed, and succeeds; a mistake prints it
// on stderr.
func TestHelpGoesToStdout(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--help"}, {"demo", "-h"}, {"migrate", "--help"}, {"sim", "--help"},
		{"eval", "--help"}, {"eval", "obd", "--help"}, {"eval", "log", "-h"}, {"eval", "gen", "--help"},
		{"shop", "--help"}, {"shop", "create", "--help"}, {"key", "--help"}, {"key", "create", "--help"},
		{"key", "list", "-h"}, {"journeys", "--help"}, {"journeys", "load", "--help"},
		{"bench", "--help"}, {"bench", "learn", "--help"}, {"bench", "decide", "--help"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), args, envOf(), &stdout, &stderr)
		if err != nil || stderr.Len() > 0 || !strings.HasPrefix(stdout.String(), "usage: epilogue "+args[0]) ||
			strings.Contains(stdout.String(), "usage: epilogue usage") {
			t.Errorf("%v: error %v\nstdout: %.300s\nstderr: %.300s", args, err, stdout.String(), stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"sim", "--nope"}, envOf(), &stdout, &stderr)
	if err == nil || stdout.Len() > 0 || !strings.Contains(stderr.String(), "flag provided but not defined: -nope") ||
		!strings.Contains(stderr.String(), "usage: epilogue sim") {
		t.Errorf("sim --nope: error %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
}

// sim, eval and bench learn read EPILOGUE_* variables like serve does; a flag beats its
// variable, and a malformed variable is an error.
func TestOfflineCommandsReadEnvironment(t *testing.T) {
	ctx := context.Background()
	logPath := filepath.Join(t.TempDir(), "x.csv")
	for _, c := range []struct {
		args []string
		env  []string
		want string
	}{
		{[]string{"sim"}, []string{"EPILOGUE_DECISIONS", "0"}, "--decisions must be between"},
		{[]string{"sim"}, []string{"EPILOGUE_POLICY", "greedy"}, "--policy must be one of"},
		{[]string{"sim"}, []string{"EPILOGUE_SEED", "x"}, `$EPILOGUE_SEED: invalid value "x" for --seed`},
		{[]string{"sim", "--log", logPath}, []string{"EPILOGUE_POLICY", "all"}, "give one --policy"},
		{[]string{"eval", "obd"}, []string{"EPILOGUE_DATA", "d", "EPILOGUE_TRAIN", "2"}, "--train must be in (0, 1)"},
		{[]string{"eval", "obd"}, []string{"EPILOGUE_TRAIN", "most"}, `$EPILOGUE_TRAIN: invalid value "most" for --train`},
		{[]string{"eval", "obd", "--data", "d", "--draws", "100000000"}, nil, "--draws from 1 to 100000"},
		{[]string{"eval", "log"}, []string{"EPILOGUE_DATA", "f.csv", "EPILOGUE_LABEL", "click", "EPILOGUE_BITS", "5"}, "--bits between 10 and 24"},
		{[]string{"eval", "gen"}, []string{"EPILOGUE_ROWS", "0"}, "--rows must be at least 1"},
		{[]string{"bench", "learn"}, []string{"EPILOGUE_UPDATES", "10"}, "--updates at least 1000"},
		// A boolean that is neither true nor false is a mistake, not false.
		{[]string{"eval", "obd"}, []string{"EPILOGUE_JSON", "maybe"}, `$EPILOGUE_JSON: invalid value "maybe" for --json`},
		// Benchmarks of nothing are refused before they run (no customers used to panic).
		{[]string{"bench", "decide", "--customers", "0"}, nil, "--customers must be at least 1"},
		{[]string{"bench", "decide", "--reps", "0"}, nil, "--reps must be at least 1"},
		{[]string{"bench", "ingest", "--duration", "-1s"}, nil, "--duration must be positive"},
		{[]string{"bench", "journeys", "--workers", "0"}, nil, "--workers must be at least 1"},
		// Server settings that could only fail later, or never be noticed.
		{[]string{"serve", "--journey-lease", "banana"}, nil, `invalid value "banana" for flag -journey-lease`},
		{[]string{"serve", "--journey-lease", "-5s"}, nil, "--journey-lease must be positive"},
		{[]string{"serve", "--from-address", "not an address"}, nil, "--from-address must be a bare email address"},
		{[]string{"serve", "--public-url", "ftp://x"}, nil, "--public-url must be an http or https URL"},
		// Plain http links off this machine would fail every email when due (unsubscribe links).
		{[]string{"serve", "--public-url", "http://epilogue.shop.example"}, nil, "--public-url must be https"},
		{[]string{"serve", "--addr", "10.1.2.3:8080"}, nil, "set --public-url"},
		{[]string{"serve", "--addr", ""}, nil, "--addr must be HOST:PORT"},
	} {
		err := run(ctx, c.args, envOf(c.env...), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v with %v: %v, want %q", c.args, c.env, err, c.want)
		}
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"eval", "gen"}, envOf("EPILOGUE_ROWS", "3", "EPILOGUE_SEED", "2"), &out, io.Discard); err != nil || strings.Count(out.String(), "\n") != 4 {
		t.Fatalf("eval gen from the environment: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"eval", "gen", "--rows", "2"}, envOf("EPILOGUE_ROWS", "3"), &out, io.Discard); err != nil || strings.Count(out.String(), "\n") != 3 {
		t.Fatalf("--rows 2 beats EPILOGUE_ROWS=3: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"eval", "log", "--help"}, envOf(), &out, io.Discard); err != nil || !strings.Contains(out.String(), "$EPILOGUE_TRAIN") ||
		!strings.Contains(out.String(), "$EPILOGUE_DATA") {
		t.Fatalf("eval log --help does not show the variables: %v\n%s", err, out.String())
	}
}

// --help never shows a secret from the environment: it goes to stderr after a mistyped flag,
// and so into a service's logs.
func TestHelpHidesSecrets(t *testing.T) {
	env := envOf("EPILOGUE_SMS_AUTH_TOKEN", "supersecret123", "EPILOGUE_SMTP_URL", "smtp://user:hunter2@mail.example:587",
		"EPILOGUE_DB", "postgres://epi:pgpass1@db.example/epilogue")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"serve", "--help"}, env, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	run(context.Background(), []string{"serve", "--bogus"}, env, io.Discard, &stderr)
	for _, out := range []string{stdout.String(), stderr.String()} {
		if strings.Contains(out, "supersecret123") || strings.Contains(out, "hunter2") || strings.Contains(out, "pgpass1") {
			t.Fatalf("a secret shows in the help:\n%s", out)
		}
	}
	if !strings.Contains(stdout.String(), "smtp://user:xxxxx@mail.example:587") || !strings.Contains(stdout.String(), "[set]") {
		t.Fatalf("the help should show what is set, masked:\n%s", stdout.String())
	}
}

// A failed sim run leaves an existing --log and --plot as they were, and no temporary file; a
// run that succeeds replaces them, keeping their permissions.
func TestSimFailedRunKeepsOutputs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	logPath, plotPath := filepath.Join(dir, "log.csv"), filepath.Join(dir, "plot.svg")
	for _, p := range []string{logPath, plotPath} {
		if err := os.WriteFile(p, []byte("precious\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	unchanged := func(what string) {
		t.Helper()
		for _, p := range []string{logPath, plotPath} {
			if b, err := os.ReadFile(p); err != nil || string(b) != "precious\n" {
				t.Fatalf("%s: %s is now %.100q (%v)", what, p, b, err)
			}
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 2 {
			t.Fatalf("%s: left %d files in %s", what, len(entries), dir)
		}
	}
	err := run(ctx, []string{"sim", "--decisions", "50", "--log", logPath, "--plot", filepath.Join(dir, "missing", "x.svg")}, envOf(), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--plot") || !strings.Contains(err.Error(), filepath.Join(dir, "missing", "x.svg")) {
		t.Fatalf("bad --plot: %v", err)
	}
	unchanged("bad --plot")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := run(cancelled, []string{"sim", "--decisions", "50", "--log", logPath, "--plot", plotPath}, envOf(), io.Discard, io.Discard); err == nil {
		t.Fatal("a cancelled run succeeded")
	}
	unchanged("cancelled run")
	if err := run(ctx, []string{"sim", "--decisions", "50", "--log", logPath, "--plot", plotPath}, envOf(), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, prefix string }{{logPath, "time,surface,"}, {plotPath, "<svg"}} {
		b, _ := os.ReadFile(c.path)
		fi, err := os.Stat(c.path)
		if !bytes.HasPrefix(b, []byte(c.prefix)) || err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s after a good run: %.100q, %v %v", c.path, b, fi.Mode(), err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Fatalf("a good run left %d files in %s", len(entries), dir)
	}
}

// eval log's input errors reach the command line with their line and column.
func TestEvalLogCommandErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.csv")
	if err := os.WriteFile(path, []byte("time,click,color\n2020-01-01,1,red\n2020-01-02,0,blue\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--categorical", "click"}, path + `:1: column 2 ("click"): is already the label (--label); it cannot also be in --categorical`},
		{[]string{"--time", "click"}, path + `:1: column 2 ("click"): is the label (--label); it cannot also be the time (--time)`},
		{[]string{"--train", "0.1"}, path + ": a training fraction (--train) of 0.1 of 2 rows leaves no row to train on: it must be at least 1/2"},
	} {
		err := run(context.Background(), append([]string{"eval", "log", "--data", path, "--label", "click"}, c.args...), envOf(), io.Discard, io.Discard)
		if err == nil || err.Error() != c.want {
			t.Errorf("%v: %v\nwant %s", c.args, err, c.want)
		}
	}
}
