package httpapi

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/auth"
	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/connector"
	"github.com/autosync/autosync/shared/inventory"
)

// The live read of a preview is bounded: it reads at most
// previewLivePages pages of the cart's listings within previewLiveBudget.
// SKUs it did not reach show the quantity last seen (at Import Products or
// the last confirmed push) with when that was.
const (
	previewLivePages  = 10
	previewLiveBudget = 3 * time.Second
	// previewMaxLinked bounds the SKUs one preview computes; the summary
	// says when a catalog is larger.
	previewMaxLinked = 20000
)

// liveRead says how the cart quantities of a preview were read.
type liveRead struct {
	// Attempted: the cart was asked (live=false or a channel that cannot
	// sync skip it).
	Attempted bool `json:"attempted"`
	// Complete: every listing of the cart was read.
	Complete bool `json:"complete"`
	// Read is how many of the cart's SKUs came with a quantity.
	Read int `json:"read"`
	// Message says, for a merchant, why some quantities are last seen.
	Message string `json:"message,omitempty"`
}

type previewSummary struct {
	inventory.PreviewSummary
	// Complete: the summary covers every linked SKU (false past
	// previewMaxLinked).
	Complete bool `json:"complete"`
}

// inventoryPreview answers what the next Write Inventory Back would change
// on a channel: per linked SKU the cart's quantity and the quantity the
// write-back would send (the executor's own computation, inventory.Policy.
// SyncState), paged by SKU, with a summary over every linked SKU. It
// doubles as a drift report: cart quantity against the intended one.
func (a *API) inventoryPreview(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := checkQuery(r, "limit", "cursor", "live"); err != nil {
		return err
	}
	limit, cursor, err := pageParams(r, 50, 200, "PROD#")
	if err != nil {
		return err
	}
	live := true
	switch r.URL.Query().Get("live") {
	case "", "true":
	case "false":
		live = false
	default:
		return invalid("live must be true or false.")
	}
	ch, err := a.pathChannel(r, p)
	if err != nil {
		return err
	}
	var quantities map[string]int
	read := liveRead{Message: "Showing the cart quantities last seen (live reading was not asked for)."}
	if live {
		quantities, read = a.readCartQuantities(r.Context(), ch)
	}
	pv, err := a.Inventory.Preview(r.Context(), p.AccountID, ch.ID, quantities, previewMaxLinked)
	if err != nil {
		return err
	}
	sum := previewSummary{PreviewSummary: inventory.Summarize(pv.Entries), Complete: !pv.Truncated}
	after := strings.TrimPrefix(cursor, "PROD#")
	start := 0
	if cursor != "" {
		start = sort.Search(len(pv.Entries), func(i int) bool { return pv.Entries[i].SKU > after })
	}
	end := min(start+limit, len(pv.Entries))
	items := pv.Entries[start:end]
	if items == nil {
		items = []inventory.PreviewEntry{}
	}
	next := ""
	if end < len(pv.Entries) {
		next = "PROD#" + items[len(items)-1].SKU
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"channel_id":  ch.ID,
		"live":        read,
		"summary":     sum,
		"items":       items,
		"next_cursor": encodeCursor(next),
	})
	return nil
}

// readCartQuantities reads the cart's current quantity per SKU through the
// connector's listing read (what Import Products reads), within the
// preview's bound. A failure is not the request's: the preview falls back
// to the quantities last seen and says why.
func (a *API) readCartQuantities(ctx context.Context, ch channels.Channel) (map[string]int, liveRead) {
	read := liveRead{}
	if ch.Status != channels.Active {
		read.Message = "The channel needs re-authorization, so the cart was not read; showing the quantities last seen."
		return nil, read
	}
	creds, err := a.Channels.Credentials(ctx, ch.AccountID, ch.ID)
	if err != nil {
		a.Log.WarnContext(ctx, "preview: open credentials", "account", ch.AccountID, "channel", ch.ID, "err", err)
		read.Message = "The cart could not be read now; showing the quantities last seen."
		return nil, read
	}
	src, err := connector.As[cart.ListingSource](a.Connectors, ch, creds)
	if err != nil {
		read.Message = "This cart's quantities cannot be read here; showing the quantities last seen."
		return nil, read
	}
	read.Attempted = true
	ctx, cancel := context.WithTimeout(ctx, previewLiveBudget)
	defer cancel()
	out := map[string]int{}
	q := cart.ListingQuery{}
	for page := 0; page < previewLivePages; page++ {
		lp, err := src.Listings(ctx, q)
		if err != nil {
			a.Log.WarnContext(ctx, "preview: read cart listings", "account", ch.AccountID, "channel", ch.ID, "err", err)
			read.Message = liveFailure(err)
			return out, read
		}
		for _, l := range lp.Listings {
			if _, dup := out[l.SKU]; l.Quantity == nil || dup || !inventory.ValidSKU(l.SKU) {
				continue
			}
			out[l.SKU] = max(*l.Quantity, 0)
		}
		read.Read = len(out)
		if lp.Next == "" {
			read.Complete = true
			return out, read
		}
		q.Cursor = lp.Next
	}
	read.Message = "The cart has more listings than a preview reads; SKUs not read show the quantity last seen."
	return out, read
}

// liveFailure words a failed live read for a merchant (never the error's
// own text).
func liveFailure(err error) string {
	var rl *cart.RateLimitedError
	switch {
	case errors.Is(err, cart.ErrAuth):
		return "The cart refused the saved credentials; showing the quantities last seen."
	case errors.As(err, &rl), errors.Is(err, context.DeadlineExceeded), errors.Is(err, cart.ErrPastDeadline):
		return "The cart did not answer in time; showing the quantities last seen for SKUs not read."
	}
	return "The cart could not be read now; showing the quantities last seen for SKUs not read."
}
