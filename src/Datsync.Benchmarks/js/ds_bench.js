'use strict';
// DataScript side of the Datsync.Core benchmarks. Run by `Datsync.Benchmarks compare`; by hand:
//   node --expose-gc ds_bench.js --workload <workload.json> [--warmup 2] [--samples 7] [--cases a,b]
//   node --expose-gc ds_bench.js --workload <workload.json> --memory
// Reads the workload the C# side generated, runs the same cases the same way (warmup runs, then N samples, median of
// performance.now() timings, full GC before every run), prints JSON on stdout and progress on stderr.
// Every case returns a check string that must equal the C# side's (Cases.Expected).

const fs = require('fs');
const { performance } = require('perf_hooks');

let d;
try {
  d = require('datascript');
} catch (e) {
  process.stderr.write(`error: cannot load datascript (run npm install in ${__dirname}): ${e.message}\n`);
  process.exit(3);
}
const dsVersion = require('datascript/package.json').version;

if (typeof global.gc !== 'function') {
  process.stderr.write('error: run node with --expose-gc\n');
  process.exit(3);
}

// ---------------------------------------------------------------- arguments

const args = process.argv.slice(2);
function opt(name, dflt) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
}
const workloadPath = opt('--workload', null);
if (!workloadPath) {
  process.stderr.write('usage: node --expose-gc ds_bench.js --workload <file> [--warmup N] [--samples N] [--cases a,b] [--memory]\n');
  process.exit(2);
}
const warmup = parseInt(opt('--warmup', '2'), 10);
const samples = parseInt(opt('--samples', '7'), 10);
const memoryMode = args.includes('--memory');

function progress(msg) {
  const t = new Date().toTimeString().slice(0, 8);
  process.stderr.write(`[${t}] [datascript] ${msg}\n`);
}

// ---------------------------------------------------------------- workload

const w = JSON.parse(fs.readFileSync(workloadPath, 'utf8'));
const P = w.people;
const people = P.id.map((id, i) => ({ id, name: P.name[i], lastName: P.lastName[i], age: P.age[i], salary: P.salary[i] }));

// The JS API takes attribute names as strings; the schema is the same as the C# side's
// (:id unique identity, :follows ref many, :alias many; the other attributes need no declaration in DataScript).
const schema = {
  'id': { ':db/unique': ':db.unique/identity' },
  'follows': { ':db/valueType': ':db.type/ref', ':db/cardinality': ':db.cardinality/many' },
  'alias': { ':db/cardinality': ':db.cardinality/many' },
};
const personAttrs = ['id', 'name', 'last-name', 'age', 'salary'];

function personMap(p) {
  return { 'id': p.id, 'name': p.name, 'last-name': p.lastName, 'age': p.age, 'salary': p.salary };
}

function countCheck(db) {
  let datoms = 0;
  for (const a of personAttrs) datoms += d.datoms(db, ':aevt', a).length;
  const ids = d.datoms(db, ':avet', 'id').length;
  return `datoms=${datoms} ids=${ids}`;
}

let fullDb = null, eids = null, wideDb = null, wideRoot = null;

function getFullDb() {
  if (!fullDb) fullDb = d.db_with(d.empty_db(schema), people.map(personMap));
  return fullDb;
}

// entity ids of the people in the full db, in workload order
function getEids() {
  if (!eids) {
    const db = getFullDb();
    eids = people.map(p => {
      const found = d.datoms(db, ':avet', 'id', p.id);
      if (found.length !== 1) throw new Error(`person ${p.id} missing`);
      return found[0].e;
    });
  }
  return eids;
}

// the wide tree: one transaction of person maps with :follows children (negative tempids) and :alias values
function getWideDb() {
  if (!wideDb) {
    const tx = w.wide.map(n => {
      const m = { ':db/id': -n.id, 'id': n.id, 'name': n.name, 'last-name': n.lastName, 'age': n.age, 'salary': n.salary };
      if (n.alias.length > 0) m['alias'] = n.alias;
      if (n.follows.length > 0) m['follows'] = n.follows.map(f => -f);
      return m;
    });
    const conn = d.create_conn(schema);
    const report = d.transact(conn, tx);
    wideRoot = report.tempids[String(-w.wide[0].id)];
    wideDb = d.db(conn);
  }
  return wideDb;
}

function treeCheck(c) {
  return `nodes=${c.nodes} aliases=${c.aliases} ageSum=${c.ageSum}`;
}

