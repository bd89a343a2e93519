package otelsession

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/observe"
	"github.com/sessionseal/session/keyrotation"
)

// scope names the instrumentation scope of the meter and the tracer.
const scope = "github.com/sessionseal/session/otelsession"

// nonceBound is the number of AES-GCM seals with random 96-bit nonces that
// NIST SP 800-38D allows per key: 2^32.
const nonceBound = 1 << 32

// Option configures New.
type Option func(*config)

type config struct {
	meters  metric.MeterProvider
	tracers trace.TracerProvider
}

// WithMeterProvider sets the provider of the meter that records the
// metrics. Default otel.GetMeterProvider(), the global one.
func WithMeterProvider(p metric.MeterProvider) Option {
	return func(c *config) { c.meters = p }
}

// WithTracerProvider sets the provider of the tracer that records a span
// for each store call. Default otel.GetTracerProvider(), the global one.
func WithTracerProvider(p trace.TracerProvider) Option {
	return func(c *config) { c.tracers = p }
}

// Observer is a session.Observer that turns the events of a Manager, its
// stores and their key ring into OpenTelemetry metrics and spans. Set it as
// session.Options.Observer; nothing else needs it. It is safe for
// concurrent use.
type Observer struct {
	tracer trace.Tracer

	loads, saves, reseals         metric.Int64Counter
	tokenSize, storeDuration      metric.Float64Histogram
	revocations, merges, conflict metric.Int64Counter
	cleanups, cleaned, reloads    metric.Int64Counter

	mu    sync.Mutex
	rings []*keyrotation.Keyring // read for the seals per key
}

var (
	_ session.Observer          = (*Observer)(nil)
	_ observe.RevocationChecker = (*Observer)(nil)
	_ observe.SaveConflicter    = (*Observer)(nil)
	_ observe.ExpiredDeleter    = (*Observer)(nil)
	_ observe.KeyringReloader   = (*Observer)(nil)
	_ interface {
		KeyringObserved(*keyrotation.Keyring)
	} = (*Observer)(nil)
)

// New returns an Observer that records to the providers of opts. Its
// instruments are listed in the package documentation.
func New(opts ...Option) (*Observer, error) {
	c := config{meters: otel.GetMeterProvider(), tracers: otel.GetTracerProvider()}
	for _, opt := range opts {
		opt(&c)
	}
	if c.meters == nil || c.tracers == nil {
		return nil, errors.New("otelsession: nil provider")
	}
	m := c.meters.Meter(scope)
	o := &Observer{tracer: c.tracers.Tracer(scope)}
	b := builder{m: m}
	o.loads = b.counter("sessionseal.session.loads", "{load}", "Tokens loaded, and requests without one, by source and result.")
	o.saves = b.counter("sessionseal.session.saves", "{save}", "Sessions saved, destroyed or failed to be, by mode and result.")
	o.reseals = b.counter("sessionseal.session.reseals", "{save}", "Saves of unchanged sessions, to re-seal them under the primary key or refresh their idle deadline.")
	o.tokenSize = b.histogram("sessionseal.token.size", "By", "Length of the tokens issued.",
		256, 512, 1024, 2048, 3072, 4096)
	o.storeDuration = b.histogram("sessionseal.store.duration", "s", "Time spent in the store, by operation.",
		0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
	o.revocations = b.counter("sessionseal.revocation.checks", "{check}", "Revocation checks of cookie and server sessions with a user, by source and outcome.")
	o.merges = b.counter("sessionseal.store.merges", "{merge}", "Saves that lost to a concurrent save of their session and merged their changes into it.")
	o.conflict = b.counter("sessionseal.store.conflicts", "{conflict}", "Saves that gave up with session.ErrConflict.")
	o.cleanups = b.counter("sessionseal.store.cleanups", "{cleanup}", "Cleanups of expired records, by result.")
	o.cleaned = b.counter("sessionseal.store.cleanup.deleted", "{record}", "Expired records and stamps that cleanups deleted.")
	o.reloads = b.counter("sessionseal.keyring.reloads", "{reload}", "Reloads of a watched key ring file, by result.")
	seals, err := m.Int64ObservableCounter("sessionseal.key.seals", metric.WithUnit("{seal}"),
		metric.WithDescription("AES-GCM seals this process made per key since it started."))
	b.keep(err)
	use, err := m.Float64ObservableGauge("sessionseal.key.nonce_bound.utilization", metric.WithUnit("1"),
		metric.WithDescription("Seals this process made per key, as a fraction of the 2^32 random-nonce bound of AES-GCM."))
	b.keep(err)
	if b.err != nil {
		return nil, fmt.Errorf("otelsession: %w", b.err)
	}
	if _, err := m.RegisterCallback(func(_ context.Context, obs metric.Observer) error {
		o.mu.Lock()
		rings := o.rings
		o.mu.Unlock()
		for _, k := range rings {
			for _, info := range k.Keys() {
				attrs := metric.WithAttributes(attribute.Int64("sessionseal.key.id", int64(info.ID)),
					attribute.String("sessionseal.key.state", info.State.String()))
				obs.ObserveInt64(seals, int64(info.Seals), attrs)
				obs.ObserveFloat64(use, float64(info.Seals)/nonceBound, attrs)
			}
		}
		return nil
	}, seals, use); err != nil {
		return nil, fmt.Errorf("otelsession: %w", err)
	}
	return o, nil
}

// builder makes instruments and keeps the first error.
type builder struct {
	m   metric.Meter
	err error
}

func (b *builder) keep(err error) {
	if b.err == nil {
		b.err = err
	}
}

func (b *builder) counter(name, unit, desc string) metric.Int64Counter {
	c, err := b.m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
	b.keep(err)
	return c
}

func (b *builder) histogram(name, unit, desc string, bounds ...float64) metric.Float64Histogram {
	h, err := b.m.Float64Histogram(name, metric.WithUnit(unit), metric.WithDescription(desc),
		metric.WithExplicitBucketBoundaries(bounds...))
	b.keep(err)
	return h
}
