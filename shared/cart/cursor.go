package cart

import (
	"encoding/base64"
	"encoding/json"
)

// EncodeCursor writes a connector's position in a listing as the opaque
// cursor it hands out (a page's Next): base64url of its JSON.
func EncodeCursor(position any) string {
	b, _ := json.Marshal(position)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor EncodeCursor wrote, of at most max bytes of
// JSON, into position; false when s is not one. "" (the first page) leaves
// position as it is. The connector checks the values.
func DecodeCursor(s string, max int, position any) bool {
	if s == "" {
		return true
	}
	if len(s) > base64.RawURLEncoding.EncodedLen(max) {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && json.Unmarshal(b, position) == nil
}
