#!/bin/sh
# SPDX-License-Identifier: MIT
# until_sweep.sh SRIOVSIM SCENARIO_DIR — end every shipped scenario early, at several moments
# (`run --until T`), so that the world is torn down from whatever state it is in: VFs being
# allocated, resets pending, faults armed, migrations half done, OIDs in flight. Each run must
# finish with exit 0 or 1 (expectations may be undecided or fail: the run was cut short), never
# crash, never report a teardown error, and (under ASan/LSan, as CI runs it) never leak.
sim=$1
dir=$2
failed=0
runs=0
for scn in "$dir"/*.scn; do
    case $(basename "$scn") in scale-*) continue ;; esac
    for t in 1ns 250ms 1.05s 2.0005s 2.03s 3.5s 5.01s; do
        runs=$((runs + 1))
        err=$("$sim" run --seed 1 -q --until "$t" "$scn" 2>&1 >/dev/null)
        rc=$?
        if [ $rc -gt 1 ]; then
            echo "FAIL $scn --until $t: exit $rc"
            echo "$err" | tail -20
            failed=$((failed + 1))
        elif echo "$err" | grep -Eq 'teardown|would not halt|leak|ERROR|runtime error'; then
            echo "FAIL $scn --until $t: teardown reported a problem"
            echo "$err" | grep -E 'teardown|would not halt|leak|ERROR|runtime error' | head -5
            failed=$((failed + 1))
        fi
    done
done
echo "until_sweep: $runs runs, $failed failed"
[ $failed -eq 0 ]
