#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_draw.sh SRIOVSIM SRCDIR — `sriovsim draw`: the graph built from the model's components
# matches the golden .dot files (the graph as built: no layout, so it does not depend on the
# Graphviz version), the same run twice gives the same bytes, and the rendered .svg / .png are
# valid for real tools (xmllint, dot, the PNG signature). Regenerate a golden after an intended
# change with: UPDATE_GOLDEN=1 tests/tools/test_draw.sh build/tools/sriovsim .
set -u
sim=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

cd "$src" || exit 1
# golden NAME SCRIPT TIMES: draw SCRIPT at TIMES with seed 7 and compare with golden/NAME.dot.
golden() {
    local name=$1 script=$2 times=$3
    if ! "$sim" -q --seed 7 draw "$script" --at "$times" -o "$tmp/$name.dot"; then
        bad "$name: draw exited $?"
        return
    fi
    if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
        cp "$tmp/$name.dot" "tests/tools/golden/$name.dot"
    fi
    if diff -u "tests/tools/golden/$name.dot" "$tmp/$name.dot" >"$tmp/$name.diff"; then ok; else
        bad "$name: differs from tests/tools/golden/$name.dot (if the model changed on purpose," \
            "look at the diff and regenerate: UPDATE_GOLDEN=1 tests/tools/test_draw.sh" \
            "build/tools/sriovsim .)"
        head -40 "$tmp/$name.diff"
    fi
    # The same run again: byte-identical.
    "$sim" -q --seed 7 draw "$script" --at "$times" -o "$tmp/$name.again.dot" &&
        cmp -s "$tmp/$name.dot" "$tmp/$name.again.dot" && ok || bad "$name: not deterministic"
    # Graphviz itself reads it back.
    if command -v dot >/dev/null; then
        dot -Tcanon "$tmp/$name.dot" >/dev/null 2>"$tmp/dot.err" && ok ||
            bad "$name: dot cannot read it: $(cat "$tmp/dot.err")"
    fi
}

# A failover and a migration drawn as a strip: synthetic, on the VF, switching back, then on
# the other host (tests/tools/draw-golden.scn: its own script, so lessons can change freely).
golden draw-golden tests/tools/draw-golden.scn 0.05s,1.5s,2.05s,4s
# One frame of the default scenario on the VF.
golden failover-on-vf scenarios/failover.scn 2s

# What the picture says comes from the components: at 1.5 s vm1 is on the VF (NetVSC on-vf,
# the VF bound, the VF's VPort holding vm1's filter, its edges bold green); vm2's frames come
# through its own VMQ VPort; at 4 s vm1 is on h2's switch.
f=tests/tools/golden/draw-golden.dot
grep -q 'data path: on-vf' "$f" && ok || bad "golden: no frame shows NetVSC on the VF"
grep -q 'VF h1.pf0.vf0\\nVF id [0-9]* .*enabled, allocated, VPort attached, offered, bound' "$f" && ok ||
    bad "golden: no frame shows h1.pf0.vf0 bound"
grep -q 'filter [0-9]*: 00:15:5d:00:00:01' "$f" && ok || bad "golden: vm1's filter not drawn"
grep -q '(PF, VMQ)' "$f" && ok || bad "golden: vm2's VMQ VPort not drawn"
grep -q '"f3:netvsc:vm1" -> "f3:port:h2.sw0:port1"' "$f" && ok ||
    bad "golden: vm1 not on h2's switch in the last frame"

# Rendered formats.
"$sim" -q --seed 7 draw scenarios/failover.scn --at 2s -o "$tmp/one.svg" && ok || bad "svg: exit $?"
if command -v xmllint >/dev/null; then
    xmllint --noout "$tmp/one.svg" && ok || bad "svg: not well-formed XML"
fi
grep -q '<svg' "$tmp/one.svg" && ok || bad "svg: no <svg> element"
"$sim" -q --seed 7 draw scenarios/failover.scn --at 2s -o "$tmp/one.png" && ok || bad "png: exit $?"
[ "$(head -c 8 "$tmp/one.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && ok ||
    bad "png: no PNG signature"
[ "$(head -c 16 "$tmp/one.png" | tail -c 4)" = IHDR ] && ok || bad "png: no IHDR chunk first"

# Usage errors.
"$sim" draw scenarios/failover.scn -o "$tmp/x.jpg" 2>/dev/null
[ $? -eq 64 ] && ok || bad "usage: .jpg accepted"
"$sim" draw scenarios/failover.scn --at 2s 2>/dev/null
[ $? -eq 64 ] && ok || bad "usage: no -o accepted"
"$sim" draw scenarios/failover.scn --at 2q -o "$tmp/x.dot" 2>/dev/null
[ $? -eq 64 ] && ok || bad "usage: bad time accepted"
"$sim" draw "$tmp/none.scn" -o "$tmp/x.dot" 2>/dev/null
[ $? -eq 66 ] && ok || bad "missing script: not 66"
"$sim" -q draw scenarios/failover.scn --at 2s -o /nonexistent/dir/x.dot 2>/dev/null
[ $? -eq 74 ] && ok || bad "unwritable output: not 74"

echo "test_draw: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
