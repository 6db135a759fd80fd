// Package input checks identifiers and names that come from outside
// (paths, bodies, tokens, webhook URLs) before they reach a store key, a
// log line or a cart: bounded, UTF-8, free of control characters. Every
// route uses it, so no hostile value can surface as a store error (a 5xx)
// instead of a clear refusal.
package input

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/autosync/autosync/shared/id"
)

// Limits.
const (
	// MaxAccount is the longest account id a token may carry.
	MaxAccount = 128
	// MaxName is the longest channel name, in characters.
	MaxName = 100
	// MaxKey is the longest warehouse id, order status or config key.
	MaxKey = 100
)

// Reasons a value is refused; the error text says which, in words a caller
// can be shown after the field's name ("name is too long ...").
var (
	ErrEmpty   = errors.New("is required")
	ErrTooLong = errors.New("is too long")
	ErrUTF8    = errors.New("is not UTF-8")
	ErrControl = errors.New("contains control characters")
	ErrSpace   = errors.New("has leading or trailing spaces")
)

// Text checks a required single-line value of at most max bytes: UTF-8,
// no control or invisible format characters (a NUL, a newline, a
// right-to-left override), no leading or trailing white space (values are
// refused, never trimmed, so what is stored is what was sent).
func Text(s string, max int) error {
	switch {
	case s == "":
		return ErrEmpty
	case len(s) > max:
		return fmt.Errorf("%w (at most %d bytes)", ErrTooLong, max)
	case !utf8.ValidString(s):
		return ErrUTF8
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return ErrControl
		}
	}
	if strings.TrimSpace(s) != s {
		return ErrSpace
	}
	return nil
}

// Value checks a config or credential value of at most max bytes: UTF-8
// and free of control characters, since connectors put these values in
// URLs and headers (a token with a newline would be refused by the HTTP
// client and look like a cart outage). It may be empty or padded: what each
// cart needs is its connector's to check.
func Value(s string, max int) error {
	switch {
	case len(s) > max:
		return fmt.Errorf("%w (at most %d bytes)", ErrTooLong, max)
	case !utf8.ValidString(s):
		return ErrUTF8
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ErrControl
		}
	}
	return nil
}

// Name checks a name people give (a channel's): Text, at most MaxName
// characters.
func Name(s string) error {
	if err := Text(s, 4*MaxName); err != nil {
		return err
	}
	if utf8.RuneCountInString(s) > MaxName {
		return fmt.Errorf("%w (at most %d characters)", ErrTooLong, MaxName)
	}
	return nil
}

// Account checks an account id (from a token or an admin route's path).
func Account(s string) error { return Text(s, MaxAccount) }

// Key checks a short key: a warehouse id, an order status, a config or
// credential name.
func Key(s string) error { return Text(s, MaxKey) }

// ID reports whether s is an id this service hands out with prefix
// ("ch" for channels, "run" for runs); nothing else can name one, so
// anything else is "not found" without a look-up.
func ID(prefix, s string) bool { return id.Valid(prefix, s) }
