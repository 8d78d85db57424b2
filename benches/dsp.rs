//! Cost of the DSP core per mode, in time per sample per channel (criterion's throughput is
//! set in samples). A plain copy of the same buffer is measured in the same run as the floor.
//!
//! `cargo bench --bench dsp` (add `-- --quick` for a fast pass). `scripts/bench_report.py`
//! turns criterion's results into docs/BENCHMARKS.md and the plot.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use stairstep::analysis::analysis_channel;
use stairstep::dsp::engine::{DEFAULT_SEED, Engine, Settings};
use stairstep::dsp::lfo::LfoShape;
#[cfg(target_arch = "x86_64")]
use stairstep::dsp::simd::Level;
use stairstep::dsp::{Curve, DitherMode, Shaping};
use std::hint::black_box;

const BLOCK: usize = 512;
const SR: f32 = 48000.0;

fn modes() -> Vec<(&'static str, Settings)> {
    let base = Settings::default();
    // A free 2 Hz sine (no host transport here), ±4 bits around 8.
    let lfo_free = Settings { lfo_shape: LfoShape::Sine, lfo_sync: false, lfo_hz: 2.0, ..base };
    let lfo_bits = Settings { lfo_bits: 4.0, ..lfo_free };
    vec![
        ("plain 8-bit", base),
        ("TPDF", Settings { dither: DitherMode::Tpdf, ..base }),
        ("high-pass TPDF", Settings { dither: DitherMode::HighPassTpdf, ..base }),
        ("shaping 3-tap", Settings { bits: 16.0, dither: DitherMode::Tpdf, shaping: Shaping::FWeighted3, ..base }),
        ("shaping 5-tap", Settings { bits: 16.0, dither: DitherMode::Tpdf, shaping: Shaping::Lipshitz5, ..base }),
        ("shaping 9-tap", Settings { bits: 16.0, dither: DitherMode::Tpdf, shaping: Shaping::FWeighted9, ..base }),
        ("general path (Mix 50 %)", Settings { mix: 0.5, ..base }),
        ("µ-law", Settings { curve: Curve::MuLaw, ..base }),
        ("A-law", Settings { curve: Curve::ALaw, ..base }),
        ("rate 8 kHz", Settings { rate: 8000.0, ..base }),
        ("rate 8 kHz + pre-filter", Settings { rate: 8000.0, prefilter: true, ..base }),
        ("rate 8 kHz + filters", Settings { rate: 8000.0, jitter: 0.2, prefilter: true, postfilter: true, ..base }),
        ("anti-alias", Settings { bits: 6.0, antialias: true, ..base }),
        ("bypassed", Settings { bypass: true, dither: DitherMode::Tpdf, ..base }),
        // Movement (#26): what the LFO and the follower add on the general path (the Mix 50 %
        // mode without them is the reference), and on the rate with both filters.
        ("LFO on Bit Depth (Mix 50 %)", Settings { mix: 0.5, ..lfo_bits }),
        ("follower on Bit Depth (Mix 50 %)", Settings { mix: 0.5, follow_bits: -4.0, ..base }),
        ("LFO + follower (Mix 50 %)", Settings { mix: 0.5, follow_bits: -4.0, ..lfo_bits }),
        ("LFO on Bit Depth", lfo_bits),
        (
            "LFO on rate 8 kHz + filters",
            Settings { rate: 8000.0, jitter: 0.2, prefilter: true, postfilter: true, lfo_octaves: 1.0, ..lfo_free },
        ),
    ]
}

/// The modes also measured in the narrower vector builds.
#[cfg(target_arch = "x86_64")]
const NARROWER: [&str; 4] = ["plain 8-bit", "TPDF", "shaping 9-tap", "anti-alias"];

/// The modes also measured with the editor open.
const EDITOR_OPEN: [&str; 3] = ["plain 8-bit", "TPDF", "anti-alias"];

fn input() -> Vec<f32> {
    (0..BLOCK).map(|i| 0.8 * (i as f32 * 0.0731).sin()).collect()
}

