package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/runs"
)

// fullWriteBackEvery is how often Write Inventory Back reads the whole
// catalog even though the change log says what changed: a reconciliation,
// at a twenty-fourth of the price of reading it every hour.
const fullWriteBackEvery = 24 * time.Hour

// writeBackKey is where Write Inventory Back keeps its state in the
// task's checkpoint (runs.Checkpoint.State).
const writeBackKey = "writeback"

// writeBack is Write Inventory Back's state between runs. It rides in the
// checkpoint, which every run commits anyway, fenced by its lease.
type writeBack struct {
	// Clean: every change logged from Clean − inventory.ChangeMargin on is
	// still to be examined; everything before was pushed (or logged again,
	// as a failed push is) under the policy whose key is Policy.
	Clean  time.Time `json:"clean,omitzero"`
	Policy string    `json:"policy,omitempty"`
	// FullAt is when the last run that read the whole catalog started, and
	// SKUs how many products it read.
	FullAt time.Time `json:"full_at,omitzero"`
	SKUs   int       `json:"skus,omitempty"`
	// Parked lists, by cart listing, the SKUs whose listing Autosync
	// deactivated (at 0 everywhere); they go with any push to their
	// listing.
	Parked map[string][]string `json:"parked,omitempty"`

	// Pending lists the pushes a cart.StockSubmitter is still processing:
	// their SKUs are neither confirmed nor pushed again until a run reads
	// the results (or gives up on them and examines the SKUs again).
	Pending []pendingPush `json:"pending,omitempty"`

	// The run in progress: when it started (on the inventory's clock), its
	// policy's key, whether it reads the whole catalog and how many
	// products it read so far.
	Start     time.Time `json:"start,omitzero"`
	RunPolicy string    `json:"run_policy,omitempty"`
	Full      bool      `json:"full,omitempty"`
	Scanned   int       `json:"scanned,omitempty"`
}

// loadWriteBack reads the state from the checkpoint; a missing or
// unreadable state is the zero state, which makes the run read the whole
// catalog.
func loadWriteBack(cp runs.Checkpoint) writeBack {
	var wb writeBack
	if s, ok := cp.State[writeBackKey]; ok {
		if err := json.Unmarshal([]byte(s), &wb); err != nil {
			return writeBack{}
		}
	}
	return wb
}

func (wb *writeBack) save(cp *runs.Checkpoint) {
	b, err := json.Marshal(wb)
	if err != nil {
		panic(err) // plain fields always encode
	}
	if cp.State == nil {
		cp.State = map[string]string{}
	}
	cp.State[writeBackKey] = string(b)
}

// finish moves the watermark to the start of the run that just ended.
func (wb *writeBack) finish() {
	wb.Clean, wb.Policy = wb.Start, wb.RunPolicy
	if wb.Full {
		wb.FullAt, wb.SKUs = wb.Start, wb.Scanned
	}
	wb.Start, wb.RunPolicy, wb.Full, wb.Scanned = time.Time{}, "", false, 0
}

func (wb *writeBack) park(listing, sku string) {
	if wb.Parked == nil {
		wb.Parked = map[string][]string{}
	}
	if !slices.Contains(wb.Parked[listing], sku) {
		wb.Parked[listing] = append(wb.Parked[listing], sku)
	}
}

func (wb *writeBack) unpark(sku string) {
	for listing, skus := range wb.Parked {
		if i := slices.Index(skus, sku); i >= 0 {
			skus = slices.Delete(skus, i, i+1)
			if len(skus) == 0 {
				delete(wb.Parked, listing)
			} else {
				wb.Parked[listing] = skus
			}
		}
	}
}

// policyKey identifies a policy's content: a run under a different one
// reads the whole catalog.
func policyKey(p inventory.Policy) string {
	b, err := json.Marshal(p)
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// Bounds of the pending pushes, which ride in the checkpoint (a store
// item of at most store.MaxItemBytes): a push that would pass them is
// sent with SetStock, waiting for its results, instead.
const (
	maxPending       = 3
	maxPendingBytes  = 128 << 10
	maxSubmitBatch   = 1000
	pendingTicketPad = 4 << 10 // a ticket's size, allowed for before it exists
)

// pendingPush is a push submitted to the cart whose results a later run
// reads with its ticket.
type pendingPush struct {
	Ticket string        `json:"ticket"`
	At     time.Time     `json:"at"` // submitted, on the executor's clock (a record: the cart bounds the wait)
	Items  []pendingItem `json:"items"`
	// Recheck lists SKUs a run found needing a push while they were in
	// flight: the run that reads the results examines them again.
	Recheck []string `json:"recheck,omitempty"`
}

// pendingItem is a pushItem as the checkpoint keeps it.
type pendingItem struct {
	SKU         string    `json:"s"`
	Target      int       `json:"t"`
	Link        cart.Link `json:"l,omitzero"`
	Deactivated bool      `json:"d,omitempty"`
}

func pendingItems(chunk []pushItem) []pendingItem {
	out := make([]pendingItem, len(chunk))
	for i, it := range chunk {
		out[i] = pendingItem{SKU: it.sku, Target: it.target, Link: it.link, Deactivated: it.deactivated}
	}
	return out
}

func (p pendingItem) pushItem() pushItem {
	return pushItem{sku: p.SKU, link: p.Link, target: p.Target, deactivated: p.Deactivated}
}

// pendingRoom says whether a submission of chunk fits the bounds.
func (wb *writeBack) pendingRoom(chunk []pushItem) bool {
	if len(wb.Pending) >= maxPending {
		return false
	}
	cur, err := json.Marshal(wb.Pending)
	if err != nil {
		panic(err)
	}
	add, err := json.Marshal(pendingItems(chunk))
	if err != nil {
		panic(err)
	}
	return len(cur)+len(add)+pendingTicketPad <= maxPendingBytes
}
