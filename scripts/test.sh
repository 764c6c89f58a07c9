#!/usr/bin/env bash
# The whole test suite of consultd, as CI runs it (.ci/run calls this):
#   scripts/check.sh (gofmt, go vet, staticcheck, go test -race -shuffle=on
#   of the packages that need no mail stack), then every test of ./...
#   including the integration tests against a real Postfix + Dovecot on
#   loopback.
# Needs root: it installs the mail packages with apt-get and runs the daemons.
# Not root: it re-runs itself through sudo when sudo exists.
# Exit status: go test's; a failed check also makes it non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH:${HOME:-/root}/go/bin

GO_TEST_TIMEOUT=${GO_TEST_TIMEOUT:-30m}

step() { printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

if [[ $(id -u) != 0 ]]; then
	# CONSULTD_TEST_SUDO marks the re-run, so a sudo that does not make us
	# root (a wrapper, a policy) gives the explanation below, not a loop.
	if [[ -z ${CONSULTD_TEST_SUDO:-} ]] && command -v sudo >/dev/null; then
		echo "scripts/test.sh needs root; running it again through sudo" >&2
		exec sudo --preserve-env=CI,CONSULTD_CORPUS,CONSULTD_MAILSTACK_DIR,IMAP_PORT,IMAPS_PORT,SMTP_PORT,SUBMISSION_PORT,GO_TEST_TIMEOUT,RACE_TIMEOUT \
			CONSULTD_TEST_SUDO=1 bash "$PWD/scripts/test.sh" "$@"
	fi
	echo "scripts/test.sh must run as root: it installs dovecot-imapd, dovecot-lmtpd, postfix, node-marked and chromium" >&2
	echo "with apt-get and runs them on loopback for the integration tests." >&2
	if [[ -n ${CONSULTD_TEST_SUDO:-} ]]; then
		echo "(It ran again through sudo, and is still user $(id -un).)" >&2
	else
		echo "(sudo is not installed: run it as root.)" >&2
	fi
	echo "Without root: bash scripts/check.sh (gofmt, vet, staticcheck, go test -race of what needs no mail stack)," >&2
	echo "or go test ./... (the mail-stack tests then skip)." >&2
	exit 1
fi
command -v go >/dev/null || { echo "scripts/test.sh: go not found (expected in /usr/local/go/bin)" >&2; exit 1; }
go version

checks_failed=()
started=$(date +%s)

# The test tools come first: under CI=true the race run of scripts/check.sh
# fails the Markdown tests without marked, as the full run would.
step "mail stack packages"
bash scripts/mailstack.sh install

step "test tools"
# marked renders the published Markdown as many site generators do
# (internal/mdcheck); the tests fail without it under CI=true.
if ! command -v marked >/dev/null; then
	echo "installing node-marked"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends node-marked >/dev/null
fi
command -v marked
# chromium renders the published site and the HTML mail headless
# (internal/browser); the tests fail without it under CI=true.
if ! command -v chromium >/dev/null; then
	echo "installing chromium"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
command -v chromium

step "scripts/check.sh"
bash scripts/check.sh || checks_failed+=("scripts/check.sh")

# The tests start the stack (internal/mailstack); stop it however we leave.
trap 'bash scripts/mailstack.sh stop >/dev/null 2>&1 || true' EXIT

step "go test -count=1 -timeout $GO_TEST_TIMEOUT ./..."
log=$(mktemp /tmp/consultd-test.XXXXXX.log)
echo "full verbose log: $log"
set +e
# -v so the corpus score lines and test counts can be read from the log;
# the console gets everything but the per-test RUN/PASS/SKIP chatter.
CI=${CI:-} go test -count=1 -timeout "$GO_TEST_TIMEOUT" -v ./... 2>&1 | tee "$log" |
	grep --line-buffered -v -E '^\s*(=== (RUN|PAUSE|CONT|NAME)|--- (PASS|SKIP):)'
rc=${PIPESTATUS[0]}
set -e

step "corpus scores"
grep -E '^\s*(\S+\.go:[0-9]+: )?corpus ' "$log" | sed -E 's/^\s*(\S+\.go:[0-9]+: )?//' | sort -u || echo "(no corpus score lines)"

step "summary"
grep -E '^(ok|FAIL|---|panic:)\s' "$log" | grep -v -E '^--- (PASS|SKIP)' || true
grep -E '^\s*--- FAIL:' "$log" | sed 's/^/failed: /' || true
passed=$(grep -c -E '^\s*--- PASS:' "$log" || true)
failed=$(grep -c -E '^\s*--- FAIL:' "$log" || true)
skipped=$(grep -c -E '^\s*--- SKIP:' "$log" || true)
if ((${#checks_failed[@]})); then
	echo "checks that failed: ${checks_failed[*]}"
fi
echo "took $(($(date +%s) - started)) s; go test exit status $rc"
echo "tests: $passed passed, $failed failed, $skipped skipped"
if ((rc == 0 && ${#checks_failed[@]})); then
	exit 1
fi
exit "$rc"
