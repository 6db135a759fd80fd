package connect

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carts"
	"github.com/autosync/autosync/shared/catalog"
)

// SecretApps reads each cart's app credentials from the secret its
// environment variable CART_APP_SECRET_<CART> names (a Secrets Manager ARN
// in AWS), a JSON object {"api_key": client id, "api_secret": secret}.
// Values are kept once read; a secret still empty is read again next time,
// so credentials put after deployment are picked up.
type SecretApps struct {
	Getenv func(string) string
	// Read returns the secret's string value.
	Read func(ctx context.Context, id string) (string, error)

	mu    sync.Mutex
	known map[catalog.Cart]cart.App
}

// EnvVar is the variable naming cart c's app secret.
func EnvVar(c catalog.Cart) string { return "CART_APP_SECRET_" + strings.ToUpper(string(c)) }

// App returns cart c's app, when its secret holds one.
func (a *SecretApps) App(ctx context.Context, c catalog.Cart) (cart.App, bool, error) {
	if !carts.Valid(c) {
		return cart.App{}, false, nil
	}
	a.mu.Lock()
	app, ok := a.known[c]
	a.mu.Unlock()
	if ok {
		return app, true, nil
	}
	id := a.Getenv(EnvVar(c))
	if id == "" {
		return cart.App{}, false, nil
	}
	raw, err := a.Read(ctx, id)
	if err != nil {
		return cart.App{}, false, fmt.Errorf("read %s: %w", EnvVar(c), err)
	}
	app, err = ParseAppSecret(raw)
	if err != nil {
		return cart.App{}, false, fmt.Errorf("%s: %w", EnvVar(c), err)
	}
	if app.ClientID == "" || app.ClientSecret == "" {
		return cart.App{}, false, nil
	}
	a.mu.Lock()
	if a.known == nil {
		a.known = map[catalog.Cart]cart.App{}
	}
	a.known[c] = app
	a.mu.Unlock()
	return app, true, nil
}

// ParseAppSecret reads {"api_key", "api_secret"} (client_id and
// client_secret are accepted too, as are Etsy's keystring and
// shared_secret and Amazon's application_id, lwa_client_id and
// lwa_client_secret). No api_base: a deployed stack talks to
// the real carts.
func ParseAppSecret(raw string) (cart.App, error) {
	var v struct {
		APIKey       string `json:"api_key"`
		APISecret    string `json:"api_secret"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		AppID        string `json:"application_id"`
		// Etsy's and Amazon's own names, as the README's secrets use them.
		Keystring       string `json:"keystring"`
		SharedSecret    string `json:"shared_secret"`
		LWAClientID     string `json:"lwa_client_id"`
		LWAClientSecret string `json:"lwa_client_secret"`
	}
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return cart.App{}, fmt.Errorf("app secret is not a JSON object")
	}
	app := cart.App{ClientID: v.APIKey, ClientSecret: v.APISecret, AppID: v.AppID}
	for _, id := range []string{v.ClientID, v.Keystring, v.LWAClientID} {
		if app.ClientID == "" {
			app.ClientID = id
		}
	}
	for _, secret := range []string{v.ClientSecret, v.SharedSecret, v.LWAClientSecret} {
		if app.ClientSecret == "" {
			app.ClientSecret = secret
		}
	}
	return app, nil
}
