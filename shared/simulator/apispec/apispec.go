// Package apispec checks HTTP requests against a cart's published OpenAPI
// document and hands out the document's own example responses. The
// simulators use it so they refuse what the real cart's schema refuses; the
// connectors' conformance tests use it to prove every request they send is
// one the schema accepts.
package apispec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// ErrUndocumented is returned for a method and path the document does not
// describe.
var ErrUndocumented = errors.New("operation not in the published API description")

// Spec is one published OpenAPI document.
type Spec struct {
	name   string
	prefix string // request path prefix the document's paths sit under
	doc    *openapi3.T
	routes []route
}

type route struct {
	segs []string // template segments; "{x}" matches one segment
	path string
	item *openapi3.PathItem
}

// Load parses an OpenAPI 3 document (YAML or JSON). prefix is the part of
// a request path in front of the document's paths ("/v3" for BigCommerce's
// https://api.bigcommerce.com/stores/{store_hash}/v3 servers), so callers
// pass paths as they appear on the wire, after any account segment.
func Load(name string, data []byte, prefix string) (*Spec, error) {
	l := openapi3.NewLoader()
	doc, err := l.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	s := &Spec{name: name, prefix: strings.TrimSuffix(prefix, "/"), doc: doc}
	for p, item := range doc.Paths.Map() {
		s.routes = append(s.routes, route{segs: strings.Split(strings.Trim(p, "/"), "/"), path: p, item: item})
	}
	// Literal segments win over parameters (/hooks/admin before /hooks/{id}).
	slices.SortFunc(s.routes, func(a, b route) int { return strings.Compare(b.path, a.path) })
	slices.SortStableFunc(s.routes, func(a, b route) int { return params(a.segs) - params(b.segs) })
	return s, nil
}

// MustLoad is Load for documents embedded in the binary, where a failure
// is a build defect.
func MustLoad(name string, data []byte, prefix string) *Spec {
	s, err := Load(name, data, prefix)
	if err != nil {
		panic(err)
	}
	return s
}

func params(segs []string) int {
	n := 0
	for _, s := range segs {
		if strings.HasPrefix(s, "{") {
			n++
		}
	}
	return n
}

// Name is the document's file name, for messages.
func (s *Spec) Name() string { return s.name }

// Doc is the parsed document.
func (s *Spec) Doc() *openapi3.T { return s.doc }

// Find returns the operation for method and a wire path, with its path
// parameters.
func (s *Spec) Find(method, path string) (*routers.Route, map[string]string, bool) {
	rest, ok := strings.CutPrefix(path, s.prefix)
	if !ok || (rest != "" && rest[0] != '/') {
		return nil, nil, false
	}
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	for _, r := range s.routes {
		if len(r.segs) != len(segs) {
			continue
		}
		vals := map[string]string{}
		match := true
		for i, t := range r.segs {
			if name, ok := strings.CutPrefix(t, "{"); ok && strings.HasSuffix(name, "}") && t == "{"+name {
				v, err := url.PathUnescape(segs[i])
				if err != nil || v == "" {
					match = false
					break
				}
				vals[strings.TrimSuffix(name, "}")] = v
				continue
			}
			if t != segs[i] {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		op := r.item.GetOperation(method)
		if op == nil {
			return nil, nil, false
		}
		return &routers.Route{Spec: s.doc, Path: r.path, PathItem: r.item, Method: method, Operation: op}, vals, true
	}
	return nil, nil, false
}

// Check validates a request (its path and query parameters and its JSON
// body) against the operation the document describes for it. The request's
// body is not read: body holds it. Authentication is not checked.
func (s *Spec) Check(ctx context.Context, r *http.Request, body []byte) error {
	rt, vals, ok := s.Find(r.Method, r.URL.Path)
	if !ok {
		return fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, ErrUndocumented)
	}
	req := r.Clone(ctx)
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	if len(body) > 0 && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: vals, Route: rt,
		Options: &openapi3filter.Options{
			MultiError:                        true,
			AuthenticationFunc:                openapi3filter.NoopAuthenticationFunc,
			RejectWhenRequestBodyNotSpecified: true,
			SkipSettingDefaults:               true,
		},
	}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		return &Violation{Op: r.Method + " " + rt.Path, Err: err}
	}
	return nil
}

