// Decodes our profiles with pprof-format (an independent profile.proto decoder from npm)
// and checks what a reader relies on. Usage: node check.js DIR
'use strict';
const fs = require('fs');
const zlib = require('zlib');
const path = require('path');
const { Profile } = require('pprof-format');

const dir = process.argv[2];
let failed = 0;
function check(cond, what) {
  if (!cond) { failed++; console.log('FAIL  ' + what); }
}
function load(name) {
  const raw = fs.readFileSync(path.join(dir, name));
  check(raw[0] === 0x1f && raw[1] === 0x8b, name + ': gzip magic');
  return Profile.decode(zlib.gunzipSync(raw));
}
function str(p, i) { return p.stringTable.strings[Number(i)]; }
function names(p) { // function id -> name
  const m = new Map();
  for (const f of p.function) m.set(Number(f.id), str(p, f.name));
  return m;
}
function leafNames(p) { // location id -> names of its lines, leaf first
  const fn = names(p), m = new Map();
  for (const l of p.location) m.set(Number(l.id), l.line.map((ln) => fn.get(Number(ln.functionId))));
  return m;
}
function total(p, vi, pred) {
  const locs = leafNames(p);
  let t = 0;
  for (const s of p.sample) {
    const frames = s.locationId.flatMap((id) => locs.get(Number(id)) || []);
    if (!pred || pred(frames, s)) t += Number(s.value[vi]);
  }
  return t;
}

const cpu = load('cpu.pb.gz');
check(str(cpu, cpu.sampleType[1].type) === 'cpu' && str(cpu, cpu.sampleType[1].unit) === 'nanoseconds',
      'cpu: sample type cpu/nanoseconds');
check(Number(cpu.period) > 0 && Number(cpu.durationNanos) >= 9e8, 'cpu: period and duration');
const hot = total(cpu, 1, (f) => f.some((n) => n.startsWith('npm_hot_loop')));
// the CPU the spinning thread's own clock says it had in the profile (write_profiles.c): at
// least 0.3 s to judge by, and npm_hot_loop holds it within 25% (or 3 periods)
const truth = Number(fs.readFileSync(path.join(dir, 'cpu_truth'), 'utf8'));
check(truth >= 3e8 && Math.abs(hot - truth) <= Math.max(0.25 * truth, 3 * Number(cpu.period)),
      'cpu: the spinning thread ran ' + truth / 1e9 + ' s CPU = ' + Math.round(truth / Number(cpu.period)) +
      ' expected samples (0.3 s needed to judge), npm_hot_loop holds ' + hot / 1e9 + ' s');
check(cpu.mapping.length > 0 && cpu.mapping.some((m) => str(cpu, m.filename).includes('write_profiles')),
      'cpu: the main program among the mappings');

const heap = load('heap.pb.gz');
const types = heap.sampleType.map((t) => str(heap, t.type)).join(',');
check(types === 'alloc_objects,alloc_space,inuse_objects,inuse_space', 'heap: Go\'s four types, got ' + types);
const site = (f) => f.some((n) => n.startsWith('npm_allocate')); // or a clone (.constprop.0)
check(total(heap, 2, site) === 100 && total(heap, 3, site) === 100000,
      'heap: 100 live blocks of 1000 B at npm_allocate (' + total(heap, 2, site) + ', ' + total(heap, 3, site) + ')');
const labelled = total(heap, 3, (f, s) => site(f) && s.label.some((l) =>
  str(heap, l.key) === 'phase' && str(heap, l.str) === 'setup'));
check(labelled === 100000, 'heap: the phase=setup label on those samples (' + labelled + ')');

const gr = load('goroutine.pb.gz');
check(str(gr, gr.sampleType[0].type) === 'goroutine' && total(gr, 0) >= 2, 'goroutine: at least 2 threads');
check(total(gr, 0, (f) => f.includes('spin') || f.some((n) => n.startsWith('npm_hot_loop'))) >= 1, 'goroutine: the spinning thread');

if (failed) process.exit(1);
console.log('ok: pprof-format read cpu, heap and goroutine');
