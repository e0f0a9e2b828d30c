# Shared by the integration tests that run `sluice run` on net_af_packet
# over a veth pair and send with tcpreplay (sourced, not a test itself).
# Needs a fail function that exits, and root (CAP_NET_ADMIN).

# veth_up PREFIX: creates the pair $A <-> $B, named after PREFIX and this
# shell's pid (interface names: 15 bytes at most), up and without IPv6
# chatter (every frame counted is the test's).  On exit the pair is
# removed and $engine, if set to a pid, is stopped.
veth_up() {
	A=$1$$a B=$1$$b
	engine=
	ip link add "$A" type veth peer name "$B" 2>"$SLUICE_TMP/ip.err" ||
		fail "cannot create a veth pair (needs root/CAP_NET_ADMIN): $(cat "$SLUICE_TMP/ip.err")"
	trap veth_cleanup EXIT
	ip link set "$A" up
	ip link set "$B" up
	sysctl -qw "net.ipv6.conf.$A.disable_ipv6=1" "net.ipv6.conf.$B.disable_ipv6=1" \
		2>/dev/null || true
}

veth_cleanup() {
	[ -n "$engine" ] && kill "$engine" 2>/dev/null && wait "$engine" 2>/dev/null
	ip link del "$A" 2>/dev/null || true
}
