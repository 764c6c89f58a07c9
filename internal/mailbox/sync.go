package mailbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
)

const (
	metaChunk = 1000 // UIDs per size/date FETCH command (no bodies: small)
	// metaWindow is how many UIDs' sizes are learnt before their bodies are
	// read. The body prefetch runs within a window only, and at a window's
	// edge the connection serializes (the next sizes wait behind the last
	// MOVE, the first bodies are fetched without overlap): with windows of
	// 1,000 a drain of 15,000 replies lost about 1.2 s of 7.6 there. A
	// pending is 40 bytes, held twice (the window and its batches), so a
	// window of 20,000 takes under 2 MB.
	metaWindow = 20 * metaChunk
	// bodyBatchCount is the most messages per body fetch, per transaction
	// and per UID MOVE. A MOVE costs the server about the same whatever it
	// carries: Dovecot (Maildir) took 27 ms for each MOVE of 50 messages and
	// 42 ms for one of 500, into a Processed folder of 45,000: a drain of
	// 15,000 replies spent about 8 s of its 28 in MOVEs of 50.
	bodyBatchCount = 500
	bodyBatchBytes = 4 << 20 // bytes per body fetch; a larger message is fetched alone
	minBodyTimeout = 10 * time.Minute
)

// pending is a message found by the search, with what FETCH said about it.
type pending struct {
	uid          imap.UID
	size         int64
	internalDate time.Time
}

// sync hands every message after the checkpoint to the Handler, in UID
// order, and files it. It stops at the first error, leaving that message and
// those after it in the inbox for the next attempt.
func (s *session) sync(ctx context.Context) (err error) {
	// The last batch is filed before the sync ends, done or failed: the
	// connection is not left to a goroutine, and IDLE waits for it.
	defer func() { err = errors.Join(err, s.settle()) }()
	// A signal raised before this point is answered by this sync.
	select {
	case <-s.wake:
	default:
	}
	select {
	case <-s.w.kick:
	default:
	}
	canWait := s.ownMayWait()
	uids, err := s.newUIDs(max(s.lastUID, s.searchedTo))
	if err != nil {
		return err
	}
	if canWait {
		if uids, err = s.putOffOwn(uids); err != nil {
			return err
		}
	}
	s.left = len(uids)
	defer s.backlog(0) // a sync that ends, done or failed, holds nothing back
	for len(uids) > 0 {
		window := uids[:min(len(uids), metaWindow)]
		uids = uids[len(window):]
		msgs, err := s.fetchMeta(window)
		if err != nil {
			return err
		}
		if err := s.processWindow(ctx, msgs); err != nil {
			return err
		}
	}
	return nil
}

// backlog tells Config.Backlog how many messages wait beyond those being
// handled now.
func (s *session) backlog(waiting int) {
	if s.w.cfg.Backlog != nil {
		s.w.cfg.Backlog(max(waiting, 0))
	}
}

// newUIDs returns, ascending, the inbox UIDs above from (the checkpoint, or
// the last own copy left waiting) that do not carry DoneKeyword.
func (s *session) newUIDs(from uint32) ([]imap.UID, error) {
	if from == math.MaxUint32 {
		return nil, nil
	}
	criteria := &imap.SearchCriteria{
		UID:     []imap.UIDSet{{imap.UIDRange{Start: imap.UID(from + 1), Stop: 0}}}, // from+1:*
		NotFlag: []imap.Flag{DoneKeyword},
	}
	found, err := s.searchUIDs("search new mail", criteria)
	if err != nil {
		return nil, err
	}
	// "n:*" always matches the highest UID, even when it is below n.
	uids := slices.DeleteFunc(found, func(u imap.UID) bool { return uint32(u) <= from })
	slices.Sort(uids)
	return slices.Compact(uids), nil
}

// searchUIDs runs one UID SEARCH and returns the UIDs it found.
func (s *session) searchUIDs(what string, criteria *imap.SearchCriteria) ([]imap.UID, error) {
	var found []imap.UID
	err := s.do(what, func() error {
		data, err := s.c.UIDSearch(criteria, nil).Wait()
		if err != nil {
			return err
		}
		found = data.AllUIDs()
		return nil
	})
	return found, err
}

