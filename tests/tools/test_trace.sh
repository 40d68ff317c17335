#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_trace.sh SRIOVSIM SRCDIR — `sriovsim run --trace[=KINDS]`: one aligned line per thing a
# component saw, printed as it happens (before the verdicts that follow it), with decoded
# payloads; the same lines as "trace" records in --json-stream; the trace around a failed
# expectation; --draw-on-event writes one picture per event.
set -u
sim=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
has() { # has NAME FILE REGEX
    if grep -qE -- "$3" "$2"; then ok; else bad "$1: no line matches /$3/ in $2"; head -5 "$2"; fi
}
cd "$src" || exit 1
scn=scenarios/failover.scn
# The script lines the trace must name: the attach that starts the bring-up, the check of it.
L_ATTACH=$(grep -n '^[0-9.]*ms *attach-vf vm1' "$scn" | head -1 | cut -d: -f1)
L_CHECK=$(grep -n 'expect vm1.datapath == vf within' "$scn" | head -1 | cut -d: -f1)

# Every kind, live, in aligned columns.
"$sim" run --seed 1 --capture "$tmp/c.pcapng" --trace "$scn" >"$tmp/all.txt" 2>"$tmp/all.err"
has header "$tmp/all.txt" '^ +time line +kind +requester +-> target +what +status +detail$'
# The decoded payload of the bring-up and teardown OIDs (VF id, RID, VPort, filter, MAC).
has allocate "$tmp/all.txt" "L$L_ATTACH"' +oid +vstack +-> h1.pf0 +OID_NIC_SWITCH_ALLOCATE_VF +NDIS_STATUS_SUCCESS +vf=0 rid=0x0180$'
has create-vport "$tmp/all.txt" 'OID_NIC_SWITCH_CREATE_VPORT +NDIS_STATUS_SUCCESS +vport=1 function=0 qps=1$'
has move-in "$tmp/all.txt" 'OID_RECEIVE_FILTER_MOVE_FILTER +NDIS_STATUS_SUCCESS +filter=1 vport 0->1$'
has move-back "$tmp/all.txt" 'OID_RECEIVE_FILTER_MOVE_FILTER +NDIS_STATUS_SUCCESS +filter=1 vport 1->0$'
has set-filter "$tmp/all.txt" 'OID_RECEIVE_FILTER_SET_FILTER +NDIS_STATUS_SUCCESS +filter=1 vport=0 mac=00:15:5d:00:00:01$'
has free-vf "$tmp/all.txt" 'OID_NIC_SWITCH_FREE_VF +NDIS_STATUS_SUCCESS +vf=0$'
# PCIe, VPCI, NVSP, data path and flow lines, each from the part that saw it.
has pci-enable "$tmp/all.txt" 'pci +h1 fabric +-> h1.pf0 +VF Enable set .*NumVFs=8$'
has pci-flr "$tmp/all.txt" 'pci +h1 fabric +-> h1.pf0.vf0 +FLR done +ok +rid=01:10.0$'
has vpci "$tmp/all.txt" 'vpci +vm1 .*vf-offered .*vf=h1.pf0.vf0 delay=1.000000000s$'
has nvsp "$tmp/all.txt" 'nvsp +vm1 .*vf-associated'
has datapath "$tmp/all.txt" '1.601196000s '"L$L_ATTACH"' +datapath +vm1 .*datapath-switched .*to=vf vf=h1.pf0.vf0$'
has flow "$tmp/all.txt" 'flow +f2 .*flow f2 stopped .*sent=[0-9]+ delivered=[0-9]+ dropped=0 in_flight=0$'
# As it happens: the switch to the VF is printed before the verdict that saw it.
sw=$(grep -n 'datapath-switched .*to=vf' "$tmp/all.txt" | head -1 | cut -d: -f1)
vd=$(grep -n "ok .*failover.scn:$L_CHECK: vm1.datapath == vf" "$tmp/all.txt" | head -1 | cut -d: -f1)
[ -n "$sw" ] && [ -n "$vd" ] && [ "$sw" -lt "$vd" ] && ok || bad "live: the switch (line $sw) is not printed before its verdict (line $vd)"

# --trace=oid prints only OID lines; a bad kind is a usage error.
"$sim" run -q --seed 1 --capture "$tmp/c.pcapng" --trace=oid,datapath "$scn" >"$tmp/oid.txt"
if grep -qE '^ +[0-9.]+s L?[0-9-]* +(pci|vpci|flow|nvsp|event) ' "$tmp/oid.txt"; then bad "--trace=oid,datapath printed other kinds"; else ok; fi
has oid-only "$tmp/oid.txt" ' oid +vstack'
"$sim" run --trace=oid,bogus "$scn" >/dev/null 2>"$tmp/e"; [ $? -eq 64 ] && ok || bad "--trace=bogus: not 64"
has bad-kind "$tmp/e" "'bogus' is not a trace kind"

# --json-stream: the same lines as records.
"$sim" run --seed 1 --capture "$tmp/c.pcapng" --json-stream --trace "$scn" >"$tmp/s.jsonl"
has stream-trace "$tmp/s.jsonl" '^\{"type": ?"trace", ?"t_ns": ?500000000, ?"kind": ?"oid", ?"line": ?'"$L_ATTACH"', ?"requester": ?"vstack", ?"target": ?"h1.pf0", ?"what": ?"OID_NIC_SWITCH_ALLOCATE_VF", ?"status": ?"NDIS_STATUS_SUCCESS", ?"detail": ?"vf=0 rid=0x0180"\}$'
if command -v python3 >/dev/null; then
    python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$tmp/s.jsonl" && ok || bad "stream: a line is not JSON"
fi
n_text=$(grep -cE '^ +[0-9]+\.[0-9]+s ' "$tmp/all.txt")
n_json=$(grep -c '"type": *"trace"' "$tmp/s.jsonl")
[ "$n_text" -eq "$n_json" ] && ok || bad "stream: $n_json trace records vs $n_text text lines"

# A failed expectation prints the trace around it.
"$sim" run --seed 3 tests/scenarios/data/fails.scn >/dev/null 2>"$tmp/f.err"
has fail-context "$tmp/f.err" '^  trace before it \(last [0-9]+ lines\):$'
has fail-before "$tmp/f.err" '^  before: .*OID_RECEIVE_FILTER_SET_FILTER'

# --draw-on-event: one picture per data-path switch (to the VF and back).
( cd "$tmp" && "$sim" run --seed 1 --capture c.pcapng --draw-on-event datapath-switched \
    --draw-output sw.dot "$src/$scn" >"$tmp/d.txt" )
[ -f "$tmp/sw-001.dot" ] && [ -f "$tmp/sw-002.dot" ] && [ ! -f "$tmp/sw-003.dot" ] && ok ||
    bad "draw-on-event: expected sw-001.dot and sw-002.dot"
grep -q 'data path: on-vf' "$tmp/sw-001.dot" && ok || bad "draw-on-event: first picture not on the VF"
grep -qE 'data path: (going-down|synthetic)' "$tmp/sw-002.dot" && ok || bad "draw-on-event: second picture still on the VF"
has drew "$tmp/d.txt" '^drew sw-001.dot \(datapath-switched vm1 to=vf'
"$sim" run --draw-on-event nosuchevent "$scn" >/dev/null 2>&1; [ $? -eq 64 ] && ok || bad "--draw-on-event nosuchevent: not 64"

echo "test_trace: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
