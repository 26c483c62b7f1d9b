package flow

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
)

// DecodeJSON decodes data into v keeping numbers exact: a number inside an
// interface value (a form field, an engine variable) becomes a json.Number
// holding its decimal text, never a float64, so that
// 12345678901234567.25 reads back as written. Every reader of stored forms
// and state uses it (the store, the instance cache, signature content).
func DecodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errTrailing
	}
	return nil
}

var errTrailing = errString("flow: trailing data after JSON value")

func itoa(n int) string { return strconv.Itoa(n) }