// ownMayWait reports whether the coalition's own copies may wait during
// this sync (Config.OwnCanWait). When they may not, those left waiting are
// read by this sync, in UID order with the rest.
func (s *session) ownMayWait() bool {
	cfg := s.w.cfg
	if cfg.OwnAddress != "" && cfg.OwnCanWait != nil && !s.noFromSearch && cfg.OwnCanWait() {
		return true
	}
	if s.waiting > 0 {
		s.w.log.Info("imap watcher: reading the coalition's own copies left waiting", "copies", s.waiting)
	}
	s.searchedTo, s.firstWaiting, s.waiting = 0, 0, 0
	return false
}

// putOffOwn returns the ones of fresh (new UIDs, ascending, never searched
// before) to read now: those not From Config.OwnAddress. The others wait
// in the inbox.
func (s *session) putOffOwn(fresh []imap.UID) ([]imap.UID, error) {
	cfg := s.w.cfg
	if len(fresh) == 0 {
		return nil, nil
	}
	criteria := &imap.SearchCriteria{
		UID: []imap.UIDSet{{imap.UIDRange{Start: fresh[0], Stop: fresh[len(fresh)-1]}}},
		Not: []imap.SearchCriteria{{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: cfg.OwnAddress}}}},
	}
	others, err := s.searchUIDs("search new mail not from the coalition", criteria)
	if err != nil {
		var imapErr *imap.Error
		if !errors.As(err, &imapErr) {
			return nil, err // the connection failed, not the command
		}
		// A server that refuses the search: every message is read in
		// order, as without OwnCanWait, for the rest of this session.
		s.w.log.Warn("imap watcher: the server refused a search by From; the coalition's own copies are read as they come",
			"err", err)
		s.noFromSearch = true
		return fresh, nil
	}
	read := make(map[imap.UID]bool, len(others))
	for _, u := range others {
		read[u] = true
	}
	now := fresh[:0:0]
	before := s.waiting
	for _, u := range fresh {
		if read[u] {
			now = append(now, u)
			continue
		}
		s.waiting++
		if s.firstWaiting == 0 {
			s.firstWaiting = uint32(u)
		}
	}
	s.searchedTo = uint32(fresh[len(fresh)-1])
	if before == 0 && s.waiting > 0 {
		s.w.log.Info("imap watcher: the outbox is sending; the coalition's own copies wait in the inbox and other mail is read first",
			"from", cfg.OwnAddress)
	}
	return now, nil
}

