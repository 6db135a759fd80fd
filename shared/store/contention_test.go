package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestContended(t *testing.T) {
	lost := fmt.Errorf("write order: %w", ErrConditionFailed)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name           string
		ctx            context.Context
		err            error
		attempt, limit int
		want           bool
	}{
		{"lost write, tries left", context.Background(), lost, 0, 5, true},
		{"lost write, late try", context.Background(), lost, 19, 20, true},
		{"lost write, no tries left", context.Background(), lost, 5, 5, false},
		{"another error", context.Background(), errors.New("disk full"), 0, 5, false},
		{"no error", context.Background(), nil, 0, 5, false},
		{"caller gave up", cancelled, lost, 3, 5, false},
	}
	for _, tt := range tests {
		if got := Contended(tt.ctx, tt.err, tt.attempt, tt.limit); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestContentionDelay(t *testing.T) {
	for attempt := -1; attempt < 12; attempt++ {
		bound := time.Millisecond << min(max(attempt, 0), 7)
		for range 50 {
			if d := ContentionDelay(attempt); d < 0 || d >= bound {
				t.Fatalf("attempt %d: delay %v outside [0, %v)", attempt, d, bound)
			}
		}
	}
}
