package daemon

import (
	"log/slog"

	"consultd/internal/config"
)

// coordinatorTrustNote says at start how coordinators' mail is trusted, and
// warns when a forged From: would be believed.
func coordinatorTrustNote(log *slog.Logger, cfg *config.Config) {
	trusted := cfg.Authentication.Trust().Configured()
	switch cfg.Policy.CoordinatorConfirmation {
	case config.ConfirmNever:
		if trusted {
			log.Info("coordinator mail counts only when the mail server authenticates it; unauthenticated mail goes to review (policy.coordinator_confirmation: never)")
		} else {
			log.Warn("coordinators are recognised by their From: address alone (policy.coordinator_confirmation: never, no authentication configured): forged mail in their name can open rounds and run commands; set authentication.authserv_id or remove coordinator_confirmation: never")
		}
	case config.ConfirmAlways:
		log.Info("every forward and destructive command from a coordinator is confirmed by email (policy.coordinator_confirmation: always)")
	default:
		if !trusted {
			log.Warn("no authentication configured: every forward and destructive command from a coordinator is confirmed by email first; set authentication.authserv_id (or provider: microsoft365) to trust mail your server authenticates")
		}
	}
}
