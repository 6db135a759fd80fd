package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// A value is stored as
//
//	format  byte     always formatV1
//	flags   byte     flagExpires when an expiry follows
//	version uvarint  the item's version, at least 1
//	expires varint   epoch seconds, present only with flagExpires
//	data    rest     the item's data, possibly empty
//
// A hand-rolled envelope rather than JSON: Data is already a document and
// would be base64-inflated by a JSON envelope, and the header must be
// cheap to read because Query decodes every item it skips as expired.
const (
	formatV1    = 1
	flagExpires = 1 << 0
)

// value is the decoded form of a stored value. Data aliases the buffer it
// was decoded from, which bbolt only keeps valid inside its transaction.
type value struct {
	Version int64
	// Expires is the expiry in epoch seconds; meaningful only if HasExpiry.
	Expires   int64
	HasExpiry bool
	Data      []byte
}

var errCorrupt = errors.New("boltstore: corrupt value")

func (v value) encode() []byte {
	b := make([]byte, 0, 2+2*binary.MaxVarintLen64+len(v.Data))
	b = append(b, formatV1, 0)
	if v.HasExpiry {
		b[1] |= flagExpires
	}
	b = binary.AppendUvarint(b, uint64(v.Version))
	if v.HasExpiry {
		b = binary.AppendVarint(b, v.Expires)
	}
	return append(b, v.Data...)
}

func decodeValue(b []byte) (value, error) {
	var v value
	if len(b) < 2 {
		return v, fmt.Errorf("%w: %d bytes", errCorrupt, len(b))
	}
	if b[0] != formatV1 {
		return v, fmt.Errorf("%w: format %d", errCorrupt, b[0])
	}
	flags := b[1]
	if flags&^flagExpires != 0 {
		return v, fmt.Errorf("%w: flags %#x", errCorrupt, flags)
	}
	b = b[2:]
	ver, n := binary.Uvarint(b)
	if n <= 0 || ver < 1 || ver > math.MaxInt64 {
		return v, fmt.Errorf("%w: version", errCorrupt)
	}
	v.Version = int64(ver)
	b = b[n:]
	if flags&flagExpires != 0 {
		exp, n := binary.Varint(b)
		if n <= 0 {
			return v, fmt.Errorf("%w: expiry", errCorrupt)
		}
		v.Expires, v.HasExpiry = exp, true
		b = b[n:]
	}
	v.Data = b
	return v, nil
}

// expiresAt is the value's expiry as the port reports it.
func (v value) expiresAt() time.Time {
	if !v.HasExpiry {
		return time.Time{}
	}
	return time.Unix(v.Expires, 0)
}

// expired reports whether the value has an expiry at or before now, as
// store.Item.Expired does, without building an Item.
func (v value) expired(now time.Time) bool {
	return v.HasExpiry && now.Unix() >= v.Expires
}

// ceilSeconds rounds an expiry up to whole epoch seconds, the precision
// DynamoDB's TTL attribute has: both adapters store the same instant, and
// rounding up means an item never disappears before the caller asked.
func ceilSeconds(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}
