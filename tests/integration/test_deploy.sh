#!/usr/bin/env bash
# What `cmake --install` puts on a bureau's host: the files land where the
# units expect them, the units use no directive this systemd (Debian 12's
# 252) does not know, sysusers creates the engine's user, and the shipped
# configuration is valid.  An existing /etc/sluice/sluice.yaml is kept.
set -euo pipefail
: "${SLUICE_BIN:?}" "${SLUICE_SRC:?}" "${SLUICE_BUILD:?}" "${SLUICE_TMP:?}"
rm -rf "$SLUICE_TMP"
mkdir -p "$SLUICE_TMP"
T=$(cd "$SLUICE_TMP" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }

DESTDIR=$T/root cmake --install "$SLUICE_BUILD" --prefix /usr >"$T/install.log" ||
	fail "install: $(cat "$T/install.log")"
R=$T/root
for f in usr/bin/sluice-config usr/bin/sluice-feedback usr/sbin/sluice-host \
	usr/lib/systemd/system/sluice.service \
	usr/lib/systemd/system/sluice-host.service \
	usr/lib/sysusers.d/sluice.conf etc/sluice/sluice.yaml \
	etc/logrotate.d/sluice usr/share/man/man1/sluicectl.1 \
	usr/share/man/man1/sluice-feedback.1 \
	usr/share/sluice/grafana/sluice-dashboard.json; do
	[ -e "$R/$f" ] || fail "not installed: /$f"
done
[ -x "$R/usr/sbin/sluice-host" ] || fail "sluice-host not executable"

# The units name the installed paths.
grep -qx 'ExecStart=/usr/bin/sluice run --config /etc/sluice/sluice.yaml' \
	"$R/usr/lib/systemd/system/sluice.service" || fail "ExecStart path"
grep -qx 'ExecStart=/usr/sbin/sluice-host --config /etc/sluice/sluice.yaml setup' \
	"$R/usr/lib/systemd/system/sluice-host.service" || fail "sluice-host path"

# Every directive is known to this systemd.  (It also says the binaries
# are not on this machine's /usr: expected, they are under DESTDIR.)
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify --man=no "$R/usr/lib/systemd/system/sluice.service" \
		"$R/usr/lib/systemd/system/sluice-host.service" >"$T/verify.log" 2>&1 || true
	if grep -v 'is not executable: No such file' "$T/verify.log" | grep .; then
		fail "systemd-analyze verify complains (above)"
	fi
else
	echo "systemd-analyze not available: unit directives not checked"
fi

# sysusers makes the user the unit runs as.
if command -v systemd-sysusers >/dev/null; then
	mkdir -p "$T/sroot/etc"
	systemd-sysusers --root="$T/sroot" "$R/usr/lib/sysusers.d/sluice.conf" >/dev/null 2>&1
	grep -q '^sluice:x:[0-9]*:[0-9]*:.*:/var/lib/sluice:/usr/sbin/nologin$' "$T/sroot/etc/passwd" ||
		fail "sysusers did not create sluice: $(cat "$T/sroot/etc/passwd")"
fi

# The installed configuration is valid, with the installed tool.
"$R/usr/bin/sluice-config" check "$R/etc/sluice/sluice.yaml" >/dev/null ||
	fail "installed sluice.yaml invalid"

# logrotate: only the quarantine file, renamed and recreated, then the
# engine told to reopen it (a stub sluicectl records the call).  Paths,
# user and socket are moved into the scratch directory.
if command -v logrotate >/dev/null; then
	mkdir -p "$T/lr/log" "$T/lr/bin"
	printf '#!/bin/sh\necho "$*" >>%s/lr/calls\n' "$T" >"$T/lr/bin/sluicectl"
	chmod +x "$T/lr/bin/sluicectl"
	python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/lr/ctl.sock"
	sed -e "s|/var/log/sluice|$T/lr/log|" -e "s|/run/sluice/sluice.sock|$T/lr/ctl.sock|g" \
		-e "s|/usr/bin/sluicectl|$T/lr/bin/sluicectl|" \
		-e "s|create 0640 sluice sluice|create 0640 $(id -un) $(id -gn)|" \
		"$R/etc/logrotate.d/sluice" >"$T/lr/conf"
	[ "$(grep -c '^[^#[:space:]].*{' "$T/lr/conf")" = 1 ] ||
		fail "logrotate configuration names more than the quarantine file"
	grep -q verdicts.log "$T/lr/conf" && ! grep -v '^[[:space:]]*#' "$T/lr/conf" | grep -q verdicts.log ||
		fail "the verdict log must only be mentioned in comments"
	printf '# sluice-quarantine worker=0 port=0 reason=BAD_MSGPACK bytes=3\nabc\n' >"$T/lr/log/quarantine.log"
	logrotate -f -s "$T/lr/state" "$T/lr/conf" 2>"$T/lr/err" || fail "logrotate: $(cat "$T/lr/err")"
	grep -q 'reason=BAD_MSGPACK' "$T/lr/log/quarantine.log.1" || fail "not rotated: $(ls "$T/lr/log")"
	[ -f "$T/lr/log/quarantine.log" ] && [ ! -s "$T/lr/log/quarantine.log" ] ||
		fail "no new empty quarantine.log"
	[ "$(stat -c %a "$T/lr/log/quarantine.log")" = 640 ] || fail "new file mode"
	grep -qx -- "-s $T/lr/ctl.sock reopen" "$T/lr/calls" || fail "engine not told to reopen: $(cat "$T/lr/calls" 2>/dev/null)"
fi

# The Grafana dashboard is valid JSON and exactly its generator's output
# (test_engine_ops.sh checks its metrics against a running engine).
python3 "$SLUICE_SRC/deploy/grafana/make-dashboard.py" |
	cmp -s - "$SLUICE_SRC/deploy/grafana/sluice-dashboard.json" ||
	fail "deploy/grafana/sluice-dashboard.json is not make-dashboard.py's output"
jq -e '.panels | length > 10' "$SLUICE_SRC/deploy/grafana/sluice-dashboard.json" >/dev/null ||
	fail "dashboard JSON"

# An operator's configuration survives a reinstall.
echo "udp_port: 7401" >"$R/etc/sluice/sluice.yaml"
DESTDIR=$R cmake --install "$SLUICE_BUILD" --prefix /usr >"$T/install.log"
grep -qx 'udp_port: 7401' "$R/etc/sluice/sluice.yaml" || fail "configuration overwritten"
cmp -s "$R/etc/sluice/sluice.yaml.dist" "$SLUICE_SRC/deploy/sluice.yaml" ||
	fail "no sluice.yaml.dist beside the kept configuration"
echo ok
