package main

import (
	"context"
	"fmt"
)

func (c *cli) definitions(ctx context.Context, args []string) error {
	return fmt.Errorf("definitions: not available yet")
}

func (c *cli) bench(ctx context.Context, args []string) error {
	return fmt.Errorf("bench: not available yet")
}
