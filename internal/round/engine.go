// Package round is consultd's workflow: one inbound message at a time, and a
// clock tick, move rounds through their states (open → draft/undecided → sent,
// or cancelled). Each step runs in one store transaction that also writes the
// mail it causes to the outbox, so a crash or restart never loses an answer nor
// sends anything twice.
package round

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"consultd/internal/answer"
	"consultd/internal/config"
	"consultd/internal/lang"
	"consultd/internal/mimeparse"
	"consultd/internal/render"
	"consultd/internal/sender"
	"consultd/internal/store"
	"consultd/internal/token"
)

// Incoming is one message read from the mailbox.
type Incoming struct {
	Raw         []byte
	Mailbox     string
	UIDValidity uint32
	UID         uint32
}

// Engine runs the workflow.
type Engine struct {
	Cfg    *config.Config
	Store  *store.Store
	Render *render.Renderer
	Now    func() time.Time
	Log    *slog.Logger
	// Kick is called after a commit that queued mail, to wake the sender.
	Kick func()

	readerOnce sync.Once
	answers    *answer.Reader
	// publishing serialises rebuilding publish_dir: each build reads the
	// store inside it, so the last one has every statement committed.
	publishing sync.Mutex
	swept      atomic.Int64 // unix time of the last sweepBlobs
}

// New returns an engine with the real clock.
func New(cfg *config.Config, st *store.Store, r *render.Renderer, log *slog.Logger) *Engine {
	return &Engine{Cfg: cfg, Store: st, Render: r, Now: func() time.Time { return time.Now().UTC() }, Log: log, Kick: func() {}}
}

// step is the state one message's handling accumulates inside its transaction.
type step struct {
	tx     *store.TxQuerier // prepared statements; tx.Tx is the transaction
	now    time.Time
	queued int
	after  []func() // run once the transaction has committed
	notes  []string // what the reaction limits kept from being sent (limits.go)
	raw    []byte   // the message being handled, as received (kept for confirmations)
	pre    prepared // what was read of it ahead, if anything (prepareAhead)
}

// Handle understands one inbound message and commits its effects. A message
// seen before (same Message-ID, or same bytes) changes nothing and goes where
// it went the first time, so a restart between commit and move is harmless.
func (e *Engine) Handle(ctx context.Context, in Incoming) (store.Disposition, error) {
	ds, err := e.HandleBatch(ctx, []Incoming{in})
	if err != nil {
		return "", err
	}
	return ds[0], nil
}

