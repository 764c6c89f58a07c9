package cli

import (
	"log/slog"
	"os"
	"runtime/debug"

	"consultd/internal/config"
)

// setMemoryLimit gives the Go runtime the configured soft memory limit, so
// that the garbage collector returns the memory of each big message before
// the next one is read instead of letting the heap double first. An
// explicit GOMEMLIMIT in the environment wins.
func setMemoryLimit(cfg *config.Config, log *slog.Logger) {
	if os.Getenv("GOMEMLIMIT") != "" {
		log.Info("memory limit taken from GOMEMLIMIT", "limit_bytes", debug.SetMemoryLimit(-1))
		return
	}
	if cfg.MemoryLimit.Bytes <= 0 {
		return
	}
	debug.SetMemoryLimit(cfg.MemoryLimit.Bytes)
	log.Info("soft memory limit set", "memory_limit", cfg.MemoryLimit.String())
}
