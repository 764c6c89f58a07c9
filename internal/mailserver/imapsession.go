package mailserver

import (
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// idlePoll bounds how late IDLE reports changes that arrive through another
// IMAP session (server-side deliveries wake it at once).
const idlePoll = 25 * time.Millisecond

// imapSession is imapmemserver's session with two changes: logins are
// case-insensitive on the address, and IDLE cannot miss a delivery.
//
// imapmemserver registers an IDLE listener only after "+ idling" is sent,
// and does not flush updates queued in between, so a message delivered in
// that window stayed unannounced until the next one (seen as a flaky test).
// Here IDLE polls the session's queue on every delivery and on a short tick.
type imapSession struct {
	*imapmemserver.UserSession // nil until login
	s                          *Server
}

func (se *imapSession) Login(username, password string) error {
	a, err := se.s.account(username)
	if err != nil {
		return imapserver.ErrAuthFailed
	}
	if err := a.user.Login(a.addr, password); err != nil {
		return err
	}
	se.UserSession = imapmemserver.NewUserSession(a.user)
	return nil
}

func (se *imapSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	tick := time.NewTicker(idlePoll)
	defer tick.Stop()
	for {
		delivered := se.s.deliveries.wait()
		if err := se.UserSession.Poll(w, true); err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case <-delivered:
		case <-tick.C:
		}
	}
}

// Move is COPY, then \Deleted and EXPUNGE of exactly the copied UIDs.
// imapmemserver's own MOVE announces each EXPUNGE twice (once directly, once
// through its update queue), which left clients counting one message too
// few. Here the EXPUNGEs go only through the queue, which the server flushes
// before the tagged OK, with the right sequence numbers.
func (se *imapSession) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	data, err := se.UserSession.Copy(numSet, dest) // TRYCREATE and same-mailbox errors come from here
	if err != nil {
		return err
	}
	if err := w.WriteCopyData(data); err != nil {
		return err
	}
	uids := data.SourceUIDs
	if len(uids) == 0 {
		return nil
	}
	del := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}
	if err := se.UserSession.Store(nil, uids, del, nil); err != nil {
		return err
	}
	return se.UserSession.Expunge(nil, &uids)
}

// broadcast is a channel closed and replaced on every signal, so any number
// of waiters wake at once.
type broadcast struct {
	mu sync.Mutex
	ch chan struct{}
}

func (b *broadcast) wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch == nil {
		b.ch = make(chan struct{})
	}
	return b.ch
}

func (b *broadcast) signal() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch != nil {
		close(b.ch)
		b.ch = nil
	}
}
