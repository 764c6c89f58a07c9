package sender

import (
	"context"
	"crypto/tls"
)

// Checked is what one SMTP session without a message showed.
type Checked struct {
	TLS *tls.ConnectionState // the verified handshake; nil without TLS
}

// Check connects, says EHLO, starts TLS and authenticates exactly as a
// delivery would, then quits without sending anything (`consultd doctor`).
// Its error is an *Error (StageConfig, StageConnect or StageAuth).
func (s *Sender) Check(ctx context.Context) (Checked, error) {
	var out Checked
	if err := s.cfg.Validate(); err != nil {
		return out, &Error{Stage: StageConfig, Err: err}
	}
	c, _, stop, err := s.dial(ctx, func(cs tls.ConnectionState) { out.TLS = &cs })
	if err != nil {
		return out, err
	}
	defer stop()
	defer c.Close()
	_ = c.UpdateDeadline(s.cfg.timeout())
	_ = c.Quit()
	return out, nil
}
