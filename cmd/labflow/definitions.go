package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"labflow/internal/app"
	"labflow/internal/flow"
	"labflow/internal/people"
)

func (c *cli) definitions(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, "Usage: labflow definitions list [--data DIR] [--db DSN] [--definitions DIR]\n       labflow definitions lint [--data DIR] [--db DSN] FILE…\n")
		return &exitError{2, errSilent}
	}
	switch args[0] {
	case "list":
		return c.definitionsList(ctx, args[1:])
	case "lint":
		return c.definitionsLint(ctx, args[1:])
	default:
		fmt.Fprintf(c.stderr, "labflow definitions: unknown subcommand %q (list, lint)\n", args[0])
		return &exitError{2, errSilent}
	}
}

// registry is the registry the server uses: built-in roles plus what the
// domain packages register.
func registry() *flow.Registry {
	reg := flow.NewRegistry()
	app.RegisterDomain(reg, nil, time.Now)
	return reg
}

// definitionsList shows what is loaded (built-in plus --definitions), the
// version each key is at, and how many unfinished instances run on each
// version, older ones included.
func (c *cli) definitionsList(ctx context.Context, args []string) error {
	fs := c.flags("definitions list", "definitions list [--data DIR] [--db DSN] [--definitions DIR]")
	dir := fs.String("definitions", "", "folder of process definitions that add to or override the built-in ones")
	d := c.dataFlags(fs)
	if done, err := parse(fs, args); done {
		return err
	}
	db, err := c.open(ctx, d)
	if err != nil {
		return err
	}
	defer db.Close()
	// The roles and committees definitions may name: the built-in ones and
	// the database's.
	reg := registry()
	if err := app.RegisterOrganisation(ctx, reg, people.New(db)); err != nil {
		return err
	}
	defs, err := flow.Load(reg, *dir)
	if err != nil {
		for _, le := range flow.LoadErrors(err) {
			fmt.Fprintln(c.stderr, le.Error())
		}
		if len(flow.LoadErrors(err)) > 0 {
			return &exitError{1, errSilent}
		}
		return err
	}
	// Recording the definitions is what the server does at start: a changed
	// file becomes a new version, for new instances only.
	e, err := flow.New(db.Flow(), reg, nil, nil, defs)
	if err != nil {
		return err
	}
	vs, err := db.DefinitionVersions(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tVERSION\tTITLE\tRUNNING\tSOURCE")
	for _, def := range e.Definitions() {
		src := "built-in"
		if *dir != "" {
			if _, err := os.Stat(def.File); err == nil {
				src = def.File
			}
		}
		open := 0
		for _, v := range vs {
			if v.Key == def.Key && v.Version == def.Version {
				open = v.Open
			}
		}
		fmt.Fprintf(tw, "%s\tv%d\t%s / %s\t%d\t%s\n", def.Key, def.Version, def.Title.ZH, def.Title.EN, open, src)
		for _, v := range vs {
			if v.Key == def.Key && v.Version != def.Version && v.Open > 0 {
				fmt.Fprintf(tw, "\tv%d\t(older, %s)\t%d\t\n", v.Version, v.CreatedAt.Format("2006-01-02"), v.Open)
			}
		}
	}
	return tw.Flush()
}

// definitionsLint checks definition files as the loader does and prints
// each problem as FILE:LINE:COLUMN: FIELD: MESSAGE; it fails with exit
// status 1 if any file has a problem. The roles and committees a file may
// name are the database's when one can be read (--data, --db), and the
// built-in ones otherwise; the first line says which.
func (c *cli) definitionsLint(ctx context.Context, args []string) error {
	fs := c.flags("definitions lint", "definitions lint [--data DIR] [--db DSN] FILE…")
	d := c.dataFlags(fs)
	if done, err := parse(fs, args); done {
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(c.stderr, "labflow definitions lint: name at least one file")
		return &exitError{2, errSilent}
	}
	reg := registry()
	fmt.Fprintln(c.stdout, orgRegistry(ctx, reg, d))
	bad := 0
	for _, name := range fs.Args() {
		src, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(c.stdout, "%s:0:0: %v\n", name, err)
			bad++
			continue
		}
		d, err := flow.Parse(name, src, reg)
		if err != nil {
			les := flow.LoadErrors(err)
			if len(les) == 0 {
				fmt.Fprintf(c.stdout, "%s:0:0: %v\n", name, err)
			}
			for _, le := range les {
				fmt.Fprintln(c.stdout, le.Error())
			}
			bad++
			continue
		}
		fmt.Fprintf(c.stdout, "%s: ok (%s, %d fields, %d steps)\n", name, d.Key, len(d.Form), len(d.Steps))
	}
	if bad > 0 {
		return &exitError{1, errSilent}
	}
	return nil
}
