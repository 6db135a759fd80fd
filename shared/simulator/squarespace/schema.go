package squarespacesim

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/autosync/autosync/shared/simulator/apispec"
)

// The description of the operations Autosync calls, written from
// Squarespace's reference pages (openapi/SOURCE.md; Squarespace publishes
// no machine-readable one). Every JSON body the simulator receives is
// checked against it first.
var (
	//go:embed openapi/squarespace-commerce.docs.yml
	commerceSpec []byte

	spec = sync.OnceValue(func() *apispec.Spec {
		return apispec.MustLoad("squarespace-commerce.docs.yml", commerceSpec, "")
	})
)

// Spec is the description the simulator enforces.
func Spec() *apispec.Spec { return spec() }

// headerParams are checked by the handlers themselves, with the messages
// Squarespace gives for them.
var headerParams = map[string]bool{"Idempotency-Key": true, "User-Agent": true}

// conforms checks a JSON request body against the description and, when
// it refuses the body, answers 400 INVALID_REQUEST_ERROR with the bad
// fields in details, and returns false.
func (s *Server) conforms(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost || r.Body == nil || r.Body == http.NoBody {
		return true
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return true // the handler answers 415
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		s.apiError(w, http.StatusRequestEntityTooLarge, "INVALID_REQUEST_ERROR", "", "The request body is too large.")
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if len(body) == 0 {
		return true
	}
	err = spec().Check(r.Context(), r, body)
	var v *apispec.Violation
	if err == nil || errors.Is(err, apispec.ErrUndocumented) || !errors.As(err, &v) {
		return true
	}
	fields := v.Fields()
	for k := range fields {
		if headerParams[k] {
			delete(fields, k)
		}
	}
	if len(fields) == 0 {
		return true
	}
	s.mu.Lock()
	s.stats.BadRequests++
	s.stats.SchemaRefused++
	s.mu.Unlock()
	b := s.errorBody("INVALID_REQUEST_ERROR", "INVALID_ARGUMENT",
		"The request body does not conform to the required specification: "+describe(body, fields))
	b.Details = fields
	writeJSON(w, http.StatusBadRequest, b)
	return false
}

// describe names each bad field, and the variant of an adjustment
// operation it belongs to ("setFiniteOperations.0.quantity (variant
// 3afe...): ..."), so a client can tell which item was refused.
func describe(body []byte, fields map[string]string) string {
	var doc map[string][]json.RawMessage
	json.Unmarshal(body, &doc) // best effort: only adjustment bodies name variants
	var parts []string
	for _, f := range slices.Sorted(maps.Keys(fields)) {
		label := f
		if list, idx, ok := strings.Cut(f, "."); ok {
			n, _, _ := strings.Cut(idx, ".")
			if i, err := strconv.Atoi(n); err == nil && i < len(doc[list]) {
				var op struct {
					VariantID string `json:"variantId"`
				}
				if json.Unmarshal(doc[list][i], &op) == nil && op.VariantID != "" {
					label += " (variant " + op.VariantID + ")"
				}
			}
		}
		parts = append(parts, label+": "+fields[f])
	}
	return strings.Join(parts, "; ")
}
