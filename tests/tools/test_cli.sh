#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_cli.sh SRIOVSIM — the command line's contract: exit codes, --help, --json, errors on stderr.
set -u
sim=$1
passed=0 failed=0

# expect NAME WANT_EXIT CMD...: run CMD, compare its exit code; stdout/stderr kept in $out/$err.
expect() {
    local name=$1 want=$2
    shift 2
    out=$("$@" 2>/tmp/cli_err.$$) && rc=0 || rc=$?
    err=$(cat /tmp/cli_err.$$)
    if [ "$rc" -eq "$want" ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL $name: exit $rc, expected $want"
        echo "  stdout: $out"
        echo "  stderr: $err"
    fi
}
# check NAME CONDITION...: a shell test on the last output.
check() {
    local name=$1
    shift
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL $name"; fi
}

expect version 0 "$sim" --version
check version-text grep -q '^sriovsim [0-9]' <<<"$out"
expect version-json 0 "$sim" --json version
check version-json-tool grep -q '"tool": "sriovsim"' <<<"$out"
expect help 0 "$sim" --help
check help-lists-commands grep -q 'commands:' <<<"$out"
expect help-version 0 "$sim" help version
expect no-command 64 "$sim"
expect unknown-command 64 "$sim" frobnicate
check unknown-command-on-stderr grep -q "unknown command 'frobnicate'" <<<"$err"
check unknown-command-not-on-stdout test -z "$out"
expect bad-global-option 64 "$sim" --bogus version
expect bad-seed 64 "$sim" --seed 12x version
check bad-seed-message grep -q -- "--seed '12x'" <<<"$err"
expect bad-log 64 "$sim" --log pcie=loud version
check bad-log-message grep -q "loud" <<<"$err"
expect version-extra-arg 64 "$sim" version extra
expect help-unknown 64 "$sim" help nope
if "$sim" --help | grep -q '^  bench'; then
    expect bench-help 0 "$sim" bench --help
    expect bench-unknown 64 "$sim" bench nope
fi

if "$sim" --help | grep -q '^  config'; then
    tmp=$(mktemp -d)
    expect config-default 0 "$sim" config -o "$tmp/d.txt"
    check config-first-line grep -q '^01:00.0 ' "$tmp/d.txt"
    check config-4096-bytes-per-function test "$(grep -c '^ff0: ' "$tmp/d.txt")" -eq 5
    expect config-too-many-vfs 64 "$sim" config --num-vfs 9 --total-vfs 8
    check config-rule-named grep -q 'NumVFs can be at most TotalVFs' <<<"$err"
    expect config-bad-number 64 "$sim" config --vf-stride banana
    expect config-unwritable 74 "$sim" config -o /nonexistent/dir/d.txt
    expect config-json 0 "$sim" --json config --num-vfs 7
    check config-json-num-vfs grep -q '"num_vfs": 7' <<<"$out"
    if command -v lspci >/dev/null; then
        "$sim" config --num-vfs 7 --vf-offset 0x80 --vf-stride 2 -o "$tmp/7.txt"
        out=$(lspci -F "$tmp/7.txt" -vvv -nn 2>/dev/null)
        check lspci-seven-vfs test "$(grep -c '\[8086:10ed\]' <<<"$out")" -eq 7
        check lspci-last-vf grep -q '^01:11.4 ' <<<"$out"
        check lspci-sriov-counts grep -q 'Initial VFs: 8, Total VFs: 8, Number of VFs: 7' <<<"$out"
        check lspci-offset-stride grep -q 'VF offset: 128, stride: 2, Device ID: 10ed' <<<"$out"
    else
        echo "cli: lspci not installed, skipping the lspci decode checks"
    fi
    # Scenario mode: the script's PF, as its drivers left it at --at.
    scn=$(dirname "$0")/../../scenarios/failover.scn
    expect config-scenario 0 "$sim" config "$scn" --at 2s -o "$tmp/s.txt"
    check config-scenario-pf grep -q '^01:00.0 ' "$tmp/s.txt"
    expect config-scenario-json 0 "$sim" --json config "$scn" --at 2s
    check config-scenario-json-vfs grep -q '"num_vfs": 8' <<<"$out"
    expect config-scenario-pf-option 64 "$sim" config "$scn" --num-vfs 3
    check config-scenario-pf-option-says grep -q -- '--num-vfs has no effect with a scenario' <<<"$err"
    expect config-scenario-no-host 64 "$sim" config "$scn" --host h9
    expect config-at-needs-script 64 "$sim" config --at 1s
    expect config-scenario-missing 66 "$sim" config "$tmp/nope.scn"
    if command -v lspci >/dev/null; then
        out=$(lspci -F "$tmp/s.txt" -vvv -nn 2>/dev/null)
        check lspci-scenario-vfs test "$(grep -c '\[8086:10ed\]' <<<"$out")" -eq 8
        check lspci-scenario-numvfs grep -q 'Number of VFs: 8' <<<"$out"
    fi
    rm -rf "$tmp"
fi

if "$sim" --help | grep -q '^  check'; then
    data=$(dirname "$0")/../script/data
    tmp=$(mktemp -d)
    expect check-examples 0 "$sim" check "$data/failover.scn" "$data/live-migrate.scn"
    check check-counts grep -q 'failover.scn: ok (28 statements' <<<"$out"
    printf 'host h1\npf h1.pf0 total_vfs=8\n0 atach-vf vm1\n1s oid h1.pf0 OID_SRIOV_RESET_VV\n' >"$tmp/bad.scn"
    expect check-bad 65 "$sim" check "$tmp/bad.scn"
    check check-did-you-mean-verb grep -q "bad.scn:3:3: error: unknown verb 'atach-vf' (did you mean 'attach-vf'?)" <<<"$err"
    check check-did-you-mean-oid grep -q "did you mean 'OID_SRIOV_RESET_VF'" <<<"$err"
    check check-caret grep -q '\^~~~~~~~' <<<"$err"
    expect check-missing 66 "$sim" check "$tmp/nope.scn"
    expect check-missing-wins 66 "$sim" check "$tmp/bad.scn" "$tmp/nope.scn"
    expect check-no-arg 64 "$sim" check
    expect check-json 65 "$sim" --json check "$tmp/bad.scn"
    check check-json-line grep -q '"line": 3' <<<"$out"
    rm -rf "$tmp"
fi

rm -f /tmp/cli_err.$$
# conform: the shipped PF passes every rule; JUnit; a driver that cannot be loaded is 66.
expect conform 0 "$sim" conform --junit /tmp/cli_junit.$$
check conform-lines test "$(grep -c '^pass  ' <<<"$out")" -eq "$("$sim" conform --list | wc -l)"
check conform-summary grep -q '^conform: [0-9]* rules, [0-9]* passed, 0 failed$' <<<"$out"
check conform-junit grep -q '<testsuite name="sriovsim conform" tests="[0-9]*" failures="0">' /tmp/cli_junit.$$
rm -f /tmp/cli_junit.$$
expect conform-missing-driver 66 "$sim" conform --pf-driver /nonexistent/libnone.so
check conform-missing-message grep -q 'cannot load PF driver /nonexistent/libnone.so' <<<"$err"
expect run-missing-driver 66 "$sim" run --pf-driver /nonexistent/libnone.so /dev/null
expect conform-usage 64 "$sim" conform extra

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
