package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/autosync/autosync/shared/auth"
	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/id"
	"github.com/autosync/autosync/shared/input"
	"github.com/autosync/autosync/shared/orders"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/settings"
)

// accountList is a GET route that takes no parameters and answers the
// caller's account's list under key.
func accountList[T any](key string, list func(ctx context.Context, account string) ([]T, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
		if err := checkQuery(r); err != nil {
			return err
		}
		l, err := list(r.Context(), p.AccountID)
		if err != nil {
			return err
		}
		writeList(w, key, l)
		return nil
	}
}

// writeList answers a list under key: an empty list is an empty array,
// never null.
func writeList[T any](w http.ResponseWriter, key string, list []T) {
	if list == nil {
		list = []T{}
	}
	writeJSON(w, http.StatusOK, map[string]any{key: list})
}

type channelRequest struct {
	Type        catalog.Cart     `json:"type"`
	Name        string           `json:"name"`
	Config      cart.Config      `json:"config"`
	Credentials cart.Credentials `json:"credentials"`
}

func (a *API) createChannel(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req channelRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	var problems []any
	name := strings.TrimSpace(req.Name)
	if err := input.Name(name); err != nil {
		problems = append(problems, map[string]string{"field": "name", "message": fmt.Sprintf("Name the channel (1 to %d characters, no control characters): name %s.", input.MaxName, err)})
	}
	if len(req.Config) > 20 || len(req.Credentials) > 20 {
		problems = append(problems, map[string]string{"field": "config", "message": "At most 20 config and 20 credential entries."})
	}
	problems = append(problems, entryProblems("config", req.Config)...)
	problems = append(problems, entryProblems("credentials", req.Credentials)...)
	for _, pr := range a.Connectors.Validate(req.Type, req.Config, req.Credentials) {
		problems = append(problems, pr)
	}
	if len(problems) > 0 {
		return invalid("The channel cannot be connected as given.", problems...)
	}
	creds, err := a.checkCredentials(r.Context(), channels.Channel{AccountID: p.AccountID, Type: req.Type, Name: name, Config: req.Config}, req.Credentials)
	if err != nil {
		return err
	}
	ch, err := a.Channels.Create(r.Context(), p.AccountID, channels.Channel{Type: req.Type, Name: name, Config: req.Config}, creds)
	if errors.Is(err, channels.ErrLimit) {
		return &Error{Status: http.StatusConflict, Code: "limit", Message: fmt.Sprintf("An account can connect at most %d channels.", channels.MaxPerAccount)}
	}
	if err != nil {
		return err
	}
	if a.Connect != nil {
		// The cart's uninstall notice names the store only.
		if err := a.Connect.Own(r.Context(), ch); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusCreated, ch)
	return nil
}

