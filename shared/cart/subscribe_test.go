package cart

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestCheckWebhookAddress(t *testing.T) {
	for addr, ok := range map[string]bool{
		"https://hooks.example/a": true, "http://localhost:8080/x": true,
		"ftp://hooks.example": false, "https://": false, "/relative": false, "%zz": false, "": false,
	} {
		if err := CheckWebhookAddress("test", addr); (err == nil) != ok {
			t.Errorf("%q: got %v", addr, err)
		}
	}
}

func TestSubscribeEach(t *testing.T) {
	var removed []string
	remove := func(_ context.Context, id string) error { removed = append(removed, id); return nil }
	mk := func(_ context.Context, topic string) (string, error) {
		if topic == "bad" {
			return "", errors.New("refused")
		}
		return "id-" + topic, nil
	}
	sub, err := SubscribeEach(t.Context(), "test", []string{"a", "b"}, mk, remove)
	if err != nil || sub.ID != "id-a id-b" {
		t.Fatalf("got %+v, %v", sub, err)
	}
	_, err = SubscribeEach(t.Context(), "test", []string{"a", "b", "bad"}, mk, remove)
	if err == nil || err.Error() != "test: subscribing to bad: refused" {
		t.Errorf("got %v", err)
	}
	if !reflect.DeepEqual(removed, []string{"id-a", "id-b"}) {
		t.Errorf("removed %v after a failure, want the two made", removed)
	}
}

func TestUnsubscribeEach(t *testing.T) {
	var removed []string
	remove := func(_ context.Context, id string) error { removed = append(removed, id); return nil }
	if err := UnsubscribeEach(t.Context(), "test", "webhook", "deleting", "1 x 2", PositiveID, remove); err == nil || len(removed) != 0 {
		t.Errorf("a bad id: got %v, removed %v; want an error before any removal", err, removed)
	}
	if err := UnsubscribeEach(t.Context(), "test", "webhook", "deleting", " 1  2 ", PositiveID, remove); err != nil || !reflect.DeepEqual(removed, []string{"1", "2"}) {
		t.Errorf("got %v, removed %v", err, removed)
	}
	fail := func(context.Context, string) error { return errors.New("down") }
	if err := UnsubscribeEach(t.Context(), "test", "webhook", "deleting", "3", PositiveID, fail); err == nil || err.Error() != "test: deleting webhook 3: down" {
		t.Errorf("got %v", err)
	}
}

func TestPositiveID(t *testing.T) {
	for id, ok := range map[string]bool{"1": true, "123456789": true, "0": false, "-4": false, "1.5": false, "": false, "x": false} {
		if PositiveID(id) != ok {
			t.Errorf("PositiveID(%q) = %v", id, !ok)
		}
	}
}

func TestSubscribeTopics(t *testing.T) {
	table := map[Topic][]string{TopicOrders: {"o.create", "o.update"}}
	var made []string
	mk := func(_ context.Context, topic, address string) (string, error) {
		if address != "https://hooks.example/a" {
			t.Errorf("subscribing %s to %q", topic, address)
		}
		made = append(made, topic)
		return "id-" + topic, nil
	}
	remove := func(context.Context, string) error { return nil }
	sub, err := SubscribeTopics(t.Context(), "test", table, TopicOrders, "https://hooks.example/a", mk, remove)
	if err != nil || sub.ID != "id-o.create id-o.update" {
		t.Fatalf("got %+v, %v", sub, err)
	}
	for name, c := range map[string]struct {
		topic   Topic
		address string
	}{
		"a topic the cart has no webhooks for": {TopicProducts, "https://hooks.example/a"},
		"an address that is not http(s)":       {TopicOrders, "ftp://hooks.example"},
	} {
		made = nil
		if _, err := SubscribeTopics(t.Context(), "test", table, c.topic, c.address, mk, remove); err == nil || len(made) != 0 {
			t.Errorf("%s: got %v after making %v; want an error before any webhook", name, err, made)
		}
	}
}

func TestParseID(t *testing.T) {
	for id, want := range map[string]int64{"1": 1, "9223372036854775807": 1<<63 - 1, "0": 0, "-4": 0, " 5": 0, "1.5": 0, "": 0, "9223372036854775808": 0} {
		n, ok := ParseID(id)
		if ok != (want > 0) || ok && n != want {
			t.Errorf("ParseID(%q) = %d, %v", id, n, ok)
		}
	}
}

func TestWebhookID(t *testing.T) {
	if n, err := WebhookID("test", "Test", "product", " 42 "); n != 42 || err != nil {
		t.Errorf("got %d, %v", n, err)
	}
	_, err := WebhookID("test", "Test", "product", "x")
	var ce *Error
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &ce) || ce.Message != "not a Test product id" || !strings.HasPrefix(err.Error(), `test: product id "x": `) {
		t.Errorf("got %v", err)
	}
}
