package mailbox

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Conn is a logged-in IMAP connection for one-off checks (`consultd
// doctor`), made exactly as the watcher makes its own: the same dial, TLS
// settings and login.
type Conn struct {
	s     *session
	close func()
}

// Dial connects to cfg's server and logs in. Errors keep their causes
// (net, x509, *imap.Error) for errors.As.
func Dial(ctx context.Context, cfg Config) (*Conn, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler) // the caller reports; the watcher's lines would be noise
	}
	w := New(cfg, nil, nil)
	if err := w.cfg.validate(); err != nil {
		return nil, err
	}
	// The watcher's own connect-and-login (password or OAuth2 token).
	s, closeSession, err := w.connectLoggedIn(ctx)
	if err != nil {
		return nil, err
	}
	return &Conn{s: s, close: func() {
		_ = s.doWithin("logout", 5*time.Second, func() error { return s.c.Logout().Wait() })
		closeSession()
	}}, nil
}

// Close logs out and closes the connection.
func (c *Conn) Close() { c.close() }

// Client is the underlying client, for read-only commands.
func (c *Conn) Client() *imapclient.Client { return c.s.c }

// TLS is the verified TLS handshake, nil without TLS.
func (c *Conn) TLS() *tls.ConnectionState { return c.s.tlsState }

// Caps reads the capabilities after login and remembers which commands
// filing may use (MOVE, UIDPLUS).
func (c *Conn) Caps() (imap.CapSet, error) {
	var caps imap.CapSet
	err := c.s.do("capability", func() error {
		if caps = c.s.c.Caps(); caps == nil {
			return errConnClosed
		}
		return nil
	})
	c.s.hasMove = caps.Has(imap.CapMove)
	c.s.hasUIDPlus = caps.Has(imap.CapUIDPlus)
	return caps, err
}

// EnsureFolder creates name unless it exists, as the watcher does at start.
func (c *Conn) EnsureFolder(name string) (created bool, err error) {
	var exists bool
	if err := c.s.do("list "+name, func() error {
		list, err := c.s.c.List("", name, nil).Collect()
		exists = len(list) > 0
		return err
	}); err != nil {
		return false, err
	}
	if exists {
		return false, nil
	}
	return true, c.s.ensureFolder(name)
}

// FileByMessageID looks for the message with this Message-ID (without <>)
// in the watched inbox and in dest. Found in the inbox, it is moved to
// dest, never deleted (Caps must have been read). where is the folder it
// was found in, "" if in neither.
func (c *Conn) FileByMessageID(messageID, dest string) (where string, err error) {
	id := "<" + strings.Trim(strings.TrimSpace(messageID), "<>") + ">"
	for _, folder := range []string{c.s.w.cfg.Inbox, dest} {
		var uids []imap.UID
		err := c.s.do("look for a message in "+folder, func() error {
			if _, err := c.s.c.Select(folder, nil).Wait(); err != nil {
				var imapErr *imap.Error
				if errors.As(err, &imapErr) {
					return nil // no such folder: nothing in it
				}
				return err
			}
			res, err := c.s.c.UIDSearch(&imap.SearchCriteria{
				Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: id}},
			}, nil).Wait()
			if err != nil {
				return err
			}
			uids = res.AllUIDs()
			return nil
		})
		if err != nil {
			return "", err
		}
		if len(uids) == 0 {
			continue
		}
		if folder == dest {
			return dest, nil
		}
		if copied, err := c.s.move(uids, dest); !copied || err != nil {
			return folder, err
		}
		return folder, nil
	}
	return "", nil
}

// junkNames are the junk folders of common providers, for servers without
// SPECIAL-USE (RFC 6154).
var junkNames = []string{"Junk", "Junk Email", "Junk E-mail", "Spam", "[Gmail]/Spam", "INBOX.Junk", "INBOX.Spam"}

// FindInJunk looks for the message with this Message-ID in the junk
// folders (\Junk, or a usual name) without moving it; "" when not found.
func (c *Conn) FindInJunk(messageID string) (string, error) {
	var folders []string
	if err := c.s.do("list folders", func() error {
		list, err := c.s.c.List("", "*", nil).Collect()
		for _, l := range list {
			junk := slices.Contains(l.Attrs, imap.MailboxAttrJunk)
			for _, n := range junkNames {
				junk = junk || strings.EqualFold(l.Mailbox, n)
			}
			if junk {
				folders = append(folders, l.Mailbox)
			}
		}
		return err
	}); err != nil {
		return "", err
	}
	id := "<" + strings.Trim(strings.TrimSpace(messageID), "<>") + ">"
	for _, folder := range folders {
		var found bool
		if err := c.s.do("look for a message in "+folder, func() error {
			if _, err := c.s.c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
				var imapErr *imap.Error
				if errors.As(err, &imapErr) {
					return nil
				}
				return err
			}
			res, err := c.s.c.UIDSearch(&imap.SearchCriteria{
				Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: id}},
			}, nil).Wait()
			found = err == nil && len(res.AllUIDs()) > 0
			return err
		}); err != nil {
			return "", err
		}
		if found {
			return folder, nil
		}
	}
	return "", nil
}
