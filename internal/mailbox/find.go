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
		folders = append(folders, s.junkFolder(cfg.Junk))
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

// junkFolder is the server's own spam folder when it names one with the
// \Junk attribute (RFC 6154): providers translate it ("Junk Email",
// "Courrier indésirable", "[Gmail]/Spam" in each language), so the
// configured name is only the fallback.
func (s *session) junkFolder(configured string) string {
	name := configured
	_ = s.do("list the junk folder", func() error {
		if caps := s.c.Caps(); !caps.Has(imap.CapSpecialUse) && !caps.Has(imap.CapIMAP4rev2) {
			return nil
		}
		list, err := s.c.List("", "*", &imap.ListOptions{ReturnSpecialUse: true}).Collect()
		for _, m := range list {
			for _, a := range m.Attrs {
				if a == imap.MailboxAttrJunk {
					name = m.Mailbox
					return nil
				}
			}
		}
		return err
	})
	return name
}
