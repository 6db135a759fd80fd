package cart

import (
	"encoding/json"
	"testing"
)

func TestFlexString(t *testing.T) {
	tests := []struct {
		in      string
		want    FlexString
		wantErr bool
	}{
		{`"12.5000"`, "12.5000", false},
		{`12.5`, "12.5", false},
		{` 1001 `, "1001", false},
		{`null`, "", false},
		{`""`, "", false},
		{`true`, "", true},
		{`{}`, "", true},
		{`"unterminated`, "", true},
	}
	for _, tt := range tests {
		var f FlexString
		err := json.Unmarshal([]byte(tt.in), &f)
		if (err != nil) != tt.wantErr || f != tt.want {
			t.Errorf("%s: got %q, %v; want %q, error %v", tt.in, f, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzFlexString(f *testing.F) {
	for _, s := range []string{`"a"`, `1.5`, `null`, `-0`, `1e3`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var fs FlexString
		if json.Unmarshal([]byte(in), &fs) != nil {
			return
		}
		// Whatever it read, it reads again the same from its own JSON.
		var again FlexString
		b, _ := json.Marshal(string(fs))
		if err := json.Unmarshal(b, &again); err != nil || again != fs {
			t.Fatalf("%q read as %q, then %q, %v", in, fs, again, err)
		}
	})
}
