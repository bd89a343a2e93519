package otelsession_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/otelsession"
)

func ExampleNew() {
	reader := sdkmetric.NewManualReader()
	obs, err := otelsession.New(otelsession.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	if err != nil {
		panic(err)
	}
	keys, err := keyrotation.Generate()
	if err != nil {
		panic(err)
	}
	store, err := cookiestore.New(keys)
	if err != nil {
		panic(err)
	}
	m, err := session.NewManager(store, session.Options{Observer: obs})
	if err != nil {
		panic(err)
	}
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := session.From(r.Context()).Set("theme", "dark"); err != nil {
			panic(err)
		}
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "https://example.com/", nil))

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		panic(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "sessionseal.session.saves" {
			fmt.Println(m.Name, m.Unit, sum.DataPoints[0].Value)
		}
	}
	// Output: sessionseal.session.saves {save} 1
}
