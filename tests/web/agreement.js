// The engine in the page and the native binary give the same bytes: for every scenario (and
// some with --set, the linux model, a stop with --at, and bad values), the WebAssembly engine's
// report, JSON report, figure and timeline against what `tcpsim run` prints and writes.
// Usage: node agreement.js ENGINE_JS TCPSIM SCENARIOS_DIR WORK_DIR
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const [engineJs, tcpsim, scenariosDir, work] = process.argv.slice(2);
let passed = 0, failed = 0;
const pass = (name) => { console.log('PASS ' + name); passed++; };
const fail = (name, detail) => { console.log('FAIL ' + name + (detail ? ':\n' + detail : '')); failed++; };

// `tcpsim ARGS...`: its stdout, stderr and exit code.
function native(args) {
  try {
    return { out: execFileSync(tcpsim, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000 }), err: '', code: 0 };
  } catch (e) {
    return { out: e.stdout || '', err: e.stderr || '', code: e.status };
  }
}

// The first line where two texts part, for the failure message.
function firstDifference(a, b) {
  const x = a.split('\n'), y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if (x[i] !== y[i]) return `line ${i + 1}:\n  wasm:   ${JSON.stringify(x[i])}\n  native: ${JSON.stringify(y[i])}`;
  return 'same lines, different bytes';
}
function same(name, wasm, nativeText) {
  if (wasm === nativeText) pass(name);
  else fail(name, firstDifference(wasm, nativeText));
}

require(path.resolve(engineJs))().then((engine) => {
  const ask = (name, request) => engine.lecture(name, request);
  const files = fs.readdirSync(scenariosDir).filter((f) => f.endsWith('.json') && !f.includes('.schema.')).sort();
  if (files.length === 0) fail('scenarios found in ' + scenariosDir);

  for (const file of files) {
    const full = path.join(scenariosDir, file);
    const text = fs.readFileSync(full, 'utf8');
    const cases = [{ label: file, sets: [] }];
    // Each file again at other values: its first slider doubled, and the linux model.
    const controls = ask('controls', { scenario: text, file });
    if (!controls.ok) { fail(file + ': controls', controls.error); continue; }
    if (controls.controls.length > 0) {
      const c = controls.controls[0];
      cases.push({ label: `${file} --set ${c.set}=${c.value * 2}`, sets: [`${c.set}=${c.value * 2}`] });
    }
    if (controls.model === 'textbook') cases.push({ label: file + ' --set model=linux', sets: ['/model=linux'] });

    for (const { label, sets } of cases) {
      const setArgs = sets.flatMap((s) => ['--set', s]);
      const run = ask('run', { scenario: text, file, sets });
      if (!run.ok) { fail(label + ': the engine ran it', run.error); continue; }
      const svg = path.join(work, file.replace(/\.json$/, '.svg'));
      const text_ = native(['run', full, ...setArgs, '--svg', svg]);
      if (text_.code !== 0) { fail(label + ': tcpsim run', text_.err); continue; }
      same(label + ': report text', run.report_text, text_.out);
      same(label + ': JSON report', run.report_json, native(['run', full, ...setArgs, '--format', 'json']).out);
      same(label + ': figure SVG', run.figure_svg, fs.readFileSync(svg, 'utf8'));
      same(label + ': timeline SVG', run.timeline_svg, fs.readFileSync(svg.replace(/\.svg$/, '.timeline.svg'), 'utf8'));
    }

    // Stopped halfway, as --at stops it (the CLI names the instant in ns to be exact).
    const whole = ask('run', { scenario: text, file, sets: [] });
    const half = Math.floor(whole.time_ns / 2);
    const at = ask('run', { scenario: text, file, sets: [], at_ns: half });
    if (!at.ok) fail(file + ' at half: the engine ran it', at.error);
    else same(`${file} --at ${half}ns: report text`, at.report_text, native(['run', full, '--at', `${half}ns`]).out);
  }

  // A bad value: the same one line the CLI prints, and no run.
  const both = path.join(scenariosDir, 'both-write-1500.json');
  for (const bad of ['/endpoints/A/sqs=0', '/endpoints/A/sqs=lots', '/link/delay=-1ms', '/model=quantum']) {
    const run = ask('run', { scenario: fs.readFileSync(both, 'utf8'), file: 'both-write-1500.json', sets: [bad] });
    const cli = native(['run', both, '--set', bad]);
    const cliLine = cli.err.trim().replace(both, 'both-write-1500.json');
    if (run.ok) fail(`--set ${bad}: the engine refuses it`);
    else if (cli.code !== 2) fail(`--set ${bad}: tcpsim exits 2`, `exit ${cli.code}`);
    else same(`--set ${bad}: the same one-line error`, run.error, cliLine);
  }

  // A scenario near the loader's 4 MiB limit goes through (requests travel on the heap, not the stack).
  const big = JSON.parse(fs.readFileSync(both, 'utf8'));
  big.description = 'x'.repeat(3 << 20);
  const bigRun = ask('run', { scenario: JSON.stringify(big), file: 'big.json', sets: [] });
  if (bigRun.ok && bigRun.outcome === 'deadlock') pass('a 3 MiB scenario runs in the engine');
  else fail('a 3 MiB scenario runs in the engine', bigRun.error);

  console.log(`wasm agreement: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}, (error) => {
  console.log('FAIL the engine loads under node: ' + error);
  process.exit(1);
});
