package config

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary files to the loader: it must never panic, every
// failure must be an Errors list naming the file, and every success must
// satisfy the guarantees other packages rely on.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"../../configs/example.yaml", "../../configs/demo.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(base))
	f.Add([]byte(base + "policy:\n  consultation_period: 5 minutes\n  require_approval: yes\n"))
	f.Add([]byte("defaults: &d {host: x}\nimap:\n  <<: *d\n  port: 1\n"))
	f.Add([]byte("members: [*a, *a]\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("coalition:\n\tname: tab\n"))
	f.Add([]byte("members:\n  - !!str {id: x}\n"))
	f.Add([]byte("---\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data)
		if err != nil {
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error is not a non-empty Errors: %T %v", err, err)
			}
			for _, e := range es {
				if e.File != "fuzz.yaml" || e.Line < 0 || e.Col < 0 || e.Msg == "" {
					t.Fatalf("malformed error %#v", e)
				}
			}
			if strings.Count(err.Error(), "\n") != len(es)-1 {
				t.Fatalf("Errors.Error() is not one line per error: %q", err.Error())
			}
			return
		}
		if len(cfg.Members) == 0 || len(cfg.Coordinators) == 0 {
			t.Fatalf("accepted a config without members or coordinators")
		}
		if cfg.IMAP.Port < 1 || cfg.IMAP.Port > 65535 || cfg.SMTP.Port < 1 || cfg.SMTP.Port > 65535 {
			t.Fatalf("accepted ports %d/%d", cfg.IMAP.Port, cfg.SMTP.Port)
		}
		seen := map[string]bool{}
		for _, m := range cfg.Members {
			for _, e := range m.Emails {
				if seen[strings.ToLower(e)] {
					t.Fatalf("accepted %s for two members", e)
				}
				seen[strings.ToLower(e)] = true
			}
		}
	})
}
