package shopifysim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file parses just enough of a GraphQL document (October 2021 spec) to
// validate a query against the simulator's schema, compute its cost and
// execute it: operations, variables, aliases, arguments, nested selections
// and directives on fields (the checker knows @idempotent only).
// Fragments, and directives anywhere else, are refused with an error rather
// than half-supported, so a connector that starts using them finds out here.

// gqlError is one entry of a response's "errors" array.
type gqlError struct {
	Message    string         `json:"message"`
	Locations  []gqlLocation  `json:"locations,omitempty"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

type gqlLocation struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

func (e *gqlError) Error() string { return e.Message }

func errorAt(pos gqlLocation, format string, args ...any) *gqlError {
	e := &gqlError{Message: fmt.Sprintf(format, args...)}
	if pos.Line > 0 {
		e.Locations = []gqlLocation{pos}
	}
	return e
}

type document struct {
	ops []*operation
}

type operation struct {
	kind string // "query", "mutation" or "subscription"
	name string
	vars []*varDef
	sel  []*field
	pos  gqlLocation
}

type varDef struct {
	name string
	typ  *typeRef
	def  *value
	pos  gqlLocation
}

type typeRef struct {
	name    string   // named type; empty for a list
	elem    *typeRef // list element
	nonNull bool
}

func (t *typeRef) String() string {
	s := t.name
	if t.elem != nil {
		s = "[" + t.elem.String() + "]"
	}
	if t.nonNull {
		s += "!"
	}
	return s
}

type field struct {
	alias string
	name  string
	args  []*argument
	dirs  []*directive
	sel   []*field
	pos   gqlLocation
}

// directive is a directive on a field, such as @idempotent(key: $key).
type directive struct {
	name string
	args []*argument
	pos  gqlLocation
}

// key is the field's name in the response.
func (f *field) key() string {
	if f.alias != "" {
		return f.alias
	}
	return f.name
}

func (f *field) arg(name string) *argument {
	for _, a := range f.args {
		if a.name == name {
			return a
		}
	}
	return nil
}

type argument struct {
	name string
	val  *value
	pos  gqlLocation
}

type valueKind int

const (
	valVariable valueKind = iota
	valInt
	valFloat
	valString
	valBool
	valNull
	valEnum
	valList
	valObject
)

type value struct {
	kind   valueKind
	raw    string // name, number text, decoded string, "true"/"false"
	list   []*value
	fields []*objectField
	pos    gqlLocation
}

type objectField struct {
	name string
	val  *value
}

// String renders the value as GraphQL source, so arguments can be compared.
func (v *value) String() string {
	switch v.kind {
	case valVariable:
		return "$" + v.raw
	case valString:
		return strconv.Quote(v.raw)
	case valNull:
		return "null"
	case valList:
		parts := make([]string, len(v.list))
		for i, e := range v.list {
			parts[i] = e.String()
		}
		return "[" + strings.Join(parts, ",") + "]"
	case valObject:
		parts := make([]string, len(v.fields))
		for i, f := range v.fields {
			parts[i] = f.name + ":" + f.val.String()
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	return v.raw
}

// maxDepth bounds nesting so hostile documents cannot exhaust the stack.
const maxDepth = 64

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokPunct
	tokName
	tokInt
	tokFloat
	tokString
)

type token struct {
	kind tokenKind
	text string // punctuator, name, number text or decoded string
	pos  gqlLocation
}

type parser struct {
	src   string
	off   int
	line  int
	lineS int // offset where the current line starts
	tok   token
	depth int
}

func parseDocument(src string) (*document, error) {
	p := &parser{src: src, line: 1}
	if err := p.next(); err != nil {
		return nil, err
	}
	doc := &document{}
	for p.tok.kind != tokEOF {
		op, err := p.definition()
		if err != nil {
			return nil, err
		}
		doc.ops = append(doc.ops, op)
	}
	if len(doc.ops) == 0 {
		return nil, errorAt(p.tok.pos, "syntax error, unexpected end of file")
	}
	return doc, nil
}

func (p *parser) pos() gqlLocation {
	return gqlLocation{Line: p.line, Column: p.off - p.lineS + 1}
}

func (p *parser) errUnexpected() error {
	if p.tok.kind == tokEOF {
		return errorAt(p.tok.pos, "syntax error, unexpected end of file")
	}
	return errorAt(p.tok.pos, "syntax error, unexpected %q", p.tok.text)
}

// next scans the next token, skipping ignored tokens.
func (p *parser) next() error {
	for p.off < len(p.src) {
		c := p.src[p.off]
		switch {
		case c == '\n':
			p.off++
			p.line++
			p.lineS = p.off
		case c == '\r':
			p.off++
			if p.off < len(p.src) && p.src[p.off] == '\n' {
				p.off++
			}
			p.line++
			p.lineS = p.off
		case c == ' ' || c == '\t' || c == ',':
			p.off++
		case c == '#':
			for p.off < len(p.src) && p.src[p.off] != '\n' && p.src[p.off] != '\r' {
				p.off++
			}
		case strings.HasPrefix(p.src[p.off:], "\ufeff"):
			p.off += len("\ufeff")
		default:
			return p.scan()
		}
	}
	p.tok = token{kind: tokEOF, pos: p.pos()}
	return nil
}

func (p *parser) scan() error {
	pos := p.pos()
	c := p.src[p.off]
	switch {
	case strings.HasPrefix(p.src[p.off:], "..."):
		p.off += 3
		p.tok = token{kind: tokPunct, text: "...", pos: pos}
		return nil
	case strings.IndexByte("!$&():=@[]{}|", c) >= 0:
		p.off++
		p.tok = token{kind: tokPunct, text: string(c), pos: pos}
		return nil
	case c == '_' || isLetter(c):
		start := p.off
		for p.off < len(p.src) && (p.src[p.off] == '_' || isLetter(p.src[p.off]) || isDigit(p.src[p.off])) {
			p.off++
		}
		p.tok = token{kind: tokName, text: p.src[start:p.off], pos: pos}
		return nil
	case c == '-' || isDigit(c):
		return p.scanNumber(pos)
	case c == '"':
		if strings.HasPrefix(p.src[p.off:], `"""`) {
			return p.scanBlockString(pos)
		}
		return p.scanString(pos)
	}
	r, _ := utf8.DecodeRuneInString(p.src[p.off:])
	return errorAt(pos, "syntax error, unexpected character %q", r)
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

func (p *parser) scanNumber(pos gqlLocation) error {
	start := p.off
	if p.src[p.off] == '-' {
		p.off++
	}
	digits := func() int {
		n := 0
		for p.off < len(p.src) && isDigit(p.src[p.off]) {
			p.off++
			n++
		}
		return n
	}
	intStart := p.off
	if digits() == 0 {
		return errorAt(pos, "syntax error, invalid number")
	}
	if p.src[intStart] == '0' && p.off-intStart > 1 {
		return errorAt(pos, "syntax error, invalid number: leading zero")
	}
	kind := tokInt
	if p.off < len(p.src) && p.src[p.off] == '.' {
		p.off++
		if digits() == 0 {
			return errorAt(pos, "syntax error, invalid number")
		}
		kind = tokFloat
	}
	if p.off < len(p.src) && (p.src[p.off] == 'e' || p.src[p.off] == 'E') {
		p.off++
		if p.off < len(p.src) && (p.src[p.off] == '+' || p.src[p.off] == '-') {
			p.off++
		}
		if digits() == 0 {
			return errorAt(pos, "syntax error, invalid number")
		}
		kind = tokFloat
	}
	if p.off < len(p.src) && (p.src[p.off] == '_' || p.src[p.off] == '.' || isLetter(p.src[p.off])) {
		return errorAt(pos, "syntax error, invalid number")
	}
	p.tok = token{kind: kind, text: p.src[start:p.off], pos: pos}
	return nil
}

func (p *parser) scanString(pos gqlLocation) error {
	p.off++ // opening quote
	var b strings.Builder
	for p.off < len(p.src) {
		c := p.src[p.off]
		switch {
		case c == '"':
			p.off++
			p.tok = token{kind: tokString, text: b.String(), pos: pos}
			return nil
		case c == '\n' || c == '\r':
			return errorAt(pos, "syntax error, unterminated string")
		case c == '\\':
			if p.off+1 >= len(p.src) {
				return errorAt(pos, "syntax error, unterminated string")
			}
			esc := p.src[p.off+1]
			p.off += 2
			switch esc {
			case '"', '\\', '/':
				b.WriteByte(esc)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				if p.off+4 > len(p.src) {
					return errorAt(pos, "syntax error, invalid unicode escape")
				}
				n, err := strconv.ParseUint(p.src[p.off:p.off+4], 16, 32)
				if err != nil {
					return errorAt(pos, "syntax error, invalid unicode escape")
				}
				p.off += 4
				b.WriteRune(rune(n))
			default:
				return errorAt(pos, "syntax error, invalid escape \\%c", esc)
			}
		default:
			b.WriteByte(c)
			p.off++
		}
	}
	return errorAt(pos, "syntax error, unterminated string")
}

// scanBlockString reads a """block string""". Indentation is not stripped:
// the simulator only compares such strings, never prints them.
func (p *parser) scanBlockString(pos gqlLocation) error {
	p.off += 3
	var b strings.Builder
	for p.off < len(p.src) {
		switch {
		case strings.HasPrefix(p.src[p.off:], `\"""`):
			b.WriteString(`"""`)
			p.off += 4
		case strings.HasPrefix(p.src[p.off:], `"""`):
			p.off += 3
			p.tok = token{kind: tokString, text: b.String(), pos: pos}
			return nil
		default:
			if p.src[p.off] == '\n' {
				p.line++
				p.lineS = p.off + 1
			}
			b.WriteByte(p.src[p.off])
			p.off++
		}
	}
	return errorAt(pos, "syntax error, unterminated string")
}

func (p *parser) isPunct(s string) bool { return p.tok.kind == tokPunct && p.tok.text == s }

func (p *parser) expect(s string) error {
	if !p.isPunct(s) {
		return p.errUnexpected()
	}
	return p.next()
}

func (p *parser) name() (string, error) {
	if p.tok.kind != tokName {
		return "", p.errUnexpected()
	}
	n := p.tok.text
	return n, p.next()
}

func (p *parser) definition() (*operation, error) {
	pos := p.tok.pos
	if p.isPunct("{") {
		sel, err := p.selectionSet()
		if err != nil {
			return nil, err
		}
		return &operation{kind: "query", sel: sel, pos: pos}, nil
	}
	if p.tok.kind != tokName {
		return nil, p.errUnexpected()
	}
	switch p.tok.text {
	case "query", "mutation", "subscription":
	case "fragment":
		return nil, errorAt(pos, "fragments are not supported by the simulator")
	default:
		return nil, p.errUnexpected()
	}
	op := &operation{kind: p.tok.text, pos: pos}
	if err := p.next(); err != nil {
		return nil, err
	}
	if p.tok.kind == tokName {
		op.name = p.tok.text
		if err := p.next(); err != nil {
			return nil, err
		}
	}
	if p.isPunct("(") {
		if err := p.next(); err != nil {
			return nil, err
		}
		for !p.isPunct(")") {
			vd, err := p.variableDefinition()
			if err != nil {
				return nil, err
			}
			op.vars = append(op.vars, vd)
		}
		if len(op.vars) == 0 {
			return nil, p.errUnexpected()
		}
		if err := p.next(); err != nil {
			return nil, err
		}
	}
	if p.isPunct("@") {
		return nil, errorAt(p.tok.pos, "directives are not supported by the simulator")
	}
	sel, err := p.selectionSet()
	if err != nil {
		return nil, err
	}
	op.sel = sel
	return op, nil
}

func (p *parser) variableDefinition() (*varDef, error) {
	pos := p.tok.pos
	if err := p.expect("$"); err != nil {
		return nil, err
	}
	name, err := p.name()
	if err != nil {
		return nil, err
	}
	if err := p.expect(":"); err != nil {
		return nil, err
	}
	typ, err := p.typeRef()
	if err != nil {
		return nil, err
	}
	vd := &varDef{name: name, typ: typ, pos: pos}
	if p.isPunct("=") {
		if err := p.next(); err != nil {
			return nil, err
		}
		if vd.def, err = p.value(true); err != nil {
			return nil, err
		}
	}
	if p.isPunct("@") {
		return nil, errorAt(p.tok.pos, "directives are not supported by the simulator")
	}
	return vd, nil
}

func (p *parser) typeRef() (*typeRef, error) {
	if p.depth++; p.depth > maxDepth {
		return nil, errorAt(p.tok.pos, "query is nested too deeply")
	}
	defer func() { p.depth-- }()
	var t *typeRef
	if p.isPunct("[") {
		if err := p.next(); err != nil {
			return nil, err
		}
		elem, err := p.typeRef()
		if err != nil {
			return nil, err
		}
		if err := p.expect("]"); err != nil {
			return nil, err
		}
		t = &typeRef{elem: elem}
	} else {
		name, err := p.name()
		if err != nil {
			return nil, err
		}
		t = &typeRef{name: name}
	}
	if p.isPunct("!") {
		t.nonNull = true
		if err := p.next(); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (p *parser) selectionSet() ([]*field, error) {
	if p.depth++; p.depth > maxDepth {
		return nil, errorAt(p.tok.pos, "query is nested too deeply")
	}
	defer func() { p.depth-- }()
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	var sel []*field
	for !p.isPunct("}") {
		if p.isPunct("...") {
			return nil, errorAt(p.tok.pos, "fragments are not supported by the simulator")
		}
		f, err := p.field()
		if err != nil {
			return nil, err
		}
		sel = append(sel, f)
	}
	if len(sel) == 0 {
		return nil, p.errUnexpected()
	}
	return sel, p.next()
}

func (p *parser) field() (*field, error) {
	f := &field{pos: p.tok.pos}
	name, err := p.name()
	if err != nil {
		return nil, err
	}
	if p.isPunct(":") {
		if err := p.next(); err != nil {
			return nil, err
		}
		f.alias = name
		if name, err = p.name(); err != nil {
			return nil, err
		}
	}
	f.name = name
	if f.args, err = p.arguments(); err != nil {
		return nil, err
	}
	for p.isPunct("@") {
		d := &directive{pos: p.tok.pos}
		if err := p.next(); err != nil {
			return nil, err
		}
		if d.name, err = p.name(); err != nil {
			return nil, err
		}
		if d.args, err = p.arguments(); err != nil {
			return nil, err
		}
		f.dirs = append(f.dirs, d)
	}
	if p.isPunct("{") {
		if f.sel, err = p.selectionSet(); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// arguments parses an optional parenthesised argument list.
func (p *parser) arguments() ([]*argument, error) {
	if !p.isPunct("(") {
		return nil, nil
	}
	if err := p.next(); err != nil {
		return nil, err
	}
	var args []*argument
	for !p.isPunct(")") {
		a := &argument{pos: p.tok.pos}
		var err error
		if a.name, err = p.name(); err != nil {
			return nil, err
		}
		if err := p.expect(":"); err != nil {
			return nil, err
		}
		if a.val, err = p.value(false); err != nil {
			return nil, err
		}
		args = append(args, a)
	}
	if len(args) == 0 {
		return nil, p.errUnexpected()
	}
	return args, p.next()
}

// value parses a value literal; constant forbids variables (defaults).
func (p *parser) value(constant bool) (*value, error) {
	if p.depth++; p.depth > maxDepth {
		return nil, errorAt(p.tok.pos, "query is nested too deeply")
	}
	defer func() { p.depth-- }()
	v := &value{pos: p.tok.pos}
	switch p.tok.kind {
	case tokInt:
		v.kind, v.raw = valInt, p.tok.text
	case tokFloat:
		v.kind, v.raw = valFloat, p.tok.text
	case tokString:
		v.kind, v.raw = valString, p.tok.text
	case tokName:
		switch p.tok.text {
		case "true", "false":
			v.kind = valBool
		case "null":
			v.kind = valNull
		default:
			v.kind = valEnum
		}
		v.raw = p.tok.text
	case tokPunct:
		switch p.tok.text {
		case "$":
			if constant {
				return nil, errorAt(v.pos, "syntax error, variables are not allowed here")
			}
			if err := p.next(); err != nil {
				return nil, err
			}
			name, err := p.name()
			if err != nil {
				return nil, err
			}
			v.kind, v.raw = valVariable, name
			return v, nil
		case "[":
			if err := p.next(); err != nil {
				return nil, err
			}
			v.kind = valList
			for !p.isPunct("]") {
				e, err := p.value(constant)
				if err != nil {
					return nil, err
				}
				v.list = append(v.list, e)
			}
		case "{":
			if err := p.next(); err != nil {
				return nil, err
			}
			v.kind = valObject
			for !p.isPunct("}") {
				name, err := p.name()
				if err != nil {
					return nil, err
				}
				if err := p.expect(":"); err != nil {
					return nil, err
				}
				e, err := p.value(constant)
				if err != nil {
					return nil, err
				}
				v.fields = append(v.fields, &objectField{name: name, val: e})
			}
		default:
			return nil, p.errUnexpected()
		}
	default:
		return nil, p.errUnexpected()
	}
	return v, p.next()
}

// request is the JSON body of POST graphql.json.
type request struct {
	Query         string                     `json:"query"`
	OperationName string                     `json:"operationName"`
	Variables     map[string]json.RawMessage `json:"variables"`
}

// pickOperation chooses the operation to run, as the spec's GetOperation.
func pickOperation(doc *document, name string) (*operation, error) {
	if name == "" {
		if len(doc.ops) > 1 {
			return nil, &gqlError{Message: "An operation name is required"}
		}
		return doc.ops[0], nil
	}
	for _, op := range doc.ops {
		if op.name == name {
			return op, nil
		}
	}
	return nil, &gqlError{Message: fmt.Sprintf("No operation named %q", name)}
}
