// Command labflow runs LabFlow, the operations system for a drug-development
// research institute, and its administration commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errSilent) {
			fmt.Fprintln(os.Stderr, "labflow:", err)
		}
		os.Exit(exitCode(err))
	}
}

// errSilent marks failures whose message was already printed.
var errSilent = errors.New("failed")

type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

const usage = `labflow — operations system for a drug-development research institute

Usage:
  labflow serve [--addr HOST:PORT] [--data DIR] [--db DSN] [--demo] [--definitions DIR]
  labflow migrate [--data DIR] [--db DSN]
  labflow verify [--data DIR] [--db DSN] [--expect-head HASH]
  labflow user add|passwd|list|token ...
  labflow definitions list|lint ...
  labflow bench approval [--instances N] [--concurrency C] [--db DSN] [--http] [--json]
  labflow version

Every command that touches data takes --data DIR (SQLite, default ./data) or
--db DSN (PostgreSQL, also from LABFLOW_DB). Run "labflow COMMAND --help" for details.
`

// run is the whole program, with its environment passed in (so that tests
// can call it).
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return &exitError{2, errSilent}
	}
	env := &cli{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	cmd, rest := args[1], args[2:]
	switch cmd {
	case "serve":
		return env.serve(ctx, rest)
	case "migrate":
		return env.migrate(ctx, rest)
	case "verify":
		return env.verify(ctx, rest)
	case "user":
		return env.user(ctx, rest)
	case "definitions":
		return env.definitions(ctx, rest)
	case "bench":
		return env.bench(ctx, rest)
	case "version", "--version":
		fmt.Fprintln(stdout, "labflow", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "labflow: unknown command %q\n\n%s", cmd, usage)
		return &exitError{2, errSilent}
	}
}

// cli carries the process environment into the commands.
type cli struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// flags returns a flag set for a command that prints its usage on --help.
func (c *cli) flags(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: labflow %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags; --help prints usage and ends the command successfully.
func parse(fs *flag.FlagSet, args []string) (done bool, err error) {
	err = fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return true, nil
	}
	if err != nil {
		return true, &exitError{2, errSilent}
	}
	return false, nil
}

// noArgs refuses positional arguments for commands that take none (a
// stray word would otherwise be ignored, and the command would run on the
// default ./data).
func (c *cli) noArgs(fs *flag.FlagSet) error {
	if fs.NArg() == 0 {
		return nil
	}
	fmt.Fprintf(c.stderr, "labflow %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
	fs.Usage()
	return &exitError{2, errSilent}
}

// dataFlags adds --data and --db.
type dataFlags struct {
	data string
	db   string
}

func (c *cli) dataFlags(fs *flag.FlagSet) *dataFlags {
	d := &dataFlags{}
	fs.StringVar(&d.data, "data", "data", "data directory (SQLite file and attachments)")
	fs.StringVar(&d.db, "db", c.getenv("LABFLOW_DB"), "PostgreSQL DSN (postgres://…); default SQLite under --data")
	return d
}
