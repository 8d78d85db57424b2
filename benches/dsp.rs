//! Cost of the DSP core per mode, in time per sample per channel (criterion's throughput is
//! set in samples). A plain copy of the same buffer is measured in the same run as the floor.
//!
//! `cargo bench --bench dsp` (add `-- --quick` for a fast pass). `scripts/bench_report.py`
//! turns criterion's results into docs/BENCHMARKS.md and the plot.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use stairstep::dsp::engine::{DEFAULT_SEED, Engine, Settings};
use stairstep::dsp::{Curve, DitherMode, Shaping};
use std::hint::black_box;

const BLOCK: usize = 512;
const SR: f32 = 48000.0;

fn modes() -> Vec<(&'static str, Settings)> {
    let base = Settings::default();
    vec![
        ("plain 8-bit", base),
        ("TPDF", Settings { dither: DitherMode::Tpdf, ..base }),
        ("high-pass TPDF", Settings { dither: DitherMode::HighPassTpdf, ..base }),
        ("shaping 3-tap", Settings { bits: 16.0, dither: DitherMode::Tpdf, shaping: Shaping::FWeighted3, ..base }),
        ("shaping 5-tap", Settings { bits: 16.0, dither: DitherMode::Tpdf, shaping: Shaping::Lipshitz5, ..base }),
        ("shaping 9-tap", Settings { bits: 16.0, dither: DitherMode::Tpdf, shaping: Shaping::FWeighted9, ..base }),
        ("µ-law", Settings { curve: Curve::MuLaw, ..base }),
        ("rate 8 kHz + filters", Settings { rate: 8000.0, jitter: 0.2, prefilter: true, postfilter: true, ..base }),
        ("anti-alias", Settings { bits: 6.0, antialias: true, ..base }),
        ("bypassed", Settings { bypass: true, dither: DitherMode::Tpdf, ..base }),
    ]
}

fn input() -> Vec<f32> {
    (0..BLOCK).map(|i| 0.8 * (i as f32 * 0.0731).sin()).collect()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("per sample per channel");
    group.throughput(Throughput::Elements((2 * BLOCK) as u64));
    let x = input();
    let (mut l, mut r) = (x.clone(), x.clone());
    group.bench_function(BenchmarkId::from_parameter("copy (floor)"), |b| {
        b.iter(|| {
            l.copy_from_slice(black_box(&x));
            r.copy_from_slice(black_box(&x));
            black_box((&l, &r));
        })
    });
    for (name, settings) in modes() {
        let mut engine = Engine::new(2, SR, settings, DEFAULT_SEED);
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                l.copy_from_slice(black_box(&x));
                r.copy_from_slice(black_box(&x));
                engine.process(&mut [&mut l, &mut r]);
                black_box((&l, &r));
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
