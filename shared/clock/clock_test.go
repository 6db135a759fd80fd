package clock

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSleep(t *testing.T) {
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if err := Sleep(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("zero wait on a cancelled context: %v", err)
	}
	if err := Sleep(context.Background(), -time.Second); err != nil {
		t.Fatalf("negative wait: %v", err)
	}
}

func TestFake(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	c := NewFake(t0)
	c.Add(time.Minute)
	c.Add(-time.Hour)
	if err := c.Sleep(context.Background(), time.Second); err != nil {
		t.Fatal(err)
	}
	if got := c.Now(); !got.Equal(t0.Add(time.Minute + time.Second)) {
		t.Fatalf("Now %v", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) || c.Slept() != time.Second {
		t.Fatalf("sleep on a cancelled context: %v, slept %v", err, c.Slept())
	}
}

func TestFakeStep(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	c := NewFake(t0)
	c.Step(time.Millisecond)
	a, b := c.Now(), c.Now()
	if !a.Equal(t0.Add(time.Millisecond)) || !b.Equal(t0.Add(2*time.Millisecond)) {
		t.Fatalf("stepped readings %v, %v", a.Sub(t0), b.Sub(t0))
	}
	c.Step(-time.Second)
	if a, b := c.Now(), c.Now(); !a.Equal(b) {
		t.Fatalf("readings move after the step was cleared: %v, %v", a, b)
	}
}
