package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"labflow/internal/audit"
	"labflow/internal/store"
)

func (c *cli) open(ctx context.Context, d *dataFlags) (*store.DB, error) {
	return store.Open(ctx, store.Config{DSN: d.db, DataDir: d.data})
}

func (c *cli) migrate(ctx context.Context, args []string) error {
	fs := c.flags("migrate", "migrate [--data DIR] [--db DSN]")
	d := c.dataFlags(fs)
	if done, err := parse(fs, args); done {
		return err
	}
	if err := c.noArgs(fs); err != nil {
		return err
	}
	db, err := c.open(ctx, d) // Open applies every pending migration
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := db.Version(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "schema at version %d (%s)\n", v, db.Dialect())
	return nil
}

func (c *cli) verify(ctx context.Context, args []string) error {
	fs := c.flags("verify", "verify [--data DIR] [--db DSN] [--expect-head HASH]")
	expect := fs.String("expect-head", "", "a head hash recorded earlier; fails if it is no longer in the chain")
	d := c.dataFlags(fs)
	if done, err := parse(fs, args); done {
		return err
	}
	if err := c.noArgs(fs); err != nil {
		return err
	}
	// Read-only: verify migrates nothing and writes nothing, so that an
	// archived copy (read-only media, or kept byte for byte) can be checked.
	db, err := store.OpenReadOnly(ctx, store.Config{DSN: d.db, DataDir: d.data})
	if err != nil {
		return err
	}
	defer db.Close()
	want := *expect
	if _, h, ok := strings.Cut(want, ":"); ok { // accept the printed COUNT:HASH form too
		want = h
	}
	head, err := db.VerifyAudit(ctx, want)
	var p *audit.Problem
	if errors.As(err, &p) {
		fmt.Fprintf(c.stdout, "FAILED: event %d: %s: %s\n", p.Seq, p.Reason, p.Detail)
		fmt.Fprintf(c.stdout, "verified up to: %d events, head %s\n", head.Count, head.Hash)
		return &exitError{1, errSilent}
	}
	var re *store.RecordsError
	if errors.As(err, &re) {
		fmt.Fprintf(c.stdout, "FAILED: %d records are not what their audit trail says (chain intact: %d events, head %s):\n",
			len(re.Problems), head.Count, head.Hash)
		for _, rp := range re.Problems {
			fmt.Fprintf(c.stdout, "  %s\n", rp)
		}
		return &exitError{1, errSilent}
	}
	var ru *store.RecordsUncheckedError
	if errors.As(err, &ru) {
		fmt.Fprintf(c.stdout, "OK: %d events, chain intact\nhead %s\nnote: %s\n", head.Count, head, ru)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "OK: %d events, chain intact; every record is what its trail says\nhead %s\n", head.Count, head)
	return nil
}
