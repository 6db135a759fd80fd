package store

import (
	"fmt"
	"unicode/utf8"
)

// Limits both adapters apply alike.
const (
	// DefaultLimit and MaxLimit bound a query page.
	DefaultLimit = 100
	MaxLimit     = 1000
	// MaxTransactBytes is DynamoDB's cap on the aggregate size of a
	// transaction's items ("4 MB", taken as the smaller decimal reading),
	// and itemOverhead the allowance per item for attribute names and
	// numbers. A transaction of MaxTransactItems full-size items is far
	// beyond it.
	MaxTransactBytes = 4_000_000
	itemOverhead     = 100
)

// ValidateKeyUTF8 is ValidateKey plus DynamoDB's rule that strings are UTF-8.
func ValidateKeyUTF8(pk, sk string) error { return validateUTF8Key(pk, sk) }

// validateKey adds to ValidateKey that keys are UTF-8, as DynamoDB
// requires of strings, so that a key refused in production is refused in
// development too.
func validateUTF8Key(pk, sk string) error {
	if err := ValidateKey(pk, sk); err != nil {
		return err
	}
	if !utf8.ValidString(pk) || !utf8.ValidString(sk) {
		return fmt.Errorf("%w: key %q/%q is not UTF-8", ErrInvalid, pk, sk)
	}
	return nil
}

func ValidateDelete(pk, sk string, c Cond) error {
	if err := validateUTF8Key(pk, sk); err != nil {
		return err
	}
	return ValidateCond(c)
}

func ValidateCond(c Cond) error {
	switch c.Kind {
	case Always, IfAbsent, IfExists, IfVersion:
		return nil
	}
	return fmt.Errorf("%w: condition kind %d", ErrInvalid, c.Kind)
}

func ValidatePut(it Item, c Cond) error {
	if err := validateUTF8Key(it.PK, it.SK); err != nil {
		return err
	}
	if len(it.Data) > MaxItemBytes {
		return fmt.Errorf("%w: %s/%s: data of %d bytes exceeds %d", ErrInvalid, it.PK, it.SK, len(it.Data), MaxItemBytes)
	}
	return ValidateCond(c)
}

// validateOps adds to Validate what this adapter refuses for the
// same reasons the DynamoDB adapter must.
func ValidateOps(ops []Op) error {
	if err := Validate(ops); err != nil {
		return err
	}
	size := 0
	for i, op := range ops {
		size += len(op.Item.PK) + len(op.Item.SK) + len(op.Item.Data) + itemOverhead
		var err error
		switch op.Kind {
		case OpPut:
			err = ValidatePut(op.Item, op.Cond)
		case OpDelete:
			err = ValidateDelete(op.Item.PK, op.Item.SK, op.Cond)
		case OpCheck:
			err = ValidateDelete(op.Item.PK, op.Item.SK, op.Cond)
			if err == nil && op.Cond.Kind == Always {
				err = fmt.Errorf("%w: check without a condition", ErrInvalid)
			}
		default:
			err = fmt.Errorf("%w: operation kind %d", ErrInvalid, op.Kind)
		}
		if err != nil {
			return fmt.Errorf("op %d: %w", i, err)
		}
	}
	if size > MaxTransactBytes {
		return fmt.Errorf("%w: transaction of about %d bytes exceeds %d", ErrInvalid, size, MaxTransactBytes)
	}
	return nil
}

// PageLimit validates q and returns its effective page size.
func PageLimit(q Query) (int, error) {
	if q.PK == "" || len(q.PK) > 2048 || !utf8.ValidString(q.PK) || !utf8.ValidString(q.Prefix) || !utf8.ValidString(q.After) {
		return 0, fmt.Errorf("%w: query %q/%q after %q", ErrInvalid, q.PK, q.Prefix, q.After)
	}
	switch {
	case q.Limit < 0:
		return 0, fmt.Errorf("%w: limit %d", ErrInvalid, q.Limit)
	case q.Limit == 0:
		return DefaultLimit, nil
	case q.Limit > MaxLimit:
		return MaxLimit, nil
	}
	return q.Limit, nil
}
