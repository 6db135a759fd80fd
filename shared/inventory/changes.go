package inventory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/autosync/autosync/shared/id"
	"github.com/autosync/autosync/shared/store"
)

// The change log is how write-back finds what needs sync without reading
// the catalog. Every write that can change what a channel should show for
// a SKU (its stock, a channel's link, a failed push) adds, in the same
// transaction, a small item naming the SKUs it changed, keyed by the time
// of the write. A write-back run reads the log from the time its channel's
// previous run started, less ChangeMargin, and examines only those SKUs.
//
// Keys are times rather than an account-wide counter on purpose: a counter
// would put one item in every stock write of an account, so every import
// and order would contend for it (on DynamoDB two transactions on one item
// cancel each other), and it would cost a write of its own. Times need no
// shared item; what they need is a margin for a writer whose clock lags
// the reader's or whose transaction commits late, which ChangeMargin is.
//
// Writes that cannot change a channel's target or push state are not
// logged: a confirmed push (it records what was just read, so the product
// is in sync unless something logged changed it since), images, and stock
// in a warehouse no channel takes from (Amazon FBA; see UpdateQuiet).
const (
	// ChangeLogTTL is how long a change item lives. A reader whose
	// watermark is older than that (less the margin) reads the catalog.
	ChangeLogTTL = 7 * 24 * time.Hour
	// ChangeMargin is how far before its watermark a reader starts: it
	// covers clock skew between writer and reader and a transaction that
	// commits minutes after it was stamped (the SDK's retries). Changes
	// inside the margin are read twice, harmlessly.
	ChangeMargin = 5 * time.Minute
)

const (
	changePrefix = "CHG#"
	// stampLayout is fixed-width, so keys sort in time order.
	stampLayout = "20060102T150405.000000000Z"
)

type changeDoc struct {
	SKUs []string `json:"skus"`
}

// changeOp is the log item recording that skus changed at now, for the
// writer's transaction.
func changeOp(account string, now time.Time, skus []string) (store.Op, error) {
	sk := changePrefix + now.UTC().Format(stampLayout) + "#" + id.New("c")
	it, err := store.NewDoc(store.AccountPK(account), sk, changeDoc{SKUs: skus}, now.Add(ChangeLogTTL))
	if err != nil {
		return store.Op{}, err
	}
	return store.Put(it, store.MustBeNew), nil
}

// ChangedSince returns, sorted and once each, the SKUs of every change
// logged at or after since. The read is strongly consistent: a change
// committed before it is in the answer.
func (r *Repo) ChangedSince(ctx context.Context, account string, since time.Time) ([]string, error) {
	q := store.Query{PK: store.AccountPK(account), Prefix: changePrefix, Limit: store.MaxLimit,
		// Every key stamped at or after since sorts after this one.
		After: changePrefix + since.UTC().Format(stampLayout)}
	seen := map[string]bool{}
	var out []string
	_, err := store.All(ctx, r.Store, q, 0, func(it store.Item) (bool, error) {
		c, err := store.Decode[changeDoc](it)
		if err != nil {
			return false, err
		}
		for _, sku := range c.SKUs {
			if !seen[sku] {
				seen[sku] = true
				out = append(out, sku)
			}
		}
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read stock changes: %w", err)
	}
	slices.Sort(out)
	return out, nil
}

// ChangesKept reports whether the log still holds every change since
// since, as of now: items older than ChangeLogTTL may be gone.
func ChangesKept(since, now time.Time) bool {
	return !since.IsZero() && now.Sub(since) < ChangeLogTTL-ChangeMargin
}

// UpdateQuiet is Update for a change that cannot alter what any channel
// should show or whether it needs a push: stock of a warehouse no channel
// takes from (Amazon FBA, which SetPolicy refuses), so the write is not
// logged and costs one item write instead of a transaction of two.
func (r *Repo) UpdateQuiet(ctx context.Context, account, sku string, create bool, fn func(p *Product) error) (Product, error) {
	return r.update(ctx, account, sku, create, false, fn)
}

// update applies fn to the product by optimistic read-modify-write; a
// logged update writes the product and its change item in one transaction.
func (r *Repo) update(ctx context.Context, account, sku string, create, logged bool, fn func(p *Product) error) (Product, error) {
	pk, key := store.AccountPK(account), prodSK(sku)
	var out Product
	var fnErr error
	err := store.Retry(ctx, 20, func() error {
		var p Product
		var version int64
		cur, err := r.Store.Get(ctx, pk, key)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return fmt.Errorf("read %s/%s: %w", pk, key, err)
		default:
			if p, err = store.Decode[Product](cur); err != nil {
				return err
			}
			version = cur.Version
		}
		now := r.Now().UTC()
		if version == 0 {
			if !create {
				fnErr = ErrNotFound
				return nil
			}
			p = newProduct(sku, now)
		}
		p.norm()
		// fn's error must not be retried even when it matches
		// ErrConditionFailed, so it leaves Retry as nil.
		if fnErr = fn(&p); fnErr != nil {
			return nil
		}
		p.UpdatedAt = now
		it, err := store.NewDoc(pk, key, p, time.Time{})
		if err != nil {
			return err
		}
		if !logged {
			_, err = r.Store.Put(ctx, it, store.AtVersion(version))
		} else {
			var chg store.Op
			if chg, err = changeOp(account, now, []string{sku}); err != nil {
				return err
			}
			err = r.Store.Transact(ctx, []store.Op{store.Put(it, store.AtVersion(version)), chg})
		}
		if err != nil {
			return fmt.Errorf("write %s/%s: %w", pk, key, err)
		}
		out = p
		return nil
	})
	if fnErr != nil {
		return Product{}, fnErr
	}
	if err != nil {
		return Product{}, err
	}
	return out, nil
}
