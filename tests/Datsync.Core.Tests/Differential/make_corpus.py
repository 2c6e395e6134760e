#!/usr/bin/env python3
"""Refreshes the differential corpus: oracle workloads with DataScript's outcomes, checked by the test suite
without node. Usage (from the repo root, node + npm datascript 1.8.1 installed where DATASCRIPT points):

    DATASCRIPT=/path/to/node_modules/datascript python3 tests/Datsync.Core.Tests/Differential/make_corpus.py \
        ../shared/oracle 1000:1150

Writes Data/difftest/seed-N.edn (the workload as `datsync replay` reads it) and seed-N.ds.json (ds_run.js output).
"""
import json, os, subprocess, sys, tempfile

oracle, seeds = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.abspath(oracle))
import difftest  # noqa: E402  (the oracle's own EDN conversion)
from gen import gen  # noqa: E402

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'Data', 'difftest')
os.makedirs(out, exist_ok=True)
lo, hi = map(int, seeds.split(':'))
for s in range(lo, hi):
    w = gen(s)
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False, encoding='utf-8') as f:
        json.dump(w, f)
    ds = subprocess.run(['node', os.path.join(oracle, 'ds_run.js'), f.name], capture_output=True, text=True,
                        check=True, encoding='utf-8', cwd=oracle).stdout
    os.unlink(f.name)
    open(os.path.join(out, f'seed-{s}.edn'), 'w', encoding='utf-8').write(difftest.to_edn(w))
    open(os.path.join(out, f'seed-{s}.ds.json'), 'w', encoding='utf-8').write(ds)
print(f'wrote {hi - lo} workloads to {os.path.normpath(out)}')
