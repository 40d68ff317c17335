#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# make_dict.py — regenerate scn.dict (the scenario-language dictionary of fuzz_parse / fuzz_run)
# from the schema (script/verbs.c), the verb table (script/script.h) and the shipped scenarios.
# Run from the repository root: python3 tests/fuzz/make_dict.py
import glob
import re

words = set()
src = open('script/verbs.c').read()
for m in re.finditer(r'K[A-Z]*\("([^"]+)"', src):
    words.add(m.group(1) + '=')
for m in re.finditer(r'static const char \*const w_\w+\[\] = \{([^}]*)\}', src):
    for w in re.findall(r'"([^"]+)"', m.group(1)):
        words.add(w)
hdr = open('script/script.h').read()
for m in re.finditer(r'X\(\w+, "([^"]+)", (?:"([^"]+)"|NULL)\)', hdr):
    words.add(m.group(1))
    if m.group(2):
        words.add(m.group(2))
for f in glob.glob('scenarios/*.scn'):
    for line in open(f):
        line = line.split('#')[0]
        for t in re.findall(r'[A-Za-z_][A-Za-z0-9_.:-]*=?|[<>=!]=|\+\d+m?s', line):
            words.add(t)
words |= {"\n", "+0 ", "expect ", "within=", "1s", "100ms", "0.5s", "==", "!=", "<=", ">=", "<",
          ">", "h1.pf0.vf0", "h1.pf0.vf1", "vm1", "vm2", "h2", "h2.pf0", "h2.sw0", "end"}
out = ['# Scenario language dictionary for fuzz_parse / fuzz_run (generated from script/verbs.c,',
       '# script/script.h and the shipped scenarios; regenerate with tests/fuzz/make_dict.py)']
for w in sorted(words):
    if len(w) > 60:
        continue
    out.append('"' + w.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\x0A') + '"')
open('tests/fuzz/scn.dict', 'w').write('\n'.join(out) + '\n')
