package mailbox

import (
	"context"
	"sync"
)

// MemCheckpoint is an in-memory Checkpoint, for tests and the demo mode.
// The daemon should persist checkpoints (see internal/store).
type MemCheckpoint struct {
	mu sync.Mutex
	m  map[string][2]uint32
}

// NewMemCheckpoint returns an empty MemCheckpoint.
func NewMemCheckpoint() *MemCheckpoint { return &MemCheckpoint{m: map[string][2]uint32{}} }

// Load implements Checkpoint.
func (c *MemCheckpoint) Load(_ context.Context, mailbox string) (uidValidity, lastUID uint32, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.m[mailbox]
	return v[0], v[1], nil
}

// Save implements Checkpoint.
func (c *MemCheckpoint) Save(_ context.Context, mailbox string, uidValidity, lastUID uint32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[mailbox] = [2]uint32{uidValidity, lastUID}
	return nil
}
