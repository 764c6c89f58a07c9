package itest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"consultd/internal/mailstack"
	"consultd/internal/store"
	"consultd/internal/testutil"
)

// floodRSSLimit is the peak resident memory consultd may reach under the flood.
const floodRSSLimit = 64 << 20

// TestFloodOfHostileMailStaysWithinMemoryAndLosesNothing appends thousands of
// malformed and huge messages straight into the coalition's INBOX (and sends a
// few through Postfix), runs consultd in its own process, and checks that the
// inbox empties, that every message is in Processed or Needs-Review, byte for
// byte, that each was logged, and that consultd's peak RSS stayed under 64 MiB.
// Then a coordinator's forward with a 5 MB PDF still opens a round with its
// attachment (its memory is reported, not bounded: the outbox still holds one
// copy of an invitation's attachments per member). CONSULTD_FLOOD_N sets the
// number of messages (default 2000; the target is 10000).
func TestFloodOfHostileMailStaysWithinMemoryAndLosesNothing(t *testing.T) {
	ms := mailstack.Start(t)
	n := 2000
	if s := os.Getenv("CONSULTD_FLOOD_N"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < len(floodShapes) {
			t.Fatalf("CONSULTD_FLOOD_N=%q: want a number of at least %d", s, len(floodShapes))
		}
		n = v
	}
	w := newWorld(t, ms, []string{"Baytna Syria", "The Day After (TDA)"}, nil, "")
	// The folders are compared with the INBOX message for message, so
	// consultd's own copies of its notes (proof of delivery) stay out.
	w.setSMTP(ms.SMTPAddr, ", proof_copy: false")
	w.trustCoordinator() // the PDF forward at the end is proven by the server's header
	c := floodClient(t, ms.IMAPAddr, w.coalition)

	// The hostile messages, straight into the INBOX.
	rng := rand.New(rand.NewPCG(7, uint64(n)))
	appended := 0
	bigs := 0
	for i := 0; appended < n-len(floodSMTPShapes); i++ {
		shape := floodShapes[i%len(floodShapes)]
		if shape.big {
			// A few of each huge shape: enough to show the peak, not so
			// many that appending them dominates the run.
			if bigs >= 2*floodBigShapes() {
				continue
			}
			bigs++
		}
		floodAppend(t, c, "INBOX", shape.make(w, rng, i))
		appended++
	}
	// A few through Postfix, as a stranger's mail would arrive.
	for i, shape := range floodSMTPShapes {
		w.send("stranger@"+w.prefix+".other.test", []string{w.coalition}, shape(w, rng, i))
	}
	if !testutil.WaitFor(3*time.Minute, func() bool { return floodStatus(t, c, "INBOX") >= uint32(n) }) {
		t.Fatalf("Postfix did not deliver the last %d messages within 3 minutes", uint32(n)-floodStatus(t, c, "INBOX"))
	}
	before := floodSizes(t, c, "INBOX")
	if len(before) != n {
		t.Fatalf("INBOX holds %d messages before consultd starts, want %d", len(before), n)
	}

	start := time.Now()
	child, logPath := startConsultdProcess(t, w.cfgPath)
	var left uint32
	emptied := testutil.WaitFor(15*time.Minute, func() bool {
		left = floodStatus(t, c, "INBOX")
		if left != 0 && child.exited() {
			t.Fatalf("consultd exited while %d messages were left in the INBOX\n%s", left, tail(logPath, 40))
		}
		return left == 0
	})
	if !emptied {
		t.Fatalf("%d messages still in the INBOX after 15 minutes\n%s", left, tail(logPath, 40))
	}
	elapsed := time.Since(start)
	peak := vmHWM(child.cmd.Process.Pid)

	after := append(floodSizes(t, c, "Processed"), floodSizes(t, c, "Needs-Review")...)
	slices.Sort(before)
	slices.Sort(after)
	if !slices.Equal(before, after) {
		t.Errorf("the %d messages in Processed and Needs-Review are not the %d that were in the INBOX (sizes differ)", len(after), len(before))
	}
	if rs := w.rounds(); len(rs) != 0 {
		t.Errorf("the flood opened %d round(s)", len(rs))
	}

	// Legitimate big mail still works: the forward opens its round,
	// attachment included, and the members get it.
	pdf := fakePDF(rng, 5<<20)
	w.send(w.coord, []string{w.coalition}, w.vouch(forwardWithPDF(w, pdf)))
	for _, m := range w.members {
		w.inbox(m.emails[0], "INBOX", "[Consultation ", 1)
	}
	withPDF := child.stop(t)
	logText, _ := os.ReadFile(logPath)
	if keep := os.Getenv("CONSULTD_FLOOD_LOG"); keep != "" {
		_ = os.WriteFile(keep, logText, 0o600) // for a closer look (e.g. with GODEBUG=gctrace=1)
	}
	handled := bytes.Count(logText, []byte("imap watcher: message handled")) +
		bytes.Count(logText, []byte("imap watcher: message too large to read"))
	if handled != n+1 {
		t.Errorf("consultd logged %d messages as handled or too large, want %d", handled, n+1)
	}
	if bytes.Contains(logText, []byte(pass)) {
		t.Errorf("the IMAP password appears in consultd's log")
	}
	if bytes.Contains(logText, []byte("panic")) {
		t.Errorf("consultd's log mentions a panic:\n%s", grepLines(logText, "panic", 5))
	}
	rs := w.rounds()
	if len(rs) != 1 {
		t.Errorf("want exactly the one round of the coordinator's forward, got %d\n%s", len(rs), grepLines(logText, "invitation", 10))
	} else {
		st, err := store.Open(context.Background(), filepath.Join(w.dir, "consultd.db"))
		if err != nil {
			t.Fatal(err)
		}
		atts, err := store.Attachments(context.Background(), st.DB(), rs[0].ID)
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(atts) != 1 || atts[0].Filename != "programme.pdf" || !bytes.Equal(atts[0].Data, pdf) {
			t.Errorf("the round's attachments are %d, want programme.pdf byte for byte", len(atts))
		}
	}
	fmt.Printf("flood: %d messages, peak RSS %.1f MiB, %.0f s\n", n, float64(peak)/(1<<20), elapsed.Seconds())
	fmt.Printf("flood: then a 5 MB PDF forward to %d members, peak RSS %.1f MiB\n", len(w.members), float64(withPDF)/(1<<20))
	if peak == 0 || peak > floodRSSLimit {
		t.Errorf("consultd's peak RSS was %.1f MiB, above %d MiB", float64(peak)/(1<<20), floodRSSLimit>>20)
	}
	if t.Failed() {
		t.Logf("consultd log (warnings and errors, first 40):\n%s", grepLines(logText, "level=WARN", 40)+grepLines(logText, "level=ERROR", 40))
	}
}

