#!/usr/bin/env bash
# sluice — one command from a fresh Debian 12 machine to a running engine.
#
#   tools/setup.sh demo   install what is missing, build, run the main job
#                         on the bundled sample (no NIC, no hugepages)
#   tools/setup.sh test   install what is missing, build, run every test
#   tools/setup.sh build  install what is missing and build only
#
# Idempotent: packages already installed are not touched, and the build is
# incremental.  Needs root (or sudo) only when packages are missing.
# Environment: BUILD_DIR (default build), SLUICE_WERROR=ON to make warnings
# fatal (CI sets it), JOBS (default: number of cores).
set -euo pipefail

mode=${1:-demo}
case "$mode" in
demo | test | build) ;;
-h | --help)
	sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "usage: $0 demo|test|build" >&2
	exit 2
	;;
esac

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}

# Debian 12 package names.  Build tools, the libraries of cmake/Deps.cmake,
# and the programs that tests, benches and the demo call.
packages=(
	build-essential cmake ninja-build pkg-config git
	clang libclang-rt-14-dev
	libhyperscan-dev dpdk-dev libdpdk-dev libjemalloc-dev liburcu-dev
	libcriterion-dev libutf8proc-dev libopencc-dev opencc iso-codes
	libfyaml-dev libmsgpack-dev libcjson-dev libcsv-dev libssl-dev
	libmicrohttpd-dev libpcap-dev libxxhash-dev
	dpdk systemd logrotate tcpreplay
	ripgrep hyperfine valgrind gnuplot-nox jq iproute2 procps time
	openssl xxd
	ca-certificates curl
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if ((${#missing[@]})); then
	echo "setup: installing ${missing[*]}"
	sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || {
			echo "setup: need root or sudo to install packages" >&2
			exit 1
		}
		sudo=(sudo)
	fi
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -q
	"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DSLUICE_WERROR="${SLUICE_WERROR:-OFF}" >/dev/null
cmake --build "$build" -j "$jobs"

case "$mode" in
build) ;;
demo)
	exec "$top/tools/demo.sh" "$build"
	;;
test)
	ctest --test-dir "$build" --output-on-failure -j "$jobs"
	;;
esac
