package httpapi

import (
	"net/http"

	"github.com/autosync/autosync/shared/auth"
	"github.com/autosync/autosync/shared/cart/carts"
	"github.com/autosync/autosync/shared/catalog"
)

type connectField struct {
	Name  string `json:"name"`
	Label string `json:"label"`
}

type connectableCart struct {
	Cart   catalog.Cart   `json:"cart"`
	Label  string         `json:"label"`
	Fields []connectField `json:"fields"`
}

// getCarts lists the carts a merchant can connect through the cart's own
// authorization (Add channel), with what each asks for first.
func (a *API) getCarts(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	out := []connectableCart{}
	for _, d := range carts.All() {
		if d.Connect == nil || a.Connect == nil || !a.Connect.Connectable(r.Context(), d.ID) {
			continue
		}
		c := connectableCart{Cart: d.ID, Label: d.Label, Fields: []connectField{}}
		for _, f := range d.Connect.Fields {
			c.Fields = append(c.Fields, connectField{Name: f.Name, Label: f.Label})
		}
		out = append(out, c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"carts": out})
	return nil
}
