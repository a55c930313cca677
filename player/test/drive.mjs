// Drives headless Chromium through the demo player and reports what it saw,
// as JSON on stdout; the Rust test (tests/player_browser.rs) asserts on it.
//
//   node player/test/drive.mjs '<plan as JSON>'
//
// plan: { chromium, runs: [{ name, url, choose?, expectError?, recording?,
//         viewport: {width, height}, screenshot, timeoutMs }] }
// (recording: plays the first recording the page lists, then seeks to its middle;
//  passcodes: when the page asks for a passcode, enters each in turn, the
//  last expected to let the viewer in, the others to be refused;
//  failover: a URL to POST once the stream plays, which stops its primary
//  source; the run then watches 8 s more and reports the picture's colour
//  before and after)
// Every wait is on a condition in the page, bounded by timeoutMs.
import { chromium } from 'playwright-core';

const plan = JSON.parse(process.argv[2]);

// Ends a run's waits early: it expected an error and saw it.
class Skip extends Error {}

// As recommended for a machine without outside network: no background
// connections, no sandbox (root in CI), no GPU.
const browser = await chromium.launch({
  executablePath: plan.chromium,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--autoplay-policy=user-gesture-required',
  ],
});

const results = [];
try {
  for (const run of plan.runs) {
    results.push(await play(run));
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(results));

async function play(run) {
  const context = await browser.newContext({ viewport: run.viewport });
  const page = await context.newPage();
  const requests = [];
  const failedResponses = [];
  const failedRequests = [];
  const consoleErrors = [];
  const messages = [];
  const began = Date.now();
  // Every message the page shows, with when: what happened before a wait
  // ran out, not only what the page said at the end.
  await page.exposeFunction('reportMessage', (text) => messages.push(`${((Date.now() - began) / 1000).toFixed(1)} s: ${text}`));
  await page.addInitScript(() => {
    document.addEventListener('DOMContentLoaded', () => {
      const message = document.getElementById('message');
      if (!message) return;
      new MutationObserver(() => window.reportMessage(message.hidden ? '' : message.textContent)).observe(message, {
        childList: true,
        characterData: true,
        subtree: true,
        attributes: true,
        attributeFilter: ['hidden'],
      });
    });
  });
  page.on('request', (request) => requests.push(request.url()));
  // A request that got no answer (refused, reset, timed out, aborted by
  // the player): said by the browser, with its reason.
  page.on('requestfailed', (request) => failedRequests.push({ url: request.url(), error: request.failure()?.errorText }));
  page.on('response', (response) => {
    if (response.status() >= 400) failedResponses.push({ url: response.url(), status: response.status() });
  });
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  const report = { name: run.name, requests, consoleErrors, failedResponses, failedRequests, messages };
  try {
    await page.goto(run.url);
    if (run.passcodes) {
      report.refusals = [];
      for (const [index, passcode] of run.passcodes.entries()) {
        await page.waitForSelector('#passcode-form:not([hidden])', { timeout: run.timeoutMs });
        if (index === 0) {
          report.asked = await page.evaluate(() => document.getElementById('message').textContent);
          await page.screenshot({ path: run.screenshot.replace(/\.png$/, '-asked.png') });
        }
        await page.fill('#passcode', passcode);
        await page.click('#passcode-form button');
        if (index < run.passcodes.length - 1) {
          await page.waitForFunction(() => document.getElementById('message').dataset.tone === 'error', null, {
            timeout: run.timeoutMs,
            polling: 100,
          });
          report.refusals.push(await page.evaluate(() => document.getElementById('message').textContent));
        }
      }
      await page.waitForSelector('#passcode-form[hidden]', { state: 'attached', timeout: run.timeoutMs });
    }
    if (run.choose) {
      await page.click(`#choices button[data-key="${run.choose}"]`, { timeout: run.timeoutMs });
    }
    if (run.recording) {
      // A recording from the list below the live view: it plays, from the
      // start, and again from the middle after a seek.
      await page.click('#recording-list button', { timeout: run.timeoutMs });
      await page.waitForFunction(
        () => {
          const video = document.getElementById('video');
          return document.getElementById('format').textContent === 'Recording' && video.currentTime > 0 && !video.paused
            && Number.isFinite(video.duration) && video.duration > 0;
        },
        null,
        { timeout: run.timeoutMs, polling: 100 },
      );
      report.duration = await page.evaluate(() => document.getElementById('video').duration);
      report.seekedTo = report.duration / 2;
      await page.evaluate((to) => { document.getElementById('video').currentTime = to; }, report.seekedTo);
      await page.waitForFunction(
        (to) => {
          const video = document.getElementById('video');
          return video.currentTime >= to + 0.5 && !video.paused && !video.seeking;
        },
        report.seekedTo,
        { timeout: run.timeoutMs, polling: 100 },
      );
      report.recordings = await page.evaluate(() =>
        [...document.querySelectorAll('#recording-list button')].map((b) => ({ text: b.textContent, url: b.dataset.url })));
      throw new Skip();
    }
    if (run.expectError) {
      await page.waitForFunction(() => document.getElementById('message').dataset.tone === 'error', null, {
        timeout: run.timeoutMs,
        polling: 100,
      });
      throw new Skip();
    }
    // Playing, with a rendition the player reported (not the fallback
    // from the video element, which has no bitrate).
    await page.waitForFunction(
      () => {
        const video = document.getElementById('video');
        const shown = document.getElementById('rendition').dataset;
        return video.currentTime > 0 && !video.paused && Number(shown.bitrate) > 0;
      },
      null,
      { timeout: run.timeoutMs, polling: 100 },
    );
    report.startTime = await page.evaluate(() => document.getElementById('video').currentTime);
    await page.waitForFunction(
      (start) => document.getElementById('video').currentTime >= start + 2,
      report.startTime,
      { timeout: run.timeoutMs, polling: 100 },
    );
    if (run.failover) {
      // The average colour of the picture, from a small copy of the frame
      // (the stream is the page's own origin: the canvas may read it).
      const colour = () => page.evaluate(() => {
        const video = document.getElementById('video');
        const canvas = document.createElement('canvas');
        canvas.width = 8;
        canvas.height = 8;
        const context = canvas.getContext('2d');
        context.drawImage(video, 0, 0, 8, 8);
        const pixels = context.getImageData(0, 0, 8, 8).data;
        const sum = [0, 0, 0];
        for (let i = 0; i < pixels.length; i += 4) for (let c = 0; c < 3; c += 1) sum[c] += pixels[i + c];
        return sum.map((v) => Math.round(v / (pixels.length / 4)));
      });
      report.colourBefore = await colour();
      await page.evaluate((url) => fetch(url, { method: 'POST' }), run.failover);
      const stoppedAt = await page.evaluate(() => document.getElementById('video').currentTime);
      await page.waitForFunction(
        (from) => document.getElementById('video').currentTime >= from + 8,
        stoppedAt,
        { timeout: run.timeoutMs, polling: 100 },
      );
      report.colourAfter = await colour();
    }
    // The buffer and live-edge lines are refreshed twice a second: wait
    // for a reading of each.
    await page.waitForFunction(
      () =>
        document.getElementById('buffer').dataset.seconds !== undefined &&
        document.getElementById('latency').dataset.seconds !== undefined,
      null,
      { timeout: run.timeoutMs },
    );
  } catch (error) {
    if (!(error instanceof Skip)) report.failure = String(error.message || error).split('\n')[0];
  }
  Object.assign(
    report,
    await page.evaluate(() => {
      const video = document.getElementById('video');
      const byId = (id) => document.getElementById(id);
      return {
        endTime: video.currentTime,
        muted: video.muted,
        videoWidth: video.videoWidth,
        videoHeight: video.videoHeight,
        format: byId('format').textContent,
        rendition: { ...byId('rendition').dataset, text: byId('rendition').textContent },
        buffer: byId('buffer').textContent,
        bufferSeconds: Number(byId('buffer').dataset.seconds),
        latency: byId('latency').textContent,
        latencySeconds: Number(byId('latency').dataset.seconds),
        message: byId('message').hidden ? '' : byId('message').textContent,
        messageTone: byId('message').dataset.tone || '',
        choices: byId('choices').hidden
          ? []
          : [...byId('choices').querySelectorAll('button')].map((b) => b.dataset.key),
        overflowsWidth: document.documentElement.scrollWidth > window.innerWidth,
        events: byId('event-picker').hidden
          ? []
          : [...byId('events').options].map((o) => ({ value: o.value, text: o.textContent, selected: o.selected })),
      };
    }),
  );
  await page.screenshot({ path: run.screenshot });
  await context.close();
  return report;
}
