// Package automail recognises machine-generated mail: auto-replies and
// out-of-office notices (RFC 3834 and the vendor conventions) and bounces
// (RFC 3464 delivery status notifications and free-text MTA bounces), and
// extracts each failed recipient with its status and hard/soft class.
//
// Status codes and the hard/soft split follow Sisimai's conventions (the
// corpus in shared/corpus/sisimai-set-of-emails is scored against it): when a
// bounce carries no RFC 3463 code, Status is Sisimai's internal code for the
// reason (for example "5.0.911" for an unknown user, "5.0.922" for a full
// mailbox), and only permanent recipient errors (unknown user or domain,
// moved mailbox, a domain that accepts no mail) are hard.
package automail

import (
	"strings"

	"consultd/internal/mimeparse"
)

// Recipient is one recipient reported by a bounce.
type Recipient struct {
	Address    string `json:"address"`
	Action     string `json:"action"`     // failed | delayed | delivered | relayed | expanded
	Status     string `json:"status"`     // RFC 3463, e.g. "5.1.1"; "" if unknown
	ReplyCode  string `json:"reply_code"` // SMTP code, e.g. "550"
	Diagnostic string `json:"diagnostic"`
	Hard       bool   `json:"hard"` // permanent failure: the address will not work
	// Reason names the cause in Sisimai's taxonomy: userunknown, hostunknown,
	// mailboxfull, filtered, blocked, expired, ... ("" when none was found).
	Reason string `json:"reason"`
}

// Bounce is a delivery failure report.
type Bounce struct {
	Recipients        []Recipient `json:"recipients"`
	OriginalMessageID string      `json:"original_message_id"` // from the returned message or headers, without <>
}

// IsAutoReply reports whether m is an automatic reply (out-of-office, vacation,
// auto-responder) and why. Bounces are not auto-replies.
func IsAutoReply(m *mimeparse.Message) (bool, string) {
	if m == nil {
		return false, ""
	}
	v := Classify(m)
	return v.Kind == AutoReplied, v.Why
}

// ParseBounce returns the bounce report in m, or nil when m is not a bounce.
// Feedback reports (ARF) and successful-delivery DSNs are not bounces.
func ParseBounce(m *mimeparse.Message) *Bounce {
	if m == nil || IsFeedbackReport(m) {
		return nil
	}
	return safeParseBounce(m)
}

func safeParseBounce(m *mimeparse.Message) (b *Bounce) {
	defer func() {
		// A parser of hostile input must never take the daemon down; a
		// message we cannot read is simply not classified as a bounce.
		if recover() != nil {
			b = nil
		}
	}()
	return parseBounce(m)
}

// IsMachineGenerated reports mail that must never be answered: auto-replies,
// bounces, feedback reports, delivery notifications, list/bulk mail.
func IsMachineGenerated(m *mimeparse.Message) bool {
	if m == nil {
		return false
	}
	if IsFeedbackReport(m) || isReport(m) || len(m.DeliveryStatus) > 0 {
		return true
	}
	if ok, _ := autoReplySign(m); ok {
		return true
	}
	if looksLikeBounce(m) || ParseBounce(m) != nil {
		return true
	}
	return isRobotSender(m)
}

// IsFeedbackReport reports an ARF (RFC 5965) abuse/opt-out/auth-failure
// report, or a provider's complaint notification of the same kind.
func IsFeedbackReport(m *mimeparse.Message) bool {
	if m == nil {
		return false
	}
	if m.ContentType == "multipart/report" && strings.EqualFold(strings.TrimSpace(m.Params["report-type"]), "feedback-report") {
		return true
	}
	for _, a := range m.Attachments {
		if strings.EqualFold(a.ContentType, "message/feedback-report") {
			return true
		}
	}
	if m.Get("Feedback-Type") != "" && m.Get("User-Agent") != "" {
		return true
	}
	return isSESNotification(m, "Complaint")
}

// isReport is any multipart/report other than a delivery-status one, such as
// a read receipt (disposition-notification): machine-made, never a reply.
func isReport(m *mimeparse.Message) bool {
	if m.ContentType != "multipart/report" {
		return false
	}
	rt := strings.ToLower(strings.TrimSpace(m.Params["report-type"]))
	return rt != "delivery-status" && rt != "global-delivery-status" && rt != ""
}

// Built once: a Replacer builds its tables on first use, and building them
// for each message was a fifth of what handling a reply allocated.
var (
	addrPunct    = strings.NewReplacer("-", "", "_", "", ".", "")
	htmlEntities = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&nbsp;", " ", "&quot;", `"`, "&#39;", "'")
)

// isRobotSender reports a sender address that only machines use.
func isRobotSender(m *mimeparse.Message) bool {
	for _, a := range m.From {
		local, _, _ := strings.Cut(strings.ToLower(a.Address), "@")
		switch addrPunct.Replace(local) {
		case "mailerdaemon", "postmaster", "maildaemon", "noreply", "donotreply", "bounce", "bounces":
			return true
		}
	}
	return false
}
