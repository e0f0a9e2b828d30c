#!/usr/bin/env bash
# Man pages (deploy/man/*.1): every built command has one, it renders with
# no groff warning, and it documents every long option the command's
# --help shows, so the page cannot fall behind the binary.
set -euo pipefail
: "${SLUICE_BIN:?}" "${SLUICE_SRC:?}" "${SLUICE_TMP:?}"
mkdir -p "$SLUICE_TMP"
man=$SLUICE_SRC/deploy/man
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v groff >/dev/null || fail "groff is not installed"

# Every command users run.
required="sluice sluice-rulec sluice-gen sluice-pcap sluicectl sluice-audit sluice-feedback sluice-config"

check() { # NAME
	local name=$1 page=$man/$1.1 opts o
	[ -f "$page" ] || fail "$name is built but has no man page ($page)"
	groff -man -Tutf8 -ww -z "$page" 2>"$SLUICE_TMP/groff.err" || true
	[ ! -s "$SLUICE_TMP/groff.err" ] || fail "$name.1: $(cat "$SLUICE_TMP/groff.err")"
	head -1 "$page" | grep -q "^\.TH $(echo "$name" | tr a-z A-Z) 1 " || fail "$name.1: .TH line"
	# The options --help lists, as the page writes them (\-\-name).
	opts=$({
		"$SLUICE_BIN/$name" --help
		# sluice's subcommands have their own --help.
		if [ "$name" = sluice ]; then
			"$SLUICE_BIN/sluice" screen --help
			"$SLUICE_BIN/sluice" run --help
		fi
	} 2>&1 | grep -o -- '--[a-z][a-z-]*' | sort -u)
	for o in $opts; do
		grep -qF -- "$(echo "$o" | sed 's/-/\\-/g')" "$page" ||
			fail "$name.1 does not document $o (from $name --help)"
	done
	echo "$name.1: ok ($(echo "$opts" | wc -w) options)"
}
for name in $required; do
	[ -x "$SLUICE_BIN/$name" ] || fail "$name is not built"
	check "$name"
done
# No page for a command that does not exist.
for page in "$man"/*.1; do
	name=$(basename "$page" .1)
	[ -x "$SLUICE_BIN/$name" ] || [ -f "$SLUICE_SRC/deploy/sluice-host.sh" -a "$name" = sluice-host ] ||
		fail "$page documents $name, which is not built"
done
echo ok
