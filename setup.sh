#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# setup.sh — install what sriovsim needs on Debian 12, build it, then run the main job or the
# test suite. Safe to re-run: it installs only what is missing and rebuilds incrementally.
#
#   ./setup.sh run     set up, build, run the main job (the default failover scenario)
#   ./setup.sh test    set up, build, run the whole test suite (ctest)
#   ./setup.sh build   set up and build only
#
# Environment: BUILD_DIR (default: build), SRIOVSIM_WERROR=ON|OFF, SRIOVSIM_SANITIZE=
# 'address,undefined' | 'thread', CMAKE_BUILD_TYPE (default RelWithDebInfo), JOBS (default nproc).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"
mode=${1:-run}
build_dir=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}

packages=(cmake ninja-build gcc pkg-config libuv1-dev libpcap-dev libgraphviz-dev graphviz
          libjansson-dev libcriterion-dev tshark pciutils)

install_missing() {
    local missing=()
    for p in "${packages[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$p")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "setup: installing ${missing[*]}"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
        sudo="sudo"
    fi
    $sudo apt-get update -qq
    # tshark asks whether non-root users may capture; noninteractive keeps the default (no).
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

configure_and_build() {
    cmake -S . -B "$build_dir" -G Ninja \
        -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" \
        -DSRIOVSIM_WERROR="${SRIOVSIM_WERROR:-OFF}" \
        -DSRIOVSIM_SANITIZE="${SRIOVSIM_SANITIZE:-}" \
        -DSRIOVSIM_BUILD_BENCH="${SRIOVSIM_BUILD_BENCH:-ON}" >/dev/null
    cmake --build "$build_dir" -j "$jobs"
}

run_main_job() {
    local sim="$build_dir/tools/sriovsim"
    "$sim" --version
    if "$sim" help 2>/dev/null | grep -q '^  config'; then
        echo
        echo "== a PF with 7 VFs (First VF Offset 0x80, VF Stride 2), as lspci sees it =="
        mkdir -p out
        "$sim" config --num-vfs 7 --vf-offset 0x80 --vf-stride 2 -o out/config.txt
        if command -v lspci >/dev/null; then
            lspci -F out/config.txt 2>/dev/null
        fi
        echo "(full dump: out/config.txt; decode it with: lspci -vvv -F out/config.txt)"
    fi
}

case "$mode" in
    run|test|build) ;;
    *) echo "usage: $0 [run|test|build]" >&2; exit 64 ;;
esac

install_missing
configure_and_build
case "$mode" in
    run) run_main_job ;;
    test) cd "$build_dir" && ctest --output-on-failure -j "$jobs" ;;
    build) ;;
esac
