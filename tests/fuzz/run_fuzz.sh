#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run_fuzz.sh replay BINARY DICT REGRESS_DIR CORPUS_DIR...
#     run every seed and every regression input once (a crash fails the test);
# run_fuzz.sh fuzz BINARY DICT SECONDS CORPUS_DIR...
#     fuzz for SECONDS from the seed corpus (new inputs go to a scratch directory, never into the
#     repository) and print "fuzz NAME: N executions in S s, C corpus inputs"; a crash fails the
#     test and leaves the input in the scratch directory, named in the output.
# DICT may be "" (no dictionary). Environment: FUZZ_SEED (default 1) for a replayable run,
# FUZZ_OPTS: more libFuzzer options (e.g. -detect_leaks=0).
set -u
mode=$1 bin=$2 dict=$3
shift 3
name=$(basename "$bin")
dict_opt=()
[ -n "$dict" ] && dict_opt=(-dict="$dict")
existing=()
case "$mode" in
replay)
    regress=$1
    shift
    for d in "$regress" "$@"; do [ -d "$d" ] && existing+=("$d"); done
    files=()
    for d in "${existing[@]}"; do
        while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$d" -maxdepth 1 -type f -print0 | sort -z)
    done
    [ ${#files[@]} -eq 0 ] && { echo "$name: no inputs"; exit 1; }
    "$bin" -runs=1 ${FUZZ_OPTS:-} "${files[@]}" >"${TMPDIR:-/tmp}/$name.replay.$$" 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then tail -n 60 "${TMPDIR:-/tmp}/$name.replay.$$"; fi
    rm -f "${TMPDIR:-/tmp}/$name.replay.$$"
    echo "$name: replayed ${#files[@]} inputs, exit $rc"
    exit $rc
    ;;
fuzz)
    secs=$1
    shift
    for d in "$@"; do [ -d "$d" ] && existing+=("$d"); done
    work=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")
    mkdir -p "$work/corpus" "$work/artifacts"
    log=$work/log
    "$bin" -seed="${FUZZ_SEED:-1}" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 \
        -max_len=8192 -print_final_stats=1 ${FUZZ_OPTS:-} -artifact_prefix="$work/artifacts/" "${dict_opt[@]}" \
        "$work/corpus" "${existing[@]}" >"$log" 2>&1
    rc=$?
    runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -n1)
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n1 | grep -Eo '[0-9]+')
    n=$(find "$work/corpus" -type f | wc -l)
    echo "fuzz ${name#fuzz_}: ${runs:-?} executions in $secs s, coverage ${cov:-?} edges, $n new corpus inputs"
    grep -E "^$name: " "$log" | tail -n 3
    if [ $rc -ne 0 ]; then
        tail -n 80 "$log"
        echo "artifacts kept in $work/artifacts:"
        ls -l "$work/artifacts"
        exit $rc
    fi
    rm -rf "$work"
    exit 0
    ;;
*)
    echo "usage: $0 replay|fuzz BINARY DICT ..." >&2
    exit 64
    ;;
esac
