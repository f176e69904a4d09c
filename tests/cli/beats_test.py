"""`woodshed beats`: a click track made here reads as its tempo, meter and bar start; bad
arguments and unreadable or too short audio exit non-zero with a message; and, on music that
people wrote, MIDI pieces from Debian's openttd-openmsx played with FluidSynth through the
TimGM6mb General MIDI soundfont, the tempo written in each file is found.

A piece's first 40 s are cut out of the MIDI file here (a small reader and writer of the standard
MIDI file format), so FluidSynth renders only those. The test reads the first tempo (FF 51) and
time signature (FF 58) events, takes only pieces whose tempo holds for the first 40 s, and accepts
the reference tempo within 1 BPM, or its double or half (a listener may tap either), or for triple
meters 3/2 or 2/3 of it (a beat may be heard as the dotted one). The picks are fixed (PICKS).

tools/setup installs fluidsynth, timgm6mb-soundfont and openttd-openmsx; without them the test
is skipped with a message saying so. WOODSHED_CLI names the binary.
"""

import json
import math
import os
import struct
import subprocess
import tempfile
import time
import unittest
import wave

CLI = os.environ.get("WOODSHED_CLI", "build/native-release/src/cli/woodshed")
MIDI_DIR = "/usr/share/games/openttd/baseset/openmsx"
SOUNDFONT = "/usr/share/sounds/sf2/TimGM6mb.sf2"
FLUIDSYNTH = "/usr/bin/fluidsynth"
SECONDS = 40.0
TOLERANCE_BPM = 1.0
# Every fourth piece of openttd-openmsx 0.4.2's sorted list, from the first (all 31 hold their
# tempo for the first 40 s), fixed by name so that another version of the package keeps them.
PICKS = [
    "5432gone_redfarn.mid",
    "careless_perc_redfarn.mid",
    "coconut_run2.mid",
    "linns_basket.mid",
    "moo_redfarn.mid",
    "run_for_your_life.mid",
    "the_hobo_redfarn.mid",
    "tttheme2.mid",
]


def read_varlen(data, i):
    value = 0
    while True:
        byte = data[i]
        i += 1
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, i


def varlen(value):
    out = [value & 0x7F]
    while value > 0x7F:
        value >>= 7
        out.append(0x80 | (value & 0x7F))
    return bytes(reversed(out))


class MidiFile:
    """The header, and per track its bytes and events as (tick, start, end, kind, value), where
    start is where the event's delta time begins, kind is "tempo" (microseconds a quarter note),
    "meter" ((numerator, denominator)), "end" (end of track) or "other"."""

    def __init__(self, path):
        with open(path, "rb") as f:
            data = f.read()
        if data[:4] != b"MThd":
            raise ValueError(f"{path} is not a standard MIDI file")
        length, self.format, count, self.division = struct.unpack(">IHHH", data[4:14])
        if self.division & 0x8000:
            raise ValueError(f"{path} counts SMPTE time, not beats")
        self.tracks = []
        i = 8 + length
        for _ in range(count):
            if data[i:i + 4] != b"MTrk":
                raise ValueError(f"{path}: track chunk expected at byte {i}")
            size = struct.unpack(">I", data[i + 4:i + 8])[0]
            body = data[i + 8:i + 8 + size]
            self.tracks.append((body, self._events(body)))
            i += 8 + size

    @staticmethod
    def _events(body):
        events, tick, status, i = [], 0, 0, 0
        while i < len(body):
            start = i
            delta, i = read_varlen(body, i)
            tick += delta
            kind, value = "other", None
            if body[i] == 0xFF:
                meta = body[i + 1]
                length, i = read_varlen(body, i + 2)
                payload = body[i:i + length]
                i += length
                if meta == 0x51:
                    kind, value = "tempo", int.from_bytes(payload, "big")
                elif meta == 0x58:
                    kind, value = "meter", (payload[0], 2 ** payload[1])
                elif meta == 0x2F:
                    kind = "end"
            elif body[i] in (0xF0, 0xF7):
                length, i = read_varlen(body, i + 1)
                i += length
            else:
                if body[i] & 0x80:  # otherwise running status: the data bytes start here
                    status = body[i]
                    i += 1
                i += 1 if status & 0xF0 in (0xC0, 0xD0) else 2
            events.append((tick, start, i, kind, value))
        return events

    def all_events(self, kind):
        return sorted((e[0], e[4]) for _, events in self.tracks for e in events if e[3] == kind)

    def tempo_bpm(self):
        """The first tempo (120 BPM where none is given, as the standard says)."""
        tempos = self.all_events("tempo")
        return 60e6 / tempos[0][1] if tempos else 120.0

    def meter(self):
        meters = self.all_events("meter")
        return meters[0][1] if meters else (4, 4)

    def ticks_for(self, seconds):
        return int(seconds * self.tempo_bpm() / 60.0 * self.division)

    def tempo_holds_until(self, tick):
        tempos = self.all_events("tempo")
        return all(abs(60e6 / value - self.tempo_bpm()) < 1e-6 for at, value in tempos if at < tick)

    def write_cut(self, path, tick):
        """Writes the piece up to `tick`: each track's events before it; at `tick`, the first
        track lets go of every note (all notes off, sustain pedal up, on all 16 channels), or a
        synthesizer would hold them for ever; then each track ends."""
        chunks = [struct.pack(">4sIHHH", b"MThd", 6, self.format, len(self.tracks), self.division)]
        for index, (body, events) in enumerate(self.tracks):
            kept = [e for e in events if e[0] < tick and e[3] != "end"]
            data = body[:kept[-1][2]] if kept else b""
            last = kept[-1][0] if kept else 0
            if index == 0:
                controls = [(channel, controller) for channel in range(16) for controller in (64, 123)]
                for n, (channel, controller) in enumerate(controls):
                    data += varlen(tick - last if n == 0 else 0) + bytes([0xB0 | channel, controller, 0])
            data += varlen(0) + b"\xff\x2f\x00"
            chunks.append(struct.pack(">4sI", b"MTrk", len(data)) + data)
        with open(path, "wb") as f:
            f.write(b"".join(chunks))