/// `x` plus one, `2 * BLOCK` times over, each add waiting for the one before: one core cycle
/// per add on any x86-64 core, so the time per add is the clock period the benchmarks around
/// it ran at. (A loop of one add per iteration would time its own loop overhead instead.)
///
/// NOTE: The one is added from a register, not as an immediate: Intel's Golden Cove cores
/// (Sapphire Rapids) fold chains of dependent add-immediates at rename, several per cycle, and
/// an `add x, 1` probe read about 10 GHz there. A register operand cannot be folded, and reads
/// the clock on every core measured (AMD Zen 4; Sapphire Rapids, where it agrees with a chain
/// of `imul`s, three cycles each, to within 4%).
#[cfg(target_arch = "x86_64")]
fn dependent_adds(mut x: u64) -> u64 {
    for _ in 0..2 * BLOCK / 8 {
        // SAFETY: Register arithmetic only: no memory, no stack, no flags anyone reads.
        unsafe {
            std::arch::asm!(
                "add {0}, {1}", "add {0}, {1}", "add {0}, {1}", "add {0}, {1}",
                "add {0}, {1}", "add {0}, {1}", "add {0}, {1}", "add {0}, {1}",
                inout(reg) x,
                in(reg) 1u64,
                options(pure, nomem, nostack),
            );
        }
    }
    x
}

/// The clock probe: [`dependent_adds`] timed as a benchmark, so criterion's time per element
/// is the clock period (the report turns it into GHz).
fn clock_probe(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, name: &str) {
    #[cfg(target_arch = "x86_64")]
    {
        // The probe must count what it claims to: one add per element.
        assert_eq!(dependent_adds(7), 7 + 2 * BLOCK as u64);
        group.bench_function(BenchmarkId::from_parameter(name), |b| b.iter(|| dependent_adds(black_box(0))));
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (group, name);
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("per sample per channel");
    group.throughput(Throughput::Elements((2 * BLOCK) as u64));
    clock_probe(&mut group, "clock probe, first");
    let x = input();
    let (mut l, mut r) = (x.clone(), x.clone());
    group.bench_function(BenchmarkId::from_parameter("copy (floor)"), |b| {
        b.iter(|| {
            l.copy_from_slice(black_box(&x));
            r.copy_from_slice(black_box(&x));
            black_box((&l, &r));
        })
    });
    // With the editor open, the engine also feeds the analysis (scope, spectrum, meters):
    // every block then takes the general path.
    for (name, settings) in modes().into_iter().filter(|(n, _)| EDITOR_OPEN.contains(n)) {
        let mut engine = Engine::new(2, SR, settings, DEFAULT_SEED);
        let (mut writer, _reader) = analysis_channel(SR);
        group.bench_function(BenchmarkId::from_parameter(format!("{name}, editor open")), |b| {
            b.iter(|| {
                l.copy_from_slice(black_box(&x));
                r.copy_from_slice(black_box(&x));
                engine.process_tapped(&mut [&mut l, &mut r], Some(&mut writer));
                black_box((&l, &r));
            })
        });
    }
    let mut run_on = |name: String, engine: &mut Engine, x: &[f32]| {
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                l.copy_from_slice(black_box(x));
                r.copy_from_slice(black_box(x));
                engine.process(&mut [&mut l, &mut r]);
                black_box((&l, &r));
            })
        });
    };
    for (name, settings) in modes() {
        run_on(name.to_string(), &mut Engine::new(2, SR, settings, DEFAULT_SEED), &x);
    }
    // Anti-alias where its staircase also takes the second loop, the still-input fallback and
    // the clipping branches: silence, and the sine driven past full scale.
    let aa = modes().into_iter().find(|(n, _)| *n == "anti-alias").map(|(_, s)| s).unwrap_or_default();
    for (name, gain) in [("anti-alias, silence", 0.0), ("anti-alias, clipped", 2.0)] {
        let y: Vec<f32> = x.iter().map(|v| v * gain).collect();
        run_on(name.to_string(), &mut Engine::new(2, SR, aa, DEFAULT_SEED), &y);
    }
    // Noise shaping on the sine driven past full scale: the clamped loop.
    let shaped = modes().into_iter().find(|(n, _)| *n == "shaping 9-tap").map(|(_, s)| s).unwrap_or_default();
    let clipped: Vec<f32> = x.iter().map(|v| v * 2.0).collect();
    run_on("shaping 9-tap, clipped".to_string(), &mut Engine::new(2, SR, shaped, DEFAULT_SEED), &clipped);
    let mut run = |name: String, engine: &mut Engine| run_on(name, engine, &x);
    // The narrower vector builds of the modes with targets, as a CPU without AVX-512 (or
    // without AVX2) runs them. Skipped where the CPU lacks them.
    #[cfg(target_arch = "x86_64")]
    for (simd, label) in [(Level::Avx2, "AVX2 build"), (Level::Portable, "SSE2 build")] {
        if simd >= Level::detect() {
            continue;
        }
        for (name, settings) in modes().into_iter().filter(|(n, _)| NARROWER.contains(n)) {
            let mut engine = Engine::new(2, SR, settings, DEFAULT_SEED);
            engine.limit_simd(simd);
            run(format!("{name} ({label})"), &mut engine);
        }
    }
    clock_probe(&mut group, "clock probe, last");
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
