package shopifysim

import (
	"fmt"
	"strings"
)

// This file parses Shopify's search syntax, the string in a connection's
// query argument (https://shopify.dev/docs/api/usage/search-syntax):
//
//	Query      = Term { [ whitespace Connective ] whitespace Term }
//	Connective = "AND" | "OR"
//	Term       = [ Modifier ] ( "(" Query ")" | [ name Comparator ] value )
//	Modifier   = "-" | "NOT" whitespace
//	Comparator = ":" | ":<" | ":>" | ":<=" | ":>="
//
// The grammar does not say how AND and OR combine; like most search
// languages, AND binds tighter here ("a OR b c" is "a OR (b AND c)").
// Unlike Shopify, which falls back to a text search, a malformed query is an
// error, so a connector bug shows up in tests rather than as wrong results.

// searchExpr is a parsed search query.
type searchExpr interface {
	String() string
}

type andExpr struct{ left, right searchExpr }
type orExpr struct{ left, right searchExpr }
type notExpr struct{ x searchExpr }

// termExpr is field<op>value, or free text when field is empty.
type termExpr struct {
	field string
	op    string // ":", ":<", ":>", ":<=", ":>="
	value string
}

// String renders the expression fully parenthesised and quoted, so that
// parsing the result yields the same expression.
func (e *andExpr) String() string { return "(" + e.left.String() + " AND " + e.right.String() + ")" }
func (e *orExpr) String() string  { return "(" + e.left.String() + " OR " + e.right.String() + ")" }
func (e *notExpr) String() string { return "NOT " + e.x.String() }
func (e *termExpr) String() string {
	if e.field == "" {
		return quoteSearch(e.value)
	}
	return e.field + e.op + quoteSearch(e.value)
}

func quoteSearch(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}

// SearchSyntaxError reports a malformed search query.
type SearchSyntaxError struct {
	Query  string
	Offset int
	Msg    string
}

func (e *SearchSyntaxError) Error() string {
	return fmt.Sprintf("invalid search query at offset %d: %s", e.Offset, e.Msg)
}

type searchTokKind int

const (
	sEOF searchTokKind = iota
	sLParen
	sRParen
	sAnd
	sOr
	sNot
	sTerm
)

type searchTok struct {
	kind searchTokKind
	term *termExpr
	off  int
}

// maxSearchDepth bounds nesting of parentheses and modifiers.
const maxSearchDepth = 50

type searchParser struct {
	src   string
	toks  []searchTok
	i     int
	depth int
}

// parseSearch parses q. An empty or blank query is nil: it matches all.
func parseSearch(q string) (searchExpr, error) {
	p := &searchParser{src: q}
	if err := p.lex(); err != nil {
		return nil, err
	}
	if p.peek().kind == sEOF {
		return nil, nil
	}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != sEOF {
		return nil, p.errAt(t.off, "unexpected %s", describe(t))
	}
	return e, nil
}

