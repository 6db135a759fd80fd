package amazon

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

var _ cart.StockSubmitter = (*Client)(nil)

// SubmitStock is SetStock without the wait: below the feed threshold it
// returns the patches' results; at or above it, it sends the feed and
// returns a ticket for StockResults, so an invocation never sleeps
// through Amazon's processing.
func (c *Client) SubmitStock(ctx context.Context, updates []cart.StockUpdate) ([]cart.StockResult, string, error) {
	feed, err := c.useFeed(len(updates))
	if err != nil {
		return nil, "", err
	}
	if !feed {
		results, err := c.setStockPatches(ctx, updates)
		return results, "", err
	}
	results, index, doc, err := c.quantityFeed(updates)
	if err != nil || doc == nil {
		return results, "", err
	}
	id, err := c.submitFeed(ctx, doc)
	if err != nil {
		return nil, "", fmt.Errorf("amazon: sending the quantity feed: %w", err)
	}
	t := feedTicket{Version: ticketVersion, Seller: c.seller, Market: c.market, Feed: id, Created: c.now().UTC(), N: len(updates)}
	for i, r := range results {
		var ce *cart.Error
		if errors.As(r.Err, &ce) {
			t.Refused = append(t.Refused, ticketRefusal{I: i, Why: clip(ce.Message)})
		}
	}
	if len(t.Refused)+len(index) != len(updates) {
		return nil, "", fmt.Errorf("amazon: %d refused and %d sent of %d updates", len(t.Refused), len(index), len(updates))
	}
	return nil, t.encode(), nil
}

// StockResults asks Amazon once about a submitted feed: done with one
// result per update when it finished (a result's SKU is empty: the caller
// holds the updates), not done while it processes. A FATAL or CANCELLED
// feed, one cancelled here because it was still queued past the give-up
// age, one unfinished past unknownAfter, or a report that does not
// account for every message fail the call as SetStock's would; a feed in
// progress past the give-up age is still processing (it will apply, so
// its SKUs must not be pushed again meanwhile), and so is one Amazon
// fails to answer about for a moment.
func (c *Client) StockResults(ctx context.Context, ticket string) ([]cart.StockResult, bool, error) {
	t, err := decodeTicket(ticket)
	if err == nil && (t.Seller != c.seller || t.Market != c.market) {
		err = errors.New("the ticket is another seller's or marketplace's")
	}
	if err != nil {
		return nil, false, &cart.Error{Message: "amazon: not a quantity feed ticket of this channel", Err: err}
	}
	f, done, err := c.getFeed(ctx, inflightFeed{id: t.Feed, created: t.Created})
	if err != nil && ctx.Err() == nil && unansweredForNow(err) {
		// Amazon said nothing of the feed, which may still apply: the
		// caller keeps its SKUs in flight and asks again, up to the
		// last bound.
		if c.now().Sub(t.Created) < c.feedPoll.unknownAfter {
			return nil, false, nil
		}
		err = &cart.Error{Temporary: true, Message: fmt.Sprintf(
			"Amazon could not be asked about the quantity feed %s %s after its creation: its outcome is unknown", t.Feed, c.feedPoll.unknownAfter), Err: err}
	}
	if err != nil {
		return nil, false, fmt.Errorf("amazon: asking about quantity feed %s: %w", t.Feed, feedGone(err))
	}
	if !done {
		return nil, false, nil
	}
	results := make([]cart.StockResult, t.N)
	index := make([]int, 0, t.N-len(t.Refused))
	next := 0
	for _, r := range t.Refused {
		for ; next < r.I; next++ {
			index = append(index, next)
		}
		results[r.I].Err = &cart.Error{Message: r.Why}
		next = r.I + 1
	}
	for ; next < t.N; next++ {
		index = append(index, next)
	}
	refused, err := c.feedOutcome(ctx, f, len(index))
	if err != nil {
		return nil, false, fmt.Errorf("amazon: quantity feed %s: %w", f.id, err)
	}
	refuse(results, index, refused)
	return results, true, nil
}

// A feed ticket is "amzfeed1." and the base64url of feedTicket's JSON.
const (
	ticketVersion = 1
	ticketPrefix  = "amzfeed1."
	// maxTicket bounds a ticket: MaxFeedBatch local refusals of clipped
	// reasons fit.
	maxTicket = 4 << 20
)

// feedTicket is what StockResults needs to rebuild a submitted push's
// results: the feed, and which updates were refused before sending (the
// others are the feed's messages, in order).
type feedTicket struct {
	Version int             `json:"v"`
	Seller  string          `json:"seller"`
	Market  string          `json:"market"`
	Feed    string          `json:"feed"`
	Created time.Time       `json:"created"`
	N       int             `json:"n"`
	Refused []ticketRefusal `json:"refused,omitempty"`
}

type ticketRefusal struct {
	I   int    `json:"i"`
	Why string `json:"why"`
}

func (t feedTicket) encode() string {
	b, err := json.Marshal(t)
	if err != nil {
		panic(err) // plain fields always encode
	}
	return ticketPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// decodeTicket reads and checks a ticket from outside (a checkpoint).
func decodeTicket(s string) (feedTicket, error) {
	if len(s) > maxTicket {
		return feedTicket{}, fmt.Errorf("ticket of %d bytes", len(s))
	}
	raw, ok := strings.CutPrefix(s, ticketPrefix)
	if !ok {
		return feedTicket{}, errors.New("not a quantity feed ticket")
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return feedTicket{}, fmt.Errorf("ticket encoding: %w", err)
	}
	var t feedTicket
	if err := json.Unmarshal(b, &t); err != nil {
		return feedTicket{}, fmt.Errorf("ticket: %w", err)
	}
	switch {
	case t.Version != ticketVersion:
		return feedTicket{}, fmt.Errorf("ticket version %d", t.Version)
	case !feedIDRE.MatchString(t.Feed):
		return feedTicket{}, fmt.Errorf("feed id %q", clip(t.Feed))
	case t.Created.IsZero():
		return feedTicket{}, errors.New("ticket without its feed's creation time")
	case t.N < 1 || t.N > MaxFeedBatch:
		return feedTicket{}, fmt.Errorf("ticket of %d updates", t.N)
	case len(t.Refused) >= t.N:
		return feedTicket{}, fmt.Errorf("ticket of %d updates, %d refused", t.N, len(t.Refused))
	}
	prev := -1
	for _, r := range t.Refused {
		if r.I <= prev || r.I >= t.N || r.Why == "" {
			return feedTicket{}, fmt.Errorf("refusal of update %d", r.I)
		}
		prev = r.I
	}
	return t, nil
}
