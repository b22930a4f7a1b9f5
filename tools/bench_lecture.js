// How long the lecture page waits for the engine: for each scenario, the median time of a whole
// run (what a slider move costs) and of a run stopped halfway (what a scrub costs), in the
// WebAssembly engine under node, once V8 has optimised it (a warm-up run of every file first).
// Usage: node tools/bench_lecture.js build/wasm/tcpsim_engine.js scenarios/*.json [--runs 9]
'use strict';
const fs = require('fs');
const path = require('path');

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args.splice(runsAt, 2)[1]) : 9;
const [engineJs, ...files] = args;
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

require(path.resolve(engineJs))().then((engine) => {
  const ask = (request) => engine.lecture('run', request);
  const time = (request) => {
    const start = process.hrtime.bigint();
    const answer = ask(request);
    return [Number(process.hrtime.bigint() - start) / 1e6, answer];
  };
  // V8 compiles the module fast first and optimises it as it runs: warm it up on every file.
  for (const file of files) ask({ scenario: fs.readFileSync(file, 'utf8'), file: path.basename(file), sets: [] });
  console.log('scenario'.padEnd(36) + 'whole run ms'.padStart(14) + 'at half ms'.padStart(12));
  for (const file of files) {
    const request = { scenario: fs.readFileSync(file, 'utf8'), file: path.basename(file), sets: [] };
    const [, first] = time(request);
    if (!first.ok) { console.log(path.basename(file) + ': ' + first.error); continue; }
    const half = Object.assign({}, request, { at_ns: Math.floor(first.time_ns / 2) });
    time(half);
    const whole = [], at = [];
    for (let i = 0; i < runs; i++) {
      whole.push(time(request)[0]);
      at.push(time(half)[0]);
    }
    console.log(path.basename(file, '.json').padEnd(36) + median(whole).toFixed(2).padStart(14) + median(at).toFixed(2).padStart(12));
  }
});
