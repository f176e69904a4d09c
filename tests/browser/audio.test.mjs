// The realtime audio path as a user hears it: what the AudioWorklet really output, captured
// through window.woodshed, plus the exception boundary, the AudioContext lifecycle, and the
// explanation shown on a page that is not cross-origin isolated.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { aes17Db, largestStep, zeroCrossingFrequency } from './analysis.mjs';
import { spliceGaps } from './capture-gaps.mjs';
import { openApp, openPage, startServer } from './harness.mjs';

/**
 * Captures `seconds` of the worklet's output as plain arrays, with the silence of any underrun
 * cut out (a gap would distort a frequency measurement) and reported; the soak test is the one
 * that holds playback to zero underruns.
 */
async function capture(page, seconds) {
  const captured = await page.evaluate(async (s) => {
    const result = await window.woodshed.captureOutput(s);
    return {
      sampleRate: result.sampleRate,
      channels: result.channels.map((c) => Array.from(c)),
      sourceFrames: Array.from(result.sourceFrames),
      underruns: result.underruns,
    };
  }, seconds);
  const spliced = spliceGaps(captured);
  if (captured.underruns > 0) console.log(`[ measure  ] capture had ${captured.underruns} underrun quanta; ${spliced.gapFrames} silent frames cut`);
  const [left, right] = spliced.channels.map((c) => Array.from(c));
  return { sampleRate: spliced.sampleRate, left, right, sourceFrameAtStart: spliced.sourceFrameAtStart, underruns: captured.underruns };
}

async function startSine(page, frequency = 440, levelDb = -12) {
  await page.evaluate(async ([f, l]) => {
    await window.woodshed.start();
    await window.woodshed.setGenerator({ type: 'sine', frequency: f, levelDb: l });
  }, [frequency, levelDb]);
  await page.waitForTimeout(300);  // past the level ramp and the ring's first fill
}

function assertSine(captured, frequency, levelDb, label = '') {
  for (const [name, channel] of [['left', captured.left], ['right', captured.right]]) {
    const measured = zeroCrossingFrequency(channel, captured.sampleRate);
    const level = aes17Db(channel);
    assert.ok(Math.abs(measured - frequency) <= 1, `${label}${name}: ${measured.toFixed(3)} Hz, expected ${frequency} +- 1`);
    assert.ok(Math.abs(level - levelDb) <= 0.1, `${label}${name}: ${level.toFixed(3)} dBFS, expected ${levelDb} +- 0.1`);
  }
}

