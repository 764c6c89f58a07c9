package mailbox

import (
	"context"
	"errors"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// Find reports whether a message with this Message-ID (without <>) is in the
// watched folder, Processed, Needs-Review or (when set) the Junk folder. The sender asks it after a
// crash: the coalition's own copy of a message is the proof that the SMTP
// server took it. It uses a connection of its own, read-only (EXAMINE), so it
// never disturbs the watcher's session.
func (w *Watcher) Find(ctx context.Context, messageID string) (bool, error) {
	s, closeSession, err := w.connectLoggedIn(ctx)
	if err != nil {
		return false, err
	}
	defer closeSession()
	cfg := w.cfg
	id := "<" + strings.Trim(strings.TrimSpace(messageID), "<>") + ">"
	folders := []string{cfg.Inbox, cfg.Processed, cfg.Review}
	if cfg.Junk != "" {
		folders = append(folders, cfg.Junk)
	}
	for _, folder := range folders {
		var found bool
		err := s.do("look for a message in "+folder, func() error {
			if _, err := s.c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
				var imapErr *imap.Error
				if errors.As(err, &imapErr) {
					return nil // no such folder (yet): nothing in it
				}
				return err
			}
			res, err := s.c.UIDSearch(&imap.SearchCriteria{
				Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: id}},
			}, nil).Wait()
			if err != nil {
				return err
			}
			found = len(res.AllUIDs()) > 0
			return nil
		})
		if err != nil {
			return false, err
		}
		if found {
			return true, nil
		}
	}
	_ = s.c.Logout().Wait()
	return false, nil
}
