package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"consultd/configs"
)

func mustLoad(t *testing.T, src string) *Config {
	t.Helper()
	cfg, err := Load(writeConfig(t, src))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg
}

func TestDefaults(t *testing.T) {
	cfg := mustLoad(t, base)
	dir := filepath.Dir(cfg.Path)
	checks := []struct {
		name      string
		got, want any
	}{
		{"imap.port", cfg.IMAP.Port, 993},
		{"imap.security", cfg.IMAP.Security, "tls"},
		{"imap.inbox", cfg.IMAP.Inbox, "INBOX"},
		{"imap.processed", cfg.IMAP.Processed, "Processed"},
		{"imap.review", cfg.IMAP.Review, "Needs-Review"},
		{"imap.poll_interval", cfg.IMAP.PollInterval.Duration, time.Minute},
		{"smtp.port", cfg.SMTP.Port, 587},
		{"smtp.security", cfg.SMTP.Security, "starttls"},
		{"database", cfg.Database, filepath.Join(dir, "consultd.db")},
		{"publish_dir", cfg.PublishDir, filepath.Join(dir, "published")},
		{"templates_dir", cfg.TemplatesDir, ""},
		{"policy.consultation_period", cfg.Policy.ConsultationPeriod.Duration, 72 * time.Hour},
		{"policy.reminders_before", cfg.Policy.Reminders(), []time.Duration{24 * time.Hour}},
		{"policy.quorum", cfg.Policy.Quorum, 0.5},
		{"policy.decision", cfg.Policy.Decision, "majority"},
		{"policy.on_no_quorum", cfg.Policy.OnNoQuorum, "decline"},
		{"policy.close_when_all_answered", cfg.Policy.CloseWhenAllAnswered, true},
		{"policy.require_approval", cfg.Policy.RequireApproval, false},
		{"policy.minimum_notice", cfg.Policy.MinimumNotice.Duration, 12 * time.Hour},
		{"log.level", cfg.Log.Level, "info"},
		{"log.format", cfg.Log.Format, "text"},
		{"members[0].language", cfg.Members[0].Language, "en"},
		{"members[1].language", cfg.Members[1].Language, "ar"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// Explicit values that equal Go's zero value must not be replaced by defaults.
func TestExplicitZeroValuesKept(t *testing.T) {
	cfg := mustLoad(t, base+`policy:
  quorum: 0
  reminders_before: []
  close_when_all_answered: false
  consultation_period: 1d12h
`)
	p := cfg.Policy
	if p.Quorum != 0 || len(p.RemindersBefore) != 0 || p.CloseWhenAllAnswered {
		t.Errorf("explicit zero values replaced: quorum=%v reminders=%v close=%v", p.Quorum, p.RemindersBefore, p.CloseWhenAllAnswered)
	}
	if p.ConsultationPeriod.Duration != 36*time.Hour {
		t.Errorf("consultation_period 1d12h = %v, want 36h", p.ConsultationPeriod)
	}
}

func TestPortDefaultsFollowSecurity(t *testing.T) {
	cases := []struct {
		name, server, security string
		want                   int
	}{
		{"imap tls", "imap", "tls", 993},
		{"imap starttls", "imap", "starttls", 143},
		{"imap plain", "imap", "none", 143},
		{"imap TLS in capitals", "imap", "TLS", 993},
		{"smtp starttls", "smtp", "starttls", 587},
		{"smtp tls (submissions)", "smtp", "tls", 465},
		{"smtp plain", "smtp", "none", 25},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			line := map[string]int{"imap": 5, "smtp": 9}[tc.server]
			host := map[string]string{"imap": "imap.example", "smtp": "smtp.example"}[tc.server]
			// The password over security: none to a remote host needs allow_insecure_auth.
			cfg := mustLoad(t, edit(base, line, "  host: "+host+"\n  security: "+tc.security+"\n  allow_insecure_auth: true"))
			got := map[string]int{"imap": cfg.IMAP.Port, "smtp": cfg.SMTP.Port}[tc.server]
			if got != tc.want {
				t.Errorf("port = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestSecretSources(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("secrets/imap.txt", "file-pw\n")
	write("secrets/windows.txt", "crlf-pw\r\n")
	write("secrets/empty.txt", "\n")
	t.Setenv("CONSULTD_TEST_IMAP_PW", "env-pw")

	cases := []struct {
		name, line, want, wantErr string
	}{
		{"inline", "  password: inline-pw", "inline-pw", ""},
		{"inline digits stay text (no octal)", "  password: 0123", "0123", ""},
		{"inline quoted with spaces", `  password: " spaced pw "`, " spaced pw ", ""},
		{"file relative to the config, trailing newline dropped", "  password_file: secrets/imap.txt", "file-pw", ""},
		{"file written on Windows", "  password_file: " + filepath.Join(dir, "secrets/windows.txt"), "crlf-pw", ""},
		{"empty file", "  password_file: secrets/empty.txt", "", "imap.password_file: password file " + filepath.Join(dir, "secrets/empty.txt") + " is empty"},
		{"environment", "  password_env: CONSULTD_TEST_IMAP_PW", "env-pw", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "consultd.yaml")
			if err := os.WriteFile(path, []byte(edit(base, 7, tc.line)), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.IMAP.Pass(); got != tc.want {
				t.Errorf("IMAP.Pass() = %q, want %q", got, tc.want)
			}
			if cfg.IMAP.Password != "" {
				t.Errorf("IMAP.Password still holds the password after Load")
			}
			if cfg.SMTP.Pass() != "" {
				t.Errorf("SMTP.Pass() = %q, want empty (no smtp auth configured)", cfg.SMTP.Pass())
			}
		})
	}
}

func TestSMTPSecretFromEnv(t *testing.T) {
	t.Setenv("CONSULTD_TEST_SMTP_PW", "smtp-env-pw")
	cfg := mustLoad(t, edit(base, 9, "  host: smtp.example\n  username: relay\n  password_env: CONSULTD_TEST_SMTP_PW"))
	if cfg.SMTP.Pass() != "smtp-env-pw" || cfg.SMTP.Username != "relay" {
		t.Errorf("smtp user/pass = %q/%q", cfg.SMTP.Username, cfg.SMTP.Pass())
	}
}

// A password set by hand after Load (the demo does this) wins over the loaded one.
func TestPassPrefersPasswordSetLater(t *testing.T) {
	cfg := mustLoad(t, base)
	cfg.IMAP.Password = "changed"
	if cfg.IMAP.Pass() != "changed" {
		t.Errorf("Pass() = %q, want the password set after Load", cfg.IMAP.Pass())
	}
}

func TestPasswordNeverPrinted(t *testing.T) {
	t.Setenv("CONSULTD_TEST_SMTP_PW", "smtp-Secret-42")
	cfg := mustLoad(t, edit(edit(base, 9, "  host: smtp.example\n  username: relay\n  password_env: CONSULTD_TEST_SMTP_PW"), 7, "  password: imap-Secret-41"))
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("loaded", "config", cfg, "imap", cfg.IMAP)
	js, _ := json.Marshal(cfg)
	ym, _ := yaml.Marshal(cfg)
	outputs := map[string]string{
		"%v":      fmt.Sprintf("%v", cfg),
		"%+v":     fmt.Sprintf("%+v", cfg),
		"%#v":     fmt.Sprintf("%#v", cfg),
		"%+v*":    fmt.Sprintf("%+v", *cfg),
		"%v imap": fmt.Sprintf("%v", cfg.IMAP),
		"%q":      fmt.Sprintf("%q", cfg.SMTP.Secret),
		"%x":      fmt.Sprintf("%x", cfg.SMTP.Secret),
		"slog":    logBuf.String(),
		"json":    string(js),
		"yaml":    string(ym),
	}
	for verb, out := range outputs {
		for _, pw := range []string{"imap-Secret-41", "smtp-Secret-42", hexOf("imap-Secret-41"), hexOf("smtp-Secret-42")} {
			if strings.Contains(out, pw) {
				t.Errorf("%s output contains a password: %s", verb, out)
			}
		}
	}
	if !strings.Contains(outputs["%+v"], "Secret:[redacted]") {
		t.Errorf("%%+v should show the secret as [redacted]: %s", outputs["%+v"])
	}
}

func hexOf(s string) string { return fmt.Sprintf("%x", s) }

func TestRelativePathsFollowConfigFile(t *testing.T) {
	cfg := mustLoad(t, base+"database: state/consultd.db\npublish_dir: /srv/www/statements\ntemplates_dir: ../templates\n")
	dir := filepath.Dir(cfg.Path)
	if want := filepath.Join(dir, "state/consultd.db"); cfg.Database != want {
		t.Errorf("database = %q, want %q", cfg.Database, want)
	}
	if cfg.PublishDir != "/srv/www/statements" {
		t.Errorf("absolute publish_dir changed to %q", cfg.PublishDir)
	}
	if want := filepath.Join(filepath.Dir(dir), "templates"); cfg.TemplatesDir != want {
		t.Errorf("templates_dir = %q, want %q", cfg.TemplatesDir, want)
	}
	mem := mustLoad(t, base+"database: \":memory:\"\n")
	if mem.Database != ":memory:" {
		t.Errorf("database :memory: became %q", mem.Database)
	}
}

func TestLookups(t *testing.T) {
	cfg := mustLoad(t, edit(base, 21, "      - press@tda.example\n      - rania@coalition.example"))
	if got := cfg.Domain(); got != "coalition.example" {
		t.Errorf("Domain() = %q", got)
	}
	if got := cfg.Coalition.Local(); got != "coalition" {
		t.Errorf("Local() = %q", got)
	}
	if got := cfg.PlusAddress("k3Xa9"); got != "coalition+k3Xa9@coalition.example" {
		t.Errorf("PlusAddress = %q", got)
	}
	for _, addr := range []string{"rania@coalition.example", "Rania@Coalition.Example", "Rania Haddad <RANIA@coalition.example>", " rania@coalition.example "} {
		if !cfg.IsCoordinator(addr) || cfg.Coordinator(addr).Name != "Rania" {
			t.Errorf("IsCoordinator(%q) = false", addr)
		}
	}
	for _, addr := range []string{"info@sjac.example", "attacker@coalition.example", "", "coalition@coalition.example"} {
		if addr != "info@sjac.example" && cfg.IsCoordinator(addr) {
			t.Errorf("IsCoordinator(%q) = true", addr)
		}
	}
	if m := cfg.MemberByEmail("\"TDA press\" <Press@TDA.example>"); m == nil || m.ID != "tda" {
		t.Errorf("MemberByEmail(press) = %v", m)
	}
	// A coordinator may also be a member's contact.
	if m := cfg.MemberByEmail("rania@coalition.example"); m == nil || m.ID != "tda" {
		t.Errorf("MemberByEmail(coordinator who is also a contact) = %v", m)
	}
	if m := cfg.MemberByEmail("someone@elsewhere.example"); m != nil {
		t.Errorf("MemberByEmail(stranger) = %v", m)
	}
	if m := cfg.MemberByID("sjac"); m == nil || m.Name != "Syria Justice and Accountability Center (SJAC)" {
		t.Errorf("MemberByID(sjac) = %v", m)
	}
	if m := cfg.MemberByID("nope"); m != nil {
		t.Errorf("MemberByID(nope) = %v", m)
	}
	// Pointers point into the config, so callers see one source of truth.
	if cfg.MemberByID("tda") != &cfg.Members[1] {
		t.Errorf("MemberByID returned a copy")
	}
}

func TestShippedConfigsLoad(t *testing.T) {
	t.Setenv("CONSULTD_IMAP_PASSWORD", "imap-pw")
	t.Setenv("CONSULTD_SMTP_PASSWORD", "smtp-pw")

	ex, err := Load("../../configs/example.yaml")
	if err != nil {
		t.Fatalf("example.yaml: %v", err)
	}
	if ex.IMAP.Pass() != "imap-pw" || ex.SMTP.Pass() != "smtp-pw" {
		t.Errorf("example.yaml passwords not taken from the environment")
	}
	if m := ex.MemberByID("sjac"); m == nil || m.Name != "Syria Justice and Accountability Center (SJAC)" || m.Language != "en" {
		t.Errorf("example.yaml sjac = %+v", m)
	}
	langs := map[string]bool{}
	for _, m := range ex.Members {
		langs[m.Language] = true
	}
	if !langs["ar"] || !langs["fr"] || ex.VocabularyFor("de") == nil || !langs["de"] {
		t.Errorf("example.yaml should show Arabic and French members and a vocabulary language in use: %v", langs)
	}

	demo, err := Load("../../configs/demo.yaml")
	if err != nil {
		t.Fatalf("demo.yaml: %v", err)
	}
	seed := []struct{ id, name string }{
		{"alkawakibi", "AlKawakbi Center For Transitional Justice and Human Rights"},
		{"sednaya", "Association of Detainees and The Missing in Sednaya Prison"},
		{"baytna", "Baytna Syria"},
		{"sjac", "Syria Justice and Accountability Center (SJAC)"},
		{"scm", "Syrian Center for Media and Freedom of Expression (SCM)"},
		{"sla", "Syrian Lawyers Aggregation SLA"},
		{"stj", "Syrians for Truth and Justice (STJ)"},
		{"tda", "The Day After (TDA)"},
		{"vdc", "Violations Documentation Center (VDC)"},
	}
	if len(demo.Members) != len(seed) {
		t.Errorf("demo has %d members, want %d", len(demo.Members), len(seed))
	}
	for _, s := range seed {
		if m := demo.MemberByID(s.id); m == nil || m.Name != s.name {
			t.Errorf("demo member %s = %+v, want name %q", s.id, m, s.name)
		}
	}
	if !demo.IsCoordinator("rania@coalition.example") || demo.Coalition.Name != "Syrian Human Rights Coalition" {
		t.Errorf("demo coalition/coordinators wrong: %+v %+v", demo.Coalition, demo.Coordinators)
	}
	if demo.IMAP.Security != "none" || demo.SMTP.Security != "none" || demo.IMAP.Host != "127.0.0.1" {
		t.Errorf("demo servers should be plain 127.0.0.1: %+v %+v", demo.IMAP, demo.SMTP)
	}
	if got := demo.Policy.Reminders(); !reflect.DeepEqual(got, []time.Duration{24 * time.Hour, 6 * time.Hour}) {
		t.Errorf("demo reminders = %v", got)
	}

	// The embedded copies are the same files.
	for name, data := range map[string][]byte{"example.yaml": configs.Example, "demo.yaml": configs.Demo} {
		disk, err := os.ReadFile("../../configs/" + name)
		if err != nil || !bytes.Equal(disk, data) {
			t.Errorf("embedded %s differs from the file", name)
		}
	}
}

// example.yaml documents every key: each field of Config appears in it.
func TestExampleMentionsEveryKey(t *testing.T) {
	data, err := os.ReadFile("../../configs/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var walk func(reflect.Type, string)
	walk = func(typ reflect.Type, path string) {
		for name, i := range yamlFields(typ) {
			if !bytes.Contains(data, []byte(name+":")) {
				t.Errorf("example.yaml does not mention %s%s", path, name)
			}
			ft := typ.Field(i).Type
			if ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft != durationType && ft != sizeType {
				walk(ft, path+name+".")
			}
		}
	}
	walk(reflect.TypeOf(Config{}), "")
}

// goccy/go-yaml itself, used directly, decodes the shipped files to the same
// values (so Duration's UnmarshalYAML works there too) and keeps positions
// on bad durations.
func TestGoccyCompatible(t *testing.T) {
	t.Setenv("CONSULTD_IMAP_PASSWORD", "x")
	t.Setenv("CONSULTD_SMTP_PASSWORD", "y")
	data, err := os.ReadFile("../../configs/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var viaGoccy Config
	if err := yaml.UnmarshalWithOptions(data, &viaGoccy, yaml.DisallowUnknownField()); err != nil {
		t.Fatalf("goccy: %v", err)
	}
	ours, err := Parse("demo.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(viaGoccy.Members, ours.Members) || !reflect.DeepEqual(viaGoccy.Policy, ours.Policy) {
		t.Errorf("goccy and Load disagree:\n%+v\n%+v", viaGoccy.Policy, ours.Policy)
	}

	var p struct {
		Policy Policy `yaml:"policy"`
	}
	err = yaml.Unmarshal([]byte("policy:\n  minimum_notice: 5 minutes\n"), &p)
	if err == nil || !strings.Contains(err.Error(), `2:19: bad duration "5 minutes"`) {
		t.Errorf("goccy duration error = %v, want position 2:19", err)
	}
}

func TestParseDuration(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"72h", 72 * time.Hour, true},
		{"30m", 30 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"3d", 72 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"0", 0, true},
		{"60", 0, false},
		{"5 minutes", 0, false},
		{"d", 0, false},
		{"3days", 0, false},
		{"", 0, false},
		{"99999999d", 0, false},
	}
	for _, tc := range cases {
		got, err := ParseDuration(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	if s := (Duration{72 * time.Hour}).String(); s != "72h" {
		t.Errorf("Duration.String() = %q, want 72h", s)
	}
	if s := (Duration{90 * time.Minute}).String(); s != "1h30m" {
		t.Errorf("Duration.String() = %q, want 1h30m", s)
	}
}

// Forms administrators write that are unambiguous and therefore accepted.
func TestFriendlyForms(t *testing.T) {
	src := `coalition: {name: "تحالف حقوق الإنسان", address: Coalition@Coalition.Example}
imap: &mail
  host: mail.example
  port: "993"
  username: coalition@coalition.example
  password: pw
smtp:
  <<: *mail
  port: 465
  security: TLS
coordinators:
  - email: rania@coalition.example
members:
  - id: sednaya
    name: رابطة معتقلي ومفقودي سجن صيدنايا
    emails: [info@sednaya.example]
    language: AR
policy:
  quorum: 50%
  consultation_period: 3d
`
	cfg := mustLoad(t, src)
	if cfg.IMAP.Port != 993 || cfg.Policy.Quorum != 0.5 || cfg.Policy.ConsultationPeriod.Duration != 72*time.Hour {
		t.Errorf("port %d quorum %v period %v", cfg.IMAP.Port, cfg.Policy.Quorum, cfg.Policy.ConsultationPeriod)
	}
	if cfg.SMTP.Host != "mail.example" || cfg.SMTP.Port != 465 || cfg.SMTP.Security != "tls" || cfg.SMTP.Pass() != "pw" {
		t.Errorf("merged smtp = %+v pass %q", cfg.SMTP, cfg.SMTP.Pass())
	}
	if cfg.Members[0].Language != "ar" || cfg.Members[0].Name != "رابطة معتقلي ومفقودي سجن صيدنايا" {
		t.Errorf("member = %+v", cfg.Members[0])
	}
	if cfg.Domain() != "coalition.example" || cfg.PlusAddress("t0k") != "Coalition+t0k@coalition.example" {
		t.Errorf("Domain %q PlusAddress %q", cfg.Domain(), cfg.PlusAddress("t0k"))
	}
}
