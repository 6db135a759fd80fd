package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// DynamoDB capacity arithmetic, from the Developer Guide's "DynamoDB item
// sizes and formats" (CapacityUnitCalculations.html) and "DynamoDB read and
// write operations" (read-write-operations.html). The emulator's
// ConsumedCapacity counts one unit per item whatever its size, so the model
// computes units from the items it sees instead.

const (
	readUnitBytes  = 4096
	writeUnitBytes = 1024
)

// Consistency is how an item was read.
type Consistency int

const (
	Eventual      Consistency = iota // half a unit per 4 KB
	Strong                           // one unit per 4 KB
	Transactional                    // two units per 4 KB
)

// ReadUnits is what reading size bytes (one item, or the summed items of
// one Query or Scan page) costs. A read of nothing, such as a GetItem of a
// missing item, still costs the minimum of its kind.
func ReadUnits(size int, c Consistency) float64 {
	units := math.Max(1, math.Ceil(float64(size)/readUnitBytes))
	switch c {
	case Eventual:
		return units / 2
	case Transactional:
		return units * 2
	}
	return units
}

// WriteUnits is what writing one item of size bytes costs: one unit per
// 1 KB, rounded up, at least one; twice that inside a transaction.
func WriteUnits(size int, transactional bool) float64 {
	units := math.Max(1, math.Ceil(float64(size)/writeUnitBytes))
	if transactional {
		units *= 2
	}
	return units
}

// ItemSize is an item's size in bytes by DynamoDB's rules: the UTF-8 length
// of every attribute name plus the size of its value. item is the wire
// form: attribute name to AttributeValue JSON ({"S":"..."}, {"N":"12"}, ...).
func ItemSize(item map[string]json.RawMessage) (int, error) {
	n := 0
	for name, raw := range item {
		v, err := valueSize(raw)
		if err != nil {
			return 0, fmt.Errorf("attribute %q: %w", name, err)
		}
		n += len(name) + v
	}
	return n, nil
}

// elements are the values of a list (L) or map (M) and the total length of
// a map's names.
func elements(typ string, v json.RawMessage) ([]json.RawMessage, int, error) {
	if typ == "L" {
		var l []json.RawMessage
		if err := json.Unmarshal(v, &l); err != nil {
			return nil, 0, fmt.Errorf("decode L: %w", err)
		}
		return l, 0, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, 0, fmt.Errorf("decode M: %w", err)
	}
	l, names := make([]json.RawMessage, 0, len(m)), 0
	for k, e := range m {
		l = append(l, e)
		names += len(k)
	}
	return l, names, nil
}

// valueSize is the size of one AttributeValue without its name.
func valueSize(raw json.RawMessage) (int, error) {
	var av map[string]json.RawMessage
	if err := json.Unmarshal(raw, &av); err != nil {
		return 0, fmt.Errorf("decode attribute value: %w", err)
	}
	if len(av) != 1 {
		return 0, fmt.Errorf("attribute value has %d types, want 1", len(av))
	}
	for typ, v := range av {
		switch typ {
		case "S":
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return 0, fmt.Errorf("decode S: %w", err)
			}
			return len(s), nil
		case "N":
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return 0, fmt.Errorf("decode N: %w", err)
			}
			return NumberSize(s), nil
		case "B":
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return 0, fmt.Errorf("decode B: %w", err)
			}
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return 0, fmt.Errorf("decode B: %w", err)
			}
			return len(b), nil
		case "BOOL", "NULL":
			return 1, nil
		case "SS", "NS", "BS":
			var ss []string
			if err := json.Unmarshal(v, &ss); err != nil {
				return 0, fmt.Errorf("decode %s: %w", typ, err)
			}
			n := 0
			for _, s := range ss {
				switch typ {
				case "SS":
					n += len(s)
				case "NS":
					n += NumberSize(s)
				default:
					b, err := base64.StdEncoding.DecodeString(s)
					if err != nil {
						return 0, fmt.Errorf("decode BS: %w", err)
					}
					n += len(b)
				}
			}
			return n, nil
		case "L", "M":
			elems, names, err := elements(typ, v)
			if err != nil {
				return 0, err
			}
			// 3 bytes for the list or map, 1 per element, and a map's names.
			n := 3 + names
			for _, e := range elems {
				s, err := valueSize(e)
				if err != nil {
					return 0, err
				}
				n += s + 1
			}
			return n, nil
		default:
			return 0, fmt.Errorf("unknown attribute type %q", typ)
		}
	}
	return 0, nil
}

// NumberSize is the stored size of a number: one byte per two significant
// digits (leading and trailing zeros trimmed), plus one.
func NumberSize(s string) int {
	s = strings.TrimLeft(s, "+-")
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s = s[:i]
	}
	s = strings.Replace(s, ".", "", 1)
	s = strings.Trim(s, "0")
	return (len(s)+1)/2 + 1
}
