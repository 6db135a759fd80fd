// Package schedule is the port through which Autosync keeps one schedule per
// enabled (account, channel, autosync task). Adapters: eventbridge (AWS
// EventBridge Scheduler) and local (in-process, for make dev). The store's
// schedule records are the source of truth; a scheduler only mirrors them.
package schedule

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/pattern"
)

// Schedule is one recurring trigger of the task executor.
type Schedule struct {
	Name     string
	Interval catalog.Interval
	// Enabled false keeps the schedule but stops it firing (a channel that
	// needs re-authorization pauses its schedules).
	Enabled bool
	// Input is the executor's JSON input delivered on every firing.
	Input json.RawMessage
	// Replace says the caller believes the schedule exists (its record
	// was applied): an adapter whose API tells create from update tries
	// the update first, so a re-timed or paused schedule costs one call.
	// It is a hint; Put creates a missing schedule either way.
	Replace bool
	// Drift, set by Get only, says what of the schedule's delivery (what
	// it invokes, as whom, its retries and dead-letter queue) differs from
	// what the adapter's Put writes now, "" when nothing does: a stack
	// update that changed the target or role leaves older schedules
	// firing at the old one until they are Put again. Put ignores it.
	Drift string
}

// Scheduler is the port.
type Scheduler interface {
	// Put creates the schedule or replaces it whole with s.
	Put(ctx context.Context, s Schedule) error
	// Delete removes the schedule; deleting a missing one succeeds.
	Delete(ctx context.Context, name string) error
	// Get returns the schedule or ErrNotFound.
	Get(ctx context.Context, name string) (Schedule, error)
	// List returns the names of every schedule the adapter owns.
	List(ctx context.Context) ([]string, error)
}

// Pager is implemented by adapters that can list a page at a time, so a
// caller can walk millions of schedules across many calls, resuming with
// the token: repair reads a bounded number of pages per pass.
type Pager interface {
	// ListPage returns up to about limit names (an adapter may cap the
	// page lower) after token ("" starts over), and the token of the next
	// page, "" after the last. Every schedule that exists throughout a
	// walk is returned by it at least once.
	ListPage(ctx context.Context, token string, limit int) (names []string, next string, err error)
}

// ErrNotFound is returned by Get for a missing schedule.
var ErrNotFound = errors.New("schedule not found")

// ErrInvalid is returned for a schedule the Scheduler API would refuse;
// adapters validate in Go because the emulator accepts anything.
var ErrInvalid = errors.New("invalid schedule")

var nameRE = pattern.New(`^[0-9a-zA-Z\-_.]{1,64}$`)

// Validate checks a schedule against EventBridge Scheduler's rules.
func Validate(s Schedule) error {
	if !nameRE.MatchString(s.Name) {
		return fmt.Errorf("%w: name %q must be 1-64 characters of [0-9a-zA-Z-_.]", ErrInvalid, s.Name)
	}
	if s.Interval.Rate() == "" {
		return fmt.Errorf("%w: interval %q", ErrInvalid, s.Interval)
	}
	if !json.Valid(s.Input) {
		return fmt.Errorf("%w: input is not JSON", ErrInvalid)
	}
	if len(s.Input) > 8192 {
		return fmt.Errorf("%w: input of %d bytes (max 8192)", ErrInvalid, len(s.Input))
	}
	return nil
}

var unsafeChars = pattern.New(`[^0-9a-zA-Z\-_]`)

// Name is the schedule name of (account, channel, task): readable for
// support when the ids are short and plain, a stable hash otherwise. It is
// always valid and unique per triple.
func Name(account, channel string, task catalog.Task) string {
	readable := "as." + account + "." + channel + "." + string(task)
	if len(readable) <= 64 && !unsafeChars.MatchString(account) && !unsafeChars.MatchString(channel) {
		return readable
	}
	sum := sha256.Sum256([]byte(account + "\x00" + channel + "\x00" + string(task)))
	h := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:]))
	return "as.h." + h[:40] + "." + shortTask(task)
}

func shortTask(t catalog.Task) string {
	s := string(t)
	if len(s) > 16 {
		s = s[:16]
	}
	return s
}

// ErrInvalidToken is returned by ListPage for a token the Scheduler no
// longer accepts (expired, say): the walk must start over.
var ErrInvalidToken = errors.New("list token refused")
