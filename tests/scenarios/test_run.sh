#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_run.sh SRIOVSIM SCENARIOS_DIR DATA_DIR WORK_DIR — the contract of `sriovsim run`:
# same script + seed give byte-identical output and capture; a failed expectation exits 1 and
# prints FILE:LINE: expect failed: ... (expected ..., actual ...) at t=S.NNNNNNNNNs; a script
# error exits 65 and runs nothing; a missing script exits 66; --json gives the same verdicts;
# with tshark installed, the failover capture names vm1.synthetic and vm1.vf, with packets on
# both. Prints "N passed, N failed" and exits 1 if anything failed.
set -u
sim=$1 scn=$2 data=$3 work=$4
mkdir -p "$work"
tmp=$(mktemp -d "$work/run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

# expect NAME WANT_EXIT CMD...: run CMD; stdout/stderr kept in $out/$err.
expect() {
    local name=$1 want=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err" && rc=0 || rc=$?
    out=$(cat "$tmp/out")
    err=$(cat "$tmp/err")
    if [ "$rc" -eq "$want" ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL $name: exit $rc, expected $want"
        echo "  stdout: $(head -c 2000 "$tmp/out")"
        echo "  stderr: $(head -c 2000 "$tmp/err")"
    fi
}
check() {
    local name=$1
    shift
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL $name"; fi
}

# --- determinism: same script, same seed -> same stdout, same capture ------------------------
expect failover-a 0 "$sim" run --seed 7 --capture "$tmp/a.pcapng" "$scn/failover.scn"
cp "$tmp/out" "$tmp/a.out"
check failover-seed-first-line test "$(head -n 1 "$tmp/a.out")" = "seed: 7"
check failover-closing-line grep -Eq '^scenario .*failover.scn: [0-9]+ passed, 0 failed$' \
    <(tail -n 1 "$tmp/a.out")
expect failover-b 0 "$sim" run --seed 7 --capture "$tmp/b.pcapng" "$scn/failover.scn"
check same-stdout cmp -s "$tmp/a.out" "$tmp/out"
check capture-written test -s "$tmp/a.pcapng"
check same-capture cmp -s "$tmp/a.pcapng" "$tmp/b.pcapng"
# The global --seed works the same as run's own.
expect failover-global-seed 0 "$sim" --seed 7 run --capture "$tmp/c.pcapng" "$scn/failover.scn"
check same-stdout-global-seed cmp -s "$tmp/a.out" "$tmp/out"

# --- --trace: the NDIS OID trace and the event log, deterministic too -------------------------
expect trace 0 "$sim" run -q --seed 7 --trace --capture "$tmp/t.pcapng" "$scn/failover.scn"
cp "$tmp/out" "$tmp/trace.out"
check trace-oid grep -q 'vstack *-> h1.pf0 *OID_NIC_SWITCH_ALLOCATE_VF *NDIS_STATUS_SUCCESS *vf=0 rid=0x0180' <<<"$out"
check trace-event grep -q 'datapath vm1 .*datapath-switched .*to=vf' <<<"$out"
expect trace-again 0 "$sim" run -q --seed 7 --trace --capture "$tmp/t.pcapng" "$scn/failover.scn"
check trace-same cmp -s "$tmp/trace.out" "$tmp/out"

# --- a drawn seed is printed and replays the run ---------------------------------------------
expect drawn-seed 1 "$sim" run "$data/fails.scn"
seed=$(head -n 1 "$tmp/out" | sed -n 's/^seed: \([0-9][0-9]*\)$/\1/p')
check drawn-seed-printed test -n "$seed"
cp "$tmp/out" "$tmp/drawn.out"
expect drawn-seed-replay 1 "$sim" run --seed "${seed:-0}" "$data/fails.scn"
check drawn-seed-same-output cmp -s "$tmp/drawn.out" "$tmp/out"

# --- failing expectations: exit 1, one stderr line per failure, in the documented form -------
expect fails 1 "$sim" run --seed 1 "$data/fails.scn"
check fails-two-lines test "$(grep -c 'expect failed' <<<"$err")" -eq 2
check fails-format-instant grep -Eq \
    '^.*fails\.scn:12: expect failed: vm1\.datapath == vf \(expected == vf, actual synthetic\) at t=0\.100000000s$' \
    <<<"$err"
check fails-format-window grep -Eq \
    '^.*fails\.scn:13: expect failed: vm1\.datapath == vf within=50ms \(expected == vf within 0\.050000000s, actual synthetic\) at t=0\.150000000s$' \
    <<<"$err"
check fails-closing-line grep -Eq '^scenario .*fails\.scn: 2 passed, 2 failed$' <(tail -n 1 "$tmp/out")
expect fails-fast 1 "$sim" run --seed 1 --fail-fast "$data/fails.scn"
check fails-fast-stops grep -Eq '^scenario .*fails\.scn: 1 passed, 1 failed$' <(tail -n 1 "$tmp/out")

# --- JSON: one document, same verdicts, same exit code ----------------------------------------
expect fails-json 1 "$sim" --json run --seed 1 "$data/fails.scn"
check json-tool grep -q '"tool": "sriovsim"' <<<"$out"
check json-seed grep -q '"seed": 1,' <<<"$out"
check json-failed grep -Eq '"failed": 2' <<<"$out"
check json-actual grep -q '"actual": "synthetic"' <<<"$out"
check json-time grep -q '"time_ns": 150000000' <<<"$out"
if command -v python3 >/dev/null; then
    check json-parses python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["summary"]["passed"]==2 and len(d["results"])==4' <<<"$out"
    check json-breaches python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["breaches"]==[] and d["summary"]["breaches"]==0' <<<"$out"
fi

# --- strict: an unexpected refusal stops and fails the run, FILE:LINE:COL and the reason ----
expect refused 1 "$sim" run --seed 1 "$data/refused.scn"
check refused-line grep -Eq '^.*refused\.scn:12:9: error: refused: vf-mac vm1 mac=02:00:00:00:00:09: mac change vm1: the VM has no running VF miniport \(SIM_ESTATE\) at t=0\.100000000s' <<<"$err"
check refused-closing grep -Eq '^scenario .*refused\.scn: 1 passed, 0 failed, 1 action\(s\) refused$' <(tail -n 1 "$tmp/out")
check refused-undecided grep -q '^note: 1 expectation(s) not decided' <<<"$out"
expect refused-json 1 "$sim" --json run --seed 1 "$data/refused.scn"
if command -v python3 >/dev/null; then
    check refused-json-doc python3 -c '
import json,sys
d=json.load(sys.stdin)
f=d["refusals"]
assert len(f)==1 and f[0]["line"]==12 and f[0]["col"]==9 and f[0]["error"]=="SIM_ESTATE" and f[0]["expected"] is False, f
assert "no running VF miniport" in f[0]["reason"] and d["summary"]["refused"]==1' <<<"$out"
fi
expect refused-stream 1 "$sim" run --seed 1 --json-stream "$data/refused.scn"
check refused-stream-record grep -q '^{"type":"refusal","t_ns":100000000,.*"line":12,"col":9,.*"error":"SIM_ESTATE","expected":false}$' "$tmp/out"
check refused-stream-end grep -q '"refused":1}$' <(tail -n 1 "$tmp/out")
# An expected refusal passes and the run goes on; check knows what run would refuse.
printf '%s\n' 'host h1' 'pf h1.pf0' 'vswitch h1.sw0 uplink=h1.pf0' 'sriov h1.pf0 num_vfs=2' \
    'vm vm1 on=h1 switch=h1.sw0' '0 attach-vf vm1 vf=h1.pf0.vf3' >"$tmp/notenabled.scn"
expect check-not-enabled 65 "$sim" check "$tmp/notenabled.scn"
check check-not-enabled-msg grep -q 'notenabled.scn:6:20: error: h1.pf0.vf3 is not enabled (sriov h1.pf0 num_vfs=2 at line 4)' <<<"$err"
echo '+0 expect refused "not enabled"' >>"$tmp/notenabled.scn"
echo '1s expect vm1.vf == none' >>"$tmp/notenabled.scn"
expect expected-refusal 0 "$sim" run --seed 1 "$tmp/notenabled.scn"
check expected-refusal-closing grep -Eq '^scenario .*: 2 passed, 0 failed$' <(tail -n 1 "$tmp/out")
check expected-refusal-note grep -q 'notenabled.scn:6: note: attach-vf vm1 vf=h1.pf0.vf3: refused: ' <<<"$err"
printf '%s\n' 'host h1' 'pf h1.pf0 total_vfs=128' >"$tmp/big.scn"
expect check-total-vfs 65 "$sim" check "$tmp/big.scn"
check check-total-vfs-msg grep -q 'big.scn:2:11: error: total_vfs=128 is not supported by the simulator (1 to 64)' <<<"$err"
expect run-total-vfs 65 "$sim" run "$tmp/big.scn"
printf '%s\n' 'host h1' 'pf h1.pf0' 'capture start file=x.pcapng filter="tcp portt 80"' >"$tmp/bpf.scn"
expect check-bpf 65 "$sim" check "$tmp/bpf.scn"
check check-bpf-msg grep -q 'bpf.scn:3:29: error: invalid BPF filter "tcp portt 80": ' <<<"$err"

# --- --json-stream: one object per line as it happens, start first, end last ----------------
expect fails-stream 1 "$sim" run --seed 1 --json-stream "$data/fails.scn"
check stream-first grep -q '^{"type":"start","t_ns":0,.*"seed":1}$' <(head -n 1 "$tmp/out")
check stream-last grep -q '^{"type":"end","t_ns":200000000,.*"passed":2,"failed":2,"undecided":0,"refused":0}$' <(tail -n 1 "$tmp/out")
check stream-results test "$(grep -c '^{"type":"result"' "$tmp/out")" -eq 4
check stream-failure-line grep -q '^{"type":"result","t_ns":150000000,.*"line":13,.*"passed":false' "$tmp/out"
if command -v python3 >/dev/null; then
    check stream-parses python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' <"$tmp/out"
fi
expect stream-full 74 sh -c '"$0" run --seed 1 --json-stream "$1" >/dev/full' "$sim" "$data/fails.scn"
check stream-full-message grep -q 'writing the JSON stream: No space left on device' <<<"$err"
expect stream-and-json 64 "$sim" --json run --json-stream "$data/fails.scn"

# --- --until stops the clock: later expectations stay undecided -------------------------------
expect until 1 "$sim" run --seed 1 --until 120ms "$data/fails.scn"
check until-note grep -q '^note: 2 expectation(s) not decided: the run stopped at t=0.120000000s$' <<<"$out"
check until-closing-line grep -Eq '^scenario .*fails\.scn: 1 passed, 1 failed$' <(tail -n 1 "$tmp/out")

# --- script errors run nothing; a missing script is 66 ----------------------------------------
expect bad 65 "$sim" run --seed 1 "$data/bad.scn"
check bad-nothing-run test -z "$out"
check bad-diagnostic grep -q "bad.scn:6:9: error: unknown verb 'atach-vf'" <<<"$err"
expect missing 66 "$sim" run "$data/does-not-exist.scn"
expect no-script 64 "$sim" run
expect bad-until 64 "$sim" run --until soon "$data/fails.scn"

# --- capture options: classic pcap (one file per point), an unwritable file is exit 74 -------
expect pcap 0 "$sim" run -q --seed 7 --capture-format pcap --capture "$tmp/p.pcap" "$scn/failover.scn"
check pcap-vf-file test -s "$tmp/p-vm1.vf.pcap"
check pcap-synthetic-file test -s "$tmp/p-vm1.synthetic.pcap"
expect capture-unwritable 74 "$sim" run -q --seed 7 --capture "$tmp/no/such/dir/x.pcapng" "$scn/failover.scn"
check capture-unwritable-reason grep -q 'cannot open' <<<"$err"
expect bad-capture-format 64 "$sim" run --capture-format pcapx "$scn/failover.scn"

# --- the capture, read back by the real tool --------------------------------------------------
if command -v tshark >/dev/null; then
    names=$(tshark -r "$tmp/a.pcapng" -T fields -e frame.interface_name 2>/dev/null | sort | uniq -c)
    check tshark-synthetic grep -q ' vm1\.synthetic$' <<<"$names"
    check tshark-vf grep -q ' vm1\.vf$' <<<"$names"
    # The first packet on each new path carries the data-path switch as a packet comment.
    events=$(tshark -r "$tmp/a.pcapng" -Y frame.comment -T fields -e frame.interface_name \
        -e frame.comment 2>/dev/null)
    check tshark-switch-to-vf grep -q $'^vm1\.vf\tevent=datapath-switch-to-vf$' <<<"$events"
    check tshark-switch-back grep -q $'^vm1\.synthetic\tevent=datapath-switch-to-synthetic$' <<<"$events"
else
    echo "tshark not installed: capture read-back skipped"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
