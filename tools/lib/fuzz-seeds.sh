#!/usr/bin/env bash
# Makes the fuzz targets' seed corpora in DIR (tools/fuzz calls it once): short files in every
# container and sample format libsndfile reads, made with ffmpeg and sox at run time, plus a few
# hand-made headers at the edges (a WAV whose data chunk claims 4 GB, an extensible header, odd
# chunks before the data). No audio is committed.
#   tools/lib/fuzz-seeds.sh DIR
set -euo pipefail
dir="$1"
files="$dir/audio_file_fuzz"
mkdir -p "$files" "$dir/wav_round_trip_fuzz"
tone() { ffmpeg -hide_banner -loglevel error -y -f lavfi -i "sine=f=440:r=$1:d=0.02" -ac "$2" "${@:3}"; }

for rate in 8000 44100 48000; do
  for channels in 1 2; do
    tone "$rate" "$channels" -c:a pcm_u8 "$files/u8-$rate-$channels.wav"
    tone "$rate" "$channels" -c:a pcm_s16le "$files/s16-$rate-$channels.wav"
  done
done
tone 44100 2 -c:a pcm_s24le "$files/s24.wav"
tone 44100 2 -c:a pcm_s32le "$files/s32.wav"
tone 44100 2 -c:a pcm_f32le "$files/f32.wav"
tone 44100 2 -c:a pcm_f64le "$files/f64.wav"
tone 44100 1 -c:a pcm_alaw "$files/alaw.wav"
tone 44100 1 -c:a pcm_mulaw "$files/mulaw.wav"
tone 44100 1 -c:a adpcm_ms "$files/msadpcm.wav"
tone 44100 1 -c:a adpcm_ima_wav "$files/imaadpcm.wav"
tone 44100 2 -c:a pcm_s16le -rf64 always "$files/rf64.wav"
tone 44100 2 -c:a pcm_s16le -f w64 "$files/w64.w64"
tone 44100 2 -c:a pcm_s16be "$files/s16.aiff"
tone 44100 2 -c:a pcm_s16be -f au "$files/s16.au"
tone 44100 2 -c:a pcm_s16le -f caf "$files/s16.caf"
tone 44100 2 -c:a flac "$files/s16.flac"
tone 44100 2 -c:a libvorbis "$files/vorbis.ogg"
tone 48000 2 -c:a libopus "$files/opus.opus"
sox -n -r 22050 -c 1 -b 16 "$files/sox.voc" synth 0.02 sine 440
sox -n -r 22050 -c 2 -b 24 "$files/sox.aiff" synth 0.02 sine 440
# Headers at the edges, from the 16-bit stereo WAV (44-byte header; "data" at 36).
python3 - "$files" <<'PY'
import struct, sys
d = sys.argv[1]
base = open(f"{d}/s16-44100-2.wav", "rb").read()
def put(name, data): open(f"{d}/{name}", "wb").write(data)
put("claims-4gb.wav", base[:40] + struct.pack("<I", 0xFFFFFFF0) + base[44:])
put("rate-zero.wav", base[:24] + struct.pack("<I", 0) + base[28:])
put("no-channels.wav", base[:22] + struct.pack("<H", 0) + base[24:])
put("six-channels.wav", base[:22] + struct.pack("<H", 6) + base[24:])
put("truncated.wav", base[: len(base) // 2])
put("odd-chunk.wav", base[:36] + b"LIST" + struct.pack("<I", 5) + b"abcde\0" + base[36:])
fmt = struct.pack("<HHIIHHHHIH14s", 0xFFFE, 2, 44100, 44100 * 4, 4, 16, 22, 16, 3, 1,
                  b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71")
data = base[44:]
put("extensible.wav", b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)) + b"WAVE" + b"fmt "
    + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data)
PY
# The round trip's inputs: format, channels and rate bytes, then 16-bit samples.
python3 - "$dir/wav_round_trip_fuzz" <<'PY'
import math, struct, sys
d = sys.argv[1]
for fmt in range(3):
    for channels in range(2):
        for rate in range(6):
            frames = 64 + 37 * rate
            samples = [int(32767 * math.sin(0.05 * i)) for i in range(frames * (channels + 1))]
            samples[:2] = [-32768, 32767][: len(samples)]
            open(f"{d}/seed-{fmt}-{channels}-{rate}", "wb").write(bytes([fmt, channels, rate]) + struct.pack(f"<{len(samples)}h", *samples))
PY
