package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"consultd/internal/store"
)

// Readiness says what /readyz requires.
type Readiness struct {
	// SyncWithin: the last IMAP sync must be at most this old (the watcher
	// resyncs at least every poll interval, IDLE or not).
	SyncWithin time.Duration
	// OutboxStuck: no message may have been failing longer than this (0: not checked).
	OutboxStuck time.Duration
}

// Ready reports whether consultd is doing its work, and if not, why (one
// reason per line, for people and probes alike).
func (m *Metrics) Ready(ctx context.Context, r Readiness) (bool, []string) {
	now := m.src.Now()
	var why []string
	if m.src.IMAP != nil {
		st := m.src.IMAP()
		switch {
		case st.LastSync.IsZero():
			why = append(why, "imap: no sync yet"+lastErr(st.LastError))
		case !st.Connected:
			why = append(why, "imap: not connected"+lastErr(st.LastError))
		case r.SyncWithin > 0 && now.Sub(st.LastSync) > r.SyncWithin:
			why = append(why, fmt.Sprintf("imap: last sync %s ago (more than %s)", now.Sub(st.LastSync).Round(time.Second), r.SyncWithin))
		}
	}
	h, err := store.ReadOutboxHealth(ctx, m.src.DB)
	if err != nil {
		why = append(why, "database: "+err.Error())
	} else if r.OutboxStuck > 0 && !h.FailingSince.IsZero() && now.Sub(h.FailingSince) >= r.OutboxStuck {
		why = append(why, fmt.Sprintf("outbox: a %s message has failed to go out for %s: %s", h.FailingKind,
			now.Sub(h.FailingSince).Round(time.Second), oneLine(h.FailingError)))
	}
	open, err := store.OpenIncidents(ctx, m.src.DB)
	if err != nil {
		why = append(why, "database: "+err.Error())
	}
	for _, in := range open {
		why = append(why, fmt.Sprintf("watchdog: incident %s open since %s: %s", in.Kind, in.Since.UTC().Format(time.RFC3339), in.Detail))
	}
	return len(why) == 0, why
}

func lastErr(s string) string {
	if s == "" {
		return ""
	}
	return " (last error: " + oneLine(s) + ")"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Handler serves /metrics, /healthz and /readyz.
func (m *Metrics) Handler(r Readiness) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: slogPrinter{m.src.Log}}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, req *http.Request) {
		ok, why := m.Ready(req.Context(), r)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready")
			for _, l := range why {
				fmt.Fprintln(w, l)
			}
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return mux
}

type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) {
	p.log.Warn("metrics: " + strings.TrimSpace(fmt.Sprintln(v...)))
}

// Server is the monitoring listener.
type Server struct {
	ln  net.Listener
	srv *http.Server
}

// Listen binds addr now, so that a taken port fails consultd's start rather
// than going unnoticed.
func Listen(addr string, h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http.listen %s: %w", addr, err)
	}
	return &Server{ln: ln, srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}, nil
}

// Addr is the bound address (useful with port 0).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve serves until ctx is done.
func (s *Server) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.srv.Shutdown(sctx)
	})
	defer stop()
	err := s.srv.Serve(s.ln)
	if errors.Is(err, http.ErrServerClosed) {
		return ctx.Err()
	}
	return err
}
