package flow_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"labflow/internal/flow"
)

// BenchmarkLint50 measures `labflow definitions lint` over 50 definitions
// (issue 8: under 1 s): the shipped ones, each copied under new keys
// until there are 50, all parsed, validated and type-checked.
func BenchmarkLint50(b *testing.B) {
	dir := b.TempDir()
	var files []string
	names, err := fs.Glob(flow.Builtin, "definitions/*.yaml")
	if err != nil || len(names) == 0 {
		b.Fatal(names, err)
	}
	for i := 0; len(files) < 50; i++ {
		n := names[i%len(names)]
		src, err := fs.ReadFile(flow.Builtin, n)
		if err != nil {
			b.Fatal(err)
		}
		d, err := flow.Parse(n, src, lintRegistry())
		if err != nil {
			b.Fatal(err)
		}
		body := strings.Replace(string(src), "key: "+d.Key+"\n", fmt.Sprintf("key: %s-%d\n", d.Key, i), 1)
		f := filepath.Join(dir, fmt.Sprintf("%02d.yaml", i))
		if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
		files = append(files, f)
	}
	reg := lintRegistry()
	b.ResetTimer()
	for b.Loop() {
		if err := flow.Lint(reg, files...); err != nil {
			b.Fatal(err)
		}
	}
}

func lintRegistry() *flow.Registry {
	reg := flow.NewRegistry()
	reg.RegisterGuard("hr.promotion_eligible", func(context.Context, flow.GuardInput) error { return nil })
	return reg
}
