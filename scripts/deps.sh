#!/usr/bin/env bash
# Installs what the whole project needs, only what is missing: Debian
# packages through apt-get (as root) and d3-flame-graph into the git-ignored
# scripts/node_modules.  Idempotent; prints nothing when all is present.
#
# `make test` runs on x86-64 and on ARM32 under qemu-user, so the armhf
# architecture and the armhf libraries the cross build links are always
# wanted.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(build-essential clang libclang-rt-14-dev llvm-14 libcmocka-dev libbenchmark-dev python3-matplotlib
	python3-scipy python3-numpy linux-perf qemu-user
	gcc-arm-linux-gnueabihf g++-arm-linux-gnueabihf afl++ valgrind gcovr libbenchmark-tools)
ARM_PACKAGES=(libcmocka-dev:armhf libbenchmark-dev:armhf)
FLAME_GRAPH=d3-flame-graph@4.1.3
FLAME_TEMPLATE=node_modules/d3-flame-graph/dist/templates/d3-flamegraph-base.html

die() { echo "deps.sh: $*" >&2; exit 2; }

# The packages of "$@" that dpkg does not report as installed.
missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			echo "$p"
	done
}

apt_install() {
	local try
	[ "$(id -u)" -eq 0 ] || die "missing packages ($*); run as root to install them"
	echo "deps.sh: installing $*"
	export DEBIAN_FRONTEND=noninteractive
	# a mirror caught mid-sync fails an index for a while: retry, then give up
	for try in 1 2 3; do
		apt-get update -qq || echo "deps.sh: apt-get update reported errors" >&2
		apt-get install -y -qq --no-install-recommends "$@" >/dev/null && return
		[ $try -eq 3 ] || { echo "deps.sh: install failed, retrying in 20 s" >&2; sleep 20; }
	done
	die "could not install $*"
}

want_armhf() {
	dpkg --print-foreign-architectures | grep -qx armhf && return
	[ "$(id -u)" -eq 0 ] || die "the armhf architecture is missing; run as root to add it"
	echo "deps.sh: adding the armhf architecture"
	dpkg --add-architecture armhf
}

npm_install() {
	[ -f "$FLAME_TEMPLATE" ] && return
	command -v npm >/dev/null || apt_install npm
	echo "deps.sh: installing $FLAME_GRAPH into scripts/node_modules"
	npm install --prefix . --cache .npm --no-save --no-package-lock --no-audit \
		--no-fund --silent "$FLAME_GRAPH" >/dev/null
}

main() {
	local want
	[ $# -eq 0 ] || die "usage: deps.sh"
	want_armhf
	want=("${PACKAGES[@]}" "${ARM_PACKAGES[@]}")
	mapfile -t want < <(missing "${want[@]}")
	[ ${#want[@]} -eq 0 ] || apt_install "${want[@]}"
	npm_install
}

main "$@"
