package bigcommercesim

import (
	"bytes"
	_ "embed"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/autosync/autosync/shared/simulator/apispec"
)

// BigCommerce's published OpenAPI documents for the operations that take
// a body (openapi/SOURCE.md). Every body the simulator receives is checked
// against them first, so it refuses what BigCommerce's schema refuses.
var (
	//go:embed openapi/inventory.v3.yml
	inventorySpec []byte
	//go:embed openapi/webhooks.v3.yml
	webhooksSpec []byte

	specs = sync.OnceValue(func() apispec.Set {
		return apispec.Set{
			apispec.MustLoad("inventory.v3.yml", inventorySpec, "/v3"),
			apispec.MustLoad("webhooks.v3.yml", webhooksSpec, "/v3"),
		}
	})
)

// Specs are the published documents the simulator enforces.
func Specs() apispec.Set { return specs() }

// conforms checks a request with a body against the published schema and,
// when the schema refuses it, answers 422 as BigCommerce's V3 API does
// (problem+json naming each bad field) and returns false. Operations the
// embedded documents do not describe pass.
func (s *Server) conforms(w http.ResponseWriter, r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody || (r.Method != http.MethodPost && r.Method != http.MethodPut) {
		return true
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		problem(w, http.StatusBadRequest, "The request payload could not be read.")
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	req := r.Clone(r.Context())
	req.URL.Path = strings.TrimPrefix(r.URL.Path, "/stores/"+s.hash)
	err = specs().Check(r.Context(), req, body)
	var v *apispec.Violation
	switch {
	case err == nil, errors.Is(err, apispec.ErrUndocumented):
		return true
	case errors.As(err, &v):
		s.ctl.Lock()
		s.stats.SchemaRefused++
		s.ctl.Unlock()
		invalid(w, v.Fields())
		return false
	}
	problem(w, http.StatusBadRequest, "Input is invalid.")
	return false
}