// ---------------------------------------------------------------- cases (same work as Cases.cs / Cases.EntityPull.cs)

const cases = {
  // one datom per transaction: [:db/add "p" :id i], then one tx per remaining attribute on the resolved entity id
  'add-1': () => {
    return {
      run: () => {
        const conn = d.create_conn(schema);
        for (const p of people) {
          const r = d.transact(conn, [[':db/add', 'p', 'id', p.id]]);
          const e = r.tempids['p'];
          d.transact(conn, [[':db/add', e, 'name', p.name]]);
          d.transact(conn, [[':db/add', e, 'last-name', p.lastName]]);
          d.transact(conn, [[':db/add', e, 'age', p.age]]);
          d.transact(conn, [[':db/add', e, 'salary', p.salary]]);
        }
        return d.db(conn);
      },
      check: countCheck,
    };
  },

  // one entity map (5 attributes, no :db/id) per transaction
  'add-5': () => {
    const empty = d.empty_db(schema);
    const maps = people.map(personMap);
    return {
      run: () => {
        let db = empty;
        for (const m of maps) db = d.db_with(db, [m]);
        return db;
      },
      check: countCheck,
    };
  },

  // all 20k entity maps in one transaction
  'add-all': () => {
    const empty = d.empty_db(schema);
    const maps = people.map(personMap);
    return { run: () => d.db_with(empty, maps), check: countCheck };
  },

  // bulk load of the 100k datoms (datom tuples built untimed)
  'init': () => {
    const datoms = [];
    people.forEach((p, i) => {
      const e = i + 1;
      datoms.push([e, 'id', p.id], [e, 'name', p.name], [e, 'last-name', p.lastName], [e, 'age', p.age], [e, 'salary', p.salary]);
    });
    return { run: () => d.init_db(datoms, schema), check: countCheck };
  },

  // :db/retractEntity of each person, one per transaction, in the workload's shuffled order
  'retract-5': () => {
    const start = getFullDb();
    const ids = getEids();
    const order = w.retractOrder.map(i => ids[i]);
    return {
      run: () => {
        let db = start;
        for (const e of order) db = d.db_with(db, [[':db/retractEntity', e]]);
        return db;
      },
      check: countCheck,
    };
  },

  // for each person: all its datoms from EAVT by entity id
  'datoms-eavt': () => {
    const db = getFullDb();
    const ids = getEids();
    return {
      run: () => {
        let n = 0;
        for (const e of ids) n += d.datoms(db, ':eavt', e).length;
        return n;
      },
      check: n => `datoms=${n}`,
    };
  },

  // for each of the 5 attributes: all its datoms from AEVT
  'datoms-aevt': () => {
    const db = getFullDb();
    return {
      run: () => {
        let n = 0;
        for (const a of personAttrs) n += d.datoms(db, ':aevt', a).length;
        return n;
      },
      check: n => `datoms=${n}`,
    };
  },

  // for each person: the AVET datoms of [:id value]
  'datoms-avet': () => {
    const db = getFullDb();
    return {
      run: () => {
        let found = 0;
        for (const p of people) found += d.datoms(db, ':avet', 'id', p.id).length;
        return found;
      },
      check: n => `found=${n}`,
    };
  },

  // for each person: d.entity, then read its 5 attributes
  'entity': () => {
    const db = getFullDb();
    const ids = getEids();
    return {
      run: () => {
        let values = 0, ageSum = 0;
        for (const eid of ids) {
          const en = d.entity(db, eid);
          if (en.get('id') != null) values++;
          if (en.get('name') != null) values++;
          if (en.get('last-name') != null) values++;
          if (en.get('salary') != null) values++;
          const age = en.get('age');
          if (age != null) { values++; ageSum += age; }
        }
        return { values, ageSum };
      },
      check: r => `values=${r.values} ageSum=${r.ageSum}`,
    };
  },

  // from the root of the wide db, walk :follows through entities, reading every node's attributes
  'entity-wide': () => {
    const db = getWideDb();
    const root = wideRoot;
    function walk(en, c) {
      c.nodes++;
      void en.get(':db/id');
      void en.get('name');
      void en.get('last-name');
      void en.get('salary');
      const age = en.get('age');
      if (age != null) c.ageSum += age;
      const aliases = en.get('alias');
      if (aliases != null) for (const _ of aliases) c.aliases++;
      const children = en.get('follows');
      if (children != null) for (const child of children) walk(child, c);
    }
    return {
      run: () => {
        const c = { nodes: 0, aliases: 0, ageSum: 0 };
        walk(d.entity(db, root), c);
        return c;
      },
      check: treeCheck,
    };
  },

  // for each person: pull [:id :name :last-name :age :salary] (pull_many parses the pattern string once)
  'pull': () => {
    const db = getFullDb();
    const ids = getEids();
    const pattern = '["id" "name" "last-name" "age" "salary"]';
    return {
      run: () => d.pull_many(db, pattern, ids),
      check: results => {
        let values = 0, ageSum = 0;
        for (const m of results) {
          values += Object.keys(m).length;
          if (m['age'] != null) ageSum += m['age'];
        }
        return `values=${values} ageSum=${ageSum}`;
      },
    };
  },

  // pull [:db/id :name :last-name :alias :age :salary {:follows ...}] from the root of the wide db
  'pull-wide': () => {
    const db = getWideDb();
    const root = wideRoot;
    const pattern = '[:db/id "name" "last-name" "alias" "age" "salary" {"follows" ...}]';
    function count(m, c) {
      c.nodes++;
      if (m['age'] != null) c.ageSum += m['age'];
      if (m['alias'] != null) c.aliases += m['alias'].length;
      if (m['follows'] != null) for (const child of m['follows']) count(child, c);
    }
    return {
      run: () => d.pull(db, pattern, root),
      check: r => {
        const c = { nodes: 0, aliases: 0, ageSum: 0 };
        count(r, c);
        return treeCheck(c);
      },
    };
  },
};

