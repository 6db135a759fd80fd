// Package pattern holds regular expressions that compile on first use.
//
// The connectors validate ids, domains and amounts with a few dozen
// expressions. Compiled at package init, every Lambda cold start pays for
// all of them although one invocation uses a handful; compiled on first
// use, each costs only where it is needed. An expression that does not
// compile panics at first use, as regexp.MustCompile would at init; every
// one is exercised by its package's tests.
package pattern

import (
	"regexp"
	"sync"
)

// Regexp is a regular expression compiled on first use; safe for
// concurrent use.
type Regexp struct {
	re func() *regexp.Regexp
}

// New returns expr, to be compiled when first used.
func New(expr string) *Regexp {
	return &Regexp{re: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })}
}

// MatchString reports whether s contains a match.
func (r *Regexp) MatchString(s string) bool { return r.re().MatchString(s) }

// Match reports whether b contains a match.
func (r *Regexp) Match(b []byte) bool { return r.re().Match(b) }

// FindStringSubmatch is regexp.Regexp.FindStringSubmatch.
func (r *Regexp) FindStringSubmatch(s string) []string { return r.re().FindStringSubmatch(s) }

// FindSubmatch is regexp.Regexp.FindSubmatch.
func (r *Regexp) FindSubmatch(b []byte) [][]byte { return r.re().FindSubmatch(b) }

// String returns the expression.
func (r *Regexp) String() string { return r.re().String() }