// HandleBatch handles several messages in one transaction: each message's
// seen record, its effects and the mail they cause commit together with the
// others', or nothing does (then the caller can hand them over one by one to
// find the one that fails). One commit for a batch is what lets a full inbox
// be read at the mailbox's speed.
func (e *Engine) HandleBatch(ctx context.Context, ins []Incoming) ([]store.Disposition, error) {
	disps := make([]store.Disposition, len(ins))
	var key string
	take, stop := e.prepareAhead(ins)
	defer stop()
	err := e.commit(ctx, e.Now(), func(st *step) error {
		for i, in := range ins {
			st.now, st.raw, st.notes, st.pre = e.Now(), in.Raw, nil, take()
			var err error
			key, disps[i], err = e.handleOne(ctx, st, in)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if len(ins) > 1 {
			return nil, fmt.Errorf("handle a batch of %d messages (at %s): %w", len(ins), key, err)
		}
		return nil, fmt.Errorf("handle message %s: %w", key, err)
	}
	return disps, nil
}

// handleOne understands one message inside st's transaction and records it
// as seen.
func (e *Engine) handleOne(ctx context.Context, st *step, in Incoming) (string, store.Disposition, error) {
	m, perr := st.pre.m, st.pre.perr
	if !st.pre.done {
		m, perr = mimeparse.ParseWith(in.Raw, e.parseOptions())
	}
	key := messageKey(m, in.Raw)
	seen, err := store.GetSeen(ctx, st.tx, key)
	if err != nil {
		return key, "", err
	}
	if seen != nil {
		st.after = append(st.after, func() {
			e.Log.Info("message already handled", "message_id", key, "kind", seen.Kind, "round", seen.RoundID, "to", seen.Disposition)
		})
		return key, seen.Disposition, nil
	}
	var o outcome
	if m == nil {
		o = outcome{kind: "unreadable", disp: store.Review, note: fmt.Sprintf("cannot be read as an email: %v", perr)}
	} else if o, err = e.route(ctx, st, m); err != nil {
		return key, "", err
	}
	if len(st.notes) > 0 {
		o.note = strings.Join(append([]string{o.note}, st.notes...), "; ")
	}
	if err := store.InsertSeen(ctx, st.tx, &store.Seen{Key: key, Mailbox: in.Mailbox, UIDValidity: in.UIDValidity,
		UID: in.UID, Kind: o.kind, RoundID: o.roundID, Disposition: o.disp, Note: o.note, At: st.now}); err != nil {
		return key, "", err
	}
	level := slog.LevelInfo
	if o.disp == store.Review {
		level = slog.LevelWarn
	}
	// Logged once committed: a batch that fails is handled again one by one.
	from := firstFrom(m)
	st.after = append(st.after, func() {
		e.Log.Log(ctx, level, "message handled", "message_id", key, "from", from, "kind", o.kind,
			"round", o.roundID, "to", o.disp, "note", o.note)
	})
	return key, o.disp, nil
}

// commit runs f in one store transaction with a fresh step: everything a step
// changes, and the mail it queues, commit together or not at all. Once the
// transaction has committed, the step's after-commit hooks run and the
// sender is woken if mail was queued.
func (e *Engine) commit(ctx context.Context, now time.Time, f func(st *step) error) error {
	var st *step
	if err := e.Store.Tx(ctx, func(tx *sql.Tx) error {
		st = &step{tx: e.Store.InTx(tx), now: now}
		return f(st)
	}); err != nil {
		return err
	}
	for _, h := range st.after {
		h()
	}
	if st.queued > 0 {
		e.Kick()
	}
	return nil
}

// outcome is what routing decided about one message.
type outcome struct {
	kind    string // invitation | reply | command | auto_reply | bounce | own | unknown | ...
	roundID string
	disp    store.Disposition
	note    string
}

// messageKey identifies a message for dedupe: its Message-ID, or a hash of its
// bytes when it has none.
func messageKey(m *mimeparse.Message, raw []byte) string {
	if m != nil && m.MessageID != "" {
		return m.MessageID
	}
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func firstFrom(m *mimeparse.Message) string {
	if m == nil || len(m.From) == 0 {
		return ""
	}
	return m.From[0].Address
}

// messageID returns a new Message-ID on the coalition's domain (package token).
func (e *Engine) messageID(kind, tok string) (string, error) {
	return token.MessageID(kind, tok, e.Cfg.Domain())
}

// mail is what the engine asks to send; queue turns it into an outbox row.
type mail struct {
	roundID   string
	kind      store.MailKind
	token     string // the member conversation this mail belongs to, if any
	lang      string
	to, cc    []sender.Address
	replyTo   string
	subject   string
	text      string
	html      string // the HTML of a rendered template (render.Mail); else made from text
	inReplyTo string
	refs      []string
	atts      []store.AttachmentRef
	messageID string // optional: a fixed Message-ID
	headers   map[string]string
}

// queue writes one outgoing message to the outbox inside the step's transaction.
func (e *Engine) queue(ctx context.Context, st *step, m mail) (string, error) {
	if len(m.to) == 0 {
		return "", nil
	}
	id := m.messageID
	if id == "" {
		var err error
		if id, err = e.messageID(m.kind.String(), m.token); err != nil {
			return "", err
		}
	}
	out := store.Mail{
		MessageID:   id,
		Date:        st.now,
		From:        store.MailAddress{Name: e.Cfg.Coalition.Name, Addr: e.Cfg.Coalition.Address},
		To:          mailAddresses(m.to),
		Cc:          mailAddresses(m.cc),
		Subject:     m.subject,
		Text:        m.text,
		Lang:        m.lang,
		InReplyTo:   m.inReplyTo,
		References:  m.refs,
		Attachments: m.atts,
		Headers:     m.headers,
	}
	if m.replyTo != "" {
		out.ReplyTo = &store.MailAddress{Name: e.Cfg.Coalition.Name, Addr: m.replyTo}
	}
	if e.Cfg.SMTP.ProofCopy {
		// The copy in the coalition's mailbox proves the delivery after a crash.
		out.Bcc = []store.MailAddress{{Addr: e.Cfg.Coalition.Address}}
	}
	if l := e.Render.Language(m.lang); l.Dir == lang.RTL {
		out.HTML = m.html
		if out.HTML == "" {
			out.HTML = render.HTML(l, m.text)
		}
	}
	payload, err := out.Encode()
	if err != nil {
		return "", err
	}
	var rcpts []string
	for _, a := range append(append([]sender.Address{}, m.to...), m.cc...) {
		rcpts = append(rcpts, a.Addr)
	}
	if err := store.Enqueue(ctx, st.tx, &store.OutboxRow{MessageID: id, RoundID: m.roundID, Kind: m.kind,
		Recipients: rcpts, Payload: payload, DueAt: st.now, CreatedAt: st.now}); err != nil {
		return "", err
	}
	st.queued++
	return id, nil
}

func mailAddresses(as []sender.Address) []store.MailAddress {
	var out []store.MailAddress
	for _, a := range as {
		out = append(out, store.MailAddress{Name: a.Name, Addr: a.Addr})
	}
	return out
}

// coordinators returns every coordinator as a recipient list.
func (e *Engine) coordinators() []sender.Address {
	var out []sender.Address
	for _, c := range e.Cfg.Coordinators {
		out = append(out, sender.Address{Name: c.Name, Addr: c.Email})
	}
	return out
}

// note is a short English message to coordinators, rendered from
// templates/en/notice.tmpl.
type note struct {
	kind      store.MailKind   // "" means notice
	to        []sender.Address // nil means every coordinator
	roundID   string
	title     string
	text      string
	lines     []string
	inReplyTo string   // the message this answers, if any
	refs      []string // nil means just inReplyTo
}

// tell queues a note.
func (e *Engine) tell(ctx context.Context, st *step, n note) error {
	subj, body, err := e.Render.Render("en", render.Notice{
		RoundID: n.roundID, Title: n.title, Text: n.text, Lines: n.lines, Coalition: e.Cfg.Coalition.Name})
	if err != nil {
		return err
	}
	if n.kind == "" {
		n.kind = store.MailNotice
	}
	if n.to == nil {
		n.to = e.coordinators()
	}
	if n.refs == nil && n.inReplyTo != "" {
		n.refs = []string{n.inReplyTo}
	}
	_, err = e.queue(ctx, st, mail{roundID: n.roundID, kind: n.kind, lang: "en", to: n.to, subject: subj, text: body,
		inReplyTo: n.inReplyTo, refs: n.refs})
	return err
}

// notice tells every coordinator.
func (e *Engine) notice(ctx context.Context, st *step, roundID, title, text string, lines []string, inReplyTo string) error {
	return e.tell(ctx, st, note{roundID: roundID, title: title, text: text, lines: lines, inReplyTo: inReplyTo})
}

func addresses(emails []string) []sender.Address {
	var out []sender.Address
	for _, e := range emails {
		out = append(out, sender.Address{Addr: e})
	}
	return out
}

func event(ctx context.Context, st *step, roundID, format string, args ...any) error {
	return store.Event(ctx, st.tx, roundID, st.now, fmt.Sprintf(format, args...))
}

// render renders d in code, with the HTML only for a right-to-left language:
// only such a mail keeps it (queue), and writing it for the others was half
// of rendering a round's opening and a fifth of handling a reply.
func (e *Engine) render(code string, d render.Data) (render.Mail, error) {
	if e.Render.Language(code).Dir == lang.RTL {
		return e.Render.Mail(code, d)
	}
	return e.Render.MailText(code, d)
}

// prepared is what handling a message needs that depends on the message
// alone: its parse and, for one that carries a reply token, the answer in
// it. They are most of a reply's cost and touch no state, so a batch
// prepares the next messages on the other core while one is handled in the
// transaction (prepareAhead).
type prepared struct {
	done bool // false: nothing was prepared, handleOne parses
	m    *mimeparse.Message
	perr error
	ans  *answer.Answer // nil: read when needed (readAnswer)
}

// aheadMessages bounds how many prepared messages wait for the transaction.
const aheadMessages = 8

func (e *Engine) prepare(raw []byte) (p prepared) {
	defer func() {
		if recover() != nil {
			// handleOne parses it again, inside the watcher's recover, which
			// sends the message to review.
			p = prepared{}
		}
	}()
	m, perr := mimeparse.ParseWith(raw, e.parseOptions())
	p = prepared{done: true, m: m, perr: perr}
	if m != nil && e.findToken(m) != "" {
		a := e.reader().Read(m)
		p.ans = &a
	}
	return p
}

// prepareAhead prepares ins in order in a goroutine, at most aheadMessages
// ahead of the one being handled: take waits for the next message's (each
// is taken once, in order); stop ends the goroutine.
func (e *Engine) prepareAhead(ins []Incoming) (take func() prepared, stop func()) {
	if len(ins) < 2 {
		return func() prepared { return prepared{} }, func() {}
	}
	next := make(chan prepared, aheadMessages)
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for _, in := range ins {
			select {
			case next <- e.prepare(in.Raw):
			case <-quit:
				return
			}
		}
	}()
	stop = func() {
		close(quit)
		<-finished
	}
	return func() prepared { return <-next }, stop
}

// readAnswer is the answer in m: the one read ahead, or read now.
func (e *Engine) readAnswer(st *step, m *mimeparse.Message) answer.Answer {
	if st.pre.ans != nil && st.pre.m == m {
		return *st.pre.ans
	}
	return e.reader().Read(m)
}
