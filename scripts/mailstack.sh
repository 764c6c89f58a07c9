#!/usr/bin/env bash
# A real mail stack on loopback for consultd's integration tests:
# Postfix (SMTP) delivers every message over LMTP to Dovecot (IMAP, Maildir,
# virtual users from a passwd-file). Nothing ever leaves the machine: mail for
# unknown users and foreign domains lands in catchall@mailstack.test, with a
# Delivered-To header naming the original recipient.
#
# Usage: scripts/mailstack.sh install|start|stop|restart|restart-dovecot|
#                             dovecot-stop|dovecot-start|
#                             postfix-stop|postfix-start|postfix-reload|status|
#                             adduser ADDRESS PASSWORD|logs
#
# Environment: CONSULTD_MAILSTACK_DIR (state dir, default /var/tmp/consultd-ms;
# keep it short and outside /root), IMAP_PORT (10143), IMAPS_PORT (10993),
# SMTP_PORT (10025), SUBMISSION_PORT (10587), OAUTH2_PORT (IMAP_PORT - 63).
#
# OAuth2: besides passwords, Dovecot (and Postfix's SASL through it) accepts
# XOAUTH2 and OAUTHBEARER bearer tokens, which it checks by RFC 7662
# introspection at http://127.0.0.1:OAUTH2_PORT/introspect. Nothing listens
# there unless a test starts its token server on that port (see
# internal/oauth/oauthtest); without one, token logins fail and password
# logins work as always.
set -euo pipefail

D=${CONSULTD_MAILSTACK_DIR:-/var/tmp/consultd-ms}
IMAP_PORT=${IMAP_PORT:-10143}
IMAPS_PORT=${IMAPS_PORT:-10993}
SMTP_PORT=${SMTP_PORT:-10025}
SUBMISSION_PORT=${SUBMISSION_PORT:-10587}
OAUTH2_PORT=${OAUTH2_PORT:-$((IMAP_PORT - 63))}
CATCHALL=catchall@mailstack.test
HOSTNAME_FQ=mailstack.test
PACKAGES=(dovecot-imapd dovecot-lmtpd postfix)

DOVECOT_CONF=$D/dovecot/dovecot.conf
DOVECOT_PID=$D/run/master.pid
USERS=$D/dovecot/users
PF=$D/postfix
# Kept apart from the config dir: postfix-script checks that everything
# under the config dir belongs to root.
PQ=$D/spool
POSTFIX_PID=$PQ/pid/master.pid

die() { echo "mailstack: $*" >&2; exit 1; }
say() { echo "mailstack: $*" >&2; }

need_root() {
	[[ $(id -u) == 0 ]] || die "$1 needs root (it installs packages and starts daemons that switch users)"
}

# --- install ---------------------------------------------------------------

missing_packages() {
	local p
	for p in "${PACKAGES[@]}"; do
		dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || echo "$p"
	done
}

cmd_install() {
	local missing
	missing=$(missing_packages)
	if [[ -z $missing ]]; then
		say "packages already installed"
		return 0
	fi
	need_root install
	command -v apt-get >/dev/null || die "apt-get not found: install ${PACKAGES[*]} by hand"
	say "installing:" $missing
	# Keep the packages' maintainer scripts from starting system daemons on
	# 25/143/993: policy-rc.d exit 101 means "action forbidden".
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
	echo "postfix postfix/mailname string $HOSTNAME_FQ" | debconf-set-selections
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq </dev/null
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing openssl </dev/null >/dev/null
	missing=$(missing_packages)
	[[ -z $missing ]] || die "still missing after apt-get install: $missing"
	say "installed"
}

# --- processes ---------------------------------------------------------------