func (p *searchParser) errAt(off int, format string, args ...any) error {
	return &SearchSyntaxError{Query: p.src, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

func describe(t searchTok) string {
	switch t.kind {
	case sEOF:
		return "end of query"
	case sLParen:
		return `"("`
	case sRParen:
		return `")"`
	case sAnd:
		return "AND"
	case sOr:
		return "OR"
	case sNot:
		return "NOT"
	}
	return "term"
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isNameByte reports whether c may appear in an unquoted name. Shopify's
// special characters are : \ ( ) and quotes.
func isNameByte(c byte) bool {
	return !isSpace(c) && !strings.ContainsRune(`:\()'"`, rune(c))
}

func (p *searchParser) lex() error {
	s := p.src
	i := 0
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i == len(s) {
			p.toks = append(p.toks, searchTok{kind: sEOF, off: i})
			return nil
		}
		start := i
		switch c := s[i]; {
		case c == '(':
			p.toks = append(p.toks, searchTok{kind: sLParen, off: i})
			i++
			continue
		case c == ')':
			p.toks = append(p.toks, searchTok{kind: sRParen, off: i})
			i++
			continue
		case c == '-' && i+1 < len(s) && !isSpace(s[i+1]) && s[i+1] != ')':
			p.toks = append(p.toks, searchTok{kind: sNot, off: i})
			i++
			continue
		case c == '\'' || c == '"':
			v, n, err := p.quoted(i)
			if err != nil {
				return err
			}
			i = n
			p.toks = append(p.toks, searchTok{kind: sTerm, term: &termExpr{value: v}, off: start})
			continue
		case c == ':' || c == '\\':
			return p.errAt(i, "unexpected %q", c)
		}
		for i < len(s) && isNameByte(s[i]) {
			i++
		}
		name := s[start:i]
		if i == len(s) || s[i] != ':' {
			switch {
			case name == "AND":
				p.toks = append(p.toks, searchTok{kind: sAnd, off: start})
			case name == "OR":
				p.toks = append(p.toks, searchTok{kind: sOr, off: start})
			case name == "NOT" && i < len(s) && isSpace(s[i]):
				p.toks = append(p.toks, searchTok{kind: sNot, off: start})
			default:
				p.toks = append(p.toks, searchTok{kind: sTerm, term: &termExpr{value: name}, off: start})
			}
			continue
		}
		// name, comparator, value
		i++ // ':'
		op := ":"
		for _, cmp := range []string{"<=", ">=", "<", ">"} {
			if strings.HasPrefix(s[i:], cmp) {
				op += cmp
				i += len(cmp)
				break
			}
		}
		var v string
		switch {
		case i < len(s) && (s[i] == '\'' || s[i] == '"'):
			var err error
			if v, i, err = p.quoted(i); err != nil {
				return err
			}
		default:
			// An unquoted value may hold colons (times); it ends at
			// whitespace or a parenthesis.
			vs := i
			for i < len(s) && !isSpace(s[i]) && s[i] != '(' && s[i] != ')' && s[i] != '\'' && s[i] != '"' && s[i] != '\\' {
				i++
			}
			v = s[vs:i]
			if v == "" {
				return p.errAt(start, "missing value for %q", name)
			}
		}
		p.toks = append(p.toks, searchTok{kind: sTerm, term: &termExpr{field: name, op: op, value: v}, off: start})
	}
}

// quoted reads a quoted string starting at s[i]; a backslash escapes the
// next byte. It returns the value and the offset after the closing quote.
func (p *searchParser) quoted(i int) (string, int, error) {
	s := p.src
	q := s[i]
	var b strings.Builder
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			if j+1 == len(s) {
				return "", 0, p.errAt(j, "unterminated escape")
			}
			j++
			b.WriteByte(s[j])
		case q:
			return b.String(), j + 1, nil
		default:
			b.WriteByte(s[j])
		}
	}
	return "", 0, p.errAt(i, "unterminated quoted string")
}

func (p *searchParser) peek() searchTok { return p.toks[p.i] }

func (p *searchParser) or() (searchExpr, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == sOr {
		p.i++
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		left = &orExpr{left, right}
	}
	return left, nil
}

func (p *searchParser) and() (searchExpr, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		switch p.peek().kind {
		case sAnd:
			p.i++
		case sTerm, sNot, sLParen:
			// implicit AND
		default:
			return left, nil
		}
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		left = &andExpr{left, right}
	}
}

func (p *searchParser) unary() (searchExpr, error) {
	t := p.peek()
	if p.depth++; p.depth > maxSearchDepth {
		return nil, p.errAt(t.off, "query is nested too deeply")
	}
	defer func() { p.depth-- }()
	switch t.kind {
	case sNot:
		p.i++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &notExpr{x}, nil
	case sLParen:
		p.i++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.peek(); c.kind != sRParen {
			return nil, p.errAt(c.off, "expected \")\", found %s", describe(c))
		}
		p.i++
		return e, nil
	case sTerm:
		p.i++
		return t.term, nil
	}
	return nil, p.errAt(t.off, "unexpected %s", describe(t))
}
