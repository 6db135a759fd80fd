package inventory

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/autosync/autosync/shared/store"
)

// Warehouse kinds.
const (
	KindStandard = "standard"
	// KindFBA holds stock Amazon fulfils; it never feeds another channel.
	KindFBA = "fba"
)

// Warehouse is a place stock is counted in.
type Warehouse struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	ChannelID string    `json:"channel_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func whSK(id string) string  { return "WH#" + id }
func polSK(ch string) string { return "POL#" + ch }

// Warehouses lists the account's warehouses, the default one first; the
// default exists for every account without being stored until it changes.
func (r *Repo) Warehouses(ctx context.Context, account string) ([]Warehouse, error) {
	var out []Warehouse
	_, err := store.All(ctx, r.Store, store.Query{PK: store.AccountPK(account), Prefix: "WH#"}, 0, func(it store.Item) (bool, error) {
		w, err := store.Decode[Warehouse](it)
		out = append(out, w)
		return true, err
	})
	if err != nil {
		return nil, fmt.Errorf("list warehouses: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	for _, w := range out {
		if w.ID == DefaultWarehouse {
			return out, nil
		}
	}
	return append([]Warehouse{{ID: DefaultWarehouse, Name: "Default", Kind: KindStandard}}, out...), nil
}

// EnsureWarehouse creates the warehouse if it does not exist.
func (r *Repo) EnsureWarehouse(ctx context.Context, account string, w Warehouse) error {
	w.CreatedAt = r.Now().UTC()
	_, err := store.PutDoc(ctx, r.Store, store.AccountPK(account), whSK(w.ID), w, store.MustBeNew)
	if err != nil && !errors.Is(err, store.ErrConditionFailed) {
		return fmt.Errorf("create warehouse %s: %w", w.ID, err)
	}
	return nil
}

// HasWarehouse reports whether the account has the warehouse.
func (r *Repo) HasWarehouse(ctx context.Context, account, id string) (bool, error) {
	_, ok, err := r.warehouse(ctx, account, id)
	return ok, err
}

func (r *Repo) warehouse(ctx context.Context, account, id string) (Warehouse, bool, error) {
	if id == DefaultWarehouse {
		return Warehouse{ID: DefaultWarehouse, Name: "Default", Kind: KindStandard}, true, nil
	}
	d, err := store.GetDoc[Warehouse](ctx, r.Store, store.AccountPK(account), whSK(id))
	if errors.Is(err, store.ErrNotFound) {
		return Warehouse{}, false, nil
	}
	if err != nil {
		return Warehouse{}, false, fmt.Errorf("get warehouse %s: %w", id, err)
	}
	return d.Value, true, nil
}

// Policies gives each channel's policy, the default where none is set.
type Policies map[string]Policy

// DefaultPolicy feeds a channel from the default warehouse, with no
// reserve and no cap.
func DefaultPolicy() Policy { return Policy{Warehouses: []string{DefaultWarehouse}} }

// For returns the channel's policy.
func (ps Policies) For(channel string) Policy {
	if p, ok := ps[channel]; ok {
		return p
	}
	return DefaultPolicy()
}

// Policies loads every channel policy of the account.
func (r *Repo) Policies(ctx context.Context, account string) (Policies, error) {
	out := Policies{}
	_, err := store.All(ctx, r.Store, store.Query{PK: store.AccountPK(account), Prefix: "POL#"}, 0, func(it store.Item) (bool, error) {
		p, err := store.Decode[Policy](it)
		out[it.SK[len("POL#"):]] = p
		return true, err
	})
	if err != nil {
		return nil, fmt.Errorf("load channel policies: %w", err)
	}
	return out, nil
}

// Policy loads one channel's policy.
func (r *Repo) Policy(ctx context.Context, account, channel string) (Policy, error) {
	d, err := store.GetDoc[Policy](ctx, r.Store, store.AccountPK(account), polSK(channel))
	if errors.Is(err, store.ErrNotFound) {
		return DefaultPolicy(), nil
	}
	if err != nil {
		return Policy{}, fmt.Errorf("load channel policy: %w", err)
	}
	return d.Value, nil
}

// SetPolicy stores a channel's policy after checking it.
func (r *Repo) SetPolicy(ctx context.Context, account, channel string, p Policy) error {
	if len(p.Warehouses) == 0 || len(p.Warehouses) > 20 {
		return fmt.Errorf("%w: a channel takes stock from 1 to 20 warehouses", ErrInvalid)
	}
	seen := map[string]bool{}
	for _, wh := range p.Warehouses {
		w, ok, err := r.warehouse(ctx, account, wh)
		if err != nil {
			return err
		}
		if !ok || seen[wh] {
			return fmt.Errorf("%w: unknown or repeated warehouse %q", ErrInvalid, wh)
		}
		if w.Kind == KindFBA {
			// FBA stock is Amazon's to sell; writing it to a cart would oversell.
			return fmt.Errorf("%w: warehouse %q holds FBA stock, which is never written back to a cart", ErrInvalid, wh)
		}
		seen[wh] = true
	}
	if p.Reserve < 0 || p.Reserve > 1_000_000 {
		return fmt.Errorf("%w: reserve must be 0 to 1000000", ErrInvalid)
	}
	if p.MaxExport != nil && (*p.MaxExport < 0 || *p.MaxExport > 1_000_000_000) {
		return fmt.Errorf("%w: max_export must be 0 to 1000000000", ErrInvalid)
	}
	switch p.ZeroStock {
	case "", ZeroStockDeactivate, ZeroStockSuspend:
	default:
		return fmt.Errorf("%w: zero_stock must be %q or %q", ErrInvalid, ZeroStockDeactivate, ZeroStockSuspend)
	}
	_, err := store.PutDoc(ctx, r.Store, store.AccountPK(account), polSK(channel), p, store.NoCond)
	if err != nil {
		return fmt.Errorf("save channel policy: %w", err)
	}
	return nil
}

// CommitWarehouse is where the channel's orders commit stock: the first
// warehouse of its policy.
func (r *Repo) CommitWarehouse(ctx context.Context, account, channel string) (string, error) {
	p, err := r.Policy(ctx, account, channel)
	if err != nil {
		return "", err
	}
	return p.Warehouses[0], nil
}
