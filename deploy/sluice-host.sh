#!/usr/bin/env bash
# sluice-host.sh — prepare a host for `sluice run`: hugepages, their mount,
# vfio-pci, and the engine's NIC ports bound to it.
#
# usage: sluice-host.sh [OPTIONS] [setup|status]
#
#   setup   (default) reserve the hugepages eal.socket_mem asks for on each
#           NUMA node, mount hugetlbfs on eal.huge_dir for the engine's
#           user, load vfio-pci, bind every ports[*].pci to it and give the
#           engine's user its VFIO group devices.  Idempotent: what is
#           already in place is left alone, so it runs before every start
#           (deploy/sluice-host.service).
#   status  show hugepages, mounts and the ports' drivers; change nothing.
#
#   -c, --config FILE   engine configuration (default /etc/sluice/sluice.yaml)
#   -u, --user USER     owner of the mount and the VFIO devices (default sluice)
#   -p, --pagesize SIZE 1G or 2M (default 1G when the CPU has pdpe1gb, else 2M)
#   -n, --dry-run       print the commands that would change the host; run none
#   -h, --help          this help
#
# The ports and the memory come from the configuration file through
# `sluice-config get`, so they are written in one place only.  The binding
# and reservation themselves are DPDK's own tools (dpdk-devbind.py,
# dpdk-hugepages.py from Debian's dpdk package).  A port whose kernel
# interface is up and routed is refused by dpdk-devbind.py: that is a
# safety, this script never passes --force.
#
# Exit status: 0 ready, 1 the host cannot be prepared (message says why),
# 2 usage error.
# Environment (tests): SLUICE_SYSFS, SLUICE_PROCFS, SLUICE_DEVFS replace
# /sys, /proc, /dev; DPDK_DEVBIND, DPDK_HUGEPAGES, SLUICE_CONFIG_BIN,
# MODPROBE replace the tools.
set -euo pipefail

prog=sluice-host.sh
config=/etc/sluice/sluice.yaml
user=sluice
pagesize=
dry=0
cmd=setup

sys=${SLUICE_SYSFS:-/sys}
proc=${SLUICE_PROCFS:-/proc}
dev=${SLUICE_DEVFS:-/dev}
devbind=${DPDK_DEVBIND:-dpdk-devbind.py}
hugepages=${DPDK_HUGEPAGES:-dpdk-hugepages.py}
sluice_config=${SLUICE_CONFIG_BIN:-sluice-config}
modprobe=${MODPROBE:-modprobe}

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() {
	echo "$prog: $*" >&2
	exit 1
}
say() { echo "$prog: $*"; }

# Runs a command that changes the host, or prints it under --dry-run.
change() {
	if ((dry)); then
		echo "would run: $*"
	else
		echo "+ $*"
		"$@"
	fi
}

while (($#)); do
	case $1 in
	-c | --config)
		config=${2:?--config needs a FILE}
		shift 2
		;;
	-u | --user)
		user=${2:?--user needs a USER}
		shift 2
		;;
	-p | --pagesize)
		pagesize=${2:?--pagesize needs 1G or 2M}
		shift 2
		;;
	-n | --dry-run)
		dry=1
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	setup | status)
		cmd=$1
		shift
		;;
	*)
		echo "$prog: unknown argument \"$1\" (see --help)" >&2
		exit 2
		;;
	esac
done

case $pagesize in
"")
	if grep -qw pdpe1gb "$proc/cpuinfo" 2>/dev/null; then
		pagesize=1G
	else
		pagesize=2M
	fi
	;;
1G | 2M) ;;
*)
	echo "$prog: --pagesize takes 1G or 2M, not \"$pagesize\"" >&2
	exit 2
	;;
esac
case $pagesize in
1G) page_kb=1048576 ;;
2M) page_kb=2048 ;;
esac

for tool in "$sluice_config" "$devbind" "$hugepages"; do
	command -v "$tool" >/dev/null ||
		die "$tool not found (apt-get install dpdk; sluice-config is installed with sluice)"
done
"$sluice_config" check "$config" >/dev/null || die "$config is not valid (above)"
mapfile -t pcis < <("$sluice_config" get "$config" 'ports[*].pci' | sed '/^$/d')
socket_mem=$("$sluice_config" get "$config" eal.socket_mem)
huge_dir=$("$sluice_config" get "$config" eal.huge_dir)

driver_of() { # PCI -> driver name or "none"
	local link=$sys/bus/pci/devices/$1/driver
	if [ -e "$link" ]; then basename "$(readlink -f "$link")"; else echo none; fi
}

