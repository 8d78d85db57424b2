"""Movement in DawDreamer, which drives tempo and MIDI into the VST3: the synced LFO's period
and phase measured in the output, note-tracked hold lengths, aliases on the note's harmonics,
and the renderer's --bpm/--midi render bit-identical to the plugin's."""

import subprocess

import dawdreamer as daw
import numpy as np

from conftest import SR, bundle, renderer
from test_render_identity import read_f32_wav, write_f32_wav

BLOCK = 512


def engine_with(x, settings, bpm=120.0):
    """A DawDreamer graph: playback of x into Stairstep, the named parameters set to the
    normalized values given."""
    engine = daw.RenderEngine(SR, BLOCK)
    engine.set_bpm(bpm)
    src = engine.make_playback_processor("src", x)
    fx = engine.make_plugin_processor("stairstep", str(bundle()))
    names = [fx.get_parameter_name(i) for i in range(fx.get_plugin_parameter_size())]
    for name, normalized in settings.items():
        fx.set_parameter(names.index(name), normalized)
    engine.load_graph([(src, []), (fx, ["src"])])
    return engine, fx


def noise(n, amp=0.5, seed=3):
    rng = np.random.default_rng(seed)
    x = (amp * rng.uniform(-1, 1, n)).astype(np.float32)
    return np.stack([x, x])


def choice(index, count):
    return index / (count - 1)


def test_synced_lfo_period_is_half_a_second_at_120_bpm_and_on_the_beat():
    # 8 bits ± 4 with a square LFO at 1/4: 12 bits for the first half of every beat, 4 bits
    # for the second. On noise, 4-bit output samples are multiples of 1/8; 12-bit ones rarely are.
    seconds = 4.0
    n = int(seconds * SR)
    x = noise(n)
    engine, _ = engine_with(
        x,
        {
            "Bit Depth": (8 - 1) / 23,
            "LFO Shape": choice(4, 7),
            "LFO Sync": 1.0,
            "LFO Division": choice(4, 10),
            "LFO to Bits": (4 + 12) / 24,
        },
    )
    engine.render(seconds)
    y = engine.get_audio()[0]
    coarse = np.abs(y * 8 - np.round(y * 8)) < 1e-6
    # Starts of long coarse runs (4-bit halves) and their ends (12-bit halves start).
    starts = [i for i in range(1, n - 2000) if coarse[i : i + 2000].all() and not coarse[i - 1]]
    ends = [i for i in range(2000, n) if coarse[i - 2000 : i].all() and not coarse[i]]
    beat = SR * 60 / 120  # 24000 samples
    assert len(starts) == 8 and len(ends) >= 7, (starts, ends)
    for k, s in enumerate(starts):
        # The 4-bit half starts half a beat after each beat (a chance coarse sample just
        # before it could move the detected start one sample early).
        assert abs(s - (k * beat + beat / 2)) <= 1, (k, s)
    for k, e in enumerate(ends):
        assert abs(e - (k + 1) * beat) <= 1, (k, e)
    periods = np.diff(starts)
    assert np.all(np.abs(periods - 0.5 * SR) <= 1), periods
    print(f"LFO period {np.mean(periods) / SR:.6f} s, first 4-bit half at sample {starts[0]}")


def hold_lengths(y, start, end):
    change = np.flatnonzero(np.diff(y[start:end]) != 0)
    return np.diff(change)


