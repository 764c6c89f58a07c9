package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// base is a minimal valid configuration. Cases edit single lines of it, so
// the line numbers below stay meaningful:
//
//	1 coalition:             10 coordinators:        19 emails:
//	4 imap:                  13 members:             22 language: ar
//	8 smtp:                  17 - id: tda
const base = `coalition:
  name: Test Coalition
  address: coalition@coalition.example
imap:
  host: imap.example
  username: coalition@coalition.example
  password: secret-imap-pw
smtp:
  host: smtp.example
coordinators:
  - name: Rania
    email: rania@coalition.example
members:
  - id: sjac
    name: Syria Justice and Accountability Center (SJAC)
    emails: [info@sjac.example]
  - id: tda
    name: The Day After (TDA)
    emails:
      - info@tda.example
      - press@tda.example
    language: ar
`

// edit replaces line n (1-based) of base with text (which may hold several
// lines, or be empty to delete the line).
func edit(src string, n int, text string) string {
	lines := strings.Split(src, "\n")
	if text == "" {
		lines = append(lines[:n-1], lines[n:]...)
	} else {
		lines[n-1] = text
	}
	return strings.Join(lines, "\n")
}

// writeConfig writes src as consultd.yaml in a fresh directory.
func writeConfig(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "consultd.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// loadErrs loads src and returns its error lines with the file name (and its
// directory, written DIR) taken out, e.g. "16:31: members[0]...".
func loadErrs(t *testing.T, src string) []string {
	t.Helper()
	path := writeConfig(t, src)
	cfg, err := Load(path)
	if err == nil {
		t.Fatalf("Load succeeded, want errors; config: %+v", cfg)
	}
	if cfg != nil {
		t.Errorf("Load returned a config together with an error")
	}
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("error is %T, want Errors: %v", err, err)
	}
	var out []string
	for _, line := range strings.Split(err.Error(), "\n") {
		rest, ok := strings.CutPrefix(line, path)
		if !ok {
			t.Errorf("error line does not start with the file name: %q", line)
		}
		rest = strings.TrimPrefix(rest, ":")
		out = append(out, strings.TrimSpace(strings.ReplaceAll(rest, filepath.Dir(path), "DIR")))
	}
	return out
}

