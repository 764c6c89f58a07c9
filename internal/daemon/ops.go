package daemon

import (
	"context"
	"net"
	"strconv"
	"time"

	"consultd/internal/mailbox"
	"consultd/internal/metrics"
	"consultd/internal/probe"
	"consultd/internal/sdnotify"
	"consultd/internal/store"
	"consultd/internal/watchdog"
)

// handleProbe files a `consultd doctor` probe quietly: ok is true when raw
// carries the id of a probe the doctor recorded. Any other mail, a forged
// probe header included, is left to the round engine.
func (d *Daemon) handleProbe(ctx context.Context, m mailbox.Message) (ok bool, err error) {
	id := probe.ID(m.Raw)
	if id == "" {
		return false, nil
	}
	known, err := store.ProbeArrived(ctx, d.Store.DB(), id, time.Now())
	if err != nil || !known {
		if err == nil {
			d.Log.Warn("a message carries an unknown doctor probe id; handled as ordinary mail", "uid", m.UID)
		}
		return false, err
	}
	d.Log.Info("message handled", "kind", "doctor_probe", "uid", m.UID, "to", "processed",
		"note", "consultd doctor's test message arrived: plus addressing and delivery work")
	return true, nil
}

// newWatchdog builds the watchdog over this daemon's store, watcher and engine.
func (d *Daemon) newWatchdog() *watchdog.Watchdog {
	cfg := d.Cfg
	return &watchdog.Watchdog{
		Cfg: watchdog.Config{IMAPDown: cfg.Watchdog.IMAPDown.Duration, OutboxStuck: cfg.Watchdog.OutboxStuck.Duration,
			Silence: cfg.Watchdog.Silence.Duration, Mailbox: cfg.Coalition.Address,
			IMAPAddr: net.JoinHostPort(cfg.IMAP.Host, strconv.Itoa(cfg.IMAP.Port)),
			SMTPAddr: net.JoinHostPort(cfg.SMTP.Host, strconv.Itoa(cfg.SMTP.Port))},
		Store: d.Store,
		IMAP: func() watchdog.IMAPHealth {
			st := d.Status()
			return watchdog.IMAPHealth{DownSince: st.DownSince, LastSync: st.LastSync, LastError: st.LastError}
		},
		Tell: d.Engine,
		Kick: d.Kick,
		Now:  func() time.Time { return time.Now().UTC() },
		Log:  d.Log.With("part", "watchdog"),
	}
}

// readiness is what /readyz asks: a sync within two resync periods (the
// watcher resyncs at least every poll interval, at most 10 minutes apart),
// and no message failing longer than the watchdog allows.
func (d *Daemon) readiness() metrics.Readiness {
	every := min(d.Cfg.IMAP.PollInterval.Duration, 10*time.Minute)
	stuck := d.Cfg.Watchdog.OutboxStuck.Duration
	if stuck <= 0 {
		stuck = 30 * time.Minute
	}
	return metrics.Readiness{SyncWithin: 2*every + time.Minute, OutboxStuck: stuck}
}

// HTTPAddr is the monitoring listener's address once Run has bound it
// ("" when http.listen is not set).
func (d *Daemon) HTTPAddr() string {
	select {
	case <-d.httpReady:
		if d.http != nil {
			return d.http.Addr()
		}
	default:
	}
	return ""
}

// notify tells systemd (when it runs consultd with Type=notify); a failure
// is logged, never fatal. After STOPPING=1 no watchdog ping follows.
func (d *Daemon) notify(state string) {
	d.notifyMu.Lock()
	defer d.notifyMu.Unlock()
	if d.stopping && state == sdnotify.Watchdog {
		return
	}
	d.stopping = d.stopping || state == sdnotify.Stopping
	if _, err := sdnotify.Notify(state); err != nil {
		d.Log.Warn("systemd notification failed", "state", state, "err", err)
	}
}

// systemdWatchdog pings systemd at half WatchdogSec while the store answers:
// a daemon stuck on its database is restarted by systemd.
func (d *Daemon) systemdWatchdog(ctx context.Context) error {
	every, err := sdnotify.WatchdogInterval()
	if err != nil {
		d.Log.Warn("systemd watchdog ignored", "err", err)
		return nil
	}
	if every <= 0 {
		return nil
	}
	t := time.NewTicker(every / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, every/2)
		err := d.Store.DB().PingContext(pctx)
		cancel()
		if err != nil {
			d.Log.Error("database does not answer; not pinging the systemd watchdog", "err", err)
			continue
		}
		d.notify(sdnotify.Watchdog)
	}
}
