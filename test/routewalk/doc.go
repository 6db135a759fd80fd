// Package routewalk walks every route of the local stack (the HTTP API,
// make dev's /dev routes and the carts' webhooks), enumerated from the
// mux itself, with foreign and broken tokens, hostile ids and malformed
// bodies: no 5xx, and no account's data reaches or changes for another.
// It has tests only.
package routewalk