type floodChild struct {
	cmd     *exec.Cmd
	done    chan struct{}
	started time.Time // just before the process was started (after the build)
}

// startConsultdProcess builds the consultd binary and runs `consultd run`
// with cfgPath, its log in a file, so that its memory is measured alone.
func startConsultdProcess(t *testing.T, cfgPath string) (*floodChild, string) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "consultd")
	goTool, err := exec.LookPath("go")
	if err != nil && os.Getenv("GOROOT") != "" {
		goTool, err = filepath.Join(os.Getenv("GOROOT"), "bin", "go"), nil
	}
	if err != nil {
		t.Fatalf("the flood test builds consultd and needs the go command on PATH: %v", err)
	}
	if out, err := exec.Command(goTool, "build", "-o", bin, "consultd/cmd/consultd").CombinedOutput(); err != nil {
		t.Fatalf("go build consultd: %v\n%s", err, out)
	}
	logPath := filepath.Join(dir, "consultd.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	started := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := &floodChild{cmd: cmd, done: make(chan struct{}), started: started}
	go func() { _ = cmd.Wait(); logFile.Close(); close(ch.done) }()
	t.Cleanup(func() {
		if !ch.exited() {
			_ = cmd.Process.Kill()
			<-ch.done
		}
	})
	return ch, logPath
}

