package automail

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"consultd/internal/corpustest"
)

type sisimaiCase struct {
	ID       string `json:"id"`
	Input    string `json:"input"`
	Class    string `json:"class"`
	Expected struct {
		Recipients []struct {
			Index      int    `json:"index"`
			Status     string `json:"status"`
			ReplyCode  string `json:"reply_code"`
			Reason     string `json:"reason"`
			HardBounce bool   `json:"hard_bounce"`
		} `json:"recipients"`
	} `json:"expected"`
}

// knownFailures reads testdata/known_failures.json: score name -> case -> reason.
func knownFailures(t *testing.T) map[string]corpustest.KnownFailures {
	t.Helper()
	b, err := os.ReadFile("testdata/known_failures.json")
	if err != nil {
		t.Fatalf("known failures: %v", err)
	}
	var k map[string]corpustest.KnownFailures
	if err := json.Unmarshal(b, &k); err != nil {
		t.Fatalf("known failures: %v", err)
	}
	return k
}

func TestSisimaiCorpus(t *testing.T) {
	root, man := corpustest.Load(t, "sisimai-set-of-emails")
	known := knownFailures(t)
	dump := os.Getenv("AUTOMAIL_DUMP") != ""
	class := map[string]bool{}
	status := map[string]bool{}
	hard := map[string]bool{}
	auto := map[string]bool{}
	notAuto := map[string]bool{}
	for _, raw := range man.Cases {
		var c sisimaiCase
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		m := parseRaw(corpustest.Read(t, root, c.Input))
		b := ParseBounce(m)
		isAuto, why := IsAutoReply(m)
		if !IsMachineGenerated(m) && c.Class != "not_bounce" {
			t.Errorf("%s (%s): not recognised as machine-generated", c.ID, c.Class)
		}
		class[c.ID] = (b != nil) == (c.Class == "bounce")
		if dump && !class[c.ID] {
			fmt.Printf("CLASS %s want %s got bounce=%v subj=%q\n", c.ID, c.Class, b != nil, m.Subject)
		}
		switch c.Class {
		case "auto_reply":
			auto[c.ID] = isAuto
		case "bounce":
			notAuto[c.ID] = !isAuto
			if isAuto && dump {
				fmt.Printf("AUTO %s: %s\n", c.ID, why)
			}
			for i, want := range c.Expected.Recipients {
				key := fmt.Sprintf("%s#%d", c.ID, i+1)
				var got Recipient
				if b != nil && i < len(b.Recipients) {
					got = b.Recipients[i]
				}
				status[key] = got.Status == want.Status
				hard[key] = b != nil && i < len(b.Recipients) && got.Hard == want.HardBounce
				if dump && (!status[key] || !hard[key]) {
					n := 0
					if b != nil {
						n = len(b.Recipients)
					}
					fmt.Printf("RCPT %s want %s/%s/%v got %s/%s/%v (n=%d/%d) addr=%s diag=%.200q\n", key, want.Status, want.Reason, want.HardBounce,
						got.Status, got.Reason, got.Hard, n, len(c.Expected.Recipients), got.Address, got.Diagnostic)
				}
			}
		}
	}
	check := func(name, what string, res map[string]bool, min float64) {
		t.Helper()
		p, n := corpustest.Score(t, "sisimai-set-of-emails "+name, what, res, known[name])
		if n > 0 && float64(p) < min*float64(n) {
			t.Errorf("%s: %d/%d is below %.0f%%", name, p, n, min*100)
		}
	}
	check("class", "bounce vs not-bounce", class, 0.99)
	check("status", "bounce recipients with the expected status code", status, 0.95)
	check("hard", "bounce recipients with the expected hard/soft class", hard, 0.95)
	check("autoreply", "auto-replies recognised by IsAutoReply", auto, 1)
	check("not_autoreply", "bounces not called auto-replies", notAuto, 1)
}

func TestEnmimeDSNCorpus(t *testing.T) {
	root, man := corpustest.Load(t, "enmime-testdata")
	known := knownFailures(t)
	res := map[string]bool{}
	for _, raw := range man.Cases {
		var c struct {
			ID       string `json:"id"`
			Input    string `json:"input"`
			API      string `json:"api"`
			Expected struct {
				PerMessage   []map[string][]string `json:"per_message_fields"`
				PerRecipient []map[string][]string `json:"per_recipient_fields"`
			} `json:"expected"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		if c.API != "dsn" {
			continue
		}
		m := parseRaw(corpustest.Read(t, root, c.Input))
		msg, rcpts := ParseDeliveryStatus(m.DeliveryStatus)
		ok := len(rcpts) == len(c.Expected.PerRecipient) && sameFields(msg, c.Expected.PerMessage[0])
		for i := 0; ok && i < len(rcpts); i++ {
			ok = sameFields(rcpts[i], c.Expected.PerRecipient[i])
		}
		if !ok {
			t.Logf("%s: got %v %v", c.ID, msg, rcpts)
		}
		// The classification a daemon acts on: failed recipients are
		// bounced, a delay-only report is not a hard failure.
		b := ParseBounce(m)
		for _, want := range c.Expected.PerRecipient {
			action := strings.ToLower(want["Action"][0])
			addr := recipientAddress(want["Final-Recipient"][0])
			found := false
			for _, r := range bouncedRecipients(b) {
				if strings.EqualFold(r.Address, addr) {
					found = true
					if r.Action != action || (action != "failed" && r.Hard) {
						ok = false
						t.Logf("%s: %s action %s hard %v", c.ID, addr, r.Action, r.Hard)
					}
				}
			}
			if !found {
				ok = false
				t.Logf("%s: recipient %s missing from ParseBounce", c.ID, addr)
			}
		}
		if !IsMachineGenerated(m) {
			ok = false
		}
		if a, _ := IsAutoReply(m); a {
			ok = false
		}
		res[c.ID] = ok
	}
	corpustest.Score(t, "enmime-testdata dsn", "DSNs parsed field for field and classified", res, known["enmime_dsn"])
}

func bouncedRecipients(b *Bounce) []Recipient {
	if b == nil {
		return nil
	}
	return b.Recipients
}

func sameFields(got Fields, want map[string][]string) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		g := got[k]
		if len(g) != len(v) {
			return false
		}
		for i := range v {
			if g[i] != v[i] {
				return false
			}
		}
	}
	return true
}
