#!/usr/bin/env bash
# deploy/sluice-host.sh against a fake /sys, /proc and /dev, with DPDK's
# tools replaced by stubs that record their calls and change the fake tree
# as the real ones would: the dry run changes nothing, setup does what the
# configuration asks, a second setup does nothing (idempotent), and what
# cannot work is refused with a reason.
set -euo pipefail
: "${SLUICE_BIN:?}" "${SLUICE_SRC:?}" "${SLUICE_TMP:?}"
rm -rf "$SLUICE_TMP"
mkdir -p "$SLUICE_TMP"
T=$(cd "$SLUICE_TMP" && pwd)
script=$SLUICE_SRC/deploy/sluice-host.sh
fail() { echo "FAIL: $*" >&2; exit 1; }
me=$(id -un)

# ---- fake host: two ports on ice, IOMMU groups 17 and 18, no hugepages.
mkdir -p "$T/sys/bus/pci/drivers/ice" "$T/sys/kernel/iommu_groups/17" \
	"$T/sys/kernel/iommu_groups/18" "$T/proc" "$T/dev/vfio" "$T/bin" \
	"$T/sys/devices/system/node/node0/hugepages/hugepages-1048576kB" \
	"$T/sys/devices/system/node/node1/hugepages/hugepages-1048576kB"
echo 0 >"$T/sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages"
echo 0 >"$T/sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages"
g=17
for p in 0000:3b:00.0 0000:3b:00.1; do
	d=$T/sys/bus/pci/devices/$p
	mkdir -p "$d"
	ln -s "$T/sys/bus/pci/drivers/ice" "$d/driver"
	ln -s "$T/sys/kernel/iommu_groups/$g" "$d/iommu_group"
	g=$((g + 1))
done
echo "flags : fpu sse pdpe1gb" >"$T/proc/cpuinfo"
echo "proc /proc proc rw 0 0" >"$T/proc/mounts"

# ---- stubs: log the call, then do to the fake tree what the tool does.
cat >"$T/bin/devbind" <<STUB
#!/usr/bin/env bash
echo "devbind \$*" >>"$T/calls"
[ "\$1" = --bind ] && [ "\$2" = vfio-pci ] || exit 9
d=$T/sys/bus/pci/devices/\$3
mkdir -p "$T/sys/bus/pci/drivers/vfio-pci"
ln -sfn "$T/sys/bus/pci/drivers/vfio-pci" "\$d/driver"
touch "$T/dev/vfio/\$(basename "\$(readlink -f "\$d/iommu_group")")"
STUB
cat >"$T/bin/hugepages" <<STUB
#!/usr/bin/env bash
echo "hugepages \$*" >>"$T/calls"
node= res= dir=
while ((\$#)); do case \$1 in
	--node) node=\$2; shift 2;; --reserve) res=\${2%K}; shift 2;;
	--directory) dir=\$2; shift 2;; *) shift;; esac; done
[ -n "\$res" ] && echo \$((res / 1048576)) >"$T/sys/devices/system/node/node\$node/hugepages/hugepages-1048576kB/nr_hugepages"
[ -n "\$dir" ] && echo "nodev \$dir hugetlbfs rw,relatime,pagesize=1024M 0 0" >>"$T/proc/mounts"
exit 0
STUB
cat >"$T/bin/modprobe" <<STUB
#!/usr/bin/env bash
echo "modprobe \$*" >>"$T/calls"
STUB
chmod +x "$T/bin/"*

cat >"$T/sluice.yaml" <<YAML
eal:
  socket_mem: "3072,1024"
  huge_dir: $T/huge-1G
ports:
  - pci: "0000:3b:00.0"
  - pci: "0000:3b:00.1"
YAML