// ---------------------------------------------------------------- query and rules cases (Cases.Queries.cs)
// DataScript's bench q1..q4, qpred1, qpred2 as /work/shared/jvm-datascript/bench.clj adapts them to the workload's
// 100k-datom db ("Ivan" -> "Anna", the bench's [?e :sex :male] -> [?e :last-name "Orlov"]), plus q2-swapped (q2 with
// its two clauses swapped); attributes are the JS API's strings.

const queries = {
  'q1': '[:find ?e :where [?e "name" "Anna"]]',
  'q2': '[:find ?e ?a :where [?e "name" "Anna"] [?e "age" ?a]]',
  'q2-swapped': '[:find ?e ?a :where [?e "age" ?a] [?e "name" "Anna"]]',
  'q3': '[:find ?e ?a :where [?e "name" "Anna"] [?e "age" ?a] [?e "last-name" "Orlov"]]',
  'q4': '[:find ?e ?s ?a :where [?e "name" "Anna"] [?e "salary" ?s] [?e "age" ?a] [?e "last-name" "Orlov"]]',
  'qpred1': '[:find ?e ?s :where [?e "salary" ?s] [(> ?s 50000)]]',
  'qpred2': '[:find ?e ?s :in $ ?min_s :where [?e "salary" ?s] [(> ?s ?min_s)]]',
};

function sumCol(rows, i) {
  let s = 0;
  for (const r of rows) s += r[i];
  return s;
}

function queryCheck(name, rows) {
  switch (name) {
    case 'q1': return `results=${rows.length}`;
    case 'q2': case 'q2-swapped': case 'q3': return `results=${rows.length} ageSum=${sumCol(rows, 1)}`;
    case 'q4': return `results=${rows.length} ageSum=${sumCol(rows, 2)} salarySum=${sumCol(rows, 1)}`;
    default: return `results=${rows.length} salarySum=${sumCol(rows, 1)}`; // qpred1, qpred2
  }
}

// on the full db (all person maps in one db_with, as the bench's *db100k)
function queryCase(name) {
  const db = getFullDb();
  const q = queries[name];
  return {
    run: name === 'qpred2' ? () => d.q(q, db, 50000) : () => d.q(q, db),
    check: rows => queryCheck(name, rows),
  };
}

// bench.clj's node-attrs: the attributes of workload person (id-1) mod 20k
function nodeAttrs(id) {
  const p = people[(id - 1) % people.length];
  return { 'name': p.name, 'last-name': p.lastName, 'age': p.age, 'salary': p.salary };
}

// bench.clj's wide-tree: ids from 1, the children of i are i*width .. i*width+width-1 (string tempids); an inner node
// has :id and :follows, a leaf the person attributes only
function wideTree(id, depth, width, into) {
  const m = nodeAttrs(id);
  m[':db/id'] = String(id);
  if (depth > 0) {
    const children = [];
    for (let k = 0; k < width; k++) children.push(id * width + k);
    m['id'] = id;
    m['follows'] = children.map(String);
    into.push(m);
    for (const c of children) wideTree(c, depth - 1, width, into);
  } else into.push(m);
  return into;
}

