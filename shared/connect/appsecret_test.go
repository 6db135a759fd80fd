package connect

import (
	"testing"

	"github.com/autosync/autosync/shared/cart"
)

// TestParseAppSecretCartNames: the secrets as the README has merchants put
// them, in each cart's own words.
func TestParseAppSecretCartNames(t *testing.T) {
	for raw, want := range map[string]cart.App{
		`{"client_id":"c","client_secret":"s"}`:                                                {ClientID: "c", ClientSecret: "s"},
		`{"keystring":"k","shared_secret":"s"}`:                                                {ClientID: "k", ClientSecret: "s"},
		`{"application_id":"amzn1.sp.solution.x","lwa_client_id":"c","lwa_client_secret":"s"}`: {ClientID: "c", ClientSecret: "s", AppID: "amzn1.sp.solution.x"},
		`{"api_key":"a","api_secret":"b","client_id":"c"}`:                                     {ClientID: "a", ClientSecret: "b"},
	} {
		if app, err := ParseAppSecret(raw); err != nil || app != want {
			t.Errorf("%s: %+v %v", raw, app, err)
		}
	}
}