export SLUICE_SYSFS=$T/sys SLUICE_PROCFS=$T/proc SLUICE_DEVFS=$T/dev
export DPDK_DEVBIND=$T/bin/devbind DPDK_HUGEPAGES=$T/bin/hugepages
export MODPROBE=$T/bin/modprobe SLUICE_CONFIG_BIN=$SLUICE_BIN/sluice-config
run() { bash "$script" -c "$T/sluice.yaml" -u "$me" "$@"; }

# --help
bash "$script" --help | grep -q '^usage: sluice-host.sh' || fail "--help"

# ---- dry run: the plan, and nothing changed.
run --dry-run >out.txt 2>&1 || fail "dry run failed: $(cat out.txt)"
[ ! -e "$T/calls" ] || fail "dry run called: $(cat "$T/calls")"
[ ! -e "$T/huge-1G" ] || fail "dry run made the mount point"
for want in \
	"would run: $T/bin/hugepages --pagesize 1G --node 0 --reserve 3145728K" \
	"would run: $T/bin/hugepages --pagesize 1G --node 1 --reserve 1048576K" \
	"would run: mkdir -p $T/huge-1G" \
	"would run: $T/bin/hugepages --pagesize 1G --mount --directory $T/huge-1G --user $(id -u) --group $(id -g)" \
	"would run: $T/bin/modprobe vfio-pci" \
	"would run: $T/bin/devbind --bind vfio-pci 0000:3b:00.0" \
	"would run: $T/bin/devbind --bind vfio-pci 0000:3b:00.1"; do
	grep -qxF "$want" out.txt || fail "dry run lacks \"$want\":
$(cat out.txt)"
done

# ---- setup: does it.
run >out.txt 2>&1 || fail "setup failed: $(cat out.txt)"
grep -c . "$T/calls" | grep -qx 6 || fail "setup calls: $(cat "$T/calls")"
[ "$(cat "$T/sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages")" = 3 ] ||
	fail "node 0 pages not reserved"
[ "$(basename "$(readlink -f "$T/sys/bus/pci/devices/0000:3b:00.1/driver")")" = vfio-pci ] ||
	fail "port not bound"
grep -q 'host ready' out.txt || fail "no ready line: $(cat out.txt)"

# ---- setup again: everything is in place, nothing is called.
: >"$T/calls"
run >out.txt 2>&1 || fail "second setup failed: $(cat out.txt)"
[ ! -s "$T/calls" ] || fail "second setup changed things: $(cat "$T/calls")"
[ "$(grep -c ': ok$' out.txt)" -eq 7 ] || fail "second setup: $(cat out.txt)"

# ---- refusals.
sed -i 's/pagesize=1024M/pagesize=2M/' "$T/proc/mounts"
set +e
run >out.txt 2>&1; rc=$?
set -e
[ $rc -eq 1 ] || fail "wrong mount page size: status $rc"
grep -q "is a hugetlbfs mount of 2M pages, not 1024M" out.txt || fail "$(cat out.txt)"
sed -i 's/pagesize=2M/pagesize=1024M/' "$T/proc/mounts"

printf 'ports:\n  - pci: "0000:5e:00.0"\neal:\n  socket_mem: "1024"\n' >"$T/other.yaml"
set +e
bash "$script" -c "$T/other.yaml" -u "$me" >out.txt 2>&1; rc=$?
set -e
[ $rc -eq 1 ] || fail "missing device: status $rc"
grep -q "port 0000:5e:00.0: no such PCI device" out.txt || fail "$(cat out.txt)"

printf 'udp_prot: 1\n' >"$T/bad.yaml"
set +e
bash "$script" -c "$T/bad.yaml" >out.txt 2>&1; rc=$?
set -e
[ $rc -eq 1 ] || fail "bad config: status $rc"
grep -q "bad.yaml:1:1: error: unknown key \"udp_prot\"" out.txt || fail "$(cat out.txt)"

set +e
bash "$script" --pagesize 4K >/dev/null 2>&1; rc=$?
set -e
[ $rc -eq 2 ] || fail "--pagesize 4K: status $rc"
echo ok