// bench.clj's long-tree: width chains of depth+1 nodes, entity ids given directly
function longTree(depth, width) {
  const tx = [];
  for (let x = 0; x < width; x++)
    for (let y = 0; y < depth; y++) {
      const from = x * (depth + 1) + y, to = from + 1;
      tx.push({ ':db/id': from + 1, 'name': 'Ivan', 'follows': to + 1 }, { ':db/id': to + 1, 'name': 'Ivan' });
    }
  return tx;
}

const rulesShapes = {
  'rules-wide-3x3': ['wide', 3, 3],
  'rules-wide-5x3': ['wide', 5, 3],
  'rules-wide-7x3': ['wide', 7, 3],
  'rules-wide-4x6': ['wide', 4, 6],
  'rules-long-10x3': ['long', 10, 3],
  'rules-long-30x3': ['long', 30, 3],
  'rules-long-30x5': ['long', 30, 5],
};

const rulesQuery = '[:find ?e ?e2 :in $ % :where (follows ?e ?e2)]';
const followsRules = '[[(follows ?x ?y) [?x "follows" ?y]] [(follows ?x ?y) [?x "follows" ?t] (follows ?t ?y)]]';

// the transitive closure of :follows by a recursive rule, on a tree db built untimed
function rulesCase(name) {
  const [kind, depth, width] = rulesShapes[name];
  const tx = kind === 'wide' ? wideTree(1, depth, width, []) : longTree(depth, width);
  const db = d.db_with(d.empty_db(schema), tx);
  return {
    run: () => d.q(rulesQuery, db, followsRules),
    check: rows => `results=${rows.length}`,
  };
}

for (const name of Object.keys(queries)) cases[name] = () => queryCase(name);
for (const name of Object.keys(rulesShapes)) cases[name] = () => rulesCase(name);

// ---------------------------------------------------------------- harness

function collect() {
  global.gc();
  global.gc();
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function measure(name) {
  progress(`${name}: setup`);
  const c = cases[name]();
  progress(`${name}: ${warmup} warmup + ${samples} samples`);
  let last = null;
  for (let i = 0; i < warmup; i++) {
    collect();
    last = c.run();
  }
  const times = [];
  for (let i = 0; i < samples; i++) {
    last = null;
    collect();
    const start = performance.now();
    last = c.run();
    times.push(performance.now() - start);
  }
  const check = c.check(last);
  const med = median(times);
  progress(`${name}: median ${med.toFixed(1)} ms (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}) ${check}`);
  return { name, medianMs: med, samplesMs: times, check };
}

// bytes retained by d.init_db of 1M datoms (200k entities x 5 attributes; entity j has :id j+1 and the other
// values of person j mod 20k). The values exist before; the datoms are made inside the measured region.
function measureMemory() {
  const n = w.memoryEntities;
  progress(`memory: init_db of ${(n * 5).toLocaleString('en-US')} datoms`);
  collect();
  const before = process.memoryUsage().heapUsed;
  let datoms = new Array(n * 5);
  for (let j = 0; j < n; j++) {
    const p = people[j % people.length];
    const e = j + 1, k = j * 5;
    datoms[k] = [e, 'id', j + 1];
    datoms[k + 1] = [e, 'name', p.name];
    datoms[k + 2] = [e, 'last-name', p.lastName];
    datoms[k + 3] = [e, 'age', p.age];
    datoms[k + 4] = [e, 'salary', p.salary];
  }
  const db = d.init_db(datoms, schema);
  datoms = null;
  collect();
  const after = process.memoryUsage().heapUsed;
  const check = countCheck(db);
  progress(`memory: ${((after - before) / 1048576).toFixed(1)} MB retained, ${((after - before) / (n * 5)).toFixed(1)} bytes/datom`);
  return { datoms: n * 5, bytesBefore: before, bytesAfter: after, check };
}

const out = { node: process.version, datascript: dsVersion };
if (memoryMode) {
  out.memory = measureMemory();
} else {
  const names = opt('--cases', Object.keys(cases).join(',')).split(',').filter(s => s.length > 0);
  for (const name of names) {
    if (!cases[name]) {
      process.stderr.write(`error: unknown case ${name}\n`);
      process.exit(2);
    }
  }
  out.results = names.map(measure);
}
process.stdout.write(JSON.stringify(out) + '\n');
