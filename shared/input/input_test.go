package input

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	for _, c := range []struct {
		in   string
		want error
	}{
		{"demo", nil},
		{"Café Ünïcode 店", nil},
		{"a b", nil},
		{"", ErrEmpty},
		{strings.Repeat("x", 101), ErrTooLong},
		{"\xff", ErrUTF8},
		{"a\x00b", ErrControl},
		{"line\nbreak", ErrControl},
		{"tab\t", ErrControl},
		{"\u202eevil", ErrControl},      // right-to-left override
		{"zero\u200bwidth", ErrControl}, // zero-width space
		{"del\x7f", ErrControl},
		{" demo ", ErrSpace},
		{"demo\u00a0", ErrSpace},
	} {
		if got := Text(c.in, 100); !errors.Is(got, c.want) {
			t.Errorf("Text(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestName(t *testing.T) {
	if err := Name(strings.Repeat("é", 100)); err != nil {
		t.Errorf("100 two-byte characters: %v", err)
	}
	if err := Name(strings.Repeat("é", 101)); !errors.Is(err, ErrTooLong) {
		t.Errorf("101 characters: %v", err)
	}
	if err := Name("Shop\x1b[31m"); !errors.Is(err, ErrControl) {
		t.Errorf("escape sequence: %v", err)
	}
}

func TestAccount(t *testing.T) {
	if err := Account(" demo "); !errors.Is(err, ErrSpace) {
		t.Errorf("padded account: %v", err)
	}
	if err := Account(strings.Repeat("a", 129)); !errors.Is(err, ErrTooLong) {
		t.Errorf("129 bytes: %v", err)
	}
	if err := Account("acct-a"); err != nil {
		t.Error(err)
	}
}

func TestID(t *testing.T) {
	if !ID("ch", "ch_0123456789abcdef") || ID("ch", "ch_%ff") || ID("ch", "run_0123456789abcdef") || ID("ch", "ch_"+strings.Repeat("a", 3000)) {
		t.Error("ID wrong")
	}
}

// FuzzText: whatever comes in, an accepted value is bounded, UTF-8,
// trimmed and free of control characters, and the check never panics.
func FuzzText(f *testing.F) {
	for _, s := range []string{"demo", " demo ", "\xff", "a\x00", strings.Repeat("x", 3000), "..", "店", "\u202e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := Text(s, 128)
		nameErr := Name(s)
		if err != nil {
			return
		}
		if s == "" || len(s) > 128 || !utf8.ValidString(s) || strings.TrimSpace(s) != s {
			t.Fatalf("accepted %q", s)
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Fatalf("accepted control character in %q", s)
			}
		}
		if nameErr != nil && utf8.RuneCountInString(s) <= MaxName {
			t.Fatalf("Name refused %q that Text accepts: %v", s, nameErr)
		}
	})
}

// FuzzID: an accepted id is short and made only of the id alphabet.
func FuzzID(f *testing.F) {
	for _, s := range []string{"ch_0123456789abcdef", "ch_%ff", "ch_", "ch_../..", "run_0123456789abcdef"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ID("ch", s) {
			return
		}
		if len(s) > 43 || Key(s) != nil {
			t.Fatalf("accepted %q", s)
		}
		for _, r := range s[3:] {
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z') {
				t.Fatalf("accepted %q", s)
			}
		}
	})
}

func TestValue(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want error
	}{
		{"", nil},
		{" shpat_abc ", nil},
		{"shpat_abc", nil},
		{"tok\nX-Injected: 1", ErrControl},
		{"tok\x00", ErrControl},
		{"tok\u202e", ErrControl},
		{"\xff", ErrUTF8},
		{strings.Repeat("a", 33), ErrTooLong},
	} {
		if err := Value(tc.in, 32); !errors.Is(err, tc.want) {
			t.Errorf("Value(%q) = %v, want %v", tc.in, err, tc.want)
		}
	}
}
