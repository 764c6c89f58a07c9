package itest

import (
	"context"
	"testing"

	"consultd/internal/mailbox"
	"consultd/internal/mailstack"
)

// The provider's spam folder is found by its \Junk attribute (RFC 6154),
// whatever its name in the mailbox's language: Dovecot calls it Junk while
// the configuration says Microsoft's "Junk Email", and a proof copy filed
// there still proves its delivery.
func TestFindLooksInTheServersJunkFolderWhateverItsName(t *testing.T) {
	ms := mailstack.Start(t)
	user, userPass := ms.NewUser(t, "junk")
	ms.Append(t, user, userPass, "Junk", []byte("From: <"+user+">\r\nMessage-ID: <c-spam@junk.test>\r\nSubject: x\r\n\r\nbody\r\n"))
	w := mailbox.New(mailbox.Config{Addr: ms.IMAPAddr, Security: "none", Username: user, Password: userPass,
		Junk: "Junk Email"}, nil, mailbox.NewMemCheckpoint())
	got, err := w.Find(context.Background(), "c-spam@junk.test")
	if err != nil || !got {
		t.Fatalf("Find = %v, %v; want the copy found in the \\Junk folder", got, err)
	}
}
