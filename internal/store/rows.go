package store

import "context"

// scanner is a row to scan: *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

// queryAll runs q with args and scans each row with scan.
func queryAll[T any](ctx context.Context, r Reader, op, q string, scan func(scanner) (T, error), args ...any) ([]T, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	rows, err := r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, mapErr(op, err)
		}
		out = append(out, x)
	}
	return out, mapErr(op, rows.Err())
}

// getOne reads one row by id; a missing one is KindNotFound naming entity.
func getOne[T any](ctx context.Context, r Reader, op, entity, q string, scan func(scanner) (T, error), id int64) (T, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	v, err := scan(r.QueryRowContext(ctx, q, id))
	if err != nil {
		return v, notFound(op, entity, err)
	}
	return v, nil
}
