package devserver

import (
	"net/http"
	"strings"

	"github.com/autosync/autosync/shared/cart/carts"
	"github.com/autosync/autosync/shared/simulator"
)

// postUninstall makes the channel's simulator play the merchant removing
// the app: its tokens stop working and it sends the cart's uninstall
// notice to this server, which disconnects the channel.
func (s *Server) postUninstall(w http.ResponseWriter, r *http.Request) {
	sim, ok := s.simFor(w, r)
	if !ok {
		return
	}
	p, _ := s.tokens.Authenticate(r)
	ch, err := s.App.Channels.Get(r.Context(), p.AccountID, r.PathValue("channel_id"))
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "internal", "Could not load the channel.")
		return
	}
	d, _ := carts.Lookup(ch.Type)
	un, ok := sim.(simulator.Uninstaller)
	if d == nil || d.Connect == nil || d.Connect.StoreKey == "" || !ok {
		writeErr(w, http.StatusUnprocessableEntity, "unsupported", carts.Label(ch.Type)+"'s simulator sends no uninstall notice.")
		return
	}
	target := strings.TrimRight(s.App.API.Connect.BaseURL, "/") + "/oauth/" + string(ch.Type) + "/events"
	status, err := un.Uninstall(r.Context(), nil, target, ch.Config[d.Connect.StoreKey])
	if err != nil || status != http.StatusOK {
		writeErr(w, http.StatusBadGateway, "notice_failed", "The simulator's uninstall notice was not accepted.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "sent"})
}
