package store

import (
	"strconv"
	"strings"
)

// sqlInts writes ids as a list of integer literals ("1, 2, 3") for an
// IN (...) condition. The ids are integers formatted here, so nothing from
// outside reaches the SQL text. A bound parameter per id would be slow for
// the lists of thousands a dashboard asks about: SQLite finds each
// parameter by a scan of the statement's names, so binding n of them costs
// n².
func sqlInts(ids []int64) string {
	var b strings.Builder
	b.Grow(len(ids) * 8)
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}
