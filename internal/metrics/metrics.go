// Package metrics serves consultd's monitoring endpoints: Prometheus
// /metrics, /healthz (the process answers) and /readyz (IMAP synced lately,
// outbox not stuck, no watchdog incident open).
//
// Most values are read from the store and the IMAP watcher's status at
// scrape time rather than counted by hand, so they cannot drift from the
// truth and survive restarts; only the handling-time histogram is observed
// as messages pass.
package metrics

import (
	"context"
	"database/sql"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"consultd/internal/mailbox"
	"consultd/internal/store"
	"consultd/internal/watchdog"
)

// Source is where the values come from.
type Source struct {
	DB   *sql.DB
	IMAP func() mailbox.Status // nil: no watcher (tests)
	Now  func() time.Time
	Log  *slog.Logger
}

// Metrics holds consultd's registry.
type Metrics struct {
	src      Source
	reg      *prometheus.Registry
	handling prometheus.Histogram
}

// New registers every metric; the store-backed ones are read at scrape time.
func New(src Source) *Metrics {
	if src.Now == nil {
		src.Now = time.Now
	}
	if src.Log == nil {
		src.Log = slog.Default()
	}
	m := &Metrics{src: src, reg: prometheus.NewRegistry()}
	m.handling = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "consultd_message_handling_seconds",
		Help: "Time to parse and understand one inbound message and commit its effects (a batch's time shared among its messages).",
		// Most mail takes milliseconds; big forwards with attachments seconds.
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	})
	m.reg.MustRegister(m.handling, &collector{m: m},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveHandlingSince records the time since start for n messages handled
// together (a batch shares its time evenly among its messages).
func (m *Metrics) ObserveHandlingSince(start time.Time, n int) {
	if m == nil || n <= 0 {
		return
	}
	each := time.Since(start).Seconds() / float64(n)
	for range n {
		m.handling.Observe(each)
	}
}

// Registry is the registry behind /metrics.
var (
	descHandled = prometheus.NewDesc("consultd_messages_handled_total",
		"Inbound messages handled, by what they were (invitation, reply, command, bounce, auto_reply, own, unknown, ...) and where they went (processed, review).",
		[]string{"kind", "disposition"}, nil)
	descOutboxDepth = prometheus.NewDesc("consultd_outbox_depth",
		"Outgoing messages not yet delivered (pending or sending).", nil, nil)
	descOutboxOldest = prometheus.NewDesc("consultd_outbox_oldest_pending_seconds",
		"Age of the oldest undelivered outgoing message; 0 when the outbox is empty.", nil, nil)
	descDelivered = prometheus.NewDesc("consultd_deliveries_total",
		"Outgoing messages delivered, by kind (consultation, reminder, statement, notice, ...).", []string{"kind"}, nil)
	descFailures = prometheus.NewDesc("consultd_delivery_failures_total",
		"Failed delivery attempts (temporary and permanent), by kind.", []string{"kind"}, nil)
	descFailed = prometheus.NewDesc("consultd_deliveries_failed_total",
		"Outgoing messages given up on (permanent failure), by kind.", []string{"kind"}, nil)
	descConnected = prometheus.NewDesc("consultd_imap_connected",
		"1 while the IMAP watcher is connected and logged in.", nil, nil)
	descSinceSync = prometheus.NewDesc("consultd_imap_seconds_since_last_sync",
		"Seconds since the last complete IMAP sync; -1 before the first.", nil, nil)
	descReconnects = prometheus.NewDesc("consultd_imap_session_errors_total",
		"IMAP sessions that ended in an error since start.", nil, nil)
	descRounds = prometheus.NewDesc("consultd_rounds",
		"Consultation rounds by state (open, draft, undecided, sent, cancelled, ...).", []string{"state"}, nil)
	descIncidents = prometheus.NewDesc("consultd_watchdog_incident_open",
		"1 while a watchdog incident of this kind is open (imap_down, outbox_stuck, silence).", []string{"kind"}, nil)
	descScrapeErr = prometheus.NewDesc("consultd_store_scrape_errors",
		"1 when the database could not be read for this scrape (values from it are missing).", nil, nil)
)

// incidentKinds are the watchdog's incident kinds, always exported (0 or 1).
var incidentKinds = []string{watchdog.IMAPDown, watchdog.OutboxStuck, watchdog.Silence}

// collector reads the store and the watcher at scrape time.
type collector struct{ m *Metrics }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descHandled, descOutboxDepth, descOutboxOldest, descDelivered, descFailures,
		descFailed, descConnected, descSinceSync, descReconnects, descRounds, descIncidents, descScrapeErr} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	src := c.m.src
	now := src.Now()
	if src.IMAP != nil {
		st := src.IMAP()
		ch <- prometheus.MustNewConstMetric(descConnected, prometheus.GaugeValue, b2f(st.Connected))
		since := -1.0
		if !st.LastSync.IsZero() {
			since = now.Sub(st.LastSync).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(descSinceSync, prometheus.GaugeValue, since)
		ch <- prometheus.MustNewConstMetric(descReconnects, prometheus.CounterValue, float64(st.Reconnects))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.collectStore(ctx, ch, now); err != nil {
		src.Log.Warn("metrics: cannot read the database", "err", err)
		ch <- prometheus.MustNewConstMetric(descScrapeErr, prometheus.GaugeValue, 1)
		return
	}
	ch <- prometheus.MustNewConstMetric(descScrapeErr, prometheus.GaugeValue, 0)
}

func (c *collector) collectStore(ctx context.Context, ch chan<- prometheus.Metric, now time.Time) error {
	db := c.m.src.DB
	rows, err := db.QueryContext(ctx, `SELECT kind, disposition, COUNT(*) FROM seen GROUP BY kind, disposition`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var kind, disp string
		var n float64
		if err := rows.Scan(&kind, &disp, &n); err != nil {
			rows.Close()
			return err
		}
		ch <- prometheus.MustNewConstMetric(descHandled, prometheus.CounterValue, n, kind, disp)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	h, err := store.ReadOutboxHealth(ctx, db)
	if err != nil {
		return err
	}
	ch <- prometheus.MustNewConstMetric(descOutboxDepth, prometheus.GaugeValue, float64(h.Depth))
	oldest := 0.0
	if !h.OldestPending.IsZero() {
		oldest = max(0, now.Sub(h.OldestPending).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(descOutboxOldest, prometheus.GaugeValue, oldest)

	// attempts counts every attempt, the successful one included.
	rows, err = db.QueryContext(ctx, `SELECT kind,
		SUM(CASE WHEN state = 'sent' THEN 1 ELSE 0 END),
		SUM(CASE WHEN state = 'sent' THEN MAX(attempts - 1, 0) ELSE attempts END),
		SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END)
		FROM outbox GROUP BY kind`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var kind string
		var sent, fails, failed float64
		if err := rows.Scan(&kind, &sent, &fails, &failed); err != nil {
			rows.Close()
			return err
		}
		ch <- prometheus.MustNewConstMetric(descDelivered, prometheus.CounterValue, sent, kind)
		ch <- prometheus.MustNewConstMetric(descFailures, prometheus.CounterValue, fails, kind)
		ch <- prometheus.MustNewConstMetric(descFailed, prometheus.CounterValue, failed, kind)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	rounds, err := store.CountByState(ctx, db, "rounds")
	if err != nil {
		return err
	}
	for state, n := range rounds {
		ch <- prometheus.MustNewConstMetric(descRounds, prometheus.GaugeValue, float64(n), state)
	}

	open, err := store.OpenIncidents(ctx, db)
	if err != nil {
		return err
	}
	for _, kind := range incidentKinds {
		v := 0.0
		for _, in := range open {
			if in.Kind == kind {
				v = 1
			}
		}
		ch <- prometheus.MustNewConstMetric(descIncidents, prometheus.GaugeValue, v, kind)
	}
	return nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
