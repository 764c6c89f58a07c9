package forward

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"consultd/internal/mimeparse"
)

// The fixtures in testdata/clients are written in each client's shape as
// other projects recorded it from the real clients (crisp-oss
// email-forward-parser's per-client, per-locale fixtures: marker, label order,
// date format, quoting, Yahoo's one-line block), with consultd's own
// invitation text; expected.json holds what each must give.

// clientCase is one forward in testdata/clients as a client writes it, and
// what a coordinator expects consultd to read from it.
type clientCase struct {
	File        string      `json:"file"`
	Client      string      `json:"client"`
	Lang        string      `json:"lang"`
	InviterName string      `json:"inviter_name"`
	InviterAddr string      `json:"inviter_addr"`
	Subject     string      `json:"subject"`
	Date        string      `json:"date"`
	Body        string      `json:"body"`
	Cc          [][2]string `json:"cc"`
	Note        string      `json:"note"`
}

func loadClientCases(t testing.TB) []clientCase {
	raw, err := os.ReadFile(filepath.Join("testdata", "clients", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cs []clientCase
	if err := json.Unmarshal(raw, &cs); err != nil {
		t.Fatal(err)
	}
	return cs
}

// clientMismatches lists every field of the forward read wrong.
func clientMismatches(t *testing.T, c clientCase) []string {
	m := parseFile(t, filepath.Join("clients", c.File))
	r := Parse(m, now)
	inv := r.Invitation
	if inv == nil {
		return []string{"not recognised as a forward"}
	}
	var bad []string
	check := func(field, got, want string) {
		if got != want {
			bad = append(bad, fmt.Sprintf("%s = %q, want %q", field, got, want))
		}
	}
	check("inviter name", inv.Inviter.Name, c.InviterName)
	check("inviter address", inv.Inviter.Address, c.InviterAddr)
	check("subject", inv.Subject, c.Subject)
	want, err := time.Parse(time.RFC3339, c.Date)
	if err != nil {
		t.Fatal(err)
	}
	if !inv.Date.Equal(want) {
		bad = append(bad, fmt.Sprintf("date = %v, want %v", inv.Date, want))
	}
	check("body", inv.Body, c.Body)
	check("note", r.Note, c.Note)
	var cc []string
	for _, a := range inv.Cc {
		cc = append(cc, a.Name+" <"+a.Address+">")
	}
	var wantCc []string
	for _, a := range c.Cc {
		wantCc = append(wantCc, a[0]+" <"+a[1]+">")
	}
	check("cc", strings.Join(cc, ", "), strings.Join(wantCc, ", "))
	if len(inv.Uncertain) > 0 {
		bad = append(bad, fmt.Sprintf("uncertain about a clear forward: %q", inv.Uncertain))
	}
	return bad
}

// TestClientForwards reads each client's forward in each UI language it
// ships; a fixture counts only when the inviter, subject, date, body, Cc and
// the coordinator's note are all right and nothing was flagged as a guess.
func TestClientForwards(t *testing.T) {
	byClient := map[string]map[string]bool{}
	byLang := map[string]map[string]bool{}
	for _, c := range loadClientCases(t) {
		bad := clientMismatches(t, c)
		if len(bad) > 0 {
			t.Errorf("%s (%s, %s):\n  %s", c.File, c.Client, c.Lang, strings.Join(bad, "\n  "))
		}
		for _, m := range []struct {
			by  map[string]map[string]bool
			key string
		}{{byClient, c.Client}, {byLang, c.Lang}} {
			if m.by[m.key] == nil {
				m.by[m.key] = map[string]bool{}
			}
			m.by[m.key][c.File] = len(bad) == 0
		}
	}
	report := func(prefix string, by map[string]map[string]bool) {
		keys := make([]string, 0, len(by))
		for k := range by {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			pass := 0
			for _, ok := range by[k] {
				if ok {
					pass++
				}
			}
			line := fmt.Sprintf("corpus forwards-%s: %d/%d every field right", k, pass, len(by[k]))
			t.Log(line)
			println(line)
		}
	}
	report("", byClient)
	report("", byLang)
}

// The fixtures must be what the test says: parse them as mail.
func TestClientFixturesAreMail(t *testing.T) {
	for _, c := range loadClientCases(t) {
		raw, err := os.ReadFile(filepath.Join("testdata", "clients", c.File))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mimeparse.Parse(raw); err != nil {
			t.Errorf("%s: %v", c.File, err)
		}
	}
}

// BenchmarkParseClientForwards: MIME parsing and forward reading of each
// client fixture, per message.
func BenchmarkParseClientForwards(b *testing.B) {
	var raws [][]byte
	for _, c := range loadClientCases(b) {
		raw, err := os.ReadFile(filepath.Join("testdata", "clients", c.File))
		if err != nil {
			b.Fatal(err)
		}
		raws = append(raws, raw)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, raw := range raws {
			m, err := mimeparse.Parse(raw)
			if err != nil {
				b.Fatal(err)
			}
			Parse(m, now)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(raws)), "ns/msg")
}
