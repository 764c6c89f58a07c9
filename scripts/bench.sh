#!/usr/bin/env bash
# scripts/bench.sh — issue 10's scale benchmark on the real Dovecot + Postfix,
# run by hand (never in CI). Prints one "bench NAME: consultd X, floor Y,
# ratio R" line per row, each floor measured in the same run.
#
#   scripts/bench.sh                          # 200 members with a 5 MB PDF, 2,000 members
#   CONSULTD_BENCH_MEMBERS=15000 scripts/bench.sh   # the 15,000-member run (long)
#   BENCH_RUN=TestBenchScale scripts/bench.sh       # one part only
#
# Give it its own mail stack when others share the machine:
#   CONSULTD_MAILSTACK_DIR=/var/tmp/cms-bench IMAP_PORT=21143 ... scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v mbsync >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y isync >/dev/null
echo "bench machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), members ${CONSULTD_BENCH_MEMBERS:-2000}"
CONSULTD_BENCH=1 go test ./internal/itest/ -count=1 -timeout 6h -v \
	-run "${BENCH_RUN:-^TestBench}" 2>&1 | tee "${BENCH_LOG:-/tmp/consultd-bench.log}" |
	grep -E '^bench |^(--- )?FAIL|^ok|panic' || true
