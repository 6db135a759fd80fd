package devserver

import (
	"net/http"
	"strings"

	"github.com/autosync/autosync/shared/cart/carts"
	"github.com/autosync/autosync/shared/simulator"
)

// postUninstall makes the channel's simulator play the merchant removing
// the app. Carts with an uninstall notice (Shopify's app/uninstalled,
// BigCommerce's uninstall callback) send it to this server, which
// disconnects the channel. Carts without one (Etsy, Amazon, WooCommerce,
// and Squarespace, whose extension.uninstall reaches only channels with a
// webhook subscription) only stop honouring the app's authorization;
// Autosync sees that in the cart's next answer, so the route asks the
// cart at once, as the next run would.
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
	if un, ok := sim.(simulator.Uninstaller); ok && d != nil && d.Connect != nil && d.Connect.StoreKey != "" {
		target := strings.TrimRight(s.App.API.Connect.BaseURL, "/") + "/oauth/" + string(ch.Type) + "/events"
		status, err := un.Uninstall(r.Context(), nil, target, ch.Config[d.Connect.StoreKey])
		if err != nil || status != http.StatusOK {
			writeErr(w, http.StatusBadGateway, "notice_failed", "The simulator's uninstall notice was not accepted.")
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "sent", "notice": "sent"})
		return
	}
	rm, ok := sim.(simulator.AppRemover)
	if !ok {
		writeErr(w, http.StatusUnprocessableEntity, "unsupported", carts.Label(ch.Type)+"'s simulator cannot remove the app.")
		return
	}
	rm.RemoveApp()
	got, err := s.App.API.Connect.Verify(r.Context(), p.AccountID, ch.ID)
	if err != nil {
		writeErr(w, http.StatusBadGateway, "check_failed", carts.Label(ch.Type)+" could not be asked whether it still holds the app's authorization; the next run will find out.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "removed", "notice": "none", "channel_status": string(got.Status)})
}
