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

func (p *Prepared) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.m[q]; ok {
		return st, nil
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
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// QueryContext implements Querier.
func (p *Prepared) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := p.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext implements Querier; a failed prepare is the row's error.
func (p *Prepared) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := p.stmt(ctx, q)
	if err != nil {
		// database/sql has no Row carrying an error of ours: a query that
		// cannot be prepared fails the same way through the pool.
		return p.db.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (p *Prepared) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, st := range p.m {
		st.Close()
	}
	p.m = nil
}
