#!/usr/bin/env bash
# Instructions per render of two stairstep-render builds, mode by mode, under callgrind: an A/B
# of the DSP's cost that the machine's speed does not move (callgrind counts instructions;
# the same binary and input give the same count). Also checks that both builds render the
# same bits. valgrind has no AVX-512, so this measures the AVX2 build.
#
# Usage: bash scripts/ab_instructions.sh A/stairstep-render B/stairstep-render
set -euo pipefail
a=$1
b=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" << 'PY'
import math, random, struct, sys
work = sys.argv[1]
sr, n = 48000, 48000 * 3
rnd = random.Random(3)
frames = []
for i in range(n):
    t = i / sr
    frames.append(struct.pack("<ff", 0.6 * math.sin(2 * math.pi * 220 * t) + 0.05 * rnd.gauss(0, 1),
                              0.5 * math.sin(2 * math.pi * 331 * t) + 0.05 * rnd.gauss(0, 1)))
data = b"".join(frames)
fmt = struct.pack("<HHIIHH", 3, 2, sr, sr * 8, 8, 32)
body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
open(f"{work}/in.wav", "wb").write(b"RIFF" + struct.pack("<I", len(body)) + body)
def vlq(v):
    out = [v & 0x7F]; v >>= 7
    while v:
        out.insert(0, (v & 0x7F) | 0x80); v >>= 7
    return bytes(out)
track, last = b"\x00\xff\x51\x03" + (500000).to_bytes(3, "big"), 0
for tick, status, d1, d2 in [(0, 0x90, 45, 100), (960, 0x90, 52, 90), (1920, 0x90, 57, 90), (2400, 0x80, 57, 0), (2600, 0x80, 52, 0), (2800, 0x80, 45, 0)]:
    track += vlq(tick - last) + bytes([status, d1, d2]); last = tick
track += b"\x00\xff\x2f\x00"
header = b"MThd" + (6).to_bytes(4, "big") + (0).to_bytes(2, "big") + (1).to_bytes(2, "big") + (480).to_bytes(2, "big")
open(f"{work}/notes.mid", "wb").write(header + b"MTrk" + len(track).to_bytes(4, "big") + track)
PY
modes=(
    "plain 8-bit|--bits 8"
    "TPDF|--bits 8 --dither tpdf"
    "general path (Mix 50 %)|--bits 8 --mix 50"
    "shaping 9-tap|--bits 8 --dither tpdf --shaping f-weighted-9"
    "anti-alias|--bits 6 --antialias on"
    "rate 8 kHz + filters|--bits 8 --rate 8000 --prefilter on --postfilter on"
    "µ-law|--bits 8 --curve mu-law"
    "LFO on Bit Depth|--bits 8 --lfo-sync off --lfo-rate 2 --lfo-bits 4"
    "follower on Bit Depth (Mix 50 %)|--bits 8 --follow-bits -4 --mix 50"
    "LFO on rate + filters|--bits 8 --rate 8000 --prefilter on --postfilter on --lfo-sync off --lfo-rate 2 --lfo-octaves 1"
    "notes with glide|--bits 8 --harmonic 4 --glide 30 --midi $work/notes.mid"
)
echo "| mode | A | B | B/A | output |"
echo "|---|---:|---:|---:|---|"
for m in "${modes[@]}"; do
    name=${m%%|*}
    read -r -a args <<< "${m#*|}"
    counts=()
    for side in a b; do
        bin=$a
        [ "$side" = b ] && bin=$b
        valgrind --tool=callgrind --callgrind-out-file="$work/cg.$side" "$bin" "$work/in.wav" "$work/out-$side.wav" \
            "${args[@]}" --format f32 --force -q > /dev/null 2> "$work/err.$side"
        counts+=("$(grep -m1 '^summary:' "$work/cg.$side" | awk '{print $2}')")
    done
    same=different
    cmp -s "$work/out-a.wav" "$work/out-b.wav" && same="the same bits"
    ratio=$(python3 -c "print(f'{${counts[1]} / ${counts[0]}:.4f}')")
    echo "| $name | ${counts[0]} | ${counts[1]} | $ratio | $same |"
done
