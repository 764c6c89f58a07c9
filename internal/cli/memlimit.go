package cli

import (
	"log/slog"
	"math"
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
		debug.SetMemoryLimit(math.MaxInt64) // memory_limit: 0, none (the default one was set for the loading)
		return
	}
	debug.SetMemoryLimit(cfg.MemoryLimit.Bytes)
	log.Info("soft memory limit set", "memory_limit", cfg.MemoryLimit.String())
}

// loadingMemoryLimit is the soft limit while the configuration is read: what
// stays of a 15,000-member file is ~10 MB, and the parser's garbage would
// otherwise take the heap to the configured limit first (peak RSS at start:
// 65 MB without a limit, 55 MB at 40 MB, 45 MB at 24 MB).
const loadingMemoryLimit = 24 << 20

// defaultMemoryLimit sets loadingMemoryLimit until the configured limit
// replaces it (setMemoryLimit).
func defaultMemoryLimit() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(loadingMemoryLimit)
	}
}
