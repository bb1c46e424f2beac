package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// flags is a flag set whose defaults come from EPILOGUE_* environment variables, so every
// setting can be given either way and --help shows both.
type flags struct {
	*flag.FlagSet
	env    func(string) string
	envErr error // a malformed environment variable, reported by parse
	stderr io.Writer
	// out holds what the flag package prints, until parse knows where it belongs: asked-for
	// help on stdout, a mistake and the help on stderr.
	out strings.Builder
}

func newFlags(name, usage string, env func(string) string, stderr io.Writer) *flags {
	f := &flags{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), env: env, stderr: stderr}
	f.SetOutput(&f.out)
	f.Usage = func() {
		fmt.Fprintf(&f.out, "usage: epilogue %s\n\nflags (each also read from the environment variable shown):\n", usage)
		f.PrintDefaults()
	}
	return f
}

func envName(flagName string) string {
	return "EPILOGUE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// str declares a string flag with an environment fallback. --help shows the variable's value
// as the default, but never a URL's password (--help goes to stderr, and so into logs, after
// a mistyped flag).
func (f *flags) str(name, def, help string) *string {
	p := f.String(name, def, help+" ($"+envName(name)+")")
	if v := f.env(envName(name)); v != "" {
		*p = v
		f.Lookup(name).DefValue = redacted(v)
	}
	return p
}

// secret declares a string flag whose value --help never shows, only whether it is set.
func (f *flags) secret(name, help string) *string {
	p := f.String(name, "", help+" ($"+envName(name)+")")
	if v := f.env(envName(name)); v != "" {
		*p = v
		f.Lookup(name).Usage += " [set]"
	}
	return p
}

// redacted is v with a URL's password masked.
func redacted(v string) string {
	if u, err := url.Parse(v); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			return u.Redacted()
		}
	}
	return v
}

// integer declares an int flag with an environment fallback.
func (f *flags) integer(name string, def int, help string) *int {
	p := f.Int(name, def, help)
	f.fromEnv(name)
	return p
}

// fromEnv gives flags already declared, of any type, their environment fallback; a malformed
// variable is an error at parse time, not silently the default.
func (f *flags) fromEnv(names ...string) {
	for _, name := range names {
		fl := f.Lookup(name)
		fl.Usage += " ($" + envName(name) + ")"
		if v := f.env(envName(name)); v != "" && f.envErr == nil {
			if err := f.Set(name, v); err != nil {
				f.envErr = fmt.Errorf("$%s: invalid value %q for --%s", envName(name), v, name)
			}
		}
	}
}

// boolean declares a bool flag with an environment fallback ("1", "true", "yes"; "0", "false",
// "no"); anything else is an error at parse time, not quietly false.
func (f *flags) boolean(name string, def bool, help string) *bool {
	p := f.Bool(name, def, help+" ($"+envName(name)+")")
	if v := strings.ToLower(strings.TrimSpace(f.env(envName(name)))); v != "" {
		switch v {
		case "1", "true", "yes":
			*p = true
		case "0", "false", "no":
			*p = false
		default:
			if f.envErr == nil {
				f.envErr = fmt.Errorf("$%s: invalid value %q for --%s: want true or false", envName(name), v, name)
			}
			return p
		}
		f.Lookup(name).DefValue = strconv.FormatBool(*p)
	}
	return p
}

// parse parses args; --help is not an error but a helpText, which run prints.
func (f *flags) parse(args []string) error {
	if f.envErr != nil {
		return f.envErr
	}
	err := f.Parse(args)
	if err == flag.ErrHelp {
		return helpText(f.out.String())
	}
	io.WriteString(f.stderr, f.out.String())
	if err == nil && f.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: this command takes only flags (see --help)", f.Arg(0))
	}
	return err
}

// positive refuses a number or duration flag that is not above zero, naming it: a benchmark
// of no runs, clients or customers would report a meaningless 0 or NaN, or panic.
func (f *flags) positive(names ...string) error {
	for _, n := range names {
		switch v := f.Lookup(n).Value.(flag.Getter).Get().(type) {
		case int:
			if v <= 0 {
				return fmt.Errorf("--%s must be at least 1, not %d", n, v)
			}
		case time.Duration:
			if v <= 0 {
				return fmt.Errorf("--%s must be positive, not %v", n, v)
			}
		}
	}
	return nil
}

// errHelp ends a command after it printed its help (on stdout).
var errHelp = fmt.Errorf("help requested")

// helpText ends a command whose help was asked for: run prints it on stdout and succeeds.
type helpText string

func (h helpText) Error() string { return "help requested" }

// logging holds the flags that shape logs.
type logging struct {
	level, format *string
	requests      *bool
}

func (f *flags) logging() logging {
	return logging{
		level:    f.str("log-level", "info", "log level: debug, info, warn or error"),
		format:   f.str("log-format", "text", "log format: text or json"),
		requests: f.boolean("log-requests", false, "log every request, not only failures"),
	}
}

func (l logging) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(*l.level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch *l.format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, not %q", *l.format)
}

const defaultDB = "sqlite://./epilogue.db"
