package round

import (
	"fmt"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"consultd/internal/demo/story"
	"consultd/internal/store"
)

// BenchmarkHandleReplies handles batches of 500 replies, as the watcher
// hands them to the engine, in rounds of 500 and 15,000 members under the
// daemon's default soft memory limit (40 MB): the cost of a reply must not
// grow with the round (issue 10's drain rows).
func BenchmarkHandleReplies(b *testing.B) {
	for _, n := range []int{500, 15000} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			old := debug.SetMemoryLimit(40 << 20)
			defer debug.SetMemoryLimit(old)
			head, _, _ := strings.Cut(strings.Replace(testConfig, "POLICY_APPROVAL", "false", 1), "members:\n")
			_, policy, _ := strings.Cut(testConfig, "language: ar}\n")
			var y strings.Builder
			y.WriteString(head + "members:\n")
			for i := range n {
				fmt.Fprintf(&y, "  - {id: m%d, name: \"Member Organisation %d\", emails: [info@m%d.example], language: en}\n", i, i, i)
			}
			y.WriteString(strings.Replace(policy, "POLICY_APPROVAL", "false", 1))
			h := newHarnessConfig(b, y.String())
			r, cons := h.open() // read for the subject only: it holds at most 10,000
			parts, err := store.Participants(h.ctx, h.e.Store.DB(), r.ID)
			if err != nil || len(parts) != n {
				b.Fatalf("%d participants, %v", len(parts), err)
			}
			subject := ""
			for _, c := range cons {
				subject = c.Subject
				break
			}
			const batch = 500
			seq := 0
			for b.Loop() {
				// A member answers again in a later hour: the reaction limits
				// (per sender and hour) must not spare the 500-member round
				// the receipts the 15,000-member one sends.
				h.now = h.now.Add(2 * time.Hour)
				ins := make([]Incoming, batch)
				for i := range ins {
					p := parts[seq%(n-1)] // the last never answers: the round stays open
					seq++
					c := story.Consultation{MessageID: p.ConsultMessageID, Subject: subject,
						ReplyTo: "coalition+" + p.Token + "@coal.example"}
					text := [...]string{"We accept.\n\nSign: yes", "We decline to attend.\n\nSign: no"}[seq%2]
					uid++
					ins[i] = Incoming{Raw: answerMail(c, p.Emails[0], text, seq), Mailbox: "INBOX", UIDValidity: 1, UID: uid}
				}
				if _, err := h.e.HandleBatch(h.ctx, ins); err != nil {
					b.Fatal(err)
				}
			}
			var receipts int
			if err := h.e.Store.DB().QueryRow(`SELECT COUNT(*) FROM outbox WHERE kind='receipt'`).Scan(&receipts); err != nil || receipts < seq {
				b.Fatalf("%d receipts queued for %d answers (%v): the replies were not all read as answers", receipts, seq, err)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*batch), "µs/reply")
		})
	}
}
