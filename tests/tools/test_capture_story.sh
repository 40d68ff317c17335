#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_capture_story.sh SRIOVSIM SRCDIR — the default scenario's capture tells its story to
# real tools: the section header names scenario, seed and version; the file is small enough to
# open at once; the Wireshark profile in docs/wireshark/ gives the interface, packet id and
# comment columns; the per-point recipe removes the spurious TCP retransmissions that a
# multi-point file shows. Skipped (exit 0, "skipped") without tshark / capinfos.
set -u
sim=$(realpath "$1")
src=$(realpath "$2")
if ! command -v tshark >/dev/null || ! command -v capinfos >/dev/null; then
    echo "test_capture_story: skipped (tshark / capinfos not installed)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
cd "$src" || exit 1

"$sim" run -q --seed 1 --capture "$tmp/f.pcapng" scenarios/failover.scn >/dev/null && ok ||
    bad "failover.scn did not pass"
info=$(capinfos -M "$tmp/f.pcapng" 2>/dev/null)
grep -q 'Capture comment: *scenario=scenarios/failover.scn seed=1 sriovsim=[0-9]' <<<"$info" && ok ||
    bad "SHB comment: $(grep -i comment <<<"$info" | head -2)"
grep -q 'Capture application: *sriovsim' <<<"$info" && ok || bad "SHB userappl"
packets=$(capinfos -M -c "$tmp/f.pcapng" 2>/dev/null | sed -n 's/^Number of packets: *\([0-9]*\).*/\1/p')
bytes=$(stat -c %s "$tmp/f.pcapng")
[ -n "$packets" ] && [ "$packets" -lt 150000 ] && ok || bad "too many packets: $packets"
[ "$bytes" -lt 30000000 ] && ok || bad "file too large: $bytes bytes"

# The profile's columns, through tshark.
home="$tmp/home"
mkdir -p "$home/.config/wireshark/profiles"
cp -r docs/wireshark/sriovsim "$home/.config/wireshark/profiles/"
HOME="$home" tshark -C sriovsim -r "$tmp/f.pcapng" -Y frame.comment 2>/dev/null >"$tmp/cols.txt"
grep -qE '^ *[0-9]+ [0-9.]+ vm1\.vf [0-9]+ .*event=datapath-switch-to-vf' "$tmp/cols.txt" && ok ||
    bad "profile columns: $(head -2 "$tmp/cols.txt")"

# TCP analysis: noisy on the whole file, clean on one point written to its own file.
whole=$(tshark -r "$tmp/f.pcapng" -Y tcp.analysis.retransmission 2>/dev/null | wc -l)
tshark -r "$tmp/f.pcapng" -Y 'frame.interface_name == "ext1"' -w "$tmp/ext1.pcapng" 2>/dev/null
one=$(tshark -r "$tmp/ext1.pcapng" -Y 'tcp.analysis.retransmission || tcp.analysis.fast_retransmission' 2>/dev/null | wc -l)
[ "$whole" -gt 1000 ] && ok || bad "the whole file shows only $whole retransmissions (recipe untested)"
[ "$one" -eq 0 ] && ok || bad "one point still shows $one retransmissions"
echo "test_capture_story: $passed passed, $failed failed (whole file $whole retransmission flags, ext1 alone $one)"
[ "$failed" -eq 0 ]
