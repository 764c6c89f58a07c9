package sender

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// groupSMTP is a scripted SMTP server (rawSMTP answers one connection
// blindly) for what go-smtp's server cannot be made
// to do: leave PIPELINING out of its EHLO answer and refuse a client that
// pipelines anyway, or hold its answers until a whole command group has
// arrived (a client that waits for each answer then never gets one).
type groupSMTP struct {
	addr       string
	pipelining bool
	// refuseMail answers the nth MAIL FROM (1-based, per server) with this
	// line instead of 250; its RCPTs then get 503, as Postfix answers them.
	refuseMail map[int]string

	mu        sync.Mutex
	cmds      []string // every command line received
	delivered int
	violation string // what the client did wrong, if anything
}

func startGroupSMTP(t *testing.T, pipelining bool, rcptsPerMail int) *groupSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &groupSMTP{addr: ln.Addr().String(), pipelining: pipelining}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c, rcptsPerMail)
		}
	}()
	return s
}

func (s *groupSMTP) serve(c net.Conn, rcptsPerMail int) {
	defer c.Close()
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	say := func(lines ...string) {
		for _, l := range lines {
			w.WriteString(l + "\r\n")
		}
		w.Flush()
	}
	read := func() (string, bool) {
		l, err := r.ReadString('\n')
		if err != nil {
			return "", false
		}
		l = strings.TrimRight(l, "\r\n")
		s.mu.Lock()
		s.cmds = append(s.cmds, l)
		if !s.pipelining && r.Buffered() > 0 && s.violation == "" {
			s.violation = fmt.Sprintf("%q arrived with more commands behind it, but PIPELINING was not offered", l)
		}
		s.mu.Unlock()
		return l, true
	}
	say("220 raw.test ESMTP")
	mails := 0
	for {
		l, ok := read()
		if !ok {
			return
		}
		verb := strings.ToUpper(strings.SplitN(l, " ", 2)[0])
		switch {
		case verb == "EHLO":
			caps := []string{"250-raw.test", "250-8BITMIME"}
			if s.pipelining {
				caps = append(caps, "250-PIPELINING")
			}
			say(append(caps, "250 SIZE 30000000")...)
		case strings.HasPrefix(strings.ToUpper(l), "MAIL FROM:"):
			mails++
			s.mu.Lock()
			refusal := s.refuseMail[mails]
			s.mu.Unlock()
			answers := []string{"250 2.1.0 Ok"}
			if refusal != "" {
				answers[0] = refusal
			}
			// Pipelining: hold every answer until the group's RCPTs are in.
			for len(answers) <= rcptsPerMail && s.pipelining {
				l, ok := read()
				if !ok {
					return
				}
				if !strings.HasPrefix(strings.ToUpper(l), "RCPT TO:") {
					say("503 5.5.1 unexpected " + l)
					return
				}
				if refusal != "" {
					answers = append(answers, "503 5.5.1 Error: need MAIL command")
				} else {
					answers = append(answers, "250 2.1.5 Ok")
				}
			}
			say(answers...)
		case strings.HasPrefix(strings.ToUpper(l), "RCPT TO:"):
			say("250 2.1.5 Ok")
		case verb == "RSET":
			say("250 2.0.0 Ok")
		case verb == "DATA":
			say("354 End data with <CR><LF>.<CR><LF>")
			for {
				d, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if d == ".\r\n" {
					break
				}
			}
			s.mu.Lock()
			s.delivered++
			s.mu.Unlock()
			say("250 2.0.0 Ok: queued")
		case verb == "QUIT":
			say("221 2.0.0 Bye")
			return
		default:
			say("502 5.5.2 unknown command")
		}
	}
}

func (s *groupSMTP) state() (cmds []string, delivered int, violation string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.cmds...), s.delivered, s.violation
}

func groupSender(t *testing.T, s *groupSMTP) *Sender {
	t.Helper()
	cfg := smtpConfig(t, s.addr)
	cfg.Username, cfg.Password = "", "" // the scripted server has no AUTH
	cfg.Timeout = 3 * time.Second
	snd := New(cfg)
	t.Cleanup(func() { snd.Close() })
	return snd
}

// A server that offers PIPELINING gets MAIL FROM and the RCPTs in one go:
// this one answers only when all of them are in, so a client that waited for
// each answer would time out.
func TestMailAndRecipientsArePipelinedWhenTheServerOffersIt(t *testing.T) {
	m := consultation()
	srv := startGroupSMTP(t, true, len(m.Recipients()))
	snd := groupSender(t, srv)
	for i := range 3 {
		if _, err := snd.Send(context.Background(), m); err != nil {
			cmds, _, _ := srv.state()
			t.Fatalf("message %d: %v (server got %q)", i+1, err, cmds)
		}
	}
	cmds, delivered, _ := srv.state()
	if delivered != 3 {
		t.Errorf("%d messages delivered, want 3", delivered)
	}
	if !strings.HasPrefix(cmds[1], "MAIL FROM:<"+coalition+"> BODY=8BITMIME") {
		t.Errorf("MAIL command = %q, want the envelope sender with BODY=8BITMIME", cmds[1])
	}
}

// Without PIPELINING in the EHLO answer each command waits for its answer.
func TestCommandsGoOneByOneWithoutPipelining(t *testing.T) {
	m := consultation()
	srv := startGroupSMTP(t, false, len(m.Recipients()))
	snd := groupSender(t, srv)
	for i := range 2 {
		if _, err := snd.Send(context.Background(), m); err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
	}
	_, delivered, violation := srv.state()
	if violation != "" {
		t.Error(violation)
	}
	if delivered != 2 {
		t.Errorf("%d messages delivered, want 2", delivered)
	}
}

// A refused MAIL in a pipelined group leaves the RCPTs' answers on the
// wire; they are read, so the next transaction on the same connection reads
// its own answers and goes through.
func TestARefusedPipelinedMailLeavesTheConnectionInStep(t *testing.T) {
	m := consultation()
	srv := startGroupSMTP(t, true, len(m.Recipients()))
	srv.refuseMail = map[int]string{1: "550 5.7.1 <" + coalition + ">: sender refused"}
	snd := groupSender(t, srv)
	_, err := snd.Send(context.Background(), m)
	if !IsPermanent(err) {
		t.Fatalf("first Send = %v, want the permanent refusal of MAIL FROM", err)
	}
	if _, err := snd.Send(context.Background(), m); err != nil {
		t.Fatalf("second Send on the same connection: %v", err)
	}
	cmds, delivered, _ := srv.state()
	if delivered != 1 {
		t.Errorf("%d messages delivered, want 1", delivered)
	}
	ehlos := 0
	for _, c := range cmds {
		if strings.HasPrefix(c, "EHLO") {
			ehlos++
		}
	}
	if ehlos != 1 {
		t.Errorf("%d connections (EHLOs), want the one kept after RSET: %q", ehlos, cmds)
	}
}
