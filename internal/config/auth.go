package config

import (
	"strings"

	"consultd/internal/authres"
)

// Values of policy.coordinator_confirmation and authentication.provider.
const (
	ConfirmWhenUnauthenticated = "when_unauthenticated"
	ConfirmAlways              = "always"
	ConfirmNever               = "never"

	ProviderMicrosoft365 = "microsoft365"

	DefaultCoordinatorConfirmation = ConfirmWhenUnauthenticated
)

var (
	confirmations = []string{ConfirmWhenUnauthenticated, ConfirmAlways, ConfirmNever}
	providers     = []string{ProviderMicrosoft365}
)

// Trust is whose Authentication-Results headers consultd believes.
func (a Authentication) Trust() authres.Trust {
	return authres.Trust{AuthservID: a.AuthservID, Microsoft365: a.Provider == ProviderMicrosoft365}
}

func (v *validator) authDefaults() {
	c := v.c
	c.Policy.CoordinatorConfirmation = strings.ToLower(strings.TrimSpace(c.Policy.CoordinatorConfirmation))
	if c.Policy.CoordinatorConfirmation == "" {
		c.Policy.CoordinatorConfirmation = DefaultCoordinatorConfirmation
	}
	c.Authentication.Provider = strings.ToLower(strings.TrimSpace(c.Authentication.Provider))
	c.Authentication.AuthservID = strings.TrimSpace(c.Authentication.AuthservID)
}

func (v *validator) validateAuthentication() {
	a := v.c.Authentication
	v.oneOf("policy.coordinator_confirmation", v.c.Policy.CoordinatorConfirmation, confirmations)
	if a.Provider != "" && v.oneOf("authentication.provider", a.Provider, providers) && a.AuthservID != "" {
		v.errf("authentication.authserv_id", "must be empty with provider %s: Exchange Online writes its Authentication-Results without an authserv-id", ProviderMicrosoft365)
	}
	if strings.ContainsAny(a.AuthservID, " \t;=()\"") {
		v.errf("authentication.authserv_id", "%q is not an authserv-id (a host name such as mx.google.com)", a.AuthservID)
	}
}
