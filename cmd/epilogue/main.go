// Command epilogue is the post-purchase engine: one binary that serves the API, runs the demo,
// migrates databases, evaluates policies and measures itself.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil && err != errHelp {
		fmt.Fprintln(os.Stderr, "epilogue:", err)
		os.Exit(1)
	}
}

// command is one subcommand: its name, a line of help and what it runs.
type command struct {
	name, help string
	run        func(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "serve the API on a database (migrating it first)", runServe},
		{"demo", "run the demo shop on embedded SQLite", runDemo},
		{"migrate", "create or upgrade a database", runMigrate},
		{"shop", "manage shops: shop create --name NAME", runShop},
		{"key", "manage API keys: key create --shop ID --kind secret|publishable", runKey},
		{"eval", "evaluate policies offline: eval obd | eval log", runEval},
		{"sim", "simulate shop traffic through the real engine", runSim},
		{"bench", "measure performance: bench decide | ingest | learn | journeys", runBench},
		{"journeys", "manage journeys: journeys load DIR", runJourneys},
	}
}

// run is the whole program: main only calls it, so tests can too.
func run(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, args[1:], env, stdout, stderr)
			var help helpText
			if errors.As(err, &help) {
				_, err = io.WriteString(stdout, string(help))
				return err
			}
			if err == errHelp {
				return nil
			}
			return err
		}
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: epilogue COMMAND [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.help)
	}
	fmt.Fprintln(w, "\nRun 'epilogue COMMAND --help' for a command's flags.")
}
