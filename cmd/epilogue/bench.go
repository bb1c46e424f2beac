package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
)

func runBench(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	usage := "usage: epilogue bench decide|ingest|learn|journeys [flags]   (--help after the name for its flags)"
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(stdout, usage)
			return errHelp
		}
		fmt.Fprintln(stderr, usage)
		return fmt.Errorf("bench needs a benchmark name")
	}
	switch args[0] {
	case "decide":
		return benchDecide(ctx, args[1:], env, stdout, stderr)
	case "ingest":
		return benchIngest(ctx, args[1:], env, stdout, stderr)
	case "learn":
		return benchLearn(ctx, args[1:], env, stdout, stderr)
	case "decide-server": // started by bench decide: the server under test, in its own process
		return benchDecideServer(ctx, args[1:], env, stdout, stderr)
	case "trivial-server": // started by bench decide: the baseline, in its own process
		return benchTrivialServer(ctx, stdout)
	case "journeys":
		return benchJourneys(ctx, args[1:], env, stdout, stderr)
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown benchmark %q", args[0])
}

// startCPUProfile starts writing a CPU profile to path, unless path is empty; stop ends it and
// closes the file, and may be called more than once.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	var once sync.Once
	return func() { once.Do(func() { pprof.StopCPUProfile(); f.Close() }) }, nil
}
