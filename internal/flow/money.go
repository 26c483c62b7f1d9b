package flow

import (
	"errors"
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// Numbers in definitions, expressions and forms are exact decimals held as
// *big.Rat, so that money adds and multiplies without binary floating
// point error (0.1 + 0.2 == 0.3, 3 × 33.33 == 99.99).

var decimalRE = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?$`)

// maxDecimalLen bounds the length of a decimal text, so that hostile input
// cannot make arithmetic expensive.
const maxDecimalLen = 40

var errBadDecimal = errors.New("not a decimal number")

// ParseDecimal parses a plain decimal text such as "12", "-3.5" or
// "0.125" (no exponent, no thousands separators) into an exact rational.
func ParseDecimal(s string) (*big.Rat, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxDecimalLen || !decimalRE.MatchString(s) {
		return nil, errBadDecimal
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, errBadDecimal
	}
	return r, nil
}

// decimalPlaces returns the number of digits after the point in a decimal text.
func decimalPlaces(s string) int {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return len(s) - i - 1
	}
	return 0
}

// ParseMoney parses an amount of CNY with at most two decimal places.
func ParseMoney(s string) (*big.Rat, error) {
	r, err := ParseDecimal(s)
	if err != nil {
		return nil, err
	}
	if decimalPlaces(s) > 2 {
		return nil, errors.New("more than 2 decimal places")
	}
	return r, nil
}

// FormatMoney formats r with exactly two decimal places (rounding half away
// from zero if r has more).
func FormatMoney(r *big.Rat) string { return r.FloatString(2) }

// FormatDecimal formats r exactly when it has a finite decimal expansion of
// at most 6 places, else rounded to 6 places; trailing zeros are removed
// ("2", "2.5", "0.333333").
func FormatDecimal(r *big.Rat) string {
	s := r.FloatString(6)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// floatText renders a float64 in the shortest form that reads back as the
// same float ("0.1", not "0.1000000000000000055…"), which is what the user typed.
func floatText(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