// Violation is a request the document refuses.
type Violation struct {
	Op  string // "PUT /inventory/adjustments/absolute"
	Err error
}

func (v *Violation) Error() string { return v.Op + ": " + v.Err.Error() }
func (v *Violation) Unwrap() error { return v.Err }

// Fields lists the body and parameter problems as "field: reason" lines,
// the way carts name them in their error bodies.
func (v *Violation) Fields() map[string]string {
	out := map[string]string{}
	var walk func(error)
	walk = func(err error) {
		var multi openapi3.MultiError
		if errors.As(err, &multi) {
			for _, e := range multi {
				walk(e)
			}
			return
		}
		var se *openapi3.SchemaError
		if errors.As(err, &se) {
			field := strings.Join(se.JSONPointer(), ".")
			if field == "" {
				field = "body"
			}
			out[field] = se.Reason
			return
		}
		var pe *openapi3filter.RequestError
		if errors.As(err, &pe) {
			if pe.Parameter != nil {
				out[pe.Parameter.Name] = pe.Reason
				if pe.Reason == "" && pe.Err != nil {
					out[pe.Parameter.Name] = pe.Err.Error()
				}
				return
			}
			// A body error: its schema errors name fields; anything else
			// is the body's as a whole.
			var inner *openapi3.SchemaError
			var innerMulti openapi3.MultiError
			if pe.Err != nil && (errors.As(pe.Err, &inner) || errors.As(pe.Err, &innerMulti)) {
				walk(pe.Err)
				return
			}
			out["body"] = pe.Reason
			if pe.Err != nil {
				out["body"] = strings.TrimSpace(pe.Reason + " " + pe.Err.Error())
			}
			return
		}
		out["request"] = err.Error()
	}
	walk(v.Err)
	return out
}

// Example returns the document's example body for an operation's response:
// the media type's example, else its first named example, else the
// example on its schema.
func (s *Spec) Example(method, path string, status int) ([]byte, error) {
	rt, _, ok := s.Find(method, path)
	if !ok {
		return nil, fmt.Errorf("%s %s: %w", method, path, ErrUndocumented)
	}
	resp := rt.Operation.Responses.Value(strconv.Itoa(status))
	if resp == nil || resp.Value == nil {
		return nil, fmt.Errorf("%s %s: no %d response described", method, rt.Path, status)
	}
	mt := resp.Value.Content.Get("application/json")
	if mt == nil {
		return nil, fmt.Errorf("%s %s: no JSON %d response described", method, rt.Path, status)
	}
	var v any
	switch {
	case mt.Example != nil:
		v = mt.Example
	case len(mt.Examples) > 0:
		names := make([]string, 0, len(mt.Examples))
		for n := range mt.Examples {
			names = append(names, n)
		}
		slices.Sort(names)
		if ex := mt.Examples[names[0]]; ex != nil && ex.Value != nil {
			v = ex.Value.Value
		}
	case mt.Schema != nil:
		// No whole-body example: assemble one from the examples the
		// document gives on the schema and its properties.
		v = synth(mt.Schema, 0)
	}
	if v == nil {
		return nil, fmt.Errorf("%s %s: the %d response has no example", method, rt.Path, status)
	}
	return json.Marshal(v)
}

// Set is the documents of one cart; a request is checked against the one
// that describes it.
type Set []*Spec

// Check validates r against whichever document describes it.
func (ss Set) Check(ctx context.Context, r *http.Request, body []byte) error {
	for _, s := range ss {
		if _, _, ok := s.Find(r.Method, r.URL.Path); ok {
			return s.Check(ctx, r, body)
		}
	}
	return fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, ErrUndocumented)
}

