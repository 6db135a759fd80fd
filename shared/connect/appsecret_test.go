package connect

import "testing"

// TestParseAppSecretApplicationID: Amazon's secret names the SP-API
// application apart from its LWA client.
func TestParseAppSecretApplicationID(t *testing.T) {
	app, err := ParseAppSecret(`{"client_id":"amzn1.application-oa2-client.x","client_secret":"s","application_id":"amzn1.sp.solution.x"}`)
	if err != nil || app.ClientID != "amzn1.application-oa2-client.x" || app.ClientSecret != "s" || app.AppID != "amzn1.sp.solution.x" {
		t.Fatalf("%+v %v", app, err)
	}
}
