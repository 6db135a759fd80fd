package httpapi

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/autosync/autosync/shared/auth"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/input"
)

// The checks every route applies to ids, SKUs and names from outside
// before they reach a store key (where an oversized or non-UTF-8 value is
// a store error, a 500): one place, shared/input, decides what is
// acceptable; these turn its verdicts into the API's answers.

// problem is one detail of a 422 naming the field at fault.
func problem(field string, err error) map[string]string {
	return map[string]string{"field": field, "message": fmt.Sprintf("%s %s.", field, err)}
}

// indexedProblem is a problem of one element of a list field.
func indexedProblem(field string, i int, err error) map[string]any {
	return map[string]any{"index": i, "field": field, "message": fmt.Sprintf("%s[%d] %s.", field, i, err)}
}

// pathChannelID reads a merchant route's {channel_id}. An id no channel
// can have is a 404 without a look-up: an oversized or non-UTF-8 key would
// be a store error (500).
func pathChannelID(r *http.Request) (string, error) {
	chID := r.PathValue("channel_id")
	if !input.ID("ch", chID) {
		return "", notFound("Channel")
	}
	return chID, nil
}

// pathChannel loads the caller's channel the path names.
func (a *API) pathChannel(r *http.Request, p auth.Principal) (channels.Channel, error) {
	chID, err := pathChannelID(r)
	if err != nil {
		return channels.Channel{}, err
	}
	return a.Channels.Get(r.Context(), p.AccountID, chID)
}

// pathAccountChannel reads the admin routes' {account_id} and
// {channel_id}; a value no account or channel can have is a 404 without
// a look-up.
func pathAccountChannel(r *http.Request) (string, string, error) {
	account, channel := r.PathValue("account_id"), r.PathValue("channel_id")
	if input.Account(account) != nil || !input.ID("ch", channel) {
		return "", "", notFound("Channel")
	}
	return account, channel, nil
}

// queryKeys checks the named query parameters that are matched against
// stored ids (channel_id, tag): bounded, UTF-8, no control characters.
// An absent parameter is fine.
func queryKeys(q url.Values, names ...string) error {
	for _, n := range names {
		v, ok := q[n]
		if !ok || len(v) == 0 || v[0] == "" {
			continue
		}
		if err := input.Key(v[0]); err != nil {
			return invalid(fmt.Sprintf("Query parameter %s %s.", n, err), problem(n, err))
		}
	}
	return nil
}
