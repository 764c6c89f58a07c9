package config

import (
	"strings"
	"testing"
)

func TestCoordinatorTrustSettings(t *testing.T) {
	cfg := mustLoad(t, base)
	if cfg.Policy.CoordinatorConfirmation != ConfirmWhenUnauthenticated || cfg.Authentication.Trust().Configured() {
		t.Errorf("defaults: confirmation %q, trust %+v; want when_unauthenticated and none", cfg.Policy.CoordinatorConfirmation, cfg.Authentication.Trust())
	}
	cfg = mustLoad(t, base+"policy:\n  coordinator_confirmation: Always\nauthentication:\n  provider: Microsoft365\n")
	if cfg.Policy.CoordinatorConfirmation != ConfirmAlways || !cfg.Authentication.Trust().Microsoft365 {
		t.Errorf("always + microsoft365 read as %q, %+v", cfg.Policy.CoordinatorConfirmation, cfg.Authentication.Trust())
	}
	cfg = mustLoad(t, base+"authentication:\n  authserv_id: mx.google.com\n")
	if tr := cfg.Authentication.Trust(); tr.AuthservID != "mx.google.com" || tr.Microsoft365 {
		t.Errorf("authserv_id read as %+v", tr)
	}
	bad := []struct{ yaml, want string }{
		{"policy:\n  coordinator_confirmation: sometimes\n", `24:3: policy.coordinator_confirmation: "sometimes" is not allowed (use when_unauthenticated, always, never)`},
		{"authentication:\n  provider: gmail\n", `24:3: authentication.provider: "gmail" is not allowed (use microsoft365)`},
		{"authentication:\n  provider: microsoft365\n  authserv_id: mx.example\n", "25:3: authentication.authserv_id: must be empty with provider microsoft365"},
		{"authentication:\n  authserv_id: \"mx.example; dmarc=pass\"\n", "authentication.authserv_id: \"mx.example; dmarc=pass\" is not an authserv-id"},
	}
	for _, b := range bad {
		_, err := Load(writeConfig(t, base+b.yaml))
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%q: err = %v, want %q", b.yaml, err, b.want)
		}
	}
}
