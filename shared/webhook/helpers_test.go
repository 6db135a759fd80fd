package webhook

import "github.com/autosync/autosync/shared/cart"

// The MAC and id rule the tests sign and check deliveries with, now the
// cart package's (each cart's driver verifies its own webhooks).
func hmacSHA256(key, msg []byte) []byte { return cart.HMACSHA256(key, msg) }

func validID(s string) bool { return cart.ValidWebhookID(s) }
