package flow

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Builtin holds the institute's definitions shipped in the binary, under definitions/.
//
//go:embed definitions/*.yaml
var Builtin embed.FS

// maxDefinitionSize bounds a definition file.
const maxDefinitionSize = 1 << 20

// LoadError is one problem found while loading a definition: where it is
// (file, 1-based line and column, the field path such as
// "steps[3].assignee.role", with 0-based indexes) and what is wrong.
// Several are joined with errors.Join.
type LoadError struct {
	File   string
	Line   int
	Column int
	Field  string
	Msg    string
}

// Error returns "file:line:col: field: msg".
func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	fmt.Fprintf(&b, ":%d:%d: ", e.Line, e.Column)
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// LoadErrors returns the *LoadError values in err (joined or single).
func LoadErrors(err error) []*LoadError {
	var out []*LoadError
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if le, ok := e.(*LoadError); ok {
			out = append(out, le)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		if u := errors.Unwrap(e); u != nil {
			walk(u)
		}
	}
	walk(err)
	return out
}

// Parse decodes and validates one definition. Decoding is strict: an
// unknown key is an error. It sets File, Source and Hash (the SHA-256 of
// src, hex). The error is one *LoadError or several joined.
func Parse(file string, src []byte, reg *Registry) (*Definition, error) {
	if reg == nil {
		reg = NewRegistry()
	}
	if len(src) > maxDefinitionSize {
		return nil, &LoadError{File: file, Line: 1, Column: 1, Msg: "file larger than 1 MiB"}
	}
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		return nil, yamlError(file, nil, err)
	}
	if len(f.Docs) != 1 || f.Docs[0].Body == nil {
		return nil, &LoadError{File: file, Line: 1, Column: 1, Msg: "want exactly one YAML document"}
	}
	if hasAlias(f.Docs[0].Body, 0) {
		return nil, &LoadError{File: file, Line: 1, Column: 1, Msg: "YAML anchors and aliases are not allowed"}
	}
	d := new(Definition)
	// Decoded from the tree already parsed: parsing YAML is most of lint's time.
	if err := yaml.NodeToValue(f.Docs[0].Body, d, yaml.Strict()); err != nil {
		return nil, yamlError(file, f, err)
	}
	d.File = file
	d.Source = append([]byte(nil), src...)
	sum := sha256.Sum256(src)
	d.Hash = hex.EncodeToString(sum[:])
	if errs := validate(d, reg); len(errs) > 0 {
		joined := make([]error, len(errs))
		for i, e := range errs {
			e.File = file
			e.Line, e.Column = position(f, e.Field)
			joined[i] = e
		}
		return nil, errors.Join(joined...)
	}
	return d, nil
}

// yamlError turns a go-yaml error into a LoadError with its position and,
// when the AST is known, the field path at that position.
func yamlError(file string, f *ast.File, err error) error {
	le := &LoadError{File: file, Line: 1, Column: 1, Msg: err.Error()}
	var ye yaml.Error
	if errors.As(err, &ye) {
		le.Msg = ye.GetMessage()
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			le.Line, le.Column = tk.Position.Line, tk.Position.Column
		}
		if f != nil {
			le.Field = pathAt(f, le.Line, le.Column)
		}
	}
	return le
}

func hasAlias(n ast.Node, depth int) bool {
	if n == nil || depth > 200 {
		return n != nil
	}
	switch x := n.(type) {
	case *ast.AliasNode, *ast.AnchorNode:
		return true
	case *ast.MappingNode:
		for _, v := range x.Values {
			if hasAlias(v, depth+1) {
				return true
			}
		}
	case *ast.MappingValueNode:
		return hasAlias(x.Key, depth+1) || hasAlias(x.Value, depth+1)
	case *ast.SequenceNode:
		for _, v := range x.Values {
			if hasAlias(v, depth+1) {
				return true
			}
		}
	case *ast.TagNode:
		return hasAlias(x.Value, depth+1)
	}
	return false
}

// mappingValues returns the entries of a mapping node (a single-entry
// mapping may be a bare MappingValueNode).
func mappingValues(n ast.Node) []*ast.MappingValueNode {
	switch x := n.(type) {
	case *ast.MappingNode:
		return x.Values
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{x}
	case *ast.TagNode:
		return mappingValues(x.Value)
	}
	return nil
}

func nodePos(n ast.Node) (int, int) {
	if n == nil {
		return 0, 0
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line, tk.Position.Column
	}
	return 0, 0
}

func keyName(mv *ast.MappingValueNode) string {
	if mv.Key == nil {
		return ""
	}
	if tk := mv.Key.GetToken(); tk != nil {
		return tk.Value
	}
	return mv.Key.String()
}

