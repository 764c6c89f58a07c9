package doctor

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/emersion/go-imap/v2"

	"consultd/internal/sender"
)

type stage int

const (
	stageConnect stage = iota // dial, TLS, greeting, configuration
	stageLogin                // the server answered the login with a refusal
)

// diagnosis is one failure in words: what happened and how to fix it.
type diagnosis struct {
	stage stage
	what  string
	fix   string
}

// diagnose turns a connection or login error into a line and a fix. key is
// the configuration section ("imap" or "smtp").
func diagnose(err error, key, host, where, security string, oauth bool) diagnosis {
	msg := oneLine(err.Error())
	d := diagnosis{what: msg}
	tlsPort, startPort := "993", "143"
	if key == "smtp" {
		tlsPort, startPort = "465", "587"
	}
	var se *sender.Error
	isSMTP := errors.As(err, &se)
	var ie *imap.Error
	if (isSMTP && se.Stage == sender.StageAuth) || (!isSMTP && errors.As(err, &ie) && (strings.HasPrefix(msg, "login:") || strings.HasPrefix(msg, "authenticate:"))) {
		d.stage = stageLogin
		d.fix = loginFix(msg, key, host, oauth)
		// The server's own words are what matter: "NO [AUTHENTICATIONFAILED] …".
		for _, p := range []string{"login: ", "authenticate: ", "imap: ", "smtp auth: ", "smtp auth: dial failed: ", "SMTP AUTH failed: "} {
			d.what = strings.TrimPrefix(d.what, p)
		}
		return d
	}
	if isSMTP && se.Stage == sender.StageConfig {
		d.fix = "correct the " + key + " section of the configuration (consultd check-config shows the same)"
		return d
	}

	var hostErr x509.HostnameError
	var authErr x509.UnknownAuthorityError
	var invErr x509.CertificateInvalidError
	var dnsErr *net.DNSError
	low := strings.ToLower(msg)
	switch {
	case errors.As(err, &hostErr):
		d.what = fmt.Sprintf("the TLS certificate is for %s, not %s", strings.Join(certNames(hostErr.Certificate), ", "), host)
		d.fix = fmt.Sprintf("set %s.host to a name the certificate holds (the provider's documented host name), or fix the server's certificate", key)
	case errors.As(err, &authErr):
		d.what = "the TLS certificate is not signed by a trusted authority (self-signed?): " + authErr.Error()
		d.fix = fmt.Sprintf("give the server a certificate from a public CA (e.g. Let's Encrypt), or add its CA to this machine's trust store; "+
			"for a test server only, %s.insecure_skip_verify: true", key)
	case errors.As(err, &invErr) && invErr.Reason == x509.Expired:
		d.what = fmt.Sprintf("the TLS certificate expired on %s", invErr.Cert.NotAfter.UTC().Format("2006-01-02"))
		d.fix = "renew the certificate on the server (or check its automatic renewal, and this machine's clock)"
	case strings.Contains(low, "first record does not look like a tls handshake"):
		d.what = "the server answered in plain text, not TLS"
		d.fix = fmt.Sprintf("this port does not speak TLS at once: use %s.security: starttls (usually port %s), or the TLS port %s with security: tls", key, startPort, tlsPort)
	case strings.Contains(low, "starttls") && (strings.Contains(low, "not support") || strings.Contains(low, "not advertised") || strings.Contains(low, "unsupported")):
		d.fix = fmt.Sprintf("the server offers no STARTTLS on this port: use %s.security: tls with port %s", key, tlsPort)
	case errors.Is(err, syscall.ECONNREFUSED):
		d.what = "connection refused: nothing listens on " + where
		d.fix = fmt.Sprintf("check %s.host and %s.port (%s: usually %s with security: tls, %s with starttls), and that the server runs",
			key, key, strings.ToUpper(key), tlsPort, startPort)
	case errors.As(err, &dnsErr):
		d.what = fmt.Sprintf("the name %s does not resolve", host)
		d.fix = fmt.Sprintf("check the spelling of %s.host, and this machine's DNS", key)
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || strings.Contains(low, "no answer") || strings.Contains(low, "timeout"):
		d.what = "no answer from " + where + ": " + msg
		d.fix = fmt.Sprintf("a firewall may drop the connection, or %s.port is wrong for security: %s (%s: TLS %s, STARTTLS %s)",
			key, security, strings.ToUpper(key), tlsPort, startPort)
	case strings.Contains(low, "tls") || strings.Contains(low, "x509") || strings.Contains(low, "certificate"):
		d.fix = fmt.Sprintf("the TLS handshake failed: check %s.security and %s.port, and the server's certificate", key, key)
	default:
		d.fix = fmt.Sprintf("check %s.host, %s.port and %s.security, and the server's logs", key, key, key)
	}
	return d
}

// loginFix says what to do about a refused login, with the providers'
// known answers first (their wording, as their servers write it).
func loginFix(msg, key, host string, oauth bool) string {
	low := strings.ToLower(msg)
	if oauth {
		return "the server refused consultd's OAuth2 token: check the oauth2 block (tenant, client, the app's mailbox permission), " +
			"or run consultd login again for a stored sign-in; see README, \"When the sign-in stops working\""
	}
	h := strings.ToLower(host)
	microsoft := strings.Contains(h, "office365.com") || strings.Contains(h, "outlook.com") || strings.Contains(h, "office.com")
	switch {
	case strings.Contains(low, "smtpclientauthentication is disabled"):
		return "Microsoft 365 has SMTP AUTH turned off for this tenant or mailbox: turn it on for this mailbox only " +
			"(Set-CASMailbox -SmtpClientAuthenticationDisabled $false), or set smtp.auth: oauth2, see README#microsoft-365--google-workspace"
	case strings.Contains(low, "basic authentication is disabled") || strings.Contains(low, "basicauthblocked") ||
		(microsoft && (strings.Contains(low, "login failed") || strings.Contains(low, "authenticate failed") || strings.Contains(low, "5.7.139"))):
		return fmt.Sprintf("Microsoft 365 refused password login: set %s.auth: oauth2 with an oauth2 block (or mail_provider: microsoft365), see README#microsoft-365--google-workspace", key)
	case strings.Contains(low, "application-specific password required") || strings.Contains(low, "5.7.9"):
		return fmt.Sprintf("Google requires an app password for this account (if your administrator allows them: myaccount.google.com/apppasswords), "+
			"or set %s.auth: oauth2 (mail_provider: gmail), see README#microsoft-365--google-workspace", key)
	case strings.Contains(low, "web login required") || strings.Contains(low, "webloginrequired"):
		return "Google wants a browser sign-in first (a new or suspicious login): sign in to the account once in a browser, then use an app password or OAuth2"
	case strings.Contains(low, "neither auth plain nor login") || strings.Contains(low, "unencrypted"):
		return fmt.Sprintf("the server offers no password login on this connection: use %s.security: starttls or tls, or %s.auth: oauth2", key, key)
	case strings.Contains(low, "unavailable") || strings.Contains(low, "temporary") || strings.Contains(low, " 454 "):
		return "the server could not check the login just now (a temporary failure): run consultd doctor again in a minute"
	}
	return fmt.Sprintf("check %s.username and the password (%s.password, password_file or password_env); "+
		"the server's logs say why it refused", key, key)
}

func certNames(c *x509.Certificate) []string {
	if c == nil {
		return []string{"an unknown name"}
	}
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = []string{c.Subject.CommonName}
	}
	if len(names) == 0 {
		names = []string{"no name"}
	}
	return names
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
