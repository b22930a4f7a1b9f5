// The lecture page in a real browser: Debian's chromium, driven by playwright-core, loads pages
// that `tcpsim lecture` wrote from file URLs and is used as a teacher would: drag a slider, switch
// the program and the model, scrub time, type a bad value. Screenshots at projector and phone
// sizes are kept in ARTIFACTS_DIR.
// Usage: node lecture.js TCPSIM SCENARIOS_DIR ARTIFACTS_DIR
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const [tcpsim, scenarios, artifacts] = process.argv.slice(2);
let passed = 0, failed = 0;
const pass = (name) => { console.log('PASS ' + name); passed++; };
const fail = (name, detail) => { console.log('FAIL ' + name + (detail ? ': ' + detail : '')); failed++; };
const check = (name, ok, detail) => (ok ? pass(name) : fail(name, detail));
const finish = () => {
  console.log(`lecture page: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
};

let playwright;
try {
  playwright = require('playwright-core');
} catch (e) {
  fail('playwright-core is installed', 'run `npm ci` in tests/web (tools/setup.sh does, with TCPSIM_TEST_TOOLS=1)');
  finish();
}
const chromiumPath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
if (!chromiumPath) {
  fail('chromium is installed', 'tools/setup.sh installs Debian\'s chromium with TCPSIM_TEST_TOOLS=1');
  finish();
}

fs.mkdirSync(artifacts, { recursive: true });
function lecture(files, out) {
  const page = path.join(artifacts, out);
  execFileSync(tcpsim, ['lecture', ...files.map((f) => path.join(scenarios, f)), '--out', page], { stdio: 'pipe', timeout: 60000 });
  return 'file://' + page;
}

const WAIT = { timeout: 15000 };
const verdictHas = (page, word) => page.waitForFunction(
  (w) => document.getElementById('verdict').textContent.includes(w), word, WAIT);
const queueBytes = (page, queue) => page.$eval(`#figure [data-queue="${queue}"]`, (e) => Number(e.getAttribute('data-bytes')));

// Drags a slider's thumb with the mouse to the place of `value` (a linear slider).
async function dragSlider(page, selector, value) {
  const slider = page.locator(selector);
  await slider.scrollIntoViewIfNeeded();
  const box = await slider.boundingBox();
  const [min, max] = await slider.evaluate((e) => [Number(e.min), Number(e.max)]);
  const current = Number(await slider.inputValue());
  const thumb = (v) => box.x + 8 + (box.width - 16) * (v - min) / (max - min);
  await page.mouse.move(thumb(current), box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(thumb(value), box.y + box.height / 2, { steps: 12 });
  await page.mouse.up();
}

(async () => {
  const browser = await playwright.chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  // Every console message and page error, per page: the page should print nothing at all.
  async function open(url, viewport, options = {}) {
    const context = await browser.newContext(Object.assign({ viewport }, options));
    const page = await context.newPage();
    const messages = [];
    page.on('console', (m) => messages.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => messages.push('page error: ' + e.message));
    // No network: a request to anything but the file itself is a bug.
    page.on('request', (r) => { if (!r.url().startsWith('file://')) messages.push('network request: ' + r.url()); });
    await page.goto(url);
    return { page, messages, context };
  }
  const quiet = (name, messages) => check(name + ': no console message, page error or network request',
    messages.length === 0, messages.join(' | '));

  try {
    // ---- both-write-1500 at projector size: SQS past 1000 ends the deadlock.
    const both = lecture(['both-write-1500.json'], 'both-write-1500.html');
    {
      const { page, messages, context } = await open(both, { width: 1920, height: 1080 });
      await verdictHas(page, 'DEADLOCK');
      pass('both-write-1500: the page runs the engine and says DEADLOCK');
      check('the figure shows A.SendQ full at the end', await queueBytes(page, 'A.SendQ') === 500);
      await page.screenshot({ path: path.join(artifacts, 'both-write-1500-projector.png') });

      const sqs = '#sliders input[type=range][data-set="/endpoints/A/sqs"]';
      await dragSlider(page, sqs, 1200);
      const field = Number(await page.inputValue('#sliders input[type=text][data-set="/endpoints/A/sqs"]'));
      check('dragging A\'s SendQ slider moves its value past 1000', field > 1000 && field <= 2048, `field reads ${field}`);
      await verdictHas(page, 'Completed');
      pass('with A\'s SendQ past 1000 the verdict changes from DEADLOCK to Completed');
      const report = await page.textContent('#report');
      check('the report has A\'s SendQ at its new capacity', new RegExp(`A: SendQ [0-9,]+/${field.toLocaleString('en-US')},`).test(report),
        report.slice(0, 400));
      const rule = await page.textContent('#rule');
      check('the rule states the current numbers (SQS_A+RQS_B)', rule.includes((field + 500).toLocaleString('en-US')), rule.slice(0, 300));
      await page.screenshot({ path: path.join(artifacts, 'both-write-1500-sqs1200-projector.png') });

      // Back to the file's values, then scrub to the start: the queues are empty there.
      await page.click('#reset');
      await verdictHas(page, 'DEADLOCK');
      pass('Reset puts back the file\'s values: DEADLOCK again');
      const endLevel = await queueBytes(page, 'B.RecvQ');
      await page.locator('#scrub').scrollIntoViewIfNeeded();
      const scrub = await page.locator('#scrub').boundingBox();
      await page.mouse.click(scrub.x + 10, scrub.y + scrub.height / 2);
      await page.waitForFunction(() => !document.getElementById('at-text').textContent.startsWith('the end'), null, WAIT);
      pass('clicking the time slider near its start shows an earlier instant');
      const startLevel = await queueBytes(page, 'B.RecvQ');
      check('scrubbing time back changes the figure\'s queue levels', endLevel === 500 && startLevel < 500,
        `B.RecvQ at the end ${endLevel}, near the start ${startLevel}`);
      const now = await page.$$eval('#steps li.now', (l) => l.length);
      check('the narrated step at that instant is marked', now === 1, `${now} steps marked`);
      const cursor = await page.$eval('#cursor', (e) => getComputedStyle(e).display);
      check('a cursor marks the instant on the timeline', cursor === 'block', 'cursor display ' + cursor);
      // Keyboard: the right arrow goes to the next narrated step.
      const before = await page.textContent('#at-text');
      await page.focus('#scrub');
      await page.keyboard.press('ArrowRight');
      await page.waitForFunction((b) => document.getElementById('at-text').textContent !== b, before, WAIT);
      pass('the arrow key on the time slider goes to the next step');
      await page.screenshot({ path: path.join(artifacts, 'both-write-1500-scrubbed-projector.png') });

      // A bad value: one line saying what is wrong, and no run.
      const sqsField = '#sliders input[type=text][data-set="/endpoints/A/sqs"]';
      await page.fill(sqsField, '0');
      await page.press(sqsField, 'Enter');
      await page.waitForSelector('#error:not([hidden])', WAIT);
      const error = await page.textContent('#error');
      check('a bad value is one line naming the place', error.includes('/endpoints/A/sqs') && !error.includes('\n'), error);
      await page.fill(sqsField, '2KiB');
      await page.press(sqsField, 'Enter');
      await verdictHas(page, 'Completed');
      check('a value typed with its unit runs (2KiB)', await page.isHidden('#error'));

      // The linux model.
      await page.click('#model-linux');
      await page.waitForFunction(() => document.getElementById('report').textContent.includes('Profile: linux'), null, WAIT);
      pass('the model switch runs the linux model');
      quiet('both-write-1500', messages);
      await context.close();
    }

    // ---- the same page on a phone.
    {
      const { page, messages, context } = await open(both, { width: 390, height: 844 }, { deviceScaleFactor: 2, isMobile: true, hasTouch: true });
      await verdictHas(page, 'DEADLOCK');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check('on a phone nothing is wider than the screen', overflow <= 0, `${overflow}px too wide`);
      await page.screenshot({ path: path.join(artifacts, 'both-write-1500-phone.png') });
      await page.screenshot({ path: path.join(artifacts, 'both-write-1500-phone-full.png'), fullPage: true });
      quiet('phone', messages);
      await context.close();
    }

    // ---- compress with its two fixes (the file's "variants"): switching the program ends the deadlock.
    {
      const url = lecture(['compress-2to1.json'], 'compress.html');
      const { page, messages, context } = await open(url, { width: 1920, height: 1080 });
      await verdictHas(page, 'DEADLOCK');
      await page.click('input[name=variant][value="1"]');
      await verdictHas(page, 'Completed');
      check('switching to the reader-thread program completes', (await page.textContent('#title')) === 'compress-threads');
      await page.screenshot({ path: path.join(artifacts, 'compress-threads-projector.png') });
      quiet('compress', messages);
      await context.close();
    }

    // ---- rule-demo: the marks and the step list at projector size, and the print layout.
    {
      const url = lecture(['rule-demo.json'], 'rule-demo.html');
      const { page, messages, context } = await open(url, { width: 1920, height: 1080 });
      await verdictHas(page, 'Completed');
      const titled = await page.$$eval('svg', (svgs) => svgs.every((s) => s.getAttribute('role') === 'img' && s.querySelector('title')));
      check('every drawing has role=img and a title', titled);
      await page.screenshot({ path: path.join(artifacts, 'rule-demo-projector.png'), fullPage: true });
      await page.emulateMedia({ media: 'print' });
      const controlsShown = await page.$eval('.controls', (e) => getComputedStyle(e).display);
      check('the print layout leaves out the controls', controlsShown === 'none', 'display ' + controlsShown);
      await page.pdf({ path: path.join(artifacts, 'rule-demo.pdf') });
      quiet('rule-demo', messages);
      await context.close();
    }
  } catch (error) {
    fail('the page works as used', error.message.split('\n')[0]);
  }
  await browser.close();
  finish();
})();
