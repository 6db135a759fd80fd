package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

//go:embed prices.json
var pricesJSON []byte

// Price is one list price: USD per Per units.
type Price struct {
	USD    float64 `json:"usd"`
	Per    float64 `json:"per"`
	Source string  `json:"source"`
	Date   string  `json:"date"`
}

// Unit is the price of one unit.
func (p Price) Unit() float64 { return p.USD / p.Per }

// Prices is the price list the model uses.
type Prices struct {
	Region string           `json:"region"`
	Prices map[string]Price `json:"prices"`
}

// Keys of the price list.
const (
	priceWRU      = "dynamodb_write_request_unit"
	priceRRU      = "dynamodb_read_request_unit"
	priceKMS      = "kms_request"
	priceSchedule = "scheduler_invocation"
	priceGBs      = "lambda_gb_second_arm64"
	priceLambda   = "lambda_request"
	priceLogs     = "cloudwatch_logs_ingestion_gb"
	priceAPI      = "api_gateway_http_request"
)

var priceKeys = []string{priceWRU, priceRRU, priceKMS, priceSchedule, priceGBs, priceLambda, priceLogs, priceAPI}

// ParsePrices reads a price list and checks every price the model needs is
// there, positive, with its source and date.
func ParsePrices(b []byte) (Prices, error) {
	var p Prices
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("decode price list: %w", err)
	}
	for _, k := range priceKeys {
		pr, ok := p.Prices[k]
		switch {
		case !ok:
			return p, fmt.Errorf("price list: no %s", k)
		case pr.USD <= 0 || pr.Per <= 0:
			return p, fmt.Errorf("price list: %s needs a positive usd and per", k)
		case pr.Source == "" || pr.Date == "":
			return p, fmt.Errorf("price list: %s needs its source and date", k)
		}
	}
	return p, nil
}

// Quantities is what a merchant uses in a month, in billing units.
type Quantities struct {
	RRU, WRU        float64
	KMSRequests     float64
	SchedulerInvoke float64
	LambdaRequests  float64
	GBSeconds       float64
	LogBytes        float64
	APIRequests     float64
}

// Add sums q and o.
func (q Quantities) Add(o Quantities) Quantities {
	return Quantities{q.RRU + o.RRU, q.WRU + o.WRU, q.KMSRequests + o.KMSRequests, q.SchedulerInvoke + o.SchedulerInvoke,
		q.LambdaRequests + o.LambdaRequests, q.GBSeconds + o.GBSeconds, q.LogBytes + o.LogBytes, q.APIRequests + o.APIRequests}
}

// Scale multiplies every quantity by f.
func (q Quantities) Scale(f float64) Quantities {
	return Quantities{q.RRU * f, q.WRU * f, q.KMSRequests * f, q.SchedulerInvoke * f, q.LambdaRequests * f, q.GBSeconds * f, q.LogBytes * f, q.APIRequests * f}
}

// LineItem is the cost of one billing dimension.
type LineItem struct {
	Key      string
	Quantity float64
	USD      float64
}

// Cost prices q, one line per billing dimension, in priceKeys order.
// CloudWatch Logs bills decimal gigabytes of ingested bytes.
func (p Prices) Cost(q Quantities) []LineItem {
	qty := map[string]float64{
		priceWRU: q.WRU, priceRRU: q.RRU, priceKMS: q.KMSRequests, priceSchedule: q.SchedulerInvoke,
		priceGBs: q.GBSeconds, priceLambda: q.LambdaRequests, priceLogs: q.LogBytes / 1e9, priceAPI: q.APIRequests,
	}
	out := make([]LineItem, 0, len(priceKeys))
	for _, k := range priceKeys {
		out = append(out, LineItem{Key: k, Quantity: qty[k], USD: qty[k] * p.Prices[k].Unit()})
	}
	return out
}

// Total sums line items.
func Total(items []LineItem) float64 {
	t := 0.0
	for _, it := range items {
		t += it.USD
	}
	return t
}
