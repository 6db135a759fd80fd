package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"

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