def test_notes_set_the_rate_a2_e3_a3():
    # A ramp changes every sample, so each hold shows as a run of equal samples.
    seconds = 3.0
    n = int(seconds * SR)
    ramp = np.linspace(-0.9, 0.9, n, dtype=np.float32)
    x = np.stack([ramp, ramp])
    engine, fx = engine_with(x, {"Bit Depth": 1.0, "Harmonic": 0.0})
    for k, (note, start) in enumerate([(45, 0.0), (52, 1.0), (57, 2.0)]):
        fx.add_midi_note(note, 100, start + 0.01, 0.98)
    engine.render(seconds)
    y = engine.get_audio()[0]
    for k, hz in enumerate([110.0, 164.8138, 220.0]):
        lengths = hold_lengths(y, int((k + 0.1) * SR), int((k + 0.9) * SR))
        mean = lengths.mean()
        assert abs(mean - SR / hz) < 0.01 * SR / hz / 10, (hz, mean)
        assert np.all(np.abs(lengths - SR / hz) < 1.0)
        print(f"note {hz} Hz: holds of {mean:.3f} samples (expected {SR / hz:.3f})")


def harmonic_share(y, f0):
    """The share of y's power within ±3 Hz of multiples of f0 (Hann-windowed spectrum)."""
    w = np.hanning(len(y))
    spectrum = np.abs(np.fft.rfft(y * w)) ** 2
    freqs = np.fft.rfftfreq(len(y), 1 / SR)
    near = np.abs(freqs - f0 * np.round(freqs / f0)) <= 3.0
    near &= freqs > 20
    return spectrum[near].sum() / spectrum[freqs > 20].sum()


