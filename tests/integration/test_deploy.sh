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
	usr/lib/sysusers.d/sluice.conf etc/sluice/sluice.yaml; do
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

# An operator's configuration survives a reinstall.
echo "udp_port: 7401" >"$R/etc/sluice/sluice.yaml"
DESTDIR=$R cmake --install "$SLUICE_BUILD" --prefix /usr >"$T/install.log"
grep -qx 'udp_port: 7401' "$R/etc/sluice/sluice.yaml" || fail "configuration overwritten"
cmp -s "$R/etc/sluice/sluice.yaml.dist" "$SLUICE_SRC/deploy/sluice.yaml" ||
	fail "no sluice.yaml.dist beside the kept configuration"
echo ok