// fetchMeta learns size and internal date of uids, in UID order, with one
// FETCH per metaChunk UIDs so that no command line grows without bound.
// UIDs missing from the answer were expunged meanwhile and are dropped.
func (s *session) fetchMeta(uids []imap.UID) ([]pending, error) {
	opts := &imap.FetchOptions{UID: true, RFC822Size: true, InternalDate: true}
	out := make([]pending, 0, len(uids))
	for len(uids) > 0 { // an empty set would kill the connection
		chunk := uids[:min(len(uids), metaChunk)]
		uids = uids[len(chunk):]
		err := s.do("fetch sizes", func() error {
			bufs, err := s.c.Fetch(imap.UIDSetNum(chunk...), opts).Collect()
			if err != nil {
				return err
			}
			for _, b := range bufs {
				out = append(out, pending{uid: b.UID, size: b.RFC822Size, internalDate: b.InternalDate})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b pending) int { return cmp.Compare(a.uid, b.uid) })
	return out, nil
}

// processWindow handles msgs in UID order, fetching bodies in bounded
// batches; oversized messages go to Review unread. The next batch's bodies
// are fetched while the current one is handled and filed, so that Dovecot's
// work and ours overlap (two cores). Only a batch within bodyBatchBytes is
// fetched ahead, and only beside another: a big message is still read
// alone, so memory holds at most two small batches, or one big message.
func (s *session) processWindow(ctx context.Context, msgs []pending) error {
	units := splitBatches(msgs, s.w.cfg.MaxMessageSize)
	var ahead *prefetch
	defer func() {
		if ahead != nil {
			<-ahead.done // the connection is not left to a goroutine
		}
	}()
	for i, u := range units {
		if u.oversized {
			s.backlog(s.left - 1)
			s.left--
			if err := s.fileOversized(ctx, u.batch[0]); err != nil {
				return err
			}
			continue
		}
		var got fetchResult
		if ahead != nil && ahead.unit == i {
			<-ahead.done
			got, ahead = ahead.res, nil
		} else {
			got = s.fetchBatch(u.batch)
		}
		if i+1 < len(units) && !units[i+1].oversized && units[i+1].bytes <= bodyBatchBytes && u.bytes <= bodyBatchBytes {
			ahead = s.fetchAhead(i+1, units[i+1].batch)
		}
		if err := s.processBatch(ctx, u.batch, got); err != nil {
			return err
		}
	}
	return nil
}

// unit is a batch of messages fetched together, or one oversized message.
type unit struct {
	batch     []pending
	bytes     int64
	oversized bool
}

// splitBatches cuts msgs into batches of at most bodyBatchCount messages
// and bodyBatchBytes (a larger message alone), in UID order; a message over
// limit is a unit of its own.
func splitBatches(msgs []pending, limit int64) []unit {
	var units []unit
	var cur unit
	flush := func() {
		if len(cur.batch) > 0 {
			units = append(units, cur)
		}
		cur = unit{}
	}
	for _, m := range msgs {
		if m.size > limit {
			flush()
			units = append(units, unit{batch: []pending{m}, bytes: m.size, oversized: true})
			continue
		}
		if len(cur.batch) > 0 && (len(cur.batch) == bodyBatchCount || cur.bytes+m.size > bodyBatchBytes) {
			flush()
		}
		cur.batch = append(cur.batch, m)
		cur.bytes += m.size
	}
	flush()
	return units
}

// fetchResult is what fetchBodies returned for a batch.
type fetchResult struct {
	bodies   map[imap.UID]fetched
	tooLarge map[imap.UID]bool
	err      error
}

// prefetch is a batch being fetched ahead, on the same connection.
type prefetch struct {
	unit int
	done chan struct{}
	res  fetchResult
}

func (s *session) fetchBatch(batch []pending) fetchResult {
	uids := make([]imap.UID, len(batch))
	for i, m := range batch {
		uids[i] = m.uid
	}
	var r fetchResult
	r.bodies, r.tooLarge, r.err = s.fetchBodies(uids)
	return r
}

// fetchAhead fetches batch in a goroutine. IMAP pipelines the FETCH with the
// current batch's MOVE: both name UIDs, disjoint ones, so neither changes
// what the other means (RFC 9051 5.5).
func (s *session) fetchAhead(unit int, batch []pending) *prefetch {
	p := &prefetch{unit: unit, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.res = s.fetchBatch(batch)
	}()
	return p
}

// fileOversized hands the Handler only the header of a message over
// MaxMessageSize (so that it can tell the coordinators who sent what), then
// moves it to Review whatever the Handler says.
func (s *session) fileOversized(ctx context.Context, m pending) error {
	s.w.log.Warn("imap watcher: message too large to read, moving it to review unhandled",
		"uid", m.uid, "size", m.size, "limit", s.w.cfg.MaxMessageSize, "folder", s.w.cfg.Review)
	header, err := s.fetchHeader(m.uid)
	if err != nil {
		return err
	}
	msg := Message{
		Mailbox: s.w.cfg.Inbox, UIDValidity: s.uidValidity, UID: uint32(m.uid),
		Raw: header, InternalDate: m.internalDate, TooLarge: true, Size: m.size,
	}
	if _, err := s.callHandler(ctx, msg); err != nil {
		return fmt.Errorf("handler failed for the oversized uid %d (left in the inbox, will retry): %w", m.uid, err)
	}
	return s.file(ctx, m.uid, Review)
}

// processBatch handles the fetched bodies of batch, dropping each body as
// soon as it is handled.
func (s *session) processBatch(ctx context.Context, batch []pending, got fetchResult) error {
	if len(batch) == 0 {
		return nil
	}
	s.backlog(s.left - len(batch))
	defer func() { s.left -= len(batch) }()
	bodies, tooLarge, err := got.bodies, got.tooLarge, got.err
	if err != nil {
		return err
	}
	var ready []Message // handled together, in UID order
	for _, m := range batch {
		if tooLarge[m.uid] {
			if err := s.handleMany(ctx, ready); err != nil { // keep UID order
				return err
			}
			ready = nil
			m.size = max(m.size, s.w.cfg.MaxMessageSize+1)
			if err := s.fileOversized(ctx, m); err != nil {
				return err
			}
			continue
		}
		body, ok := bodies[m.uid]
		if !ok {
			// Expunged by another client between the two fetches.
			s.w.log.Warn("imap watcher: message vanished before it was read", "uid", m.uid)
			continue
		}
		delete(bodies, m.uid)
		if body.elided > 0 {
			s.w.log.Info("imap watcher: big message read without the bulk of its attachments",
				"uid", m.uid, "size", m.size, "not_read", body.elided)
		}
		ready = append(ready, Message{
			Mailbox: s.w.cfg.Inbox, UIDValidity: s.uidValidity, UID: uint32(m.uid),
			Raw: body.raw, Elided: body.elided, InternalDate: m.internalDate,
		})
	}
	return s.handleMany(ctx, ready)
}

// handleMany gives msgs to a BatchHandler at once and files them with one
// command per destination, then saves the checkpoint once. A batch that
// fails (or a Handler that does not batch) is handled one message at a time,
// so one bad message holds up only itself and those after it.
func (s *session) handleMany(ctx context.Context, msgs []Message) error {
	bh, ok := s.w.h.(BatchHandler)
	if !ok || len(msgs) < 2 {
		for _, m := range msgs {
			if err := s.handle(ctx, m); err != nil {
				return err
			}
		}
		return nil
	}
	ds, err := s.callBatch(ctx, bh, msgs)
	if err != nil {
		s.w.log.Warn("imap watcher: a batch could not be handled; handling its messages one by one",
			"messages", len(msgs), "first_uid", msgs[0].UID, "err", err)
		for _, m := range msgs {
			if err := s.handle(ctx, m); err != nil {
				return err
			}
		}
		return nil
	}
	uids := make([]imap.UID, len(msgs))
	for i, m := range msgs {
		uids[i] = imap.UID(m.UID)
		s.w.countHandled()
		s.w.log.Info("imap watcher: message handled", "uid", m.UID, "disposition", ds[i], "size", len(m.Raw))
	}
	return s.fileLater(ctx, uids, ds)
}

// fileLater files a handled batch in the background, once the batch before
// it is filed: the server's MOVE of this batch overlaps the handling of the
// next (a sixth of a long drain), and the checkpoint still advances in UID
// order. Should the MOVE fail after the next batch is committed, that batch
// stays in the inbox and is filed as already handled next time.
func (s *session) fileLater(ctx context.Context, uids []imap.UID, ds []Disposition) error {
	if err := s.settle(); err != nil {
		return err
	}
	done := make(chan error, 1)
	s.filing = done
	go func() { done <- s.fileMany(ctx, uids, ds) }()
	return nil
}

// settle waits for the batch being filed in the background (fileLater) and
// returns what filing it returned.
func (s *session) settle() error {
	if s.filing == nil {
		return nil
	}
	err := <-s.filing
	s.filing = nil
	return err
}

// callBatch runs HandleBatch; a panic or a wrong number of dispositions is an
// error, so that the messages are handed over one by one.
func (s *session) callBatch(ctx context.Context, bh BatchHandler, msgs []Message) (ds []Disposition, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.w.log.Error("imap watcher: handler panicked on a batch", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			ds, err = nil, fmt.Errorf("handler panicked: %v", r)
		}
	}()
	ds, err = bh.HandleBatch(ctx, msgs)
	if err == nil && len(ds) != len(msgs) {
		return nil, fmt.Errorf("handler returned %d dispositions for %d messages", len(ds), len(msgs))
	}
	for i, d := range ds {
		if d != Processed && d != Review && d != Keep {
			s.w.log.Warn("imap watcher: handler returned an unknown disposition; moving the message to review",
				"uid", msgs[i].UID, "disposition", d)
			ds[i] = Review
		}
	}
	return ds, err
}

// handle gives one message to the Handler and files it as told.
func (s *session) handle(ctx context.Context, msg Message) error {
	// Only copies of the small fields outlive the call, so the body can be
	// collected as soon as the Handler is done with it.
	uid, size := msg.UID, len(msg.Raw)
	d, err := s.callHandler(ctx, msg)
	if err != nil {
		return fmt.Errorf("handler failed for uid %d (left in the inbox, will retry): %w", uid, err)
	}
	s.w.countHandled()
	s.w.log.Info("imap watcher: message handled", "uid", uid, "disposition", d, "size", size)
	return s.file(ctx, imap.UID(uid), d)
}

// callHandler runs the Handler, turning a panic into Review so that one bad
// message cannot stop the daemon nor block the inbox forever.
func (s *session) callHandler(ctx context.Context, msg Message) (d Disposition, err error) {
	uid := msg.UID
	defer func() {
		if r := recover(); r != nil {
			s.w.log.Error("imap watcher: handler panicked; moving the message to review",
				"uid", uid, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			d, err = Review, nil
		}
	}()
	d, err = s.w.h.Handle(ctx, msg)
	if err == nil && d != Processed && d != Review && d != Keep {
		s.w.log.Warn("imap watcher: handler returned an unknown disposition; moving the message to review",
			"uid", uid, "disposition", d)
		d = Review
	}
	return d, err
}

// file puts a handled message where d says and advances the checkpoint once
// the message is safe in its destination.
func (s *session) file(ctx context.Context, uid imap.UID, d Disposition) error {
	if err := s.settle(); err != nil { // filed in UID order
		return err
	}
	return s.fileMany(ctx, []imap.UID{uid}, []Disposition{d})
}

// fileMany puts handled messages (ascending uids) where ds say, one command
// per destination, and advances the checkpoint past the last once they are
// all safe in their destinations.
func (s *session) fileMany(ctx context.Context, uids []imap.UID, ds []Disposition) error {
	byDest := map[string][]imap.UID{}
	var dests []string
	for i, d := range ds {
		var dest string
		switch d {
		case Processed:
			dest = s.w.cfg.Processed
		case Review:
			dest = s.w.cfg.Review
		}
		if dest == "" {
			continue // Keep
		}
		if byDest[dest] == nil {
			dests = append(dests, dest)
		}
		byDest[dest] = append(byDest[dest], uids[i])
	}
	var cleanupErr error
	for _, dest := range dests {
		copied, err := s.move(byDest[dest], dest)
		if !copied {
			return err
		}
		cleanupErr = errors.Join(cleanupErr, err)
	}
	last := uint32(uids[len(uids)-1])
	if s.firstWaiting != 0 {
		// Never past an own copy left waiting in the inbox.
		last = min(last, s.firstWaiting-1)
	}
	if last <= s.lastUID {
		return cleanupErr
	}
	if err := s.w.cp.Save(ctx, s.w.cfg.Inbox, s.uidValidity, last); err != nil {
		return fmt.Errorf("save checkpoint after uid %d: %w", last, err)
	}
	s.lastUID = last
	return cleanupErr
}

// move moves messages to dest. copied reports whether they are in dest
// (then a non-nil err only concerns removing the originals).
//
// Without MOVE it copies first and removes the original only after the copy
// succeeded, by UID EXPUNGE of that UID alone (UIDPLUS); a plain EXPUNGE
// would also remove messages other clients flagged \Deleted, so without
// UIDPLUS the original stays, flagged DoneKeyword.
func (s *session) move(uids []imap.UID, dest string) (copied bool, err error) {
	set := imap.UIDSetNum(uids...)
	if s.hasMove {
		err := s.do("move to "+dest, func() error {
			_, err := s.c.Move(set, dest).Wait()
			return err
		})
		return err == nil, err
	}
	if err := s.do("copy to "+dest, func() error {
		_, err := s.c.Copy(set, dest).Wait()
		return err
	}); err != nil {
		return false, err
	}
	flags := []imap.Flag{DoneKeyword}
	if s.hasUIDPlus {
		flags = []imap.Flag{imap.FlagDeleted}
	}
	if err := s.do("flag original", func() error {
		return s.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: flags}, nil).Close()
	}); err != nil {
		var imapErr *imap.Error
		if !s.hasUIDPlus && errors.As(err, &imapErr) {
			// The server refuses keywords; the checkpoint alone remembers it.
			s.w.log.Warn("imap watcher: could not flag a copied message; it stays in the inbox unflagged",
				"uids", set.String(), "keyword", DoneKeyword, "err", err)
			return true, nil
		}
		return true, err
	}
	if !s.hasUIDPlus {
		return true, nil
	}
	return true, s.do("expunge original", func() error { return s.c.UIDExpunge(set).Close() })
}
