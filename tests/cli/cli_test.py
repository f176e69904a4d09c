"""The command-line tool as a user runs it: `woodshed render` gives a 16-bit WAV back bit for
bit with the defaults, cuts regions on the exact frame, writes the other formats at the engine's
full scale (2^15, 2^23), applies the track gain and the limiter as the app does, and refuses bad
arguments, unreadable files, a failed write and an interrupt with a message and a non-zero exit,
leaving no file behind.

Test audio is made here, at run time, with Python's wave module. WOODSHED_CLI names the binary.
"""

import json
import os
import random
import resource
import signal
import struct
import subprocess
import tempfile
import unittest
import wave

CLI = os.environ.get("WOODSHED_CLI", "build/native-release/src/cli/woodshed")


def write_wav(path, frames, channels=2, rate=44100, seed=1):
    """Noise at full 16-bit range, both extremes included; returns the samples."""
    rng = random.Random(seed)
    samples = [rng.randint(-32768, 32767) for _ in range(frames * channels)]
    samples[0], samples[1] = -32768, 32767
    with wave.open(path, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return samples


def read_wav(path):
    with wave.open(path, "rb") as w:
        data = w.readframes(w.getnframes())
        return w.getnchannels(), w.getsampwidth(), w.getframerate(), data


def run(*args, **kwargs):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120, **kwargs)


def samples16(path):
    channels, width, rate, data = read_wav(path)
    assert width == 2, width
    return list(struct.unpack(f"<{len(data) // 2}h", data))


class RenderTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.input = os.path.join(self.dir.name, "in.wav")
        self.samples = write_wav(self.input, 44100 * 3)

    def tearDown(self):
        self.dir.cleanup()

    def out(self, name="out.wav"):
        return os.path.join(self.dir.name, name)

    def test_a_16_bit_wav_round_trips_bit_exactly_with_the_defaults(self):
        result = run("render", self.input, self.out(), "--stats")
        self.assertEqual(result.returncode, 0, result.stderr)
        channels, width, rate, data = read_wav(self.out())
        self.assertEqual((channels, width, rate), (2, 2, 44100))
        self.assertEqual(list(struct.unpack(f"<{len(data) // 2}h", data)), self.samples)
        stats = json.loads(result.stdout.strip().splitlines()[-1])
        self.assertEqual(set(stats), {"input_seconds", "output_seconds", "processing_seconds", "threads"})
        self.assertAlmostEqual(stats["input_seconds"], 3.0, places=6)
        self.assertIn("rendering 100%", result.stderr)

    def test_options_before_the_arguments_cut_a_region_on_the_exact_frame(self):
        result = run("--end", "2.5", "render", "--start=0.5", self.input, self.out())
        self.assertEqual(result.returncode, 0, result.stderr)
        _, _, _, data = read_wav(self.out())
        self.assertEqual(list(struct.unpack(f"<{len(data) // 2}h", data)), self.samples[22050 * 2:110250 * 2])

    def test_the_other_formats_hold_the_same_samples(self):
        result = run("render", self.input, self.out("24.wav"), "--format", "wav24")
        self.assertEqual(result.returncode, 0, result.stderr)
        _, width, _, data = read_wav(self.out("24.wav"))
        self.assertEqual(width, 3)
        values = [int.from_bytes(data[i:i + 3], "little", signed=True) for i in range(0, len(data), 3)]
        # Full scale is 2^15 and 2^23 steps: a 16-bit sample s is 256 s, extremes included.
        self.assertEqual(values, [s * 256 for s in self.samples])

        result = run("render", self.input, self.out("32f.wav"), "--format=wav32f")
        self.assertEqual(result.returncode, 0, result.stderr)
        # Python's wave module does not read float WAV: take the data chunk by hand.
        with open(self.out("32f.wav"), "rb") as f:
            raw = f.read()
        start = raw.index(b"data") + 8
        floats = struct.unpack(f"<{(len(raw) - start) // 4}f", raw[start:])
        self.assertEqual(list(floats), [s / 32768 for s in self.samples])

    def test_gain_and_the_limiter_shape_the_samples_as_the_app_does(self):
        result = run("render", self.input, self.out("half.wav"), "--gain", "-6.0206")
        self.assertEqual(result.returncode, 0, result.stderr)
        gain = 10 ** (-6.0206 / 20)
        half = samples16(self.out("half.wav"))
        self.assertEqual(len(half), len(self.samples))
        worst = max(abs(h - s * gain) for h, s in zip(half, self.samples))
        print(f"[ measure  ] CLI --gain -6.0206: worst {worst:.3f} steps from s * {gain:.6f}")
        self.assertLessEqual(worst, 1.5, "rounding plus TPDF dither of at most a step each way")

        result = run("render", self.input, self.out("limited.wav"), "--limiter", "-6")
        self.assertEqual(result.returncode, 0, result.stderr)
        limited = samples16(self.out("limited.wav"))
        self.assertEqual(len(limited), len(self.samples))
        peak_db = 20 * __import__("math").log10(max(abs(v) for v in limited) / 32768)
        print(f"[ measure  ] CLI --limiter -6 on full-scale noise: peak {peak_db:.3f} dBFS")
        self.assertLessEqual(peak_db, -6 + 0.01)
        self.assertGreater(peak_db, -7, "limited, not silenced")

        result = run("render", self.input, self.out("loud.wav"), "--gain", "6")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("samples above full scale were clipped (use --format wav32f to keep them)", result.stderr)

    def test_bad_arguments_exit_non_zero_with_a_message_and_leave_no_file(self):
        cases = [
            (("render", self.input), 2, "render takes IN and OUT"),
            (("render", self.input, self.out(), "--start", "-1"), 2, "--start must be 0 or more seconds, got -1"),
            (("render", self.input, self.out(), "--start", "abc"), 2, "--start must be a number of seconds"),
            (("render", self.input, self.out(), "--start", "2", "--end", "1"), 2, "--start must come before --end"),
            (("render", self.input, self.out(), "--format", "mp3"), 2, "--format must be wav16, wav24 or wav32f"),
            (("render", self.input, self.out(), "--gain", "41"), 2, "--gain: the track gain must be between -40 and +40 dB, got 41"),
            (("render", self.input, self.out(), "--gain", "loud"), 2, "--gain must be a number"),
            (("render", self.input, self.out(), "--limiter", "1"), 2, "--limiter: the limiter's ceiling must be between -24 and 0 dBFS"),
            (("render", self.input, self.out(), "--limiter"), 2, "--limiter needs a value"),
            (("render", self.input, self.out(), "--eq-band", "peak:1000:3:1"), 2, "unknown option --eq-band"),
            (("render", self.input, self.out("out.flac")), 2, "OUT must be a .wav file"),
            (("render", self.out("missing.wav"), self.out()), 1, "missing.wav: System error"),
            (("dance",), 2, "unknown command"),
            ((), 2, "no command given"),
        ]
        for args, code, message in cases:
            with self.subTest(args=args):
                result = run(*args)
                self.assertEqual(result.returncode, code, result.stderr)
                self.assertIn(message, result.stderr)
        broken = os.path.join(self.dir.name, "broken.wav")
        with open(broken, "wb") as f:
            f.write(b"RIFF\xff\xff\xff\x7fWAVEfmt " + os.urandom(64))
        result = run("render", broken, self.out())
        self.assertEqual(result.returncode, 1)
        self.assertIn("broken.wav: ", result.stderr)
        self.assertEqual(sorted(os.listdir(self.dir.name)), ["broken.wav", "in.wav"], "nothing half-written")

    def test_bad_audio_is_refused_with_its_reason_and_leaves_no_file(self):
        def float_wav(name, samples, rate=44100):
            path = os.path.join(self.dir.name, name)
            data = struct.pack(f"<{len(samples)}f", *samples)
            fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
            with open(path, "wb") as f:
                f.write(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)) + b"WAVE")
                f.write(b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data)
            return path
        tone = [0.25] * 44100
        nan_at = tone[:]
        nan_at[33075] = float("nan")  # 0.750 s
        infinite = tone[:]
        infinite[22050] = float("inf")
        slow = os.path.join(self.dir.name, "slow.wav")
        write_wav(slow, 4410, channels=1, rate=4000)
        cases = [
            (float_wav("nan.wav", nan_at), "nan.wav: the audio contains invalid samples (NaN or infinity), the first at 0.750 s"),
            (float_wav("inf.wav", infinite), "inf.wav: the audio contains invalid samples (NaN or infinity), the first at 0.500 s"),
            (slow, "slow.wav: its sample rate of 4000 Hz is outside 8000-192000 Hz"),
        ]
        for path, message in cases:
            with self.subTest(path=path):
                result = run("render", path, self.out())
                self.assertEqual(result.returncode, 1, result.stderr)
                self.assertIn(message, result.stderr)
                self.assertFalse(os.path.exists(self.out()), "nothing written")
        self.assertFalse([n for n in os.listdir(self.dir.name) if n.endswith(".partial")])

    def test_an_unwritable_output_fails_cleanly(self):
        result = run("render", self.input, os.path.join(self.dir.name, "no", "such", "dir.wav"))
        self.assertEqual(result.returncode, 1)
        self.assertIn("cannot be written (No such file or directory)", result.stderr)

    def test_a_failed_write_says_why_and_leaves_no_file(self):
        # A file size limit stands in for a full disk: the write fails part way with the
        # system's reason (SIGXFSZ ignored, so write() returns EFBIG instead of killing).
        def limit_file_size():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (100000, 100000))

        result = run("render", self.input, self.out(), preexec_fn=limit_file_size)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("out.wav: writing failed (File too large)", result.stderr)
        self.assertEqual(os.listdir(self.dir.name), ["in.wav"], "nothing half-written")

    def test_an_interrupted_render_leaves_no_file(self):
        # Long enough to be interrupted: 60 s stretched to 240 s and shifted.
        long_input = os.path.join(self.dir.name, "long.wav")
        with wave.open(long_input, "wb") as out:
            out.setnchannels(2)
            out.setsampwidth(2)
            out.setframerate(44100)
            out.writeframes(os.urandom(60 * 44100 * 4))
        with subprocess.Popen([CLI, "stretch", long_input, self.out(), "--tempo", "0.25", "--semitones", "3"],
                              stderr=subprocess.PIPE, text=True) as process:
            first = process.stderr.readline()
            self.assertIn("rendering", first, "the render started")
            self.assertTrue(os.path.exists(self.out() + ".partial"))
            process.send_signal(signal.SIGINT)
            rest = process.stderr.read()
            self.assertEqual(process.wait(timeout=60), -signal.SIGINT, rest)
        self.assertEqual(sorted(os.listdir(self.dir.name)), ["in.wav", "long.wav"], "nothing half-written")


