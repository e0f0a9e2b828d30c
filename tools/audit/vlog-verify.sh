#!/usr/bin/env bash
# Reference verifier of a sluice verdict log, written from docs/audit.md
# alone with bash, jq, xxd and the openssl command line: an auditor's
# check that the format is what the document says, independent of the
# sluice code.  Slow (a few processes per line): for spot checks and
# audits, not for gigabyte logs (use `sluice-audit verify`).
#
#   tools/audit/vlog-verify.sh LOG [PUBKEY.pem]
#
# Exit 0 when every line verifies (and, with PUBKEY, every checkpoint
# signature); 1 with the first bad line named otherwise.
set -euo pipefail

if [ $# -lt 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
	sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
	[ $# -ge 1 ] && exit 0 || exit 2
fi
log=$1
pub=${2:-}
n=0
verdicts=0
prev=
hash=
fail() {
	echo "$log:$n: $*"
	exit 1
}

while IFS= read -r line || {
	[ -n "$line" ] && {
		n=$((n + 1))
		fail "incomplete last record (no newline)"
	}
}; do
	n=$((n + 1))
	seq=$(jq -er '.seq' <<<"$line" 2>/dev/null) || fail "not a JSON record with a seq"
	[ "$seq" = $((n - 1)) ] || fail "seq $seq, expected $((n - 1))"
	if [ $n = 1 ]; then
		[ "$(jq -r .vlog <<<"$line")" = header ] || fail "not a header"
		hash=$(jq -r .hash <<<"$line")
		case $hash in sm3 | sha256) ;; *) fail "unknown hash $hash" ;; esac
		prev=$(printf '%064d' 0) # d = 32 zero bytes
	fi
	h=$(jq -r .h <<<"$line")
	suffix=",\"h\":\"$h\"}"
	[[ $line == *"$suffix" ]] || fail "does not end with its h member"
	c="${line%"$suffix"}}" # c_n: the line without its h member
	calc=$({
		xxd -r -p <<<"$prev"
		printf '%s' "$c"
	} | openssl dgst "-$hash" -r | cut -d' ' -f1)
	[ "$calc" = "$h" ] || fail "hash mismatch"
	case $(jq -r '.vlog // "verdict"' <<<"$line") in
	verdict)
		verdicts=$((verdicts + 1))
		;;
	checkpoint)
		[ "$(jq -r .covers <<<"$line")" = $((seq - 1)) ] || fail "covers"
		[ "$(jq -r .head <<<"$line")" = "$prev" ] || fail "head is not h_$((seq - 1))"
		[ "$(jq -r .verdicts <<<"$line")" = $verdicts ] || fail "verdict count"
		if [ -n "$pub" ]; then
			tmp=$(mktemp -d)
			printf 'sluice-vlog-checkpoint-v1\nhash=%s\nseq=%s\ncovers=%s\nhead=%s\nverdicts=%s\ntime=%s\n' \
				"$hash" "$seq" $((seq - 1)) "$prev" "$verdicts" \
				"$(jq -r .time <<<"$line")" >"$tmp/msg"
			jq -r .sig <<<"$line" | xxd -r -p >"$tmp/sig"
			digest=()
			[ "$(jq -r .sig_alg <<<"$line")" = sm2 ] && digest=(-digest sm3)
			if ! openssl pkeyutl -verify -pubin -inkey "$pub" -rawin \
				"${digest[@]}" -in "$tmp/msg" -sigfile "$tmp/sig" \
				>/dev/null 2>&1; then
				rm -rf "$tmp"
				fail "checkpoint signature does not verify"
			fi
			rm -rf "$tmp"
		fi
		;;
	esac
	prev=$h
done <"$log"
[ $n -gt 0 ] || fail "empty log"
echo "$log: $n records verified ($verdicts verdicts), head $prev"