func (a *API) updateCredentials(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Credentials cart.Credentials `json:"credentials"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ch, err := a.pathChannel(r, p)
	if err != nil {
		return err
	}
	var problems []any
	for _, pr := range a.Connectors.Validate(ch.Type, ch.Config, req.Credentials) {
		if strings.HasPrefix(pr.Field, "credentials") {
			problems = append(problems, pr)
		}
	}
	if len(req.Credentials) == 0 || len(req.Credentials) > 20 {
		problems = append(problems, map[string]string{"field": "credentials", "message": "Send the channel's new credentials."})
	}
	problems = append(problems, entryProblems("credentials", req.Credentials)...)
	if len(problems) > 0 {
		return invalid("The credentials are incomplete.", problems...)
	}
	// The cart is asked first: refused or unreachable, nothing changes.
	creds, err := a.checkCredentials(r.Context(), ch, req.Credentials)
	if err != nil {
		return err
	}
	// New credentials resume every ticked task of the channel.
	if ch, err = a.Settings.Reauthorize(r.Context(), p.AccountID, ch.ID, creds); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ch)
	return nil
}

func (a *API) deleteChannel(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	chID, err := pathChannelID(r)
	if err != nil {
		return err
	}
	if err := a.Settings.RemoveChannel(r.Context(), p.AccountID, chID); err != nil {
		return err
	}
	if err := a.Runs.DeleteChannel(r.Context(), p.AccountID, chID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// maxEntries bounds the entries of PUT /v1/sync and POST /v1/sync/runs.
const maxEntries = 500

func (a *API) putSync(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Tasks *[]struct {
			ChannelID string       `json:"channel_id"`
			Task      catalog.Task `json:"task"`
			// Required: a missing "enabled" must not read as false and
			// silently turn a task off.
			Enabled *bool `json:"enabled"`
		} `json:"tasks"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Tasks == nil {
		return invalid(`Send {"tasks":[{"channel_id","task","enabled"}]}.`)
	}
	if len(*req.Tasks) > maxEntries {
		return invalid(fmt.Sprintf("At most %d tasks per request.", maxEntries))
	}
	changes := make([]settings.Change, len(*req.Tasks))
	var missing []any
	for i, t := range *req.Tasks {
		if t.Enabled == nil {
			missing = append(missing, settings.Problem{Index: i, ChannelID: t.ChannelID, Task: t.Task, Field: "enabled", Message: "enabled is required (true or false)."})
			continue
		}
		changes[i] = settings.Change{ChannelID: t.ChannelID, Task: t.Task, Enabled: *t.Enabled}
	}
	if len(missing) > 0 {
		return invalid("Nothing was saved: fix the tasks listed and try again.", missing...)
	}
	modal, err := a.Settings.Update(r.Context(), p.AccountID, changes)
	var inv *settings.InvalidError
	if errors.As(err, &inv) {
		details := make([]any, len(inv.Problems))
		for i, pr := range inv.Problems {
			details[i] = pr
		}
		return invalid("Nothing was saved: fix the tasks listed and try again.", details...)
	}
	if err != nil {
		return err
	}
	writeList(w, "channels", modal)
	return nil
}

