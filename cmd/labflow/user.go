package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"os/user"
	"strings"

	"labflow/internal/auth"
	"labflow/internal/domain"
	"labflow/internal/people"
)

const userUsage = `Usage:
  labflow user add USERNAME --name NAME [--department CODE] [--role ROLE]... [--password-stdin] [--permanent]
  labflow user passwd USERNAME [--password-stdin] [--permanent]
  labflow user list
  labflow user token USERNAME [--name NAME]
(each also takes --data DIR or --db DSN)

A password set by add or passwd is temporary: its owner must change it at
the next sign-in before doing anything else, and it never completes an
electronic signature. --permanent makes it a normal password (for example
for one's own account).`

// cliActor is the actor of administration commands: the system, named
// after the operating-system user who ran the command, so the audit trail
// says who it was.
func cliActor() domain.Actor {
	a := domain.System
	if u, err := user.Current(); err == nil {
		a.Name = "cli:" + u.Username
	}
	return a
}

type roleList []string

func (r *roleList) String() string     { return strings.Join(*r, ",") }
func (r *roleList) Set(v string) error { *r = append(*r, v); return nil }

func (c *cli) user(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprintln(c.stderr, userUsage)
		if len(args) == 0 {
			return &exitError{2, errSilent}
		}
		return nil
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "add", "passwd", "list", "token":
	default: // refused before anything is opened
		fmt.Fprintf(c.stderr, "labflow user: unknown subcommand %q\n%s\n", sub, userUsage)
		return &exitError{2, errSilent}
	}
	fs := c.flags("user "+sub, "user "+sub+" …\n\n"+userUsage)
	d := c.dataFlags(fs)
	name := fs.String("name", "", "printed name (add) or token name (token)")
	dept := fs.String("department", "", "department code (add)")
	var roles roleList
	fs.Var(&roles, "role", "role to grant (add; repeatable): "+rolesText())
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	permanent := fs.Bool("permanent", false, "the password is not temporary (add, passwd): no change needed at the next sign-in, and it may sign")
	username, rest := "", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		username, rest = args[0], args[1:]
	}
	if done, err := parse(fs, rest); done {
		return err
	}
	if username == "" && fs.NArg() > 0 {
		username = fs.Arg(0)
	}
	if sub != "list" && username == "" {
		fmt.Fprintln(c.stderr, "labflow user "+sub+": USERNAME is required\n"+userUsage)
		return &exitError{2, errSilent}
	}
	db, err := c.open(ctx, d)
	if err != nil {
		return err
	}
	defer db.Close()
	ppl, au, actor := people.New(db), auth.New(db, auth.Config{}), cliActor()
	switch sub {
	case "list":
		ps, _, err := ppl.People(ctx, people.PersonFilter{IncludeInactive: true, Limit: 100000})
		if err != nil {
			return err
		}
		for _, p := range ps {
			var rs []string
			for _, g := range p.Grants {
				rs = append(rs, string(g.Role))
			}
			state := "active"
			if !p.Active {
				state = "inactive"
			}
			fmt.Fprintf(c.stdout, "%s\t%s\t%s\t%s\n", p.Username, p.Name, state, strings.Join(rs, ","))
		}
		return nil
	case "add":
		pw, generated, err := c.password(*fromStdin)
		if err != nil {
			return err
		}
		hash, err := auth.HashPassword(pw)
		if err != nil {
			return err
		}
		in := people.PersonInput{Username: username, Name: *name, PasswordHash: hash, PasswordPermanent: *permanent}
		if *dept != "" {
			ds, err := ppl.Departments(ctx, false)
			if err != nil {
				return err
			}
			for _, dd := range ds {
				if dd.Code == *dept {
					in.DepartmentID = dd.ID
				}
			}
			if in.DepartmentID == 0 {
				return fmt.Errorf("unknown department %q", *dept)
			}
		}
		for _, r := range roles {
			g := domain.Grant{Role: domain.Role(r)}
			if g.Role.Scoped() {
				g.DepartmentID = in.DepartmentID
			}
			in.Roles = append(in.Roles, g)
		}
		p, err := ppl.CreatePerson(ctx, actor, in)
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(c.stdout, "created %s (id %d)\n", p.Username, p.ID)
		c.printPassword(pw, generated, *permanent)
		return nil
	case "passwd":
		p, err := ppl.PersonByUsername(ctx, username)
		if err != nil {
			return describe(err)
		}
		pw, generated, err := c.password(*fromStdin)
		if err != nil {
			return err
		}
		set := au.SetPassword
		if *permanent {
			set = au.SetPermanentPassword
		}
		if err := set(ctx, actor, p.ID, pw); err != nil {
			return describe(err)
		}
		fmt.Fprintf(c.stdout, "password set for %s\n", p.Username)
		c.printPassword(pw, generated, *permanent)
		return nil
	case "token":
		p, err := ppl.PersonByUsername(ctx, username)
		if err != nil {
			return describe(err)
		}
		tn := *name
		if tn == "" {
			tn = "cli"
		}
		secret, _, err := au.CreateToken(ctx, actor, p.ID, tn)
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(c.stdout, "token for %s: %s\n", p.Username, secret)
		return nil
	default:
		fmt.Fprintf(c.stderr, "labflow user: unknown subcommand %q\n%s\n", sub, userUsage)
		return &exitError{2, errSilent}
	}
}

// printPassword prints a generated password (once) and says whether the
// password is temporary.
func (c *cli) printPassword(pw string, generated, permanent bool) {
	if generated {
		fmt.Fprintf(c.stdout, "password: %s\n", pw)
	}
	if !permanent {
		fmt.Fprintln(c.stdout, "the password is temporary: it must be changed at the next sign-in and cannot sign")
	}
}

// password reads a password from stdin, or generates one.
func (c *cli) password(fromStdin bool) (pw string, generated bool, err error) {
	if fromStdin {
		line, err := bufio.NewReader(c.stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", false, fmt.Errorf("reading the password from standard input: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), false, nil
	}
	var b [15]byte
	rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.EncodeToString(b[:])), true, nil
}

func rolesText() string {
	var rs []string
	for _, r := range domain.Roles {
		rs = append(rs, string(r))
	}
	return strings.Join(rs, ", ") + ", or a role the administrator defined (系统管理 → 角色)"
}

// describe turns a domain error into a readable English message for the terminal.
func describe(err error) error {
	return fmt.Errorf("%s", describeText(err))
}
