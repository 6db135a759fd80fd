package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/autosync/autosync/shared/awsapi"
	"github.com/autosync/autosync/shared/awstest"
	"github.com/autosync/autosync/shared/store/dynamostore"
)

// The meter prices each DynamoDB call from the sizes of the items it
// touches, as DynamoDB bills them, whatever the emulator reports.
func TestMeterPricesBySize(t *testing.T) {
	ctx := context.Background()
	m := NewMeter(awstest.Endpoint(t))
	srv := httptest.NewServer(m)
	defer srv.Close()
	cfg := awstest.Config(t)
	cfg.BaseEndpoint = aws.String(srv.URL)
	db := dynamodb.NewFromConfig(cfg)
	table := awstest.Unique("cost-meter")
	if err := dynamostore.CreateTable(ctx, db, table); err != nil {
		t.Fatal(err)
	}
	m.Take()
	m.SetLabel("t")

	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	key := map[string]types.AttributeValue{"pk": s("A"), "sk": s("P#1")}
	// pk(2)+A(1) + sk(2)+P#1(3) + data(4) + value
	size := func(data int) int { return 2 + 1 + 2 + 3 + 4 + data }
	step := func(name string, wantRRU, wantWRU float64, call string) {
		t.Helper()
		u := m.Take()["t"]
		if u == nil {
			t.Fatalf("%s: nothing counted", name)
		}
		if u.RRU != wantRRU || u.WRU != wantWRU || u.Calls[call] != 1 {
			t.Errorf("%s: RRU %v WRU %v calls %v; want RRU %v WRU %v and one %s", name, u.RRU, u.WRU, u.Calls, wantRRU, wantWRU, call)
		}
	}

	item := map[string]types.AttributeValue{"pk": s("A"), "sk": s("P#1"), "data": s(strings.Repeat("x", 3000))}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item}); err != nil {
		t.Fatal(err)
	}
	step("put of a 3,011-byte item", 0, 3, "dynamodb:PutItem") // ceil(3011/1024)

	if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: key, ConsistentRead: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	step("strongly consistent get", 1, 0, "dynamodb:GetItem")
	if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: key}); err != nil {
		t.Fatal(err)
	}
	step("eventually consistent get", 0.5, 0, "dynamodb:GetItem")

	update := func(n int) {
		t.Helper()
		out, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: key,
			UpdateExpression:          aws.String("SET #d = :d"),
			ExpressionAttributeNames:  map[string]string{"#d": "data"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":d": s(strings.Repeat("y", n))},
			ReturnValues:              types.ReturnValueUpdatedNew,
		})
		if err != nil {
			t.Fatal(err)
		}
		// The caller still gets what it asked for.
		if _, ok := out.Attributes["data"]; !ok {
			t.Errorf("update answered %v", out.Attributes)
		}
	}
	update(5000)
	step("update growing to 5,011 bytes", 0, float64((size(5000)+1023)/1024), "dynamodb:UpdateItem")
	update(100)
	step("update shrinking from 5,011 bytes bills the larger image", 0, float64((size(5000)+1023)/1024), "dynamodb:UpdateItem")

	big := map[string]types.AttributeValue{"pk": s("A"), "sk": s("P#2"), "data": s(strings.Repeat("z", 1500))}
	if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &table, Item: big}},
	}}); err != nil {
		t.Fatal(err)
	}
	step("transactional put of 1,511 bytes", 0, 4, "dynamodb:TransactWriteItems")

	if _, err := db.Query(ctx, &dynamodb.QueryInput{TableName: &table, KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("A")}, ConsistentRead: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	step("query of 111 + 1,511 bytes rounds once", 1, 0, "dynamodb:Query")

	if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &table, Key: key}); err != nil {
		t.Fatal(err)
	}
	step("delete", 0, 1, "dynamodb:DeleteItem")
	if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: key, ConsistentRead: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	step("get of a missing item costs the minimum", 1, 0, "dynamodb:GetItem")

	// Asynchronous invokes are answered by the meter and queued.
	api, err := awsapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := api.InvokeAsync(ctx, "task", []byte(`{"task":"import_orders"}`)); err != nil {
		t.Fatal(err)
	}
	if q := m.Invokes(); len(q) != 1 || string(q[0]) != `{"task":"import_orders"}` {
		t.Errorf("queued invokes %q", q)
	}
	if u := m.Take()["t"]; u == nil || u.Calls["lambda:Invoke"] != 1 {
		t.Errorf("invoke not counted: %+v", u)
	}
	if errs := m.Errs(); len(errs) > 0 {
		t.Errorf("meter errors: %v", errs)
	}
}