def write_clicks(path, seconds, bpm, beats_per_bar, lead, rate=44100):
    """A metronome as 16-bit mono WAV: a low thump on each bar's first beat, a high tick on the
    others, from `lead` seconds on."""
    samples = [0.0] * int(seconds * rate)
    beat, k = 60.0 / bpm, 0
    while lead + k * beat < seconds:
        first = int(round((lead + k * beat) * rate))
        downbeat = k % beats_per_bar == 0
        hz, level, decay = (70.0, 0.8, 0.08) if downbeat else (1800.0, 0.3, 0.02)
        for i in range(min(int(0.25 * rate), len(samples) - first)):
            t = i / rate
            samples[first + i] += level * math.exp(-t / decay) * math.sin(2 * math.pi * hz * t)
        k += 1
    with wave.open(path, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(struct.pack(f"<{len(samples)}h", *(int(32767 * max(-1.0, min(1.0, x))) for x in samples)))


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120)


class BeatsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def test_a_click_track_reads_as_its_tempo_and_bar_start(self):
        write_clicks(self.path("clicks.wav"), 16.0, 112.0, 4, 0.25)
        result = run("beats", self.path("clicks.wav"), "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        grid = json.loads(result.stdout.strip().splitlines()[-1])
        self.assertEqual(set(grid), {"bpm", "offsetSeconds", "beatsPerBar", "confidence"})
        self.assertAlmostEqual(grid["bpm"], 112.0, delta=0.5)
        self.assertEqual(grid["beatsPerBar"], 4)
        bar = 4 * 60.0 / 112.0
        self.assertLess(abs((grid["offsetSeconds"] - 0.25 + bar / 2) % bar - bar / 2), 0.02, grid)
        self.assertGreater(grid["confidence"], 0.5)
        self.assertIn("analysing 100%", result.stderr)

        first = run("--json", "beats", self.path("clicks.wav"))
        self.assertEqual(json.loads(first.stdout.strip().splitlines()[-1]), grid)
        words = run("beats", self.path("clicks.wav"))
        self.assertRegex(words.stdout, r"^11[12]\.\d\d BPM, 4 beats a bar, first bar at 0\.2\d\d s")

    def test_bad_arguments_and_unreadable_audio_exit_non_zero_with_a_message(self):
        write_clicks(self.path("short.wav"), 3.0, 120.0, 4, 0.0)
        for args, code, message in [
            (["beats"], 2, "beats takes IN"),
            (["beats", self.path("short.wav"), self.path("other.wav")], 2, "beats takes IN"),
            (["beats", self.path("short.wav"), "--stats"], 2, "unknown option --stats"),
            (["beats", self.path("missing.wav")], 1, "missing.wav"),
            (["beats", self.path("short.wav")], 1, "at least 4 s of audio"),
        ]:
            result = run(*args)
            self.assertEqual(result.returncode, code, (args, result.stderr))
            self.assertIn(message, result.stderr, args)
            self.assertEqual(result.stdout, "", args)


def relations(meter):
    names = {1.0: "x1", 2.0: "x2", 0.5: "x1/2"}
    if meter[0] % 3 == 0:
        names.update({1.5: "x3/2", 2.0 / 3.0: "x2/3"})
    return names


def missing_tools():
    missing = [p for p in (FLUIDSYNTH, SOUNDFONT, MIDI_DIR) if not os.path.exists(p)]
    return ", ".join(missing)


@unittest.skipIf(missing_tools(), f"needs fluidsynth, timgm6mb-soundfont and openttd-openmsx "
                                  f"(tools/setup installs them); missing: {missing_tools()}")
class BeatsMidiTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def synthesize(self, midi, wav):
        """FluidSynth renders until its voices fall silent; a file far longer than SECONDS means
        a note was never let go, so it is stopped rather than left to fill the disk."""
        limit = 2 * SECONDS * 44100 * 2 * 2
        log = os.path.join(self.dir.name, "fluidsynth.log")
        with open(log, "w") as messages:
            synth = subprocess.Popen([FLUIDSYNTH, "-ni", "-g", "0.6", "-F", wav, "-r", "44100", SOUNDFONT, midi],
                                     stdout=messages, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 60
            while synth.poll() is None:
                if time.monotonic() > deadline or (os.path.exists(wav) and os.path.getsize(wav) > limit):
                    synth.kill()
                    synth.wait()
                    self.fail(f"fluidsynth ran past {SECONDS:.0f} s of audio or a minute for {midi}")
                time.sleep(0.05)
        with open(log) as messages:
            self.assertEqual(synth.returncode, 0, messages.read())

    def detect(self, name):
        """Renders the piece's first SECONDS and returns (midi, woodshed's grid)."""
        midi = MidiFile(os.path.join(MIDI_DIR, name))
        end = midi.ticks_for(SECONDS)
        self.assertTrue(midi.tempo_holds_until(end), f"{name}: the tempo changes in the first {SECONDS:.0f} s")
        cut = os.path.join(self.dir.name, "cut.mid")
        wav = os.path.join(self.dir.name, "cut.wav")
        midi.write_cut(cut, end)
        self.synthesize(cut, wav)
        result = subprocess.run([CLI, "beats", wav, "--json"], capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        return midi, json.loads(result.stdout.strip().splitlines()[-1])

    def test_the_tempo_of_human_composed_pieces_is_found_or_a_simple_multiple(self):
        names = sorted(n for n in os.listdir(MIDI_DIR) if n.endswith(".mid"))
        picks = [n for n in PICKS if n in names]
        self.assertGreaterEqual(len(picks), 3, f"the picks are missing from {MIDI_DIR}")
        misses = []
        for name in picks:
            midi, grid = self.detect(name)
            self.assertEqual(set(grid), {"bpm", "offsetSeconds", "beatsPerBar", "confidence"})
            reference, meter = midi.tempo_bpm(), midi.meter()
            held = [label for ratio, label in relations(meter).items()
                    if abs(grid["bpm"] - reference * ratio) <= TOLERANCE_BPM]
            print(f"[ measure  ] {name}: reference {reference:.2f} BPM {meter[0]}/{meter[1]}, detected "
                  f"{grid['bpm']:.2f} BPM, {grid['beatsPerBar']} beats/bar, confidence {grid['confidence']:.2f}: "
                  f"{held[0] if held else 'no relation'}", flush=True)
            if not held:
                misses.append(f"{name}: {grid['bpm']:.2f} BPM against {reference:.2f}")
        self.assertEqual(misses, [])


if __name__ == "__main__":
    unittest.main()
