#!/usr/bin/env python3
"""Refreshes the differential corpus: oracle workloads with DataScript's outcomes, checked by the test suite
without node. Usage (from the repo root, node + npm datascript 1.8.1 installed where DATASCRIPT points):

    DATASCRIPT=/path/to/node_modules/datascript python3 tests/Datsync.Core.Tests/Differential/make_corpus.py \
        ../shared/oracle 1000:1150
    DATASCRIPT=/path/to/node_modules/datascript python3 tests/Datsync.Core.Tests/Differential/make_corpus.py \
        ../shared/oracle 2000:2050 --queries

Writes Data/difftest/seed-N.edn (the workload as `datsync replay` reads it) and seed-N.ds.json (ds_run.js output).
With --queries the workloads come from gen_q.py (gen.py's, a fixture transaction and Datalog queries) and go to
Data/difftest-q; each query's entry in seed-N.ds.json also carries gen_q's "shape" (how difftest.py compares the
result) and "what". Where DataScript is known to deviate from Datomic (../shared/docs/semantics.md), the script
leaves the case out and says so:
- a seed whose fixture lost a key: DataScript's retry-with-tempid (after a tempid used as a ref value upserts) keeps
  the tempids it allocated but restarts the entity-id counter, so a later new tempid gets an id already taken and
  two new entities become one;
- a query calling a rule with `_` as an argument: DataScript puts the `_` into the rule body, where each occurrence
  matches anything, instead of one unnamed variable of the call.
"""
import json, os, subprocess, sys, tempfile

oracle, seeds = os.path.abspath(sys.argv[1]), sys.argv[2]
queries = '--queries' in sys.argv[3:]
sys.path.insert(0, oracle)
import difftest, edn  # noqa: E402  (the oracle's own EDN conversion)
from gen import gen  # noqa: E402
if queries:
    from gen_q import gen, in_bindings, RULES  # noqa: E402,F811

SPECIAL = {'or', 'or-join', 'and', 'not', 'not-join'}

def blank_rule_calls(clauses):
    """True when some clause (also inside or/and/not) calls a rule with `_` as an argument."""
    for c in clauses:
        if not isinstance(c, tuple) or not c or not isinstance(c[0], edn.Symbol): continue
        head = str(c[0])
        if head in SPECIAL:
            if blank_rule_calls(c[2:] if head.endswith('-join') else c[1:]): return True
        elif any(isinstance(x, edn.Symbol) and str(x) == '_' for x in c[1:]):
            return True
    return False

def calls_rule_with_blank(q):
    form = edn.loads(q['query'])
    where = form[form.index(edn.Keyword('where')) + 1:] if edn.Keyword('where') in form else []
    if blank_rule_calls(where): return True
    for b, text in zip(in_bindings(form), q['inputs']):
        if b == RULES and any(blank_rule_calls(rule[1:]) for rule in edn.loads(text)): return True
    return False

def run_ds(w):
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False, encoding='utf-8') as f:
        json.dump(w, f)
    try:
        return subprocess.run(['node', '--max-old-space-size=1024', os.path.join(oracle, 'ds_run.js'), f.name],
                              capture_output=True, text=True, check=True, encoding='utf-8', cwd=oracle).stdout
    finally:
        os.unlink(f.name)

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'Data', 'difftest-q' if queries else 'difftest')
os.makedirs(out, exist_ok=True)
lo, hi = map(int, seeds.split(':'))
written = nq = 0
for s in range(lo, hi):
    w = gen(s)
    if queries:
        dropped = [i + 1 for i, q in enumerate(w['queries']) if calls_rule_with_blank(q)]
        w['queries'] = [q for i, q in enumerate(w['queries']) if i + 1 not in dropped]
        if dropped: print(f'seed {s}: left out queries {dropped} (a rule called with _)')
    ds = run_ds(w)
    if queries:
        d = json.loads(ds)
        keys = {k for k, a, _ in d['state'] if a == 'node/key'}
        lost = sorted({f['m']['node/key'] for f in w['txs'][-1]} - keys)
        if lost:
            print(f'seed {s}: left out (DataScript folded new tempids of the fixture; keys {lost} lost)')
            continue
        for r, q in zip(d['queries'], w['queries']):
            r['shape'], r['what'] = q['shape'], q['what']
        ds = json.dumps(d, ensure_ascii=False) + '\n'
        nq += len(w['queries'])
    open(os.path.join(out, f'seed-{s}.edn'), 'w', encoding='utf-8').write(difftest.to_edn(w))
    open(os.path.join(out, f'seed-{s}.ds.json'), 'w', encoding='utf-8').write(ds)
    written += 1
print(f'wrote {written} workloads' + (f' with {nq} queries' if queries else '') + f' to {os.path.normpath(out)}')
