#!/usr/bin/env bash
# The fast check, no root needed: gofmt, go vet, staticcheck, then
# go test -race -shuffle=on of every package whose tests need no mail stack
# (packages whose tests import internal/mailstack start the real Dovecot and
# Postfix; scripts/test.sh runs those, as root, without -race).
#   bash scripts/check.sh            everything above
#   CHECK_TESTS=0 bash scripts/check.sh   the static checks only
# scripts/test.sh calls this first. Exit status: non-zero when any step fails;
# every step runs even after an earlier one failed, so one run lists them all.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
command -v go >/dev/null || { echo "scripts/check.sh: go not found (expected in /usr/local/go/bin)" >&2; exit 1; }
gobin=$(go env GOPATH)/bin
export PATH=$PATH:$gobin

STATICCHECK_VERSION=v0.8.2 # staticcheck 2026.2.2; builds with go1.26.8
RACE_TIMEOUT=${RACE_TIMEOUT:-15m}

step() { printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
failed=()
started=$(date +%s)

step "gofmt"
# Tracked and new (untracked, not ignored) files. git may refuse a checkout
# owned by another user ("dubious ownership"); find then lists the same files.
files=$(git ls-files --cached --others --exclude-standard '*.go' 2>/dev/null) ||
	files=$(find . -name '*.go' -not -path './.git/*')
unformatted=$(gofmt -l $files)
if [[ -n $unformatted ]]; then
	echo "these files need gofmt -w:"
	echo "$unformatted"
	failed+=(gofmt)
else
	echo "ok"
fi

step "go vet ./..."
if go vet ./...; then echo "ok"; else failed+=(vet); fi

step "staticcheck ./..."
staticcheck=$gobin/staticcheck
if [[ ! -x $staticcheck ]] || ! "$staticcheck" -version 2>/dev/null | grep -q "(${STATICCHECK_VERSION#v})"; then
	echo "installing staticcheck $STATICCHECK_VERSION into $gobin"
	GOBIN=$gobin go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION" ||
		echo "WARNING: could not install staticcheck $STATICCHECK_VERSION with $(go version); staticcheck skipped"
fi
if [[ -x $staticcheck ]]; then
	if "$staticcheck" ./...; then echo "ok"; else failed+=(staticcheck); fi
fi

if [[ ${CHECK_TESTS:-1} != 0 ]]; then
	# Found from the imports rather than listed, so a new integration package is
	# left out without editing this script.
	mailstack=consultd/internal/mailstack
	pkgs=$(go list -f '{{.ImportPath}} {{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... |
		awk -v ms="$mailstack" '{ for (i = 1; i <= NF; i++) if ($i == ms) next; print $1 }')
	skipped=$(go list ./... | grep -v -x -F "$pkgs" || true)
	step "go test -race -shuffle=on (without the mail-stack packages: $(echo $skipped | sed 's|consultd/||g'))"
	# -count=1: a race or an order dependence may show only on some runs.
	if go test -race -shuffle=on -count=1 -timeout "$RACE_TIMEOUT" $pkgs; then :; else failed+=("go test -race"); fi
fi

step "summary"
echo "took $(($(date +%s) - started)) s"
if ((${#failed[@]})); then
	echo "failed: ${failed[*]}"
	exit 1
fi
echo "all checks passed"