func (a *API) postRuns(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Runs *[]struct {
			ChannelID string       `json:"channel_id"`
			Task      catalog.Task `json:"task"`
		} `json:"runs"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Runs == nil || len(*req.Runs) == 0 {
		return invalid(`Send {"runs":[{"channel_id","task"}]}.`)
	}
	if len(*req.Runs) > 100 {
		return invalid("At most 100 runs per request.")
	}
	chs, err := a.Channels.List(r.Context(), p.AccountID)
	if err != nil {
		return err
	}
	byID := map[string]channels.Channel{}
	for _, c := range chs {
		byID[c.ID] = c
	}
	var problems []any
	seen := map[string]bool{}
	for i, e := range *req.Runs {
		pr := settings.Problem{Index: i, ChannelID: e.ChannelID, Task: e.Task}
		ch, ok := byID[e.ChannelID]
		spec, known := catalog.Spec(e.Task)
		switch {
		case !ok:
			pr.Field, pr.Message = "channel_id", "No such channel."
		case !known:
			pr.Field, pr.Message = "task", fmt.Sprintf("Unknown task %q.", e.Task)
		case spec.Mode == catalog.Instasync:
			pr.Field, pr.Message = "task", spec.Label+" runs when the cart reports a new order or product; run the matching import once instead."
		case !a.Settings.Offered(ch.Type, e.Task).Available():
			pr.Field, pr.Message = "task", a.Settings.Offered(ch.Type, e.Task).Reason
		case seen[e.ChannelID+"#"+string(e.Task)]:
			pr.Field, pr.Message = "task", "This task is listed more than once."
		case ch.Status != channels.Active:
			pr.Field, pr.Message = "channel_id", "This channel needs re-authorization before it can sync."
		}
		if pr.Message != "" {
			problems = append(problems, pr)
		}
		seen[e.ChannelID+"#"+string(e.Task)] = true
	}
	if len(problems) > 0 {
		return invalid("No run was started: fix the entries listed and try again.", problems...)
	}
	out := make([]runs.Run, 0, len(*req.Runs))
	for _, e := range *req.Runs {
		// A task with a manual run still queued gets that run back, not
		// another: repeated presses (or a script) cannot pile up a backlog.
		run, created, err := a.Runs.QueueManual(r.Context(), p.AccountID, e.ChannelID, e.Task)
		if err != nil {
			return err
		}
		if !created {
			out = append(out, run)
			continue
		}
		in := runs.Input{AccountID: p.AccountID, ChannelID: e.ChannelID, Task: e.Task, Trigger: runs.Manual, RunID: run.ID}
		if err := a.Dispatch.Dispatch(r.Context(), in); err != nil {
			run.Status = runs.Failed
			run.Error = &runs.RunError{Class: runs.ClassInternal, Message: "The run could not be started; try again."}
			_ = a.Runs.Save(r.Context(), run)
			a.Log.ErrorContext(r.Context(), "dispatch manual run", "account", p.AccountID, "run_id", run.ID, "err", err)
		}
		out = append(out, run)
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"runs": out})
	return nil
}

func (a *API) listRuns(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := checkQuery(r, "channel_id", "task", "limit", "cursor"); err != nil {
		return err
	}
	if err := queryKeys(r.URL.Query(), "channel_id"); err != nil {
		return err
	}
	limit, cursor, err := pageParams(r, 20, 100, "RUN#")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	task := catalog.Task(q.Get("task"))
	if _, ok := catalog.Spec(task); task != "" && !ok {
		return invalid(fmt.Sprintf("Unknown task %q.", task))
	}
	list, next, err := a.Runs.List(r.Context(), p.AccountID, runs.Filter{ChannelID: q.Get("channel_id"), Task: task, Limit: limit, Cursor: cursor})
	if err != nil {
		return err
	}
	writePage(w, "runs", list, next)
	return nil
}

func (a *API) getRun(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	rid := r.PathValue("run_id")
	if !id.Valid("run", rid) {
		return notFound("Run")
	}
	run, err := a.Runs.Get(r.Context(), p.AccountID, rid)
	if errors.Is(err, runs.ErrNotFound) {
		return notFound("Run")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, run)
	return nil
}

func (a *API) listOrders(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := checkQuery(r, "channel_id", "filter", "tag", "limit", "cursor"); err != nil {
		return err
	}
	limit, cursor, err := pageParams(r, 50, 200, "ORD#")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := cart.Filter(q.Get("filter"))
	if f != "" && !cart.ValidFilter(f) {
		return invalid("filter must be awaiting_fulfillment, shipped or cancelled.")
	}
	if err := queryKeys(q, "channel_id", "tag"); err != nil {
		return err
	}
	list, next, err := a.Orders.List(r.Context(), p.AccountID, orders.Filter{ChannelID: q.Get("channel_id"), Filter: f, Tag: q.Get("tag"), Limit: limit, Cursor: cursor})
	if err != nil {
		return err
	}
	writePage(w, "orders", list, next)
	return nil
}

func (a *API) putInterval(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	var req struct {
		Interval catalog.Interval `json:"interval"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	task := catalog.Task(r.PathValue("task"))
	if _, ok := catalog.Spec(task); !ok {
		return notFound("Task")
	}
	if req.Interval.Rate() == "" {
		return invalid("interval must be one of 10m, 1h, 6h, 1d.")
	}
	account, chID, err := pathAccountChannel(r)
	if err != nil {
		return err
	}
	st, err := a.Settings.SetInterval(r.Context(), account, chID, task, req.Interval)
	var ge *settings.GuardError
	switch {
	case errors.As(err, &ge) && errors.Is(err, settings.ErrIntervalNotAllowed):
		return invalid(ge.Message)
	case errors.As(err, &ge) && errors.Is(err, settings.ErrTooSlow):
		return &Error{Status: http.StatusConflict, Code: "too_slow", Message: ge.Message}
	case errors.Is(err, settings.ErrNotFound), errors.Is(err, channels.ErrNotFound):
		return notFound("Channel")
	case err != nil:
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// maxSecret bounds one config or credential value (a private key in PEM
// is a few kilobytes; the item holding the sealed set must stay small).
const maxSecret = 8 << 10

// entryProblems checks the names and sizes of config or credential
// entries; what each cart needs is the connector's to check.
func entryProblems[M ~map[string]string](field string, m M) []any {
	var out []any
	for k, v := range m {
		if err := input.Key(k); err != nil {
			out = append(out, problem(field, fmt.Errorf("has an entry whose name %w", err)))
		} else if err := input.Value(v, maxSecret); err != nil {
			out = append(out, problem(field+"."+k, err))
		}
	}
	return out
}
