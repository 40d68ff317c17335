#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# setup.sh — install what sriovsim needs on Debian 12, build it, then run the main job or the
# test suite. Safe to re-run: it installs only what is missing and rebuilds incrementally.
#
#   ./setup.sh run     set up, build, run the main job: the default failover scenario + capture
#   ./setup.sh test    set up, build, run the whole test suite (ctest)
#   ./setup.sh build   set up and build only
#
# Environment: BUILD_DIR (default: build), SRIOVSIM_WERROR=ON|OFF, SRIOVSIM_SANITIZE=
# 'address,undefined' | 'thread', CMAKE_BUILD_TYPE (default RelWithDebInfo), JOBS (default nproc),
# SRIOVSIM_FUZZ=ON with CC=clang: the libFuzzer targets only (tests/fuzz/README.md).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"
mode=${1:-run}
build_dir=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}

# clang + libclang-rt-14-dev (libFuzzer) build the fuzz targets (tests/fuzz); valgrind runs the
# shipped scenarios under memcheck in CI; gnuplot-nox draws `sriovsim bench datapath --plot`.
packages=(cmake ninja-build gcc pkg-config libuv1-dev libpcap-dev libgraphviz-dev graphviz
          libjansson-dev libcriterion-dev tshark pciutils libxml2-utils clang libclang-rt-14-dev
          valgrind gnuplot-nox)

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
        -DSRIOVSIM_BUILD_BENCH="${SRIOVSIM_BUILD_BENCH:-ON}" \
        -DSRIOVSIM_FUZZ="${SRIOVSIM_FUZZ:-OFF}" >/dev/null
    cmake --build "$build_dir" -j "$jobs"
}

run_main_job() {
    local sim="$build_dir/tools/sriovsim"
    mkdir -p out
    "$sim" --version
    echo
    echo "== the default scenario: graceful VF failover under load (scenarios/failover.scn) =="
    # --seed makes the run replayable: same seed, byte-identical output and capture.
    "$sim" run --seed 1 --capture out/failover.pcapng scenarios/failover.scn
    echo
    echo "Capture: out/failover.pcapng -- one named interface per capture point"
    echo "  (vm1.synthetic, vm1.vf, h1.sw0.*, h1.pf0, ext1). Open it in Wireshark and add the"
    echo "  column frame.interface_name, or: tshark -r out/failover.pcapng -T fields \\"
    echo "    -e frame.number -e frame.interface_name -e frame.packet_id -e frame.comment"
    if command -v capinfos >/dev/null; then
        capinfos -T -r -c out/failover.pcapng 2>/dev/null | sed 's/^/  packets: /'
    fi
    echo
    # The picture: the model as its components report it, before the VF, on the VF, while
    # switching back, and after (Graphviz; open the .svg in a browser).
    "$sim" -q --seed 1 draw scenarios/failover.scn --at 0.2s,2s,3.05s,4.2s -o out/failover.svg
    echo "Picture: out/failover.svg -- the failover as a strip of four moments (synthetic, on the"
    echo "  VF, switching back, synthetic); each VM's data path is bold, edges carry packet counts."
    echo "Script reference: docs/scenario-language.md; more scenarios in scenarios/."
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
