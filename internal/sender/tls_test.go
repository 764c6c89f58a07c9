package sender

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// tlsServer is a submission server that offers AUTH only over TLS, like a
// real provider. It listens on 127.0.0.2, which go-mail does not treat as
// "localhost", so a PLAIN login only works if TLS is really in use.
type tlsServer struct {
	mechs  []string // "" => PLAIN
	mu     sync.Mutex
	authed []string
	got    int
}

func (b *tlsServer) NewSession(*smtp.Conn) (smtp.Session, error) { return &tlsSession{b: b}, nil }

type tlsSession struct{ b *tlsServer }

func (s *tlsSession) AuthMechanisms() []string {
	if s.b.mechs != nil {
		return s.b.mechs
	}
	return []string{sasl.Plain}
}

func (s *tlsSession) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if pass != coordPass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		s.b.mu.Lock()
		s.b.authed = append(s.b.authed, user)
		s.b.mu.Unlock()
		return nil
	}
	if mech == sasl.Login {
		return &loginServer{check: check}, nil
	}
	return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
}

// loginServer is the server side of AUTH LOGIN (Microsoft 365 offers only
// LOGIN and XOAUTH2); go-sasl has no LOGIN server.
type loginServer struct {
	check func(user, pass string) error
	step  int
	user  string
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		if resp != nil { // initial response carries the user name
			l.user = string(resp)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(resp)
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.user, string(resp))
	}
}
func (s *tlsSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *tlsSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *tlsSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	s.b.mu.Lock()
	s.b.got++
	s.b.mu.Unlock()
	return err
}
func (s *tlsSession) Reset()        {}
func (s *tlsSession) Logout() error { return nil }

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtp.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.2")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestSendOverTLS(t *testing.T) {
	cert := selfSigned(t)
	tlsConf := &tls.Config{Certificates: []tls.Certificate{cert}}
	for _, tc := range []struct {
		name     string
		security string
		mechs    []string
		listen   func() (net.Listener, error)
	}{
		{"implicit TLS (port 465 style)", "tls", nil, func() (net.Listener, error) { return tls.Listen("tcp", "127.0.0.2:0", tlsConf) }},
		{"STARTTLS (port 587 style)", "starttls", nil, func() (net.Listener, error) { return net.Listen("tcp", "127.0.0.2:0") }},
		{"STARTTLS with AUTH LOGIN only (Microsoft 365 style)", "starttls", []string{sasl.Login, "XOAUTH2"},
			func() (net.Listener, error) { return net.Listen("tcp", "127.0.0.2:0") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := tc.listen()
			if err != nil {
				t.Skipf("cannot listen on 127.0.0.2: %v", err)
			}
			b := &tlsServer{mechs: tc.mechs}
			srv := smtp.NewServer(b)
			srv.Domain = "smtp.test"
			srv.ErrorLog = log.New(io.Discard, "", 0) // the refused certificate is expected
			srv.TLSConfig = tlsConf                   // enables STARTTLS on the plain listener; AUTH only after TLS
			go srv.Serve(ln)
			t.Cleanup(func() { srv.Close() })

			host, port, _ := net.SplitHostPort(ln.Addr().String())
			p, _ := strconv.Atoi(port)
			cfg := Config{Host: host, Port: p, Security: tc.security, Username: coalition, Password: coordPass,
				InsecureSkipVerify: true, Timeout: 5 * time.Second}
			if _, err := New(cfg).Send(context.Background(), consultation()); err != nil {
				t.Fatalf("Send: %v", err)
			}
			cfg.InsecureSkipVerify = false
			_, err = New(cfg).Send(context.Background(), consultation())
			if err == nil || IsPermanent(err) {
				t.Errorf("an untrusted certificate gave err = %v, want a temporary error", err)
			}
			b.mu.Lock()
			defer b.mu.Unlock()
			if b.got != 1 || len(b.authed) != 1 || b.authed[0] != coalition {
				t.Errorf("server got %d messages, logins %v; want 1 message after one login", b.got, b.authed)
			}
		})
	}
}
