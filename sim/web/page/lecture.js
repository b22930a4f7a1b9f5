// The lecture page: the controls, the runs of the engine (createTcpsimEngine, the simulator
// compiled to WebAssembly, loaded above), and the time scrubber. Every drawing comes from the
// engine as SVG; this script only places it and keeps the instant shown in step.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const scenarios = JSON.parse($('tcpsim-scenarios').textContent);  // [{file, text}]
  const SCRUB_STEPS = 1000;

  const state = {
    engine: null,
    variant: 0,
    model: 'textbook',
    fileModel: 'textbook',
    controls: [],
    values: {},      // control.set -> the text --set gets ("800", "64KiB")
    run: null,       // the last good full run
    timeMap: null,   // [[t_ns, x], ...] from the timeline's data-time-map
    atNs: null,      // the instant shown; null: the end of the run
    pending: false,
    scrubPending: false,
  };

  // ---------------------------------------------------------------- numbers as people read them

  const grouped = (n) => Math.round(n).toLocaleString('en-US');
  const UNITS = [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]];
  // As tcpsim's text::size_short: exact bytes below 10 KiB, else 4 significant digits.
  function sizeShort(bytes) {
    if (bytes < 10 * 1024) return grouped(bytes) + ' B';
    for (const [name, factor] of UNITS) {
      if (bytes >= factor) return +(bytes / factor).toPrecision(4) + ' ' + name;
    }
    return grouped(bytes) + ' B';
  }
  function durationText(ns) {
    if (ns === 0) return '0 s';
    const steps = [['s', 1e9], ['ms', 1e6], ['µs', 1e3], ['ns', 1]];
    for (const [name, factor] of steps) {
      if (ns >= factor) return +(ns / factor).toPrecision(4) + ' ' + name;
    }
    return ns + ' ns';
  }
  function rateText(bps) {
    const steps = [['Tbps', 1e12], ['Gbps', 1e9], ['Mbps', 1e6], ['Kbps', 1e3]];
    for (const [name, factor] of steps) {
      if (bps >= factor) return +(bps / factor).toPrecision(4) + ' ' + name;
    }
    return bps + ' bps';
  }
  function readable(kind, value) {
    if (kind === 'size') return sizeShort(value);
    if (kind === 'duration') return durationText(value);
    if (kind === 'rate') return rateText(value);
    return grouped(value);
  }
  function exact(kind, value) {
    if (kind === 'size') return grouped(value) + (value === 1 ? ' byte' : ' bytes');
    if (kind === 'duration') return grouped(value) + ' ns';
    if (kind === 'rate') return grouped(value) + ' bits/s';
    return grouped(value);
  }
  // A value as a scenario file would write it, for the text field: "64KiB", "1ms", "10Mbps" when
  // exact, else the plain number.
  const EXACT_UNITS = {
    size: [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]],
    duration: [['s', 1e9], ['ms', 1e6], ['us', 1e3]],
    rate: [['Gbps', 1e9], ['Mbps', 1e6], ['Kbps', 1e3]],
    count: [],
  };
  function fieldText(kind, value) {
    if (kind === 'size' && value < 10 * 1024) return String(value);
    for (const [name, factor] of EXACT_UNITS[kind]) {
      if (value >= factor && value % factor === 0) return value / factor + name;
    }
    return String(value);
  }
  // What a user types, for the slider's position only (the engine reads the text itself).
  const TYPED = {
    size: { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 },
    duration: { '': 1, ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9 },
    rate: { '': 1, bps: 1, kbps: 1e3, mbps: 1e6, gbps: 1e9 },
    count: { '': 1 },
  };
  function typedValue(kind, text) {
    const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zµ]*)\s*$/i.exec(text);
    if (!m) return null;
    const factor = TYPED[kind][m[2].toLowerCase()];
    return factor === undefined ? null : Math.round(parseFloat(m[1]) * factor);
  }

  // ---------------------------------------------------------------- slider positions

  function positionOf(control, value) {
    if (!control.log) return value;
    const lo = Math.max(control.min, 1);
    if (value <= lo) return 0;
    return Math.round(SCRUB_STEPS * Math.log(value / lo) / Math.log(control.max / lo));
  }
  function valueAt(control, position) {
    if (!control.log) return position;
    if (position <= 0) return control.min;
    const lo = Math.max(control.min, 1);
    return Math.round(lo * Math.pow(control.max / lo, position / SCRUB_STEPS));
  }

  // ---------------------------------------------------------------- the engine

  // A run's events are bounded here: the engine runs on the page's own thread, and a slider at a
  // gigabyte must not freeze the page for seconds (the report then says the limit was reached).
  const MAX_EVENTS = 400000;
  // Never throws: a trap in the engine becomes an answer with its error, shown like any other.
  function ask(name, request) {
    try {
      return state.engine.lecture(name, request);
    } catch (error) {
      return { ok: false, error: 'The simulator failed: ' + error };
    }
  }
  function scenario() { return scenarios[state.variant]; }
  function sets() {
    const out = [];
    if (state.model !== state.fileModel) out.push('/model=' + state.model);
    for (const control of state.controls) {
      const text = state.values[control.set];
      if (text !== undefined && text !== String(control.value)) out.push(control.set + '=' + text);
    }
    return out;
  }
  function request(extra) {
    return Object.assign({ scenario: scenario().text, file: scenario().file, sets: sets() }, extra);
  }

  // ---------------------------------------------------------------- controls

  function buildVariants() {
    if (scenarios.length < 2) return;
    $('variants').hidden = false;
    const box = $('variant-choices');
    scenarios.forEach((s, i) => {
      const label = document.createElement('label');
      const input = document.createElement('input');
      input.type = 'radio';
      input.name = 'variant';
      input.value = String(i);
      input.checked = i === state.variant;
      input.addEventListener('change', () => chooseVariant(i));
      // The description's first sentence; all of it on hover.
      const what = document.createElement('span');
      what.className = 'what';
      const first = /^.*?\.(\s|$)/.exec(s.description);
      what.textContent = first ? first[0].trim() : s.description;
      label.title = s.description;
      label.append(input, ' ' + s.name, what);
      box.append(label);
    });
  }

  // The values the user changed, and the model if changed, go with them to the other program;
  // the rest are that program's own.
  function chooseVariant(index) {
    const kept = {};
    for (const control of state.controls) {
      const text = state.values[control.set];
      if (text !== String(control.value)) kept[control.set] = text;
    }
    const modelChanged = state.model !== state.fileModel;
    state.variant = index;
    loadControls(kept);
    if (!modelChanged) state.model = state.fileModel;
    $('model-' + state.model).checked = true;
    schedule();
  }

  function loadControls(kept) {
    const answer = ask('controls', { scenario: scenario().text, file: scenario().file });
    if (!answer.ok) {
      showError(answer.error);
      return;
    }
    $('title').textContent = answer.name;
    $('description').textContent = answer.description;
    state.fileModel = answer.model;
    state.controls = answer.controls;
    state.values = {};
    for (const control of state.controls) {
      state.values[control.set] = kept && kept[control.set] !== undefined ? kept[control.set] : String(control.value);
    }
    const box = $('sliders');
    box.replaceChildren();
    state.controls.forEach((control, i) => box.append(controlElement(control, i)));
  }

  function controlElement(control, i) {
    const div = document.createElement('div');
    div.className = 'control';
    const id = 'control-' + i;
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = control.label;
    const row = document.createElement('div');
    row.className = 'row';
    const slider = document.createElement('input');
    slider.type = 'range';
    slider.id = id;
    slider.dataset.set = control.set;
    slider.min = String(control.log ? 0 : control.min);
    slider.max = String(control.log ? SCRUB_STEPS : control.max);
    slider.step = '1';
    const field = document.createElement('input');
    field.type = 'text';
    field.inputMode = 'decimal';
    field.setAttribute('aria-label', control.label + ', exact value');
    field.dataset.set = control.set;
    const note = document.createElement('div');
    note.className = 'exact';
    const show = (text) => {
      const value = typedValue(control.kind, text);
      field.value = text;
      if (value !== null) {
        slider.value = String(positionOf(control, value));
        note.textContent = readable(control.kind, value);
        note.title = exact(control.kind, value);
        slider.setAttribute('aria-valuetext', readable(control.kind, value));
      }
    };
    const initial = state.values[control.set];
    show(initial === String(control.value) ? fieldText(control.kind, control.value) : initial);
    slider.addEventListener('input', () => {
      const value = valueAt(control, Number(slider.value));
      state.values[control.set] = String(value);
      show(fieldText(control.kind, value));
      schedule();
    });
    field.addEventListener('change', () => {
      state.values[control.set] = field.value.trim();
      show(field.value.trim());
      schedule();
    });
    row.append(slider, field);
    div.append(label, row, note);
    return div;
  }

  // ---------------------------------------------------------------- running and drawing

  // One run per frame at most: a slider dragged fast asks for the latest values only.
  function schedule() {
    if (state.pending) return;
    state.pending = true;
    $('verdict').classList.add('running');
    requestAnimationFrame(() => {
      state.pending = false;
      runNow();
    });
  }

  function showError(message, what = 'No run: change the value named below') {
    const error = $('error');
    error.textContent = message;
    error.hidden = false;
    $('verdict').className = 'verdict';
    $('verdict').textContent = what;
    $('status').className = 'status';
    $('status').textContent = 'No run: ' + message;
    for (const id of ['figure', 'timeline']) $(id).style.opacity = '0.35';
  }

  function runNow() {
    const answer = ask('run', request({ max_events: MAX_EVENTS }));
    $('verdict').classList.remove('running');
    if (!answer.ok) {
      showError(answer.error);
      return;
    }
    $('error').hidden = true;
    for (const id of ['figure', 'timeline']) $(id).style.opacity = '';
    state.run = answer;
    drawVerdict(answer);
    $('timeline').innerHTML = answer.timeline_svg;
    readTimeMap();
    alignScrub();
    drawCycle(JSON.parse(answer.report_json));
    drawRule(null);
    drawSteps(answer.narration);
    $('report').textContent = answer.report_text;
    if (state.atNs !== null && state.atNs >= answer.time_ns) state.atNs = null;
    placeScrub();
    showInstant();
  }

  function drawVerdict(run) {
    const verdict = $('verdict');
    const first = run.report_text.split('\n')[0];
    // "both-write-1500: DEADLOCK: every unfinished thread ..." less the name and the verdict word.
    const said = first.replace(run.name + ': ', '').replace(/^[A-Z][A-Z ]+: /, '');
    const headline = { deadlock: 'DEADLOCK', completed: 'Completed', limit: 'Stopped at a limit' }[run.outcome] || run.outcome;
    verdict.className = 'verdict ' + run.outcome;
    verdict.replaceChildren(headline);
    $('status').className = 'status ' + run.outcome;
    const when = { deadlock: ' since ', completed: ' at ' }[run.outcome];
    $('status').textContent = headline + (when ? when + durationText(run.time_ns) : '');
    const detail = document.createElement('span');
    detail.className = 'detail';
    detail.textContent = said;
    verdict.append(detail);
  }

  function drawCycle(report) {
    const lines = (report.cycle || []).concat(report.off_cycle || []);
    $('cycle-box').hidden = lines.length === 0;
    drawList('cycle', lines);
  }

  // The rule at the instant shown: the end's, with a completed run's rule as it stood when a write
  // blocked; or a scrubbed instant's (`atRule`).
  function drawRule(atRule) {
    const run = state.run;
    if (atRule) {
      drawList('rule', atRule);
      return;
    }
    const lines = run.rule.slice();
    const blocked = run.rule_while_blocked;
    if (blocked) {
      lines.push(`When ${blocked.thread}'s write first blocked (at ${durationText(blocked.t_ns)}; click to go there):`);
      lines.push(...blocked.rule);
    }
    drawList('rule', lines);
    if (blocked) {
      const li = $('rule').children[run.rule.length];
      li.className = 'goto';
      li.addEventListener('click', () => scrubTo(blocked.t_ns));
    }
  }

  function drawList(id, lines) {
    const list = $(id);
    list.replaceChildren();
    for (const line of lines) {
      const li = document.createElement('li');
      li.textContent = line;
      list.append(li);
    }
  }

  function drawSteps(steps) {
    const list = $('steps');
    list.replaceChildren();
    for (const step of steps) {
      const li = document.createElement('li');
      li.dataset.t = String(step.t_ns);
      if (step.summary) li.className = 'summary';
      const t = document.createElement('span');
      t.className = 't';
      t.textContent = step.summary ? '…' : durationText(step.t_ns);
      const what = document.createElement('span');
      what.textContent = step.summary ? '… ' + step.what + ' …' : step.what;
      li.append(t, what);
      if (step.queues) {
        const q = document.createElement('span');
        q.className = 'q';
        q.textContent = step.queues;
        li.append(q);
      }
      li.addEventListener('click', () => scrubTo(step.t_ns));
      list.append(li);
    }
  }

  // ---------------------------------------------------------------- time

  function readTimeMap() {
    const svg = $('timeline').querySelector('svg');
    const text = svg && svg.getAttribute('data-time-map');
    state.timeMap = text ? JSON.parse(text) : null;
  }
  const endNs = () => (state.run ? state.run.time_ns : 0);

  // Between the timeline's x (SVG units) and time, through its breakpoints; without a map, time is
  // spread evenly over the scrubber.
  function interpolate(points, from, to, v) {
    if (v <= points[0][from]) return points[0][to];
    for (let i = 1; i < points.length; i++) {
      const a = points[i - 1], b = points[i];
      if (v <= b[from]) return b[from] === a[from] ? a[to] : a[to] + (b[to] - a[to]) * (v - a[from]) / (b[from] - a[from]);
    }
    return points[points.length - 1][to];
  }
  function timeAtPosition(position) {
    const map = state.timeMap;
    if (!map || map.length < 2) return Math.round(endNs() * position / SCRUB_STEPS);
    const x0 = map[0][1], x1 = map[map.length - 1][1];
    return Math.round(interpolate(map, 1, 0, x0 + (x1 - x0) * position / SCRUB_STEPS));
  }
  function positionOfTime(t) {
    const map = state.timeMap;
    if (!map || map.length < 2) return endNs() > 0 ? Math.round(SCRUB_STEPS * t / endNs()) : SCRUB_STEPS;
    const x0 = map[0][1], x1 = map[map.length - 1][1];
    if (x1 === x0) return SCRUB_STEPS;
    return Math.round(SCRUB_STEPS * (interpolate(map, 0, 1, t) - x0) / (x1 - x0));
  }

  function scrubTo(t) {
    state.atNs = t >= endNs() ? null : Math.max(0, t);
    placeScrub();
    showInstantSoon();
  }
  function placeScrub() {
    $('scrub').value = String(state.atNs === null ? SCRUB_STEPS : positionOfTime(state.atNs));
  }

  function showInstantSoon() {
    if (state.scrubPending) return;
    state.scrubPending = true;
    requestAnimationFrame(() => {
      state.scrubPending = false;
      showInstant();
    });
  }

  // The figure at the instant shown, the cursor on the timeline, and the step it falls in.
  function showInstant() {
    const run = state.run;
    if (!run) return;
    const t = state.atNs === null ? run.time_ns : state.atNs;
    if (state.atNs === null) {
      $('figure').innerHTML = run.figure_svg;
      drawRule(null);
      $('at-text').textContent = 'the end (' + durationText(run.time_ns) + ')';
    } else {
      const answer = ask('run', request({ at_ns: state.atNs, max_events: MAX_EVENTS }));
      if (!answer.ok) {
        showError(answer.error, 'No picture of that instant');
        return;
      }
      $('figure').innerHTML = answer.figure_svg;
      $('at-text').textContent = durationText(state.atNs);
      drawRule(answer.rule);
    }
    placeCursor(t);
    markStep(t);
  }

  // Between the timeline's own units and the page's pixels, through the transform the browser
  // draws it with (it keeps the drawing's proportions, so a height-limited one is centred).
  function timelineSvg() {
    const svg = $('timeline').querySelector('svg');
    return svg && state.timeMap && state.timeMap.length >= 2 && svg.getScreenCTM() ? svg : null;
  }
  function toPage(svg, x, y) {
    const box = $('timeline-box').getBoundingClientRect();
    const p = new DOMPoint(x, y).matrixTransform(svg.getScreenCTM());
    return { x: p.x - box.left, y: p.y - box.top };
  }

  function placeCursor(t) {
    const cursor = $('cursor');
    const svg = timelineSvg();
    if (!svg) {
      cursor.style.display = 'none';
      return;
    }
    const x = interpolate(state.timeMap, 0, 1, t);
    const top = toPage(svg, x, Number(svg.getAttribute('data-plot-top') || 0));
    const bottom = toPage(svg, x, Number(svg.getAttribute('data-plot-bottom') || svg.viewBox.baseVal.height));
    cursor.style.display = 'block';
    cursor.style.left = (top.x - 1.5) + 'px';
    cursor.style.top = top.y + 'px';
    cursor.style.height = (bottom.y - top.y) + 'px';
  }

  // The time slider spans the plot's width, right under it, so its thumb and the cursor meet.
  function alignScrub() {
    const svg = timelineSvg();
    const scrub = $('scrub');
    if (!svg) {
      scrub.style.marginLeft = '';
      scrub.style.width = '';
      return;
    }
    const map = state.timeMap;
    const left = toPage(svg, map[0][1], 0).x, right = toPage(svg, map[map.length - 1][1], 0).x;
    // A range input's thumb centre travels its width less the thumb; about 16 px.
    scrub.style.marginLeft = (left - 8) + 'px';
    scrub.style.width = (right - left + 16) + 'px';
  }

  function markStep(t) {
    let now = null;
    for (const li of $('steps').children) {
      li.classList.remove('now', 'past');
      if (Number(li.dataset.t) <= t) now = li;
    }
    for (const li of $('steps').children) {
      if (li === now) break;
      li.classList.add('past');
    }
    if (now) {
      now.classList.add('now');
      const list = $('steps');
      if (now.offsetTop < list.scrollTop || now.offsetTop > list.scrollTop + list.clientHeight - now.offsetHeight)
        list.scrollTop = now.offsetTop - list.clientHeight / 3;
    }
  }

  // The instants worth stopping at: every narrated step's.
  function stepTimes() {
    const times = state.run ? state.run.narration.filter((s) => !s.summary).map((s) => s.t_ns) : [];
    return [...new Set(times)].sort((a, b) => a - b);
  }

  // ---------------------------------------------------------------- wiring

  function wire() {
    const scrub = $('scrub');
    scrub.max = String(SCRUB_STEPS);
    scrub.addEventListener('input', () => {
      const position = Number(scrub.value);
      state.atNs = position >= SCRUB_STEPS ? null : timeAtPosition(position);
      showInstantSoon();
    });
    scrub.addEventListener('keydown', (event) => {
      if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
      event.preventDefault();
      const now = state.atNs === null ? endNs() : state.atNs;
      const times = stepTimes();
      const next = event.key === 'ArrowRight' ? times.find((t) => t > now) : times.reverse().find((t) => t < now);
      scrubTo(next === undefined ? (event.key === 'ArrowRight' ? endNs() : 0) : next);
    });
    $('timeline-box').addEventListener('click', (event) => {
      const svg = timelineSvg();
      if (!svg) return;
      const x = new DOMPoint(event.clientX, event.clientY).matrixTransform(svg.getScreenCTM().inverse()).x;
      scrubTo(Math.round(interpolate(state.timeMap, 1, 0, x)));
    });
    for (const radio of document.querySelectorAll('input[name=model]')) {
      radio.addEventListener('change', () => {
        state.model = radio.value;
        schedule();
      });
    }
    $('reset').addEventListener('click', () => {
      state.model = state.fileModel;
      $('model-' + state.model).checked = true;
      state.atNs = null;
      loadControls(null);
      schedule();
    });
    window.addEventListener('resize', () => {
      if (!state.run) return;
      alignScrub();
      placeCursor(state.atNs === null ? endNs() : state.atNs);
    });
  }

  // On a phone the description is cut to a few lines until tapped.
  $('description').addEventListener('click', () => $('description').classList.toggle('open'));

  function start(engine) {
    state.engine = engine;
    buildVariants();
    loadControls(null);
    state.model = state.fileModel;
    $('model-' + state.model).checked = true;
    wire();
    runNow();
  }

  const noEngine = 'The simulator did not start';
  if (typeof createTcpsimEngine !== 'function') {
    showError('This page was written without its engine: write it again with tcpsim lecture.', noEngine);
    return;
  }
  createTcpsimEngine().then((engine) => {
    try {
      start(engine);
    } catch (error) {
      showError('The simulator failed: ' + error, noEngine);
    }
  }, (error) => showError('The simulator did not load: ' + error, noEngine));
})();