pages_on() { # NODE -> reserved pages of our size on that node
	local f=$sys/devices/system/node/node$1/hugepages/hugepages-${page_kb}kB/nr_hugepages
	[ -r "$f" ] || f=$sys/kernel/mm/hugepages/hugepages-${page_kb}kB/nr_hugepages
	[ -r "$f" ] || die "no ${pagesize} hugepages on this kernel ($f)"
	cat "$f"
}

mount_pagesize() { # DIR -> "1024M"-style pagesize of a hugetlbfs mount, or ""
	awk -v d="$1" '$2 == d && $3 == "hugetlbfs" {
		n = split($4, o, ","); ps = "default"
		for (i = 1; i <= n; i++) if (o[i] ~ /^pagesize=/) ps = substr(o[i], 10)
		print ps; exit }' "$proc/mounts"
}

if [ "$cmd" = status ]; then
	say "configuration $config: ${#pcis[@]} PCI port(s), socket_mem ${socket_mem:-unset}, huge_dir ${huge_dir:-EAL default}"
	"$hugepages" --show || true
	for p in "${pcis[@]}"; do
		say "port $p: driver $(driver_of "$p")"
	done
	exit 0
fi

# ---------------------------------------------------------------- hugepages
[ -n "$socket_mem" ] ||
	die "eal.socket_mem is not set in $config: say how many MiB each NUMA node needs"
IFS=, read -r -a mem <<<"$socket_mem"
for node in "${!mem[@]}"; do
	mib=${mem[$node]}
	[[ $mib =~ ^[0-9]+$ ]] || die "eal.socket_mem: \"$mib\" is not a number of MiB"
	((mib > 0)) || continue
	want=$(((mib * 1024 + page_kb - 1) / page_kb))
	have=$(pages_on "$node")
	if ((have >= want)); then
		say "node $node: $have ${pagesize} pages reserved, $want needed: ok"
		continue
	fi
	# 1G pages are best reserved at boot (default_hugepagesz=1G
	# hugepagesz=1G hugepages=N); at run time memory may be too
	# fragmented, and dpdk-hugepages.py then fails and says so.
	change "$hugepages" --pagesize "$pagesize" --node "$node" \
		--reserve "$((want * page_kb))K"
done

if [ -n "$huge_dir" ]; then
	ps=$(mount_pagesize "$huge_dir")
	want_ps=$((page_kb / 1024))M
	if [ -z "$ps" ]; then
		[ -d "$huge_dir" ] || change mkdir -p "$huge_dir"
		# hugetlbfs takes numeric ids.
		uid=$(id -u "$user" 2>/dev/null) ||
			die "no user $user (systemd-sysusers creates it from deploy/sysusers.d/sluice.conf)"
		gid=$(id -g "$user")
		change "$hugepages" --pagesize "$pagesize" --mount \
			--directory "$huge_dir" --user "$uid" --group "$gid"
	elif [ "$ps" != "$want_ps" ]; then
		die "$huge_dir is a hugetlbfs mount of ${ps} pages, not ${want_ps}: unmount it or point eal.huge_dir elsewhere"
	else
		say "$huge_dir: hugetlbfs of ${ps} pages mounted: ok"
	fi
fi

# --------------------------------------------------------------------- VFIO
if ((${#pcis[@]})); then
	if [ ! -d "$sys/bus/pci/drivers/vfio-pci" ]; then
		change "$modprobe" vfio-pci
	fi
	if [ -z "$(ls -A "$sys/kernel/iommu_groups" 2>/dev/null)" ]; then
		die "no IOMMU groups: enable VT-d/AMD-Vi in the firmware and boot with intel_iommu=on iommu=pt"
	fi
fi
for p in "${pcis[@]}"; do
	[ -e "$sys/bus/pci/devices/$p" ] || die "port $p: no such PCI device (lspci -D)"
	drv=$(driver_of "$p")
	if [ "$drv" = vfio-pci ]; then
		say "port $p: bound to vfio-pci: ok"
	else
		change "$devbind" --bind vfio-pci "$p"
	fi
	grp=$(basename "$(readlink -f "$sys/bus/pci/devices/$p/iommu_group")")
	node=$dev/vfio/$grp
	# The engine runs as $user (no capabilities); it needs its groups'
	# device files.  /dev/vfio/vfio itself is world-accessible.
	if [ -e "$node" ] && [ "$(stat -c %U "$node")" = "$user" ]; then
		say "port $p: $node owned by $user: ok"
	else
		change chown "$user" "$node"
	fi
done
((dry)) && say "dry run: nothing was changed" || say "host ready for sluice run"