func (c *floodChild) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop ends consultd as SIGTERM would and returns its peak RSS in bytes,
// the kernel's high-water mark (VmHWM) read just before the signal.
// getrusage's ru_maxrss would not do: it counts the test process's memory
// that the child shared between fork and exec.
func (c *floodChild) stop(t *testing.T) int64 {
	t.Helper()
	hwm := vmHWM(c.cmd.Process.Pid)
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(time.Minute):
		_ = c.cmd.Process.Kill()
		<-c.done
		t.Errorf("consultd did not stop within a minute of SIGTERM")
	}
	if !c.cmd.ProcessState.Success() {
		t.Errorf("consultd exited with %v", c.cmd.ProcessState)
	}
	if hwm == 0 {
		t.Fatalf("could not read consultd's VmHWM from /proc")
	}
	return hwm
}

func vmHWM(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func floodClient(t *testing.T, addr, user string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

func floodAppend(t *testing.T, c *imapclient.Client, mailbox string, raw []byte) {
	t.Helper()
	cmd := c.Append(mailbox, int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		t.Fatalf("append: %v", err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatalf("append: %v", err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("append of a %d-byte message refused: %v", len(raw), err)
	}
}

func floodStatus(t *testing.T, c *imapclient.Client, mailbox string) uint32 {
	t.Helper()
	st, err := c.Status(mailbox, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		t.Fatalf("status %s: %v", mailbox, err)
	}
	return *st.NumMessages
}

// floodSizes lists the RFC822.SIZE of every message in mailbox: moving
// keeps the bytes, so equal multisets before and after mean nothing was lost
// or altered.
func floodSizes(t *testing.T, c *imapclient.Client, mailbox string) []int64 {
	t.Helper()
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("select %s: %v", mailbox, err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	msgs, err := c.Fetch(all, &imap.FetchOptions{RFC822Size: true}).Collect()
	if err != nil {
		t.Fatalf("fetch sizes in %s: %v", mailbox, err)
	}
	out := make([]int64, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, m.RFC822Size)
	}
	if err := c.Unselect().Wait(); err != nil {
		t.Fatalf("unselect %s: %v", mailbox, err)
	}
	return out
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func grepLines(b []byte, substr string, n int) string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, substr) && len(out) < n {
			out = append(out, truncLine(l, 400))
		}
	}
	return strings.Join(out, "\n") + "\n"
}

func truncLine(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// The hostile shapes. Each takes the world, a random source and an index (to
// make every message distinct).
type floodShape struct {
	name string
	big  bool
	make func(w *world, rng *rand.Rand, i int) []byte
}

func floodBigShapes() int {
	k := 0
	for _, s := range floodShapes {
		if s.big {
			k++
		}
	}
	return k
}

func hdr(w *world, i int, extra string) string {
	return fmt.Sprintf("From: Someone <s%d@%s.other.test>\r\nTo: <%s>\r\nSubject: flood %d\r\nMessage-ID: <flood-%d@%s.other.test>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n%s",
		i, w.prefix, w.coalition, i, i, w.prefix, extra)
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func b64Lines(data []byte) string {
	s := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	b.Grow(len(s) + len(s)/76*2 + 2)
	for len(s) > 76 {
		b.WriteString(s[:76])
		b.WriteString("\r\n")
		s = s[76:]
	}
	b.WriteString(s + "\r\n")
	return b.String()
}

var floodShapes = []floodShape{
	{name: "truncated header", make: func(w *world, _ *rand.Rand, i int) []byte {
		h := hdr(w, i, "Content-Type: multipart/mixed; bound")
		return []byte(h[:len(h)-(i%20)])
	}},
	{name: "binary garbage", make: func(_ *world, rng *rand.Rand, i int) []byte {
		b := randBytes(rng, 1000+i%7000)
		return bytes.ReplaceAll(b, []byte{0}, []byte{1}) // IMAP literals carry no NUL
	}},
	{name: "no header at all", make: func(_ *world, _ *rand.Rand, i int) []byte {
		return fmt.Appendf(nil, "hello, this message has no header %d\r\nand a second line\r\n", i)
	}},
	{name: "50-deep message/rfc822", make: func(w *world, rng *rand.Rand, i int) []byte {
		inner := []byte(hdr(w, i, "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n") + b64Lines(randBytes(rng, 64<<10)))
		for d := range 50 {
			inner = append([]byte(fmt.Sprintf("From: <l%d@x.test>\r\nSubject: level %d\r\nContent-Type: message/rfc822\r\n\r\n", d, d)), inner...)
		}
		return append([]byte(hdr(w, i, "Content-Type: message/rfc822\r\n\r\n")), inner...)
	}},
	{name: "50-deep multipart", make: func(w *world, _ *rand.Rand, i int) []byte {
		var b strings.Builder
		b.WriteString(hdr(w, i, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n"))
		for d := 1; d <= 50; d++ {
			fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n", d-1, d)
		}
		b.WriteString("--b50\r\nContent-Type: text/plain\r\n\r\ndeep\r\n")
		for d := 50; d >= 0; d-- {
			fmt.Fprintf(&b, "--b%d--\r\n", d)
		}
		return []byte(b.String())
	}},
	{name: "1 MB header line", make: func(w *world, _ *rand.Rand, i int) []byte {
		return []byte(hdr(w, i, "X-Long: "+strings.Repeat("a", 1<<20)+"\r\n\r\nbody\r\n"))
	}},
	{name: "1 MB To: list", make: func(w *world, _ *rand.Rand, i int) []byte {
		var b strings.Builder
		for b.Len() < 1<<20 {
			fmt.Fprintf(&b, "r%d@x.test, ", b.Len())
		}
		return []byte(strings.Replace(hdr(w, i, "\r\nbody\r\n"), "To: <", "To: "+b.String()+"<", 1))
	}},
	{name: "broken boundary", make: func(w *world, _ *rand.Rand, i int) []byte {
		return []byte(hdr(w, i, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"declared\"\r\n\r\n"+
			"--other\r\nContent-Type: text/plain\r\n\r\nhello\r\n--other\r\nContent-Type: text/html\r\n\r\n<p>unterminated"))
	}},
	{name: "wrong charsets", make: func(w *world, _ *rand.Rand, i int) []byte {
		return []byte(hdr(w, i, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=x-unknown-42\r\n"+
			"X-Subject: =?utf-7?B?K0FHRS0=?= =?bogus?Q?=E9t=E9?=\r\n\r\ncaf\xe9 \xff\xfe\x00\r\n"))
	}},
	{name: "thousands of parts", make: func(w *world, _ *rand.Rand, i int) []byte {
		var b strings.Builder
		b.WriteString(hdr(w, i, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"p\"\r\n\r\n"))
		for range 3000 {
			b.WriteString("--p\r\nContent-Type: text/plain\r\n\r\nx\r\n")
		}
		b.WriteString("--p--\r\n")
		return []byte(b.String())
	}},
	{name: "1 MB body line", make: func(w *world, _ *rand.Rand, i int) []byte {
		return []byte(hdr(w, i, "Content-Type: text/html\r\n\r\n"+strings.Repeat("<div>", 200_000)))
	}},
	{name: "20 MB base64 attachment", big: true, make: func(w *world, rng *rand.Rand, i int) []byte {
		return []byte(hdr(w, i, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"z\"\r\n\r\n--z\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"+
			"--z\r\nContent-Type: application/octet-stream; name=\"big.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n") +
			b64Lines(randBytes(rng, 15<<20)) + "--z--\r\n")
	}},
	{name: "20 MB base64 text body in a coordinator's name", big: true, make: func(w *world, rng *rand.Rand, i int) []byte {
		text := bytes.Repeat([]byte("We decline. "), (15<<20)/12)
		return []byte(strings.Replace(hdr(w, i, "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"),
			fmt.Sprintf("Someone <s%d@%s.other.test>", i, w.prefix), "Rania <"+w.coord+">", 1) + b64Lines(text))
	}},
	{name: "message/rfc822 nested around 6 MB", big: true, make: func(w *world, rng *rand.Rand, i int) []byte {
		inner := []byte(hdr(w, i, "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n") + b64Lines(randBytes(rng, 6<<20)))
		for d := range 12 {
			inner = append([]byte(fmt.Sprintf("From: <l%d@x.test>\r\nSubject: level %d\r\nContent-Type: message/rfc822\r\n\r\n", d, d)), inner...)
		}
		return append([]byte(hdr(w, i, "Content-Type: message/rfc822\r\n\r\n")), inner...)
	}},
	{name: "larger than imap.max_message_size", big: true, make: func(w *world, rng *rand.Rand, i int) []byte {
		return []byte(hdr(w, i, "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n") + b64Lines(randBytes(rng, 20<<20)))
	}},
}

// floodSMTPShapes go through Postfix.
var floodSMTPShapes = []func(w *world, rng *rand.Rand, i int) []byte{
	func(w *world, _ *rand.Rand, i int) []byte {
		return []byte(hdr(w, 100000+i, "Content-Type: multipart/alternative; boundary=\"q\"; foo\r\n\r\n--q\r\nbroken"))
	},
	func(w *world, _ *rand.Rand, i int) []byte {
		return []byte(hdr(w, 100000+i, "Subject: =?iso-8859-6?B?////?=\r\nContent-Type: text/plain; charset=windows-1256\r\n\r\n\xc7\xe1\xd3\xe1\xc7\xe3\r\n"))
	},
	func(w *world, rng *rand.Rand, i int) []byte {
		return []byte(hdr(w, 100000+i, "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n") + b64Lines(randBytes(rng, 2<<20)))
	},
}

func fakePDF(rng *rand.Rand, n int) []byte {
	return append([]byte("%PDF-1.7\n"), randBytes(rng, n)...)
}

// forwardWithPDF is the coordinator forwarding an invitation with its
// programme attached, as Gmail does.
func forwardWithPDF(w *world, pdf []byte) []byte {
	return []byte("From: Rania <" + w.coord + ">\r\nTo: <" + w.coalition + ">\r\nSubject: Fwd: Invitation to the consultation on the constitutional process\r\n" +
		"Message-ID: <fwd-pdf-" + w.prefix + "@mail.gmail.com>\r\nDate: " + time.Now().Format(time.RFC1123Z) + "\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"000fwd\"\r\n\r\n--000fwd\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\r\n" +
		"Please see the invitation below.\r\n\r\n---------- Forwarded message ---------\r\nFrom: Envoy Office <" + w.inviter + ">\r\n" +
		"Date: Mon, Nov 30, 2026 at 9:00 AM\r\nSubject: Invitation to the consultation on the constitutional process\r\nTo: <" + w.coord + ">\r\n\r\n" +
		"Dear colleagues,\r\n\r\nWe are pleased to invite your coalition to a consultation meeting on 15 December 2026 in Geneva.\r\n" +
		"The programme is attached. Kindly reply by 10 December 2026.\r\n\r\nBest regards,\r\nEnvoy Office\r\n\r\n" +
		"--000fwd\r\nContent-Type: application/pdf; name=\"programme.pdf\"\r\nContent-Disposition: attachment; filename=\"programme.pdf\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + b64Lines(pdf) + "--000fwd--\r\n")
}