def test_aliases_fall_on_the_notes_harmonics():
    # A tone at A3 (220 Hz, five harmonics) crushed at h x A3 for h = 2, 3 and 8: its aliases
    # and the hold's images land on multiples of 220 Hz. The same tone with the rate on the
    # knob at 700 or 1000 Hz puts much of them off key.
    # NOTE: A smooth tone: the hold takes its samples on the host's sample grid, so where a
    #       period is not a whole number of samples (48000 / 660 = 72.7) a discontinuous input
    #       such as a naive saw spreads some power off the harmonics (measured: 0.996 at h = 3,
    #       0.64 at h = 2, 0.86 at h = 4).
    seconds = 2.0
    n = int(seconds * SR)
    t = np.arange(n) / SR
    tone = sum(0.25 / k * np.sin(2 * np.pi * 220 * k * t + k) for k in range(1, 6))
    x = np.stack([tone, tone]).astype(np.float32)
    for h in [2, 3, 8]:
        tuned, fx = engine_with(x, {"Bit Depth": 1.0, "Harmonic": (h - 1) / 63})
        fx.add_midi_note(57, 100, 0.0, seconds)
        tuned.render(seconds)
        share = harmonic_share(tuned.get_audio()[0][SR // 2 :], 220.0)
        print(f"harmonic {h}: {share:.4f} of the power on multiples of 220 Hz")
        assert share > 0.99, (h, share)
    for rate in [700.0, 1000.0]:
        # The Sample Rate knob is log2(Hz) on a linear range, 50 Hz to 96 kHz.
        knob = (np.log2(rate) - np.log2(50)) / (np.log2(96000) - np.log2(50))
        off, _ = engine_with(x, {"Bit Depth": 1.0, "Sample Rate": knob})
        off.render(seconds)
        share = harmonic_share(off.get_audio()[0][SR // 2 :], 220.0)
        print(f"knob at {rate:.0f} Hz: {share:.4f} of the power on multiples of 220 Hz")
        assert share < 0.9, (rate, share)


def smf(notes, ticks_per_quarter=480, tempo_us=500_000):
    """A format-0 MIDI file: (tick, status, data1, data2) events, sorted."""

    def vlq(v):
        out = [v & 0x7F]
        v >>= 7
        while v:
            out.insert(0, (v & 0x7F) | 0x80)
            v >>= 7
        return bytes(out)

    track = b"\x00\xff\x51\x03" + tempo_us.to_bytes(3, "big")
    last = 0
    for tick, status, d1, d2 in notes:
        track += vlq(tick - last) + bytes([status, d1, d2])
        last = tick
    track += b"\x00\xff\x2f\x00"
    header = b"MThd" + (6).to_bytes(4, "big") + (0).to_bytes(2, "big") + (1).to_bytes(2, "big")
    header += ticks_per_quarter.to_bytes(2, "big")
    return header + b"MTrk" + len(track).to_bytes(4, "big") + track


def test_renderer_with_tempo_and_midi_is_bit_identical_to_the_plugin(tmp_path):
    exe = renderer()
    seconds = 3.0
    n = int(seconds * SR)
    rng = np.random.default_rng(11)
    t = np.arange(n) / SR
    x = np.stack(
        [
            (0.6 * np.sin(2 * np.pi * 196 * t) * (0.2 + 0.8 * (t % 0.75 < 0.4)) + 0.02 * rng.standard_normal(n)),
            (0.5 * np.sin(2 * np.pi * 247 * t + 1.0) + 0.02 * rng.standard_normal(n)),
        ]
    ).astype(np.float32)
    # At 120 BPM and 480 ticks per quarter a tick is 50 samples: every note on a sample.
    notes = [(0, 0x90, 45, 100), (700, 0x80, 45, 0), (960, 0x90, 52, 90), (1500, 0x90, 57, 90)]
    notes += [(1700, 0x80, 52, 0), (2600, 0x80, 57, 0)]
    mid = tmp_path / "clip.mid"
    mid.write_bytes(smf(notes))
    flags = {
        "Bit Depth": ("bits", 7.0, (7 - 1) / 23),
        "LFO Shape": ("lfo-shape", "smooth-random", choice(6, 7)),
        "LFO Division": ("lfo-division", "1/8", choice(3, 10)),
        "LFO Timing": ("lfo-timing", "triplet", choice(2, 3)),
        "LFO to Bits": ("lfo-bits", -3.0, (-3 + 12) / 24),
        "LFO to Rate": ("lfo-octaves", 1.5, (1.5 + 6) / 12),
        "Follow to Bits": ("follow-bits", -4.0, (-4 + 12) / 24),
        "Harmonic": ("harmonic", 4.0, 3 / 63),
        "Glide": ("glide", 20.0, 20 / 500),
        "Pre-filter": ("prefilter", "on", 1.0),
    }
    engine, fx = engine_with(x, {name: v[2] for name, v in flags.items()}, bpm=120.0)
    fx.load_midi(str(mid), clear_previous=True, beats=False, all_events=True)
    engine.render(seconds)
    y = engine.get_audio()

    wav_in, wav_out = tmp_path / "in.wav", tmp_path / "out.wav"
    write_f32_wav(wav_in, x)
    args = [str(exe), str(wav_in), str(wav_out), "--bpm", "120", "--midi", str(mid), "--format", "f32", "-q"]
    for flag, value, _ in flags.values():
        args += [f"--{flag}", str(value)]
    subprocess.run(args, check=True, capture_output=True)
    z = read_f32_wav(wav_out)
    assert z.shape == y.shape
    differ = np.flatnonzero(np.any(z != y, axis=0))
    assert differ.size == 0, f"{differ.size} frames differ, first at {differ[:5]}"
    # MIDI pitch bend does not reach the VST3 (VST3 has no MIDI bend event; the stand-in
    # parameters that would carry it are gone: bends come as note expression): a clip with a
    # bend renders as the clip without it.
    bent = tmp_path / "bent.mid"
    bent.write_bytes(smf(sorted(notes + [(2048, 0xE0, 0, 0x60)])))
    engine, fx = engine_with(x, {name: v[2] for name, v in flags.items()}, bpm=120.0)
    fx.load_midi(str(bent), clear_previous=True, beats=False, all_events=True)
    engine.render(seconds)
    assert np.array_equal(engine.get_audio(), y)
    # And the movement is real: the LFO and notes changed the output against a static render.
    static, _ = engine_with(x, {"Bit Depth": (7 - 1) / 23})
    static.render(seconds)
    assert np.mean(static.get_audio() != y) > 0.5