func TestLoadErrors(t *testing.T) {
	t.Setenv("CONSULTD_TEST_UNSET", "")
	os.Unsetenv("CONSULTD_TEST_UNSET")
	cases := []struct {
		name string
		src  string
		want []string
	}{
		{"typo in a nested key also leaves the real key missing",
			edit(base, 5, "  hots: imap.example"),
			[]string{
				`4:1: imap.host: is required`,
				`5:3: unknown key "hots" in imap (did you mean "host"?)`,
			}},
		{"unknown top-level key",
			base + "dbpath: consultd.db\n",
			[]string{`23:1: unknown key "dbpath"`}},
		{"duration in words",
			base + "policy:\n  consultation_period: 5 minutes\n",
			[]string{`24:24: bad duration "5 minutes" (use e.g. 72h, 30m)`}},
		{"reminders written as one string instead of a list",
			base + "policy:\n  reminders_before: 24h, 6h\n",
			[]string{`24:21: policy.reminders_before: expected a list (e.g. [a, b] or lines starting with "- "), got "24h, 6h"`}},
		{"bare number as duration",
			edit(base, 7, "  password: secret-imap-pw\n  poll_interval: 60"),
			[]string{`8:18: bad duration "60" (use e.g. 72h, 30m)`}},
		{"yes is not a boolean",
			base + "policy:\n  require_approval: yes\n",
			[]string{`24:21: policy.require_approval: expected true or false, got "yes"`}},
		{"port in words",
			edit(base, 9, "  host: smtp.example\n  port: nine"),
			[]string{`10:9: smtp.port: expected a whole number, got "nine"`}},
		{"port out of range",
			edit(base, 9, "  host: smtp.example\n  port: 70000"),
			[]string{`10:3: smtp.port: port 70000 must be between 1 and 65535`}},
		{"unknown security",
			edit(base, 9, "  host: smtp.example\n  security: ssl"),
			[]string{`10:3: smtp.security: "ssl" is not allowed (use tls, starttls, none)`}},
		{"missing coalition name points at the coalition section",
			edit(base, 2, "  # name: to be decided"),
			[]string{`1:1: coalition.name: is required`}},
		{"coalition address with a display name",
			edit(base, 3, `  address: "Coalition <coalition@coalition.example>"`),
			[]string{`3:3: coalition.address: write the bare address coalition@coalition.example, not "Coalition <coalition@coalition.example>"`}},
		{"coalition address already a plus-address",
			edit(base, 3, `  address: coalition+replies@coalition.example`),
			[]string{`3:3: coalition.address: "coalition+replies@coalition.example" must not contain "+": replies go to coalition+TOKEN@coalition.example`}},
		{"bad second email of a member in a flow list",
			edit(base, 16, `    emails: [info@sjac.example, "info at sjac"]`),
			[]string{`16:33: members[0].emails[1]: "info at sjac" is not a valid email address`}},
		{"email shared by two members, compared without case",
			edit(base, 20, `      - INFO@sjac.example`),
			[]string{`20:9: members[1].emails[0]: INFO@sjac.example already belongs to member "sjac"; an address can belong to only one member`}},
		{"same email twice for one member",
			edit(base, 21, `      - Info@TDA.example`),
			[]string{`21:9: members[1].emails[1]: Info@TDA.example is listed twice for member "tda"`}},
		{"duplicate member id",
			edit(base, 17, "  - id: sjac"),
			[]string{`17:5: members[1].id: member id "sjac" is already used by members[0]`}},
		{"member id with capitals and spaces",
			edit(base, 17, "  - id: The Day After"),
			[]string{`17:5: members[1].id: member id "The Day After" may only contain a-z, 0-9, - and _`}},
		{"member without name",
			edit(base, 18, ""),
			[]string{`17:5: members[1].name: is required`}},
		{"member emails written as one string",
			edit(base, 16, "    emails: info@sjac.example"),
			[]string{`16:13: members[0].emails: expected a list (e.g. [a, b] or lines starting with "- "), got "info@sjac.example"`}},
		{"member with an empty email list",
			edit(base, 16, "    emails: []"),
			[]string{`16:5: members[0].emails: member "sjac" needs at least one email address`}},
		{"language not built in and not in vocabulary",
			edit(base, 22, "    language: de"),
			[]string{`22:5: members[1].language: unknown language "de" (use en, ar, fr; add its words under vocabulary, or its templates in templates_dir/de/)`}},
		{"no coordinators",
			edit(edit(edit(base, 12, ""), 11, ""), 10, "coordinators: []"),
			[]string{`10:1: coordinators: at least one coordinator is required`}},
		{"no members",
			base[:strings.Index(base, "members:")] + "members:\n",
			[]string{`13:1: members: at least one member organisation is required`}},
		{"coordinator is the coalition mailbox itself",
			edit(base, 12, "    email: Coalition@coalition.example"),
			[]string{`12:5: coordinators[0].email: a coordinator cannot be the coalition's own address coalition@coalition.example`}},
		{"coordinator listed twice",
			edit(base, 12, "    email: rania@coalition.example\n  - name: Rania (phone)\n    email: RANIA@coalition.example"),
			[]string{`14:5: coordinators[1].email: RANIA@coalition.example is already coordinators[0]`}},
		{"quorum as a percentage above 100",
			base + "policy:\n  quorum: 150%\n",
			[]string{`24:3: policy.quorum: quorum 1.5 must be between 0 and 1 (e.g. 0.5 for half the members)`}},
		{"decision and on_no_quorum misspelt",
			base + "policy:\n  decision: unanimous\n  on_no_quorum: postpone\n",
			[]string{
				`24:3: policy.decision: "unanimous" is not allowed (use majority, consensus)`,
				`25:3: policy.on_no_quorum: "postpone" is not allowed (use decline, accept, ask)`,
			}},
		{"zero and negative durations",
			base + "policy:\n  consultation_period: 0s\n  minimum_notice: -1h\n",
			[]string{
				`24:3: policy.consultation_period: must be longer than zero, got 0s`,
				`25:3: policy.minimum_notice: must be longer than zero, got -1h`,
			}},
		{"reminder not shorter than the consultation period",
			base + "policy:\n  consultation_period: 2d\n  reminders_before:\n    - 24h\n    - 48h\n",
			[]string{`27:7: policy.reminders_before[1]: reminder 48h before the deadline must be shorter than consultation_period 48h`}},
		{"two password sources",
			edit(base, 7, "  password: secret-imap-pw\n  password_env: IMAP_PW"),
			[]string{`8:3: imap.password_env: set only one of password, password_file and password_env`}},
		{"password file missing",
			edit(base, 7, "  password_file: secrets/imap.txt"),
			[]string{`7:3: imap.password_file: cannot read password file: open DIR/secrets/imap.txt: no such file or directory`}},
		{"password environment variable not set",
			edit(base, 7, "  password_env: CONSULTD_TEST_UNSET"),
			[]string{`7:3: imap.password_env: environment variable "CONSULTD_TEST_UNSET" is not set`}},
		{"imap without any password",
			edit(base, 7, ""),
			[]string{`4:1: imap: no password for "coalition@coalition.example": set one of password, password_file or password_env`}},
		{"smtp password without username",
			edit(base, 9, "  host: smtp.example\n  password: pw"),
			[]string{`8:1: smtp.username: is required when a password is given`}},
		{"processed folder is the inbox",
			edit(base, 7, "  password: secret-imap-pw\n  processed: inbox"),
			[]string{`8:3: imap.processed: folder "inbox" is also imap.inbox; inbox, processed and review must be different folders`}},
		{"unknown log level",
			base + "log:\n  level: verbose\n",
			[]string{`24:3: log.level: "verbose" is not allowed (use debug, info, warn, error)`}},
		{"vocabulary language defined twice",
			base + "vocabulary:\n  - language: fr\n  - language: FR\n",
			[]string{`25:5: vocabulary[1].language: language "fr" is already defined in vocabulary[0]`}},
		{"mapping value on one line (syntax)",
			edit(base, 5, "  host: imap.example: 993"),
			[]string{`5:9: mapping value is not allowed in this context`}},
		{"duplicate key",
			edit(base, 6, "  host: imap2.example"),
			[]string{`6:3: mapping key "host" already defined at [5:3]`}},
		{"second YAML document",
			base + "---\nlog:\n  level: debug\n",
			[]string{`24:1: only one YAML document is allowed (remove the second "---")`}},
		{"members written as a mapping",
			base[:strings.Index(base, "members:")] + "members:\n  sjac: info@sjac.example\n",
			[]string{`14:3: members: expected a list (e.g. [a, b] or lines starting with "- "), got a mapping`}},
		{"alias to an unknown anchor",
			edit(base, 16, "    emails: *contacts"),
			[]string{`16:13: members[0].emails: unknown alias "*contacts"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := loadErrs(t, tc.src)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("errors:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(tc.want, "\n      "))
			}
		})
	}
}

// An administrator with several mistakes sees all of them at once, in file order.
func TestLoadReportsAllErrorsTogether(t *testing.T) {
	src := `coalition:
  name: Test Coalition
  address: coalition@coalition
imap:
  host: imap.example
  prot: 993
  username: coalition@coalition.example
  password_env: CONSULTD_TEST_NOT_SET_EITHER
  poll_interval: every minute
smtp:
  host: smtp.example
  security: yes
coordinators:
  - {name: Rania, email: "Rania <rania@coalition.example>"}
members:
  - id: sjac
    name: SJAC
    emails: [a@sjac.example, b@]
  - id: SJAC
    name: Copy
    emails:
      - A@sjac.example
    language: de
policy:
  quorum: 1.5
  require_approval: yes
  reminders_before: [24h, 96h]
`
	want := []string{
		`6:3: unknown key "prot" in imap (did you mean "port"?)`,
		`8:3: imap.password_env: environment variable "CONSULTD_TEST_NOT_SET_EITHER" is not set`,
		`9:18: bad duration "every minute" (use e.g. 72h, 30m)`,
		`12:3: smtp.security: "yes" is not allowed (use tls, starttls, none)`,
		`14:19: coordinators[0].email: write the bare address rania@coalition.example, not "Rania <rania@coalition.example>"`,
		`18:30: members[0].emails[1]: "b@" is not a valid email address`,
		`19:5: members[1].id: member id "SJAC" may only contain a-z, 0-9, - and _`,
		`22:9: members[1].emails[0]: A@sjac.example already belongs to member "sjac"; an address can belong to only one member`,
		`23:5: members[1].language: unknown language "de" (use en, ar, fr; add its words under vocabulary, or its templates in templates_dir/de/)`,
		`25:3: policy.quorum: quorum 1.5 must be between 0 and 1 (e.g. 0.5 for half the members)`,
		`26:21: policy.require_approval: expected true or false, got "yes"`,
		`27:27: policy.reminders_before[1]: reminder 96h before the deadline must be shorter than consultation_period 72h`,
	}
	got := loadErrs(t, src)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
}

func TestEmptyFileListsRequiredKeys(t *testing.T) {
	for _, src := range []string{"", "# nothing yet\n"} {
		got := loadErrs(t, src)
		want := []string{
			"coalition.name: is required",
			"coalition.address: is required",
			"imap.host: is required",
			"imap.username: is required",
			"smtp.host: is required",
			"coordinators: at least one coordinator is required",
			"members: at least one member organisation is required",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("src %q errors:\n got: %s\nwant: %s", src, strings.Join(got, "\n      "), strings.Join(want, "\n      "))
		}
	}
}

func TestErrorFormat(t *testing.T) {
	es := Errors{{File: "c.yaml", Line: 3, Col: 9, Msg: "bad"}, {File: "c.yaml", Msg: "whole file"}}
	if got, want := es.Error(), "c.yaml:3:9: bad\nc.yaml: whole file"; got != want {
		t.Errorf("Errors.Error() = %q, want %q", got, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	err := Check(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+": open ") {
		t.Errorf("Check(missing) = %v, want an error naming the file", err)
	}
}

// A badly broken file (here: one member pasted 300 times) gives a bounded report.
func TestErrorReportIsBounded(t *testing.T) {
	src := base + "vocabulary:\n" + strings.Repeat("  - language: fr\n", 300)
	got := loadErrs(t, src)
	if len(got) != 101 || got[100] != "... and 199 more problems" {
		t.Errorf("got %d lines, last %q; want 100 errors and a summary line", len(got), got[len(got)-1])
	}
}