// position finds the line and column of a field path such as
// "steps[3].assignee.role": the key's position, or the nearest existing
// ancestor's when the field is absent.
func position(f *ast.File, field string) (int, int) {
	line, col := 1, 1
	if f == nil || len(f.Docs) == 0 {
		return line, col
	}
	n := f.Docs[0].Body
	if l, c := nodePos(n); l > 0 {
		line, col = l, c
	}
	if field == "" {
		return line, col
	}
	for _, seg := range splitPath(field) {
		if seg.key != "" {
			var found *ast.MappingValueNode
			for _, mv := range mappingValues(n) {
				if keyName(mv) == seg.key {
					found = mv
					break
				}
			}
			if found == nil {
				return line, col
			}
			line, col = nodePos(found.Key)
			n = found.Value
			continue
		}
		seq, ok := n.(*ast.SequenceNode)
		if !ok || seg.index >= len(seq.Values) {
			return line, col
		}
		n = seq.Values[seg.index]
		if l, c := nodePos(n); l > 0 {
			line, col = l, c
		}
	}
	return line, col
}

type pathSeg struct {
	key   string
	index int
}

func splitPath(p string) []pathSeg {
	var out []pathSeg
	for _, part := range strings.Split(p, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name != "" {
			out = append(out, pathSeg{key: name})
		}
		for rest != "" {
			num, after, _ := strings.Cut(rest, "]")
			i, _ := strconv.Atoi(num)
			out = append(out, pathSeg{index: i})
			_, rest, _ = strings.Cut(after, "[")
		}
	}
	return out
}

// pathAt returns the field path of the key at line:col, or "".
func pathAt(f *ast.File, line, col int) string {
	if len(f.Docs) == 0 {
		return ""
	}
	var best string
	var walk func(n ast.Node, p string, depth int)
	walk = func(n ast.Node, p string, depth int) {
		if n == nil || depth > 100 || best != "" {
			return
		}
		if seq, ok := n.(*ast.SequenceNode); ok {
			for i, v := range seq.Values {
				walk(v, fmt.Sprintf("%s[%d]", p, i), depth+1)
			}
			return
		}
		for _, mv := range mappingValues(n) {
			name := keyName(mv)
			q := name
			if p != "" {
				q = p + "." + name
			}
			if l, c := nodePos(mv.Key); l == line && c == col {
				best = q
				return
			}
			if l, _ := nodePos(mv.Value); l == line {
				if vl, vc := nodePos(mv.Value); vl == line && vc == col {
					best = q
					return
				}
			}
			walk(mv.Value, q, depth+1)
		}
	}
	walk(f.Docs[0].Body, "", 0)
	return best
}

// LoadFS loads every *.yaml and *.yml file in dir of fsys. Two files with
// the same key are an error. All errors are joined.
func LoadFS(fsys fs.FS, dir string, reg *Registry) ([]*Definition, error) {
	return loadFS(fsys, dir, reg, func(name string) string { return name })
}

func loadFS(fsys fs.FS, dir string, reg *Registry, display func(string) string) ([]*Definition, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var defs []*Definition
	var errs []error
	seen := map[string]string{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !(strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
			continue
		}
		p := path.Join(dir, name)
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		d, err := Parse(display(p), src, reg)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if other, dup := seen[d.Key]; dup {
			l, c := position(mustAST(src), "key")
			errs = append(errs, &LoadError{File: d.File, Line: l, Column: c, Field: "key",
				Msg: fmt.Sprintf("key %q is also defined in %s", d.Key, other)})
			continue
		}
		seen[d.Key] = d.File
		defs = append(defs, d)
	}
	return defs, errors.Join(errs...)
}

func mustAST(src []byte) *ast.File {
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		return nil
	}
	return f
}

// Load loads the built-in definitions and then the files in overrideDir
// (if not ""), which replace built-ins with the same key or add new ones.
// It also checks that every subprocess step names a loaded definition.
// The result is sorted by key.
func Load(reg *Registry, overrideDir string) ([]*Definition, error) {
	defs, err := LoadFS(Builtin, "definitions", reg)
	if err != nil {
		return nil, err
	}
	byKey := map[string]*Definition{}
	for _, d := range defs {
		byKey[d.Key] = d
	}
	if overrideDir != "" {
		more, err := loadFS(os.DirFS(overrideDir), ".", reg, func(name string) string {
			return filepath.Join(overrideDir, filepath.FromSlash(name))
		})
		if err != nil {
			return nil, err
		}
		for _, d := range more {
			byKey[d.Key] = d
		}
	}
	out := make([]*Definition, 0, len(byKey))
	var errs []error
	for _, d := range byKey {
		out = append(out, d)
		for i, s := range d.Steps {
			if s.Kind == StepSubprocess && byKey[s.Subprocess] == nil {
				field := fmt.Sprintf("steps[%d].subprocess", i)
				l, c := position(mustAST(d.Source), field)
				errs = append(errs, &LoadError{File: d.File, Line: l, Column: c, Field: field,
					Msg: fmt.Sprintf("no definition with key %q", s.Subprocess)})
			}
		}
		for _, le := range countRefErrors(d, byKey) {
			errs = append(errs, le)
		}
		for _, le := range startRefErrors(d, byKey) {
			errs = append(errs, le)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Step returns the step with id, or nil.
func (d *Definition) Step(id string) *Step {
	for i := range d.Steps {
		if d.Steps[i].ID == id {
			return &d.Steps[i]
		}
	}
	return nil
}

// First returns the first step (where an instance starts), or nil.
func (d *Definition) First() *Step {
	if len(d.Steps) == 0 {
		return nil
	}
	return &d.Steps[0]
}
