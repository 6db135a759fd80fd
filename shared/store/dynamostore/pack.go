package dynamostore

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
)

// A document larger than packMin bytes is stored deflated, in attribute
// attrPacked instead of attrData, when that makes it at least a quarter
// smaller. DynamoDB bills writes per started kilobyte of the item and
// reads per 4 KB of what a page returns: a product holding six channels'
// links is ~2 KB of JSON (2 write units) and ~0.5 KB deflated (1), and a
// catalog read returns four times the products per read unit. The names
// repeated in every JSON document are what deflate removes. An item
// written before packing existed, or too small to gain, keeps plain data;
// reads take either.
const (
	attrPacked = "dz"
	packMin    = 512
	// maxUnpacked bounds what a packed attribute may inflate to: far above
	// any document Autosync writes (an item is at most 400 KB packed), far
	// below what would hurt a function.
	maxUnpacked = 8 << 20
)

// pack returns data deflated and true when that is worth storing.
func pack(data []byte) ([]byte, bool) {
	if len(data) <= packMin {
		return data, false
	}
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, flate.BestSpeed)
	if err != nil {
		return data, false
	}
	if _, err := w.Write(data); err != nil || w.Close() != nil || b.Len() > len(data)*3/4 {
		return data, false
	}
	return b.Bytes(), true
}

var errPacked = errors.New("packed data does not inflate")

// unpack inflates a packed attribute.
func unpack(z []byte) ([]byte, error) {
	r := flate.NewReader(bytes.NewReader(z))
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, maxUnpacked+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errPacked, err)
	}
	if len(out) > maxUnpacked {
		return nil, fmt.Errorf("%w: more than %d bytes", errPacked, maxUnpacked)
	}
	return out, nil
}