describe('audio output (cross-origin isolated)', () => {
  let server;
  let browser;
  before(async () => {
    server = await startServer();
    browser = await openApp(server.url);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('a 440 Hz sine at -12 dBFS plays at 440 +- 1 Hz and -12 +- 0.1 dBFS', async () => {
    const { page } = browser;
    await startSine(page);
    const captured = await capture(page, 2);
    assert.equal(captured.sampleRate, await page.evaluate(() => new AudioContext().sampleRate), 'the context rate, not an assumed 48000');
    assertSine(captured, 440, -12);
    assert.equal(captured.sourceFrameAtStart, null, 'the generator has no source position');
    assert.ok(largestStep(captured.left) < 2 * Math.PI * 440 / captured.sampleRate * 0.2512 * 1.05, 'no dropouts or clicks');
    const stats = await page.evaluate(() => window.woodshed.stats());
    assert.equal(stats.crossOriginIsolated, true);
    assert.equal(stats.sampleRate, captured.sampleRate);
    assert.ok(stats.threads >= 3, `threads: ${stats.threads}`);
    assert.ok(stats.framesPlayed > captured.sampleRate * 2, 'the worklet counts what it played');
    assert.ok(stats.outputLatencyMs > 10 && stats.outputLatencyMs < 500, `output latency ${stats.outputLatencyMs} ms`);
    assert.ok(stats.heapBytesInUse > 0 && stats.heapBytesInUse < stats.heapCapacity);
    assert.deepEqual(browser.errors, []);
  });

  test('a level or frequency change is heard within 100 ms', async () => {
    const { page } = browser;
    await startSine(page);
    const measure = () => page.evaluate(async () => {
      await window.woodshed.setGenerator({ type: 'sine', frequency: 440, levelDb: -12 });
      await new Promise((r) => setTimeout(r, 200));
      const pending = window.woodshed.captureOutput(0.6);
      await window.woodshed.setGenerator({ type: 'sine', frequency: 1000, levelDb: -6 });
      const result = await pending;
      return { sampleRate: result.sampleRate, channels: [Array.from(result.channels[0])], sourceFrames: Array.from(result.sourceFrames), underruns: result.underruns };
    });
    // A gap's silence is cut out and reported: the tail is then what was rendered after the change.
    const raw = await measure();
    const spliced = spliceGaps(raw);
    if (raw.underruns > 0) console.log(`[ measure  ] capture had ${raw.underruns} underrun quanta; ${spliced.gapFrames} silent frames cut`);
    const captured = { sampleRate: raw.sampleRate, left: Array.from(spliced.channels[0]) };
    const from = Math.round(0.15 * captured.sampleRate);  // latency (about 80 ms) plus the 10 ms ramp, with margin
    const tail = captured.left.slice(from);
    assert.ok(Math.abs(zeroCrossingFrequency(tail, captured.sampleRate) - 1000) < 1);
    assert.ok(Math.abs(aes17Db(tail) + 6) < 0.1);
  });

  // Every export either runs through the boundary (an entry, which the next test makes throw)
  // or is one of the getters the README names as outside it: a new export is one or the other.
  test('every export the page can call is a boundary entry or a getter the README names', async () => {
    const OUTSIDE = [
      'ws_stats_block', 'ws_state_block', 'ws_recall_block', 'ws_meters_block', 'ws_eq_block', 'ws_loudness_block',
      'ws_spectrum_block', 'ws_normalize_block', 'ws_beat_detection_block', 'ws_export_block',
      'ws_result_number', 'ws_result_text', 'ws_ring_layout', 'ws_import_scratch', 'ws_import_chunk_frames',
      'ws_last_error', 'ws_version', 'ws_entry_names', 'ws_recall_keys', 'ws_wants_text_input',
      'ws_frames_drawn', 'ws_catalog_size', 'ws_control_rect', 'ws_waveform_rect', 'ws_search_rect', 'ws_enable_fault_injection',
      // test hooks that do work: through the boundary, but not entries (they arm and inspect the others)
      'ws_arm_fault', 'ws_set_song_budget_for_test', 'ws_inject_waveform_failure', 'ws_waveform_digest',
    ];
    const { entries, exported } = await browser.page.evaluate(() => ({ entries: window.woodshed.test.entries(), exported: window.woodshed.test.exports() }));
    const outside = exported.filter((name) => !entries.includes(name)).sort();
    console.log(`[ measure  ] ${exported.length} exports: ${entries.length} boundary entries, ${outside.length} getters and test hooks outside it`);
    assert.deepEqual(outside, [...OUTSIDE].sort());
    assert.deepEqual(entries.filter((name) => !exported.includes(name)), [], 'every entry is exported');
  });

  test('an exception at every exported entry point reaches JS as an Error and the sine keeps playing', async () => {
    const { page } = browser;
    await startSine(page);
    const outcome = await page.evaluate(async () => {
      const w = window.woodshed;
      // A valid 10 ms WAV, so an import gets as far as storing its audio.
      const tinyWav = () => {
        const frames = 441;
        const view = new DataView(new ArrayBuffer(44 + frames * 2));
        const text = (offset, value) => [...value].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
        text(0, 'RIFF'); view.setUint32(4, 36 + frames * 2, true); text(8, 'WAVE'); text(12, 'fmt ');
        view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
        view.setUint32(24, 44100, true); view.setUint32(28, 88200, true); view.setUint16(32, 2, true);
        view.setUint16(34, 16, true); text(36, 'data'); view.setUint32(40, frames * 2, true);
        return new Uint8Array(view.buffer);
      };
      // How each entry is reached through the public API.
      const actions = {
        ws_audio_prepare: async () => { await w.test.closeAudioContext(); await w.start(); },
        ws_notify_audio_state: async () => w.test.notifyAudioState(),
        ws_set_generator: () => w.setGenerator({ type: 'sine', frequency: 440, levelDb: -12 }),
        ws_set_target_latency: () => w.setLatency(40),
        ws_set_master_gain_db: () => w.setMasterGain(0),
        ws_set_listening_volume: () => w.setVolume(0),
        ws_stats: () => w.stats(),
        ws_import_begin: () => w.importFiles([{ name: 'probe.wav', bytes: tinyWav() }]),
        ws_tracks: async () => w.test.invoke('ws_tracks'),
        ws_load: async () => w.test.invoke('ws_load'),
        ws_unload: async () => w.test.invoke('ws_unload'),
        ws_set_eq: () => w.setEq([{ type: 'lowshelf' }]),
        ws_settings: () => w.settings(),
        ws_limits: async () => w.test.invoke('ws_limits'),
        ws_recall: async () => w.test.invoke('ws_recall'),
        ws_meters: () => w.meters(),
        ws_set_eq_bypass: async () => w.test.invoke('ws_set_eq_bypass'),
        ws_set_limiter: () => w.setLimiter({ ceilingDb: -1, enabled: true }),
        ws_loudness: () => w.loudness(),
        ws_reset_loudness: () => w.resetLoudness(),
        ws_spectrum: () => w.spectrum(),
        ws_set_spectrum: () => w.setSpectrum({ size: 4096, window: 'hann' }),
        ws_normalize: async () => w.test.invoke('ws_normalize'),
        ws_normalize_status: async () => w.test.invoke('ws_normalize_status'),
        ws_set_track_gain: async () => w.test.invoke('ws_set_track_gain'),
        ws_catalog_begin: async () => w.test.invoke('ws_catalog_begin'),
        ws_media_cache: async () => w.test.invoke('ws_media_cache'),
        ws_catalog_add: async () => w.test.invoke('ws_catalog_add'),
        ws_catalog_end: async () => w.test.invoke('ws_catalog_end'),
        ws_markers_begin: async () => w.test.invoke('ws_markers_begin'),
        ws_markers_add: async () => w.test.invoke('ws_markers_add'),
        ws_markers_end: async () => w.test.invoke('ws_markers_end'),
        ws_set_beat_grid: async () => w.test.invoke('ws_set_beat_grid'),
        ws_clear_beat_grid: async () => w.test.invoke('ws_clear_beat_grid'),
        ws_detect_beats: async () => w.test.invoke('ws_detect_beats'),
        ws_beat_detection_status: async () => w.test.invoke('ws_beat_detection_status'),
        ws_set_metronome: () => w.setMetronome({ enabled: false }),
        ws_set_tempo: () => w.setTempo(1),
        ws_set_pitch: () => w.setPitch(0),
        ws_set_speed_trainer: () => w.setSpeedTrainer(null),
        ws_nearest_zero_crossing: async () => w.test.invoke('ws_nearest_zero_crossing'),
        ws_note_loop_snap: () => w.setLoopSnap('off'),
        ws_note_tuning: async () => w.test.invoke('ws_note_tuning'),
        ws_play: () => w.play(),
        ws_pause: () => w.pause(),
        ws_seek: () => w.seek(0),
        ws_set_loop: () => w.setLoop(false),
        ws_set_loop_region: () => w.setLoopRegion({ start: 0, end: 0.5 }),
        ws_clear_loop_region: () => w.setLoopRegion(null),
        ws_state: () => w.state(),
        // The import pipeline's own calls, made as the pipeline makes them.
        ws_import_write: async () => w.test.invoke('ws_import_write'),
        ws_import_open: async () => w.test.invoke('ws_import_open'),
        ws_import_commit: async () => w.test.invoke('ws_import_commit'),
        ws_import_cancel: async () => w.test.invoke('ws_import_cancel'),
        ws_import_progress: async () => w.test.invoke('ws_import_progress'),
        ws_import_done: async () => w.test.invoke('ws_import_done'),
        ws_report_error: async () => w.test.invoke('ws_report_error'),
        // An export's calls, as web/export.js makes them.
        ws_export_start: async () => w.test.invoke('ws_export_start'),
        ws_export_status: async () => w.test.invoke('ws_export_status'),
        ws_export_consume: async () => w.test.invoke('ws_export_consume'),
        ws_export_cancel: async () => w.test.invoke('ws_export_cancel'),
        ws_export_end: async () => w.test.invoke('ws_export_end'),
        ws_set_device_memory: async () => w.test.invoke('ws_set_device_memory'),
      };
      const results = {};
      for (const entry of w.test.entries()) {
        if (!actions[entry]) { results[entry] = 'no action to reach this entry'; continue; }
        w.test.armFault(entry);
        try {
          await actions[entry]();
          results[entry] = 'did not throw';
        } catch (error) {
          results[entry] = error instanceof Error ? error.message : `not an Error: ${error}`;
        }
      }
      await w.start();  // after the prepare fault the context was rebuilt; start again
      return results;
    });
    const entries = Object.keys(outcome);
    assert.ok(entries.length >= 20, `entries: ${entries}`);
    for (const [entry, message] of Object.entries(outcome)) {
      // importFiles names the file first ("probe.wav: injected fault in ws_import_begin").
      assert.ok(message.endsWith(`injected fault in ${entry}`), `${entry}: ${message}`);
    }
    await page.waitForTimeout(300);
    assertSine(await capture(page, 1), 440, -12, 'after the faults: ');
  });

  test('bad arguments are refused with a message, and nothing changes', async () => {
    const { page } = browser;
    await startSine(page);
    const messages = await page.evaluate(async () => {
      const attempts = [
        () => window.woodshed.setGenerator({ type: 'banjo' }),
        () => window.woodshed.setGenerator({ type: 'sine', frequency: 5, levelDb: -12 }),
        () => window.woodshed.setGenerator({ type: 'sine', frequency: 440, levelDb: 6 }),
        () => window.woodshed.setLatency(1000),
        () => window.woodshed.captureOutput(31),
      ];
      const out = [];
      for (const attempt of attempts) {
        try { await attempt(); out.push('accepted'); } catch (error) { out.push(error.message); }
      }
      return out;
    });
    assert.match(messages[0], /unknown generator type "banjo"/);
    // One message per limit, from the engine's table (settings.h), whoever asks.
    assert.equal(messages[1], "the generator's frequency must be between 20 and 20000 Hz, got 5");
    assert.equal(messages[2], "the generator's level must be between -120 and 0 dBFS, got 6");
    assert.equal(messages[3], 'the latency must be between 5 and 250 ms, got 1000');
    assert.match(messages[4], /at most 30 seconds/);
    assertSine(await capture(page, 1), 440, -12, 'after refusals: ');
  });

  test('stop and start: playing is reported only when the context runs, and playback resumes', async () => {
    const { page } = browser;
    await startSine(page);
    const states = await page.evaluate(async () => {
      const w = window.woodshed;
      await w.stop();
      const stopped = await w.stats();
      await new Promise((r) => setTimeout(r, 300));
      const later = await w.stats();
      const pending = w.start();
      const whileStarting = (await w.stats()).audioState;
      await pending;
      return { stopped: stopped.audioState, framesWhileStopped: later.framesPlayed - stopped.framesPlayed, whileStarting, running: (await w.stats()).audioState };
    });
    assert.equal(states.stopped, 'suspended');
    assert.ok(states.framesWhileStopped <= 1024, `the worklet kept playing while stopped: ${states.framesWhileStopped} frames`);
    assert.equal(states.whileStarting, 'starting', 'not "running" before resume() resolved');
    assert.equal(states.running, 'running');
    await page.waitForTimeout(200);
    assertSine(await capture(page, 1), 440, -12, 'after resume: ');
  });

  test('a closed AudioContext is rebuilt without leaking contexts or nodes', async () => {
    const { page } = browser;
    await startSine(page);
    const counts = await page.evaluate(async () => {
      const w = window.woodshed;
      const before = w.test.audioCounts();
      for (let i = 0; i < 5; i++) {
        await w.test.closeAudioContext();
        await w.start();
      }
      return { before, after: w.test.audioCounts() };
    });
    const live = (c) => ({ contexts: c.contextsCreated - c.contextsReleased, nodes: c.nodesCreated - c.nodesReleased });
    assert.deepEqual(live(counts.after), { contexts: 1, nodes: 1 }, JSON.stringify(counts));
    assert.equal(counts.after.contextsCreated - counts.before.contextsCreated, 5);
    await page.waitForTimeout(300);
    assertSine(await capture(page, 1), 440, -12, 'after 5 rebuilds: ');
    assert.deepEqual(browser.errors, []);
  });
});

describe('a page that cannot become cross-origin isolated (no headers, no service worker)', () => {
  let server;
  before(async () => { server = await startServer({ plain: true }); });
  after(async () => { await server?.stop(); });

  test('shows why Woodshed cannot start and what to do, with no uncaught errors', async () => {
    const browser = await openPage(server.url, { serviceWorkers: 'block' });
    try {
      const { page, errors } = browser;
      await page.waitForFunction(() => !document.getElementById('unsupported').hidden, null, { timeout: 10000 });
      const text = await page.locator('#unsupported').innerText();
      assert.match(text, /cannot start/);
      assert.match(text, /not cross-origin isolated/);
      assert.match(text, /Cross-Origin-Opener-Policy: same-origin/);
      assert.match(text, /tools\/run/);
      const ready = await page.evaluate(() => window.woodshed.ready.then(() => 'resolved', (e) => e.message));
      assert.match(ready, /not cross-origin isolated/);
      assert.equal(await page.locator('#loading').isHidden(), true);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
});