// Example returns the example response from whichever document describes
// the operation.
func (ss Set) Example(method, path string, status int) ([]byte, error) {
	for _, s := range ss {
		if _, _, ok := s.Find(method, path); ok {
			return s.Example(method, path, status)
		}
	}
	return nil, fmt.Errorf("%s %s: %w", method, path, ErrUndocumented)
}

// synth builds a value from a schema's published examples: the schema's own
// example, else an object of its properties' examples (allOf merged), else
// a one-item array of its items' example. Properties without an example
// are left out; nil means nothing was published.
func synth(ref *openapi3.SchemaRef, depth int) any {
	if ref == nil || ref.Value == nil || depth > 12 {
		return nil
	}
	sc := ref.Value
	if sc.Example != nil {
		return sc.Example
	}
	if len(sc.AllOf) > 0 {
		out := map[string]any{}
		for _, part := range sc.AllOf {
			if m, ok := synth(part, depth+1).(map[string]any); ok {
				for k, v := range m {
					out[k] = v
				}
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	for _, alt := range [][]*openapi3.SchemaRef{sc.OneOf, sc.AnyOf} {
		if len(alt) > 0 {
			return synth(alt[0], depth+1)
		}
	}
	switch {
	case sc.Type.Is("array"):
		if it := synth(sc.Items, depth+1); it != nil {
			return []any{it}
		}
		return nil
	case sc.Type.Is("object") || len(sc.Properties) > 0:
		out := map[string]any{}
		for k, p := range sc.Properties {
			if v := synth(p, depth+1); v != nil {
				out[k] = v
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return nil
}

// Answer is the document's example success response for an operation: the
// lowest 2xx status with a JSON example (or one assembled from property
// examples), or the lowest 2xx without a body.
func (ss Set) Answer(method, path string) (status int, body []byte, err error) {
	for _, s := range ss {
		rt, _, ok := s.Find(method, path)
		if !ok {
			continue
		}
		var bare int
		for _, code := range []int{200, 201, 202, 204} {
			resp := rt.Operation.Responses.Value(strconv.Itoa(code))
			if resp == nil || resp.Value == nil {
				continue
			}
			if b, err := s.Example(method, path, code); err == nil {
				return code, b, nil
			}
			if bare == 0 && resp.Value.Content.Get("application/json") == nil {
				bare = code
			}
		}
		if bare != 0 {
			return bare, nil, nil
		}
		return 0, nil, fmt.Errorf("%s %s: no example success response", method, rt.Path)
	}
	return 0, nil, fmt.Errorf("%s %s: %w", method, path, ErrUndocumented)
}

// RequestExamples returns the document's published example request bodies
// for an operation, by name; without any, one assembled from the request
// schema's property examples, named "schema".
func (s *Spec) RequestExamples(method, path string) (map[string][]byte, error) {
	rt, _, ok := s.Find(method, path)
	if !ok {
		return nil, fmt.Errorf("%s %s: %w", method, path, ErrUndocumented)
	}
	rb := rt.Operation.RequestBody
	if rb == nil || rb.Value == nil {
		return nil, fmt.Errorf("%s %s: no request body described", method, rt.Path)
	}
	mt := rb.Value.Content.Get("application/json")
	if mt == nil {
		return nil, fmt.Errorf("%s %s: no JSON request body described", method, rt.Path)
	}
	out := map[string][]byte{}
	if mt.Example != nil {
		b, err := json.Marshal(mt.Example)
		if err != nil {
			return nil, err
		}
		out["example"] = b
	}
	for name, ex := range mt.Examples {
		if ex == nil || ex.Value == nil || ex.Value.Value == nil {
			continue
		}
		b, err := json.Marshal(ex.Value.Value)
		if err != nil {
			return nil, err
		}
		out[name] = b
	}
	if len(out) == 0 {
		// None whole: one assembled from the schema's property examples.
		if v := synth(mt.Schema, 0); v != nil {
			b, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			out["schema"] = b
		}
	}
	return out, nil
}