# pid_of FILE EXE prints the PID in FILE if that process is running EXE.
pid_of() {
	local file=$1 exe=$2 pid
	[[ -r $file ]] || return 1
	pid=$(tr -dc '0-9' <"$file")
	[[ -n $pid ]] || return 1
	[[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$exe" ]] || return 1
	echo "$pid"
}

dovecot_pid() { pid_of "$DOVECOT_PID" "$(readlink -f /usr/sbin/dovecot)"; }
postfix_pid() { pid_of "$POSTFIX_PID" "$(readlink -f /usr/lib/postfix/sbin/master)"; }

# stop_pid NAME PID: SIGTERM, wait up to 10 s, then SIGKILL.
stop_pid() {
	local name=$1 pid=$2 i
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 200; i++)); do
		[[ -e /proc/$pid ]] || { say "$name stopped"; return 0; }
		sleep 0.05
	done
	say "$name (pid $pid) ignored SIGTERM, killing"
	kill -KILL "$pid" 2>/dev/null || true
}

# wait_port NAME PORT: until 127.0.0.1:PORT accepts a connection (10 s).
wait_port() {
	local name=$1 port=$2 i
	for ((i = 0; i < 200; i++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	cmd_logs >&2 || true
	die "$name did not accept connections on 127.0.0.1:$port within 10 s (logs above)"
}

# Postfix delays by ~2 s when a file it reads was written in this second;
# dating our files a few seconds back avoids that.
backdate() { touch -d "@$(($(date +%s) - 5))" "$@"; }

# --- configuration -----------------------------------------------------------

write_cert() {
	[[ -s $D/ssl/key.pem && -s $D/ssl/cert.pem ]] && return 0
	mkdir -p "$D/ssl"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-days 3650 -subj "/CN=$HOSTNAME_FQ" \
		-addext "subjectAltName=DNS:localhost,DNS:$HOSTNAME_FQ,IP:127.0.0.1" \
		-keyout "$D/ssl/key.pem" -out "$D/ssl/cert.pem" 2>/dev/null
	chmod 644 "$D/ssl/cert.pem"
	chmod 640 "$D/ssl/key.pem"
	chgrp postfix "$D/ssl/key.pem" 2>/dev/null || true
}

write_dovecot_conf() {
	local dh=""
	[[ -r /usr/share/dovecot/dh.pem ]] && dh="ssl_dh = </usr/share/dovecot/dh.pem"
	mkdir -p "$D/dovecot" "$D/run" "$D/log" "$D/mail"
	chown mail:mail "$D/mail"
	cat >"$DOVECOT_CONF" <<EOF
# Written by scripts/mailstack.sh: a private Dovecot for consultd's tests.
instance_name = consultd-ms
protocols = imap lmtp
listen = 127.0.0.1
base_dir = $D/run
state_dir = $D/dovecot/state
log_path = $D/log/dovecot.log
info_log_path = $D/log/dovecot.log

ssl = yes
ssl_cert = <$D/ssl/cert.pem
ssl_key = <$D/ssl/key.pem
$dh
# Loopback only: plaintext LOGIN without TLS is what the tests use.
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
# Allow any address shape (o'brien@, unicode local parts) as a user name.
auth_username_chars =
auth_username_format = %Lu
# Failed logins are normal here (a user added this very second): no delay.
auth_failure_delay = 0
auth_verbose = yes

mail_location = maildir:~/Maildir
mail_uid = mail
mail_gid = mail
first_valid_uid = $(id -u mail)
mail_fsync = never
mail_max_userip_connections = 1000
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no

namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
}

passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u $USERS
}
# Bearer tokens, checked by the test's token server (introspection).
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $D/dovecot/oauth2.conf.ext
}
userdb {
  driver = passwd-file
  args = username_format=%u $USERS
  default_fields = uid=mail gid=mail home=$D/mail/%d/%n
}
# Anyone else (unknown users, foreign domains) gets the catch-all's Maildir,
# so LMTP accepts every recipient and tests can see what leaked.
userdb {
  driver = static
  args = uid=mail gid=mail home=$D/mail/mailstack.test/catchall allow_all_users=yes
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = 0
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
service auth {
  # Postfix's SASL (AUTH on the SMTP ports) asks Dovecot.
  unix_listener $PQ/private/auth {
    mode = 0660
    user = postfix
    group = postfix
  }
}
service anvil {
  # No growing delay for a client after failed logins (tests fail logins
  # on purpose; auth_failure_delay alone does not stop it).
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
protocol lmtp {
  postmaster_address = postmaster@$HOSTNAME_FQ
}
EOF
	# Dovecot takes an introspection answer of "active": false as a refused
	# token (an HTTP error would be a temporary failure), and never checks
	# exp itself: the token server answers for expiry.
	cat >"$D/dovecot/oauth2.conf.ext" <<EOF
introspection_mode = post
introspection_url = http://127.0.0.1:$OAUTH2_PORT/introspect
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 5000
EOF
	mkdir -p "$D/dovecot/state"
	[[ -e $USERS ]] || : >"$USERS"
	chown root:dovecot "$USERS"
	chmod 640 "$USERS"
}

write_postfix_conf() {
	mkdir -p "$PF" "$PQ/private" "$D/pfdata" "$D/log"
	chown postfix "$D/pfdata" "$PQ/private"
	chmod 700 "$PQ/private"
	[[ -e $PF/vmailbox ]] || : >"$PF/vmailbox"
	[[ -e $PF/vdomains ]] || echo "mailstack.test OK" >"$PF/vdomains"
	cat >"$PF/main.cf" <<EOF
# Written by scripts/mailstack.sh: a private Postfix for consultd's tests.
compatibility_level = 3.6
myhostname = $HOSTNAME_FQ
mydomain = $HOSTNAME_FQ
myorigin = $HOSTNAME_FQ
mydestination =
local_recipient_maps =
inet_interfaces = loopback-only
inet_protocols = ipv4
queue_directory = $PQ
data_directory = $D/pfdata
mail_owner = postfix
setgid_group = postdrop
maillog_file = $D/log/postfix.log
maillog_file_prefixes = $D
biff = no
append_dot_mydomain = no
smtputf8_enable = yes
message_size_limit = 52428800
mailbox_size_limit = 0

mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions =
# Unknown users in local domains are accepted: Dovecot files them under the
# catch-all mailbox.
smtpd_reject_unlisted_recipient = no
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
# "(Authenticated sender: ...)" in Received: tests see that AUTH was used.
smtpd_sasl_authenticated_header = yes
# AUTH XOAUTH2 carries the whole token on one line (often over 2 KB).
line_length_limit = 16384
smtpd_tls_security_level = none
smtpd_tls_cert_file = $D/ssl/cert.pem
smtpd_tls_key_file = $D/ssl/key.pem

virtual_mailbox_domains = hash:$PF/vdomains
virtual_mailbox_maps = hash:$PF/vmailbox
recipient_delimiter = +
# Every destination, local or not, is delivered to Dovecot: no network here.
virtual_transport = lmtp:unix:$D/run/lmtp
relay_transport = lmtp:unix:$D/run/lmtp
default_transport = lmtp:unix:$D/run/lmtp
# One recipient per LMTP transaction, so each copy carries its own Delivered-To.
lmtp_destination_recipient_limit = 1
# Retry quickly when Dovecot is restarting (a test does that on purpose).
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 5s
disable_dns_lookups = yes
smtp_dns_support_level = disabled
lmtp_host_lookup = native
# Mail to bounce.test is accepted, then bounced with a DSN to the sender, as a
# remote server that does not know the mailbox would (tests of hard bounces).
transport_maps = hash:$PF/transport
EOF
	# Mail to discard.test is accepted (queued, as for any relay) and then
	# dropped, as mail handed on to the members' own providers would leave
	# this server: the benchmark's thousands of members, whose copies in one
	# catch-all Maildir would cost Dovecot more than the sending measured.
	printf 'bounce.test error:5.1.1 <mailbox unavailable>: user unknown\n.bounce.test error:5.1.1 <mailbox unavailable>: user unknown\ndiscard.test discard:\n.discard.test discard:\n' >"$PF/transport"
	# Both ports use Dovecot's auth socket for SASL: while Dovecot is stopped
	# (dovecot-stop) new smtpd processes exit and master throttles them, so
	# SMTP is down too until postfix-stop/postfix-start after dovecot-start.
	cat >"$PF/master.cf" <<EOF
# service type private unpriv chroot wakeup maxproc command
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
127.0.0.1:$SUBMISSION_PORT inet n - n - - smtpd
  -o smtpd_tls_security_level=may
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
tlsmgr    unix - - n 1000? 1 tlsmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
local     unix - n n - - local
virtual   unix - n n - - virtual
lmtp      unix - - n - - lmtp
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
	backdate "$PF/main.cf" "$PF/master.cf" "$PF/vmailbox" "$PF/vdomains" "$PF/transport"
	postmap -c "$PF" "hash:$PF/vmailbox" "hash:$PF/vdomains" "hash:$PF/transport"
	backdate "$PF"/vmailbox* "$PF"/vdomains* "$PF"/transport*
}

# --- commands ----------------------------------------------------------------

start_dovecot() {
	if dovecot_pid >/dev/null; then
		return 0
	fi
	# A socket left by an older config (without mode = 0) stalls logins.
	rm -f "$D/run/anvil-auth-penalty"
	/usr/sbin/dovecot -c "$DOVECOT_CONF" 8>&- 9>&- </dev/null >>"$D/log/dovecot-start.log" 2>&1 || { cmd_logs >&2 || true; die "dovecot failed to start"; }
}

start_postfix() {
	if postfix_pid >/dev/null; then
		return 0
	fi
	if [[ -d $PQ/active && -d $PQ/maildrop ]]; then
		# The queue exists: start master directly. 'postfix start' would
		# rerun its install checks (dozens of processes, seconds on a busy
		# machine). -w returns once master has initialised.
		/usr/lib/postfix/sbin/master -c "$PF" -w 8>&- 9>&- </dev/null >>"$D/log/postfix-start.log" 2>&1 ||
			{ cmd_logs >&2 || true; die "postfix master failed to start"; }
		return 0
	fi
	# First start: 'postfix start' creates the queue directories.
	/usr/sbin/postfix -c "$PF" start 8>&- 9>&- </dev/null >>"$D/log/postfix-start.log" 2>&1 ||
		{ cmd_logs >&2 || true; die "postfix failed to start"; }
}

print_ports() {
	echo "IMAP=127.0.0.1:$IMAP_PORT"
	echo "IMAPS=127.0.0.1:$IMAPS_PORT"
	echo "SMTP=127.0.0.1:$SMTP_PORT"
	echo "SUBMISSION=127.0.0.1:$SUBMISSION_PORT"
	echo "OAUTH2=127.0.0.1:$OAUTH2_PORT"
	echo "CATCHALL=$CATCHALL"
	echo "DIR=$D"
}

# clear_queue drops messages queued by an earlier run (Postfix is stopped).
clear_queue() {
	local q
	for q in incoming active deferred defer bounce trace flush hold maildrop corrupt saved; do
		[[ -d $PQ/$q ]] && find "$PQ/$q" -mindepth 1 -type f -delete
	done
	return 0
}

cmd_start() {
	need_root start
	if dovecot_pid >/dev/null && postfix_pid >/dev/null; then
		# Already up (another test binary started it): leave it as it is.
		wait_port imap "$IMAP_PORT"
		wait_port smtp "$SMTP_PORT"
		print_ports
		return 0
	fi
	[[ -z $(missing_packages) ]] || die "packages missing: run '$0 install' first"
	if ! dovecot_pid >/dev/null && ! postfix_pid >/dev/null; then
		# A fresh stack: no mail or users left over from an earlier run.
		rm -rf "$D/mail" "$USERS" "$PF/vmailbox" "$PF/vmailbox.db" "$PF/vdomains" "$PF/vdomains.db"
		clear_queue
	fi
	write_cert
	write_dovecot_conf
	write_postfix_conf
	# The catch-all user can log in to look at what leaked.
	add_user "$CATCHALL" catchall
	start_dovecot
	start_postfix
	wait_port imap "$IMAP_PORT"
	wait_port smtp "$SMTP_PORT"
	print_ports
}

cmd_stop() {
	local pid
	# Test binaries hold .tests.lock while they use the stack (see
	# internal/mailstack): let them finish, but not forever.
	exec 8>"$D/.tests.lock"
	flock -w 300 8 || say "stopping although a test binary still holds $D/.tests.lock"
	if pid=$(postfix_pid); then stop_pid postfix "$pid"; fi
	stop_dovecot
}

# stop_dovecot stops the master and the imap/lmtp processes it started:
# they outlive the master, while a real restart (systemd stops the whole
# cgroup) drops every client connection.
stop_dovecot() {
	local pid children c
	pid=$(dovecot_pid) || return 0
	children=$(pgrep -P "$pid" || true)
	stop_pid dovecot "$pid"
	for c in $children; do
		if [[ $(readlink "/proc/$c/exe" 2>/dev/null) == /usr/lib/dovecot/* ]]; then
			kill -TERM "$c" 2>/dev/null || true
		fi
	done
}

cmd_restart_dovecot() {
	need_root restart-dovecot
	stop_dovecot
	start_dovecot
	wait_port imap "$IMAP_PORT"
}

# A Dovecot outage: IMAP refuses connections and Postfix defers local
# deliveries until dovecot-start.
cmd_dovecot_stop() {
	need_root dovecot-stop
	stop_dovecot
}

cmd_dovecot_start() {
	need_root dovecot-start
	start_dovecot
	wait_port imap "$IMAP_PORT"
}

# A Postfix outage: the SMTP port refuses connections until postfix-start.
cmd_postfix_stop() {
	need_root postfix-stop
	local pid
	if pid=$(postfix_pid); then stop_pid postfix "$pid"; fi
}

cmd_postfix_start() {
	need_root postfix-start
	postfix_pid >/dev/null || start_postfix
	wait_port smtp "$SMTP_PORT"
}

# postfix-reload: every Postfix daemon restarts with the lookup tables as
# they are now, and this returns once the old ones have exited. adduser
# rebuilds the tables; a long-running daemon (trivial-rewrite) notices the
# change only when a new client connects, and then exits at once: its clients
# (cleanup, qmgr) each pause a second before they ask again.
cmd_postfix_reload() {
	need_root postfix-reload
	local master old p i left
	master=$(postfix_pid) || die "postfix-reload: Postfix is not running"
	old=$(ps -o pid= --ppid "$master" || true)
	/usr/sbin/postfix -c "$PF" reload 8>&- 9>&- </dev/null >>"$D/log/postfix-start.log" 2>&1
	for ((i = 0; i < 300; i++)); do
		left=0
		for p in $old; do
			[[ -d /proc/$p ]] && left=1
		done
		((left)) || return 0
		sleep 0.1
	done
	die "postfix-reload: Postfix daemons still running 30 s after the reload"
}

cmd_status() {
	local pid rc=0
	if pid=$(dovecot_pid); then echo "dovecot running (pid $pid)"; else echo "dovecot stopped"; rc=3; fi
	if pid=$(postfix_pid); then echo "postfix running (pid $pid)"; else echo "postfix stopped"; rc=3; fi
	[[ $rc == 0 ]] && print_ports
	return $rc
}

# add_user ADDRESS PASSWORD: idempotent; a second call changes the password.
add_user() {
	local addr=${1,,} pass=$2 domain tmp
	[[ $addr == ?*@?* ]] || die "adduser: '$1' is not an address"
	[[ $addr != *:* && $addr != *[[:space:]]* ]] || die "adduser: '$1' contains ':' or space"
	[[ $pass != *:* && $pass != *$'\n'* ]] || die "adduser: the password may not contain ':' or a newline"
	domain=${addr##*@}
	# Dovecot looks names up with \ ' " backslash-escaped (its %u is
	# escaped as for SQL), so the file must hold them that way.
	local key=${addr//\\/\\\\}
	key=${key//\'/\\\'}
	key=${key//\"/\\\"}
	tmp=$(mktemp "$USERS.XXXXXX")
	K=$key awk -F: '$1 != ENVIRON["K"]' "$USERS" >"$tmp"
	printf '%s:{PLAIN}%s::::::\n' "$key" "$pass" >>"$tmp"
	chown root:dovecot "$tmp"
	chmod 640 "$tmp"
	mv "$tmp" "$USERS"
	local changed=0
	if ! grep -q -F -x -- "$addr OK" "$PF/vmailbox"; then
		echo "$addr OK" >>"$PF/vmailbox"
		postmap -c "$PF" "hash:$PF/vmailbox"
		changed=1
	fi
	if ! grep -q -F -x -- "$domain OK" "$PF/vdomains"; then
		echo "$domain OK" >>"$PF/vdomains"
		postmap -c "$PF" "hash:$PF/vdomains"
		changed=1
	fi
	# Running Postfix daemons notice changed tables and restart themselves.
	[[ $changed == 0 ]] || backdate "$PF"/vmailbox* "$PF"/vdomains*
}

cmd_adduser() {
	need_root adduser
	[[ $# == 2 ]] || die "usage: $0 adduser ADDRESS PASSWORD"
	[[ -e $USERS ]] || die "no stack in $D: run '$0 start' first"
	add_user "$1" "$2"
	# Dovecot re-reads the passwd-file at most once a second: callers must
	# retry their first LOGIN (the Go helper does).
	echo "added ${1,,}"
}

cmd_logs() {
	local f
	for f in "$D/log/dovecot.log" "$D/log/postfix.log" "$D/log/dovecot-start.log" "$D/log/postfix-start.log"; do
		[[ -e $f ]] || continue
		echo "==> $f <=="
		cat "$f"
	done
}

main() {
	local cmd=${1:-}
	[[ -n $cmd ]] || die "usage: $0 install|start|stop|restart|restart-dovecot|dovecot-stop|dovecot-start|postfix-stop|postfix-start|status|adduser ADDRESS PASSWORD|logs"
	shift
	case $cmd in
	logs) cmd_logs ;;
	status) cmd_status ;;
	install | start | stop | restart | restart-dovecot | dovecot-stop | dovecot-start | postfix-stop | postfix-start | postfix-reload | adduser)
		mkdir -p "$D"
		chmod 755 "$D"
		# One command at a time: test binaries of several packages call
		# start/adduser concurrently.
		exec 9>"$D/.lock"
		flock 9
		case $cmd in
		install) cmd_install ;;
		start) cmd_start ;;
		stop) cmd_stop ;;
		restart) cmd_stop && cmd_start ;;
		restart-dovecot) cmd_restart_dovecot ;;
		dovecot-stop) cmd_dovecot_stop ;;
		dovecot-start) cmd_dovecot_start ;;
		postfix-stop) cmd_postfix_stop ;;
		postfix-start) cmd_postfix_start ;;
		postfix-reload) cmd_postfix_reload ;;
		adduser) cmd_adduser "$@" ;;
		esac
		;;
	*) die "unknown command '$cmd'" ;;
	esac
}

# On one line with main: bash reads a script as it runs, and the file may be
# edited meanwhile; nothing after this line is ever read.
main "$@"; exit
