#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_byod.sh BUILD_DIR SOURCE_DIR — bring your own miniport, as a driver author would:
# `cmake --install` to a temporary prefix (headers, static libraries, sriovsim.pc, the CMake
# package, the program), build docs/examples/pf-skeleton and pf-broken out of tree with
# pkg-config against that prefix, then run the installed `sriovsim conform` on them: the skeleton
# passes every rule; the broken one fails its four deliberate bugs' rules (and the teardown its
# skipped FLR leaves unfinishable), and passes the others.
set -u
build=$1 src=$2
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" 2>&1; then
    cat "$tmp/install.log"
    bad "cmake --install"
    echo "byod: $passed passed, $failed failed"
    exit 1
fi
ok
for f in lib/pkgconfig/sriovsim.pc lib/cmake/sriovsim/sriovsimConfig.cmake \
    include/sriovsim/miniport_pf/miniport_pf.h include/sriovsim/ndis_shim/ndis_shim.h \
    lib/libsriovsim_ndis_shim.a lib/libsriovsim_miniport_pf.a bin/sriovsim; do
    [ -e "$tmp/prefix/$f" ] && ok || bad "installed: $f missing"
done
[ -z "$(find "$tmp/prefix/include" -name '*_int.h')" ] && ok || bad "private *_int.h headers installed"
sim="$tmp/prefix/bin/sriovsim"
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
pkg-config --exists sriovsim && ok || bad "pkg-config does not find sriovsim"

for ex in pf-skeleton pf-broken; do
    cp -r "$src/docs/examples/$ex" "$tmp/$ex"
    if make -C "$tmp/$ex" >"$tmp/$ex.log" 2>&1; then ok; else
        cat "$tmp/$ex.log"
        bad "$ex: out-of-tree build"
    fi
done

"$sim" conform --pf-driver "$tmp/pf-skeleton/libpf_skeleton.so" --junit "$tmp/skel.xml" \
    >"$tmp/skel.out" 2>&1 && ok || { cat "$tmp/skel.out"; bad "skeleton: conform failed"; }
grep -q '^conform: 9 rules, 9 passed, 0 failed$' "$tmp/skel.out" && ok || bad "skeleton: summary"
grep -q 'failures="0"' "$tmp/skel.xml" && ok || bad "skeleton: junit"

"$sim" conform --pf-driver "$tmp/pf-broken/libpf_broken.so" --junit "$tmp/broken.xml" \
    >"$tmp/broken.out" 2>/dev/null
rc=$?
[ "$rc" -eq 1 ] && ok || bad "broken: conform exit $rc, expected 1"
want="free-vf-with-vport-fails move-filter-atomic reset-vf-performs-flr teardown-order vf-params-immutable"
got=$(awk '$1 == "FAIL" {print $2}' "$tmp/broken.out" | sort | xargs)
[ "$got" = "$want" ] && ok || { cat "$tmp/broken.out"; bad "broken: failed rules '$got', expected '$want'"; }
grep -q 'RESET_VF vf=0 completed SUCCESS but 0 Function Level Reset' "$tmp/broken.out" && ok ||
    bad "broken: the RESET_VF reason"
grep -q 'failures="5"' "$tmp/broken.xml" && ok || bad "broken: junit failures"

# A shipped scenario runs on the skeleton exactly as on the shipped PF.
"$sim" run -q --capture "$tmp/c2.pcapng" --pf-driver "$tmp/pf-skeleton/libpf_skeleton.so" \
    "$src/scenarios/failover.scn" >"$tmp/run2.out" 2>"$tmp/run2.err" && ok ||
    { cat "$tmp/run2.err"; bad "skeleton: failover run failed"; }

echo "byod: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