def write_sine(path, seconds, frequency, rate=44100, level=0.5):
    """A stereo sine, 16-bit."""
    import math
    frames = int(seconds * rate)
    samples = []
    for i in range(frames):
        v = int(round(level * 32767 * math.sin(2 * math.pi * frequency * i / rate)))
        samples += [v, v]
    with wave.open(path, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(struct.pack(f"<{len(samples)}h", *samples))


def frequency_of(data, channels, rate, skip_seconds=0.2):
    """The frequency of a 16-bit sine from its rising zero crossings (interpolated), away from the ends."""
    left = struct.unpack(f"<{len(data) // 2}h", data)[0::channels]
    start, stop = int(skip_seconds * rate), len(left) - int(skip_seconds * rate)
    crossings = []
    for i in range(start, stop - 1):
        a, b = left[i], left[i + 1]
        if a < 0 <= b:
            crossings.append(i + (-a) / (b - a))
    return (len(crossings) - 1) / ((crossings[-1] - crossings[0]) / rate)


class StretchTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.input = os.path.join(self.dir.name, "sine.wav")
        write_sine(self.input, 2.0, 440.0)

    def tearDown(self):
        self.dir.cleanup()

    def test_half_speed_is_twice_as_long_at_the_same_pitch(self):
        out = os.path.join(self.dir.name, "slow.wav")
        result = run("stretch", self.input, out, "--tempo", "0.5", "--stats")
        self.assertEqual(result.returncode, 0, result.stderr)
        stats = json.loads(result.stdout.strip().splitlines()[-1])
        self.assertAlmostEqual(stats["input_seconds"], 2.0, places=4)
        self.assertAlmostEqual(stats["output_seconds"], 4.0, places=4)
        channels, width, rate, data = read_wav(out)
        self.assertEqual((channels, width, rate), (2, 2, 44100))
        self.assertEqual(len(data) // 4, 4 * 44100)
        measured = frequency_of(data, channels, rate)
        print(f"[ measure  ] CLI stretch 0.5: {measured:.3f} Hz for a 440 Hz sine, {stats['processing_seconds']:.3f} s for 2 s")
        self.assertAlmostEqual(measured, 440.0, delta=0.3)

    def test_seven_semitones_up_keeps_the_length(self):
        out = os.path.join(self.dir.name, "up.wav")
        result = run("stretch", self.input, out, "--semitones", "7")
        self.assertEqual(result.returncode, 0, result.stderr)
        channels, _, rate, data = read_wav(out)
        self.assertEqual(len(data) // 4, 2 * 44100)
        measured = frequency_of(data, channels, rate)
        cents = 1200 * __import__("math").log2(measured / 659.2551)
        print(f"[ measure  ] CLI +7 semitones: {measured:.3f} Hz ({cents:+.2f} cents)")
        self.assertLess(abs(cents), 1.0)

    def test_render_takes_a_region_at_a_tempo(self):
        out = os.path.join(self.dir.name, "region.wav")
        result = run("render", self.input, out, "--start", "0.5", "--end", "1.5", "--tempo", "2")
        self.assertEqual(result.returncode, 0, result.stderr)
        _, _, _, data = read_wav(out)
        self.assertEqual(len(data) // 4, 44100 // 2)

    def test_out_of_range_or_unknown_options_are_refused_and_leave_no_file(self):
        out = os.path.join(self.dir.name, "bad.wav")
        for args, message in (
            (["--tempo", "3"], "the speed must be between 0.25 and 2"),
            (["--tempo", "fast"], "--tempo must be a number"),
            (["--semitones", "-13"], "the pitch must be between -12 and +12 semitones"),
            (["--start", "1"], "unknown option --start"),
            (["--gain", "-41"], "the track gain must be between -40 and +40 dB"),
            (["--limiter", "-30"], "the limiter's ceiling must be between -24 and 0 dBFS"),
        ):
            result = run("stretch", self.input, out, *args)
            self.assertEqual(result.returncode, 2, (args, result.stderr))
            self.assertIn(message, result.stderr)
            self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main()
