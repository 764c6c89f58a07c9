package store

import (
	"context"
	"database/sql"
	"sync"
)

// Prepared is a Querier on the database (autocommit) that prepares each
// query once and keeps it: the sender records two steps of every message
// it sends (MarkSending, MarkSent), and parsing the same UPDATE again for
// each of 15,000 consultations was a third of what recording them cost.
type Prepared struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// Prepared returns the store's statement cache (closed by Close).
func (s *Store) Prepared() *Prepared { return s.prep }

// maxPrepared bounds the cache: a query built with a varying text (an IN
// list) would otherwise add a statement each time; beyond it, queries run
// unprepared.
const maxPrepared = 256

// stmt is the prepared statement of q, or nil when the cache is full.
func (p *Prepared) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.m[q]; ok {
		return st, nil
	}
	if len(p.m) >= maxPrepared {
		return nil, nil
	}
	st, err := p.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if p.m == nil {
		p.m = map[string]*sql.Stmt{}
	}
	p.m[q] = st
	return st, nil
}

// ExecContext implements Querier.
func (p *Prepared) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := p.stmt(ctx, q)
	if err != nil || st == nil {
		return p.db.ExecContext(ctx, q, args...) // fails as the query does, or runs unprepared
	}
	return st.ExecContext(ctx, args...)
}

// QueryContext implements Querier.
func (p *Prepared) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := p.stmt(ctx, q)
	if err != nil || st == nil {
		return p.db.QueryContext(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext implements Querier.
func (p *Prepared) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := p.stmt(ctx, q)
	if err != nil || st == nil {
		// database/sql has no Row carrying an error of ours: a query that
		// cannot be prepared fails the same way unprepared.
		return p.db.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// InTx is a Querier inside tx that runs each query through the store's
// prepared statement (database/sql reuses it on the transaction's
// connection once it was prepared there): a batch of 500 replies runs the
// same dozen queries for each, and parsing them again was a tenth of what
// handling a reply cost.
func (s *Store) InTx(tx *sql.Tx) *TxQuerier {
	return &TxQuerier{Tx: tx, p: s.prep}
}

// TxQuerier is a transaction whose queries use prepared statements; Tx is
// the transaction itself, for what needs it whole.
type TxQuerier struct {
	Tx *sql.Tx
	p  *Prepared
	m  map[string]*sql.Stmt // the transaction's handles of p's statements
}

func (t *TxQuerier) stmt(ctx context.Context, q string) *sql.Stmt {
	if st, ok := t.m[q]; ok {
		return st
	}
	ps, err := t.p.stmt(ctx, q)
	if err != nil || ps == nil {
		return nil
	}
	st := t.Tx.StmtContext(ctx, ps) // closed with the transaction
	if t.m == nil {
		t.m = map[string]*sql.Stmt{}
	}
	t.m[q] = st
	return st
}

// ExecContext implements Querier.
func (t *TxQuerier) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, q, args...)
}

// QueryContext implements Querier.
func (t *TxQuerier) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, q, args...)
}

// QueryRowContext implements Querier.
func (t *TxQuerier) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := t.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, q, args...)
}

func (p *Prepared) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, st := range p.m {
		st.Close()
	}
	p.m = nil
}
