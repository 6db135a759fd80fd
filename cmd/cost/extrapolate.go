package main

import (
	"strings"
	"time"
)

// TaskMonth is one task's month for one merchant: billing quantities and
// the counts the table shows.
type TaskMonth struct {
	Task         string
	Q            Quantities
	DDBCalls     float64
	CartRequests float64
	MeasuredGBs  float64 // GB-s from measured durations, for comparison
}

// Months turns a simulated window into months.
func Months(r Result, o Options) []TaskMonth {
	var out []TaskMonth
	for _, t := range r.Tasks {
		m := month(t, o)
		if t.Daily != nil {
			d := month(*t.Daily, o)
			m.DDBCalls, m.CartRequests, m.MeasuredGBs = m.DDBCalls+d.DDBCalls, m.CartRequests+d.CartRequests, m.MeasuredGBs+d.MeasuredGBs
		}
		m.Q = t.Monthly(o) // the daily pass included
		out = append(out, m)
	}
	return out
}

// month is one task result's window carried to a month, without its daily pass.
func month(t TaskResult, o Options) TaskMonth {
	ddb := 0
	for k, n := range t.Usage.Calls {
		if strings.HasPrefix(k, "dynamodb:") {
			ddb += n
		}
	}
	measured := (t.Duration + time.Duration(t.CartRequests)*o.CartLatency).Seconds() * float64(o.MemoryMB) / 1024
	return TaskMonth{
		Task:         t.Task,
		DDBCalls:     float64(ddb) * t.MonthlyFactor,
		CartRequests: float64(t.CartRequests) * t.MonthlyFactor,
		MeasuredGBs:  measured * t.MonthlyFactor,
	}
}

// ExtrapolateSKUs carries months measured with n SKUs to want SKUs, along
// the per-SKU slope between two idle runs of n1 and n2 SKUs (n2 > n1), task
// by task and quantity by quantity. A component whose slope comes out
// negative (measurement noise) is kept flat: the catalog does not make a
// task cheaper.
func ExtrapolateSKUs(at []TaskMonth, n int, idle1 []TaskMonth, n1 int, idle2 []TaskMonth, n2 int, want int) []TaskMonth {
	if want == n || n2 <= n1 {
		return at
	}
	by := func(ms []TaskMonth) map[string]TaskMonth {
		m := map[string]TaskMonth{}
		for _, t := range ms {
			m[t.Task] = t
		}
		return m
	}
	i1, i2 := by(idle1), by(idle2)
	f := float64(want-n) / float64(n2-n1)
	step := func(a, b float64) float64 { return max(b-a, 0) * f }
	out := make([]TaskMonth, 0, len(at))
	for _, t := range at {
		a, b := i1[t.Task], i2[t.Task]
		t.Q = Quantities{
			RRU: t.Q.RRU + step(a.Q.RRU, b.Q.RRU), WRU: t.Q.WRU + step(a.Q.WRU, b.Q.WRU),
			KMSRequests:     t.Q.KMSRequests + step(a.Q.KMSRequests, b.Q.KMSRequests),
			SchedulerInvoke: t.Q.SchedulerInvoke + step(a.Q.SchedulerInvoke, b.Q.SchedulerInvoke),
			LambdaRequests:  t.Q.LambdaRequests + step(a.Q.LambdaRequests, b.Q.LambdaRequests),
			GBSeconds:       t.Q.GBSeconds + step(a.Q.GBSeconds, b.Q.GBSeconds),
			LogBytes:        t.Q.LogBytes + step(a.Q.LogBytes, b.Q.LogBytes),
			APIRequests:     t.Q.APIRequests + step(a.Q.APIRequests, b.Q.APIRequests),
		}
		t.DDBCalls += step(a.DDBCalls, b.DDBCalls)
		t.CartRequests += step(a.CartRequests, b.CartRequests)
		t.MeasuredGBs += step(a.MeasuredGBs, b.MeasuredGBs)
		out = append(out, t)
	}
	return out
}

// ScaleOrders carries months simulated at a lower order rate to the
// profile's: what the orders added over the idle run at the same catalog,
// times f. It is the same linearity the per-1000-orders figure assumes.
func ScaleOrders(at, idle []TaskMonth, f float64) []TaskMonth {
	if f == 1 {
		return at
	}
	base := map[string]TaskMonth{}
	for _, t := range idle {
		base[t.Task] = t
	}
	lin := func(b, a float64) float64 { return b + max(a-b, 0)*f }
	out := make([]TaskMonth, 0, len(at))
	for _, t := range at {
		b := base[t.Task]
		t.Q = Quantities{
			RRU: lin(b.Q.RRU, t.Q.RRU), WRU: lin(b.Q.WRU, t.Q.WRU), KMSRequests: lin(b.Q.KMSRequests, t.Q.KMSRequests),
			SchedulerInvoke: lin(b.Q.SchedulerInvoke, t.Q.SchedulerInvoke), LambdaRequests: lin(b.Q.LambdaRequests, t.Q.LambdaRequests),
			GBSeconds: lin(b.Q.GBSeconds, t.Q.GBSeconds), LogBytes: lin(b.Q.LogBytes, t.Q.LogBytes), APIRequests: lin(b.Q.APIRequests, t.Q.APIRequests),
		}
		t.DDBCalls = lin(b.DDBCalls, t.DDBCalls)
		t.CartRequests = lin(b.CartRequests, t.CartRequests)
		t.MeasuredGBs = lin(b.MeasuredGBs, t.MeasuredGBs)
		out = append(out, t)
	}
	return out
}
