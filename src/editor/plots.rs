//! The error's pictures: the triggered scope (error in steps, with the input and the output
//! staircase behind it) and the spectrum against the theoretical floor of the settings.

use super::*;

/// Theoretical error power in one FFT bin at `freq` Hz for step Δ, the dither and the noise
/// shaping in force: Δ²/12 undithered, Δ²/6 RPDF, Δ²/4 TPDF, Δ²/12·(1 + 4·sin²(πf/fs)) for
/// high-pass TPDF, times |1 - H(e^jω)|² with shaping, spread over the one-sided bins.
pub fn theory_bin_power_shaped(step: f32, dither: DitherMode, shaping: Shaping, freq: f32, sample_rate: f32) -> f32 {
    theory_bin_power(step, dither, freq, sample_rate) * shaping.power_gain(freq, sample_rate)
}

/// [`theory_bin_power_shaped`] without shaping.
pub fn theory_bin_power(step: f32, dither: DitherMode, freq: f32, sample_rate: f32) -> f32 {
    let q = step * step / 12.0;
    let density = match dither {
        DitherMode::Off => q,
        DitherMode::Rpdf => 2.0 * q,
        DitherMode::Tpdf => 3.0 * q,
        DitherMode::HighPassTpdf => q * (1.0 + 4.0 * (std::f32::consts::PI * freq / sample_rate).sin().powi(2)),
    };
    density * 2.0 / SPECTRUM_LEN as f32
}

/// Map `v` in [lo, hi] to [a, b].
pub(super) fn map(v: f32, lo: f32, hi: f32, a: f32, b: f32) -> f32 {
    a + (v - lo) / (hi - lo) * (b - a)
}

/// The error in LSB with a grid line per step; input and output scaled to fit behind it.
pub(super) fn draw_scope(ui: &egui::Ui, rect: Rect, model: &EditorModel) {
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, PANEL);
    let frame = &model.scope;
    let step = if frame.step > 0.0 { frame.step } else { 1.0 };
    let peak_lsb = frame.error.iter().fold(0.0f32, |m, e| m.max((e / step).abs()));
    // At least ±2 steps, at most ±16 (beyond that the error is not quantization error).
    let range = (peak_lsb.ceil() + 0.5).clamp(2.0, 16.0);
    let y_of = |lsb: f32| map(lsb, -range, range, rect.bottom() - 6.0, rect.top() + 6.0);
    let x_of = |i: usize| map(i as f32, 0.0, (SCOPE_LEN - 1) as f32, rect.left() + 40.0, rect.right() - 6.0);
    let r = range.floor() as i32;
    for k in -r..=r {
        let y = y_of(k as f32);
        let color = if k == 0 { GRID_STRONG } else { GRID };
        painter.line_segment(
            [Pos2::new(rect.left() + 40.0, y), Pos2::new(rect.right() - 6.0, y)],
            Stroke::new(1.0, color),
        );
        if r <= 8 || k % 2 == 0 {
            painter.text(
                Pos2::new(rect.left() + 34.0, y),
                Align2::RIGHT_CENTER,
                format!("{k}"),
                FontId::monospace(10.0),
                GRID_STRONG,
            );
        }
    }
    painter.text(rect.left_top() + Vec2::new(4.0, 2.0), Align2::LEFT_TOP, "LSB", FontId::monospace(10.0), ACCENT);
    if !frame.triggered {
        painter.text(
            rect.right_top() + Vec2::new(-8.0, 4.0),
            Align2::RIGHT_TOP,
            "free-running",
            FontId::monospace(10.0),
            GRID_STRONG,
        );
    }

    let full = frame.input.iter().chain(&frame.output).fold(0.0f32, |m, v| m.max(v.abs())).max(1e-9);
    let scaled = |v: f32| y_of(v / full * range * 0.9);
    let trace = |data: &[f32], f: &dyn Fn(f32) -> f32, color: Color32, width: f32| {
        let points: Vec<Pos2> = data.iter().enumerate().map(|(i, &v)| Pos2::new(x_of(i), f(v))).collect();
        painter.add(egui::Shape::line(points, Stroke::new(width, color)));
    };
    if model.show_input {
        trace(&frame.input, &scaled, INPUT_COLOR.gamma_multiply(0.7), 1.0);
    }
    if model.show_output {
        trace(&frame.output, &scaled, OUTPUT_COLOR.gamma_multiply(0.8), 1.0);
    }
    trace(&frame.error, &|e| y_of(e / step), ACCENT, 1.5);
}

/// The averaged error spectrum on a log frequency axis, with the theoretical floor.
pub(super) fn draw_spectrum(ui: &egui::Ui, rect: Rect, model: &EditorModel) {
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, PANEL);
    let Some((sample_rate, step, dither, shaping, curve)) = model.spectrum_meta else {
        painter.text(
            rect.center(),
            Align2::CENTER_CENTER,
            "waiting for audio",
            FontId::proportional(14.0),
            GRID_STRONG,
        );
        return;
    };
    let nyquist = sample_rate / 2.0;
    let (f_lo, f_hi) = (20.0f32, nyquist.max(40.0));
    let plot = Rect::from_min_max(rect.min + Vec2::new(44.0, 8.0), rect.max - Vec2::new(8.0, 20.0));
    let x_of = |f: f32| map(f.max(f_lo).log10(), f_lo.log10(), f_hi.log10(), plot.left(), plot.right());
    let bin_hz = sample_rate / SPECTRUM_LEN as f32;
    let db = |p: f32| 10.0 * p.max(1e-30).log10();
    let theory = |f: f32| theory_bin_power_shaped(step, dither, shaping, f, sample_rate);
    let theory_mid = db(theory(1000.0));
    let measured_max = model.spectrum.iter().skip(1).fold(f32::MIN, |m, &p| m.max(db(p)));
    let top = ((measured_max.max(theory_mid + 20.0) + 10.0) / 10.0).ceil() * 10.0;
    let bottom = top - 100.0;
    let y_of = |d: f32| map(d.clamp(bottom, top), bottom, top, plot.bottom(), plot.top());

    for d in (0..=10).map(|i| bottom + 10.0 * i as f32) {
        let y = y_of(d);
        painter.line_segment([Pos2::new(plot.left(), y), Pos2::new(plot.right(), y)], Stroke::new(1.0, GRID));
        if (d as i32) % 20 == 0 {
            painter.text(
                Pos2::new(plot.left() - 4.0, y),
                Align2::RIGHT_CENTER,
                format!("{d:.0}"),
                FontId::monospace(10.0),
                GRID_STRONG,
            );
        }
    }
    for f in [50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0, 20000.0] {
        if f >= f_hi {
            continue;
        }
        let x = x_of(f);
        painter.line_segment([Pos2::new(x, plot.top()), Pos2::new(x, plot.bottom())], Stroke::new(1.0, GRID));
        let label = if f >= 1000.0 { format!("{}k", f / 1000.0) } else { format!("{f}") };
        painter.text(
            Pos2::new(x, plot.bottom() + 3.0),
            Align2::CENTER_TOP,
            label,
            FontId::monospace(10.0),
            GRID_STRONG,
        );
    }
    painter.text(rect.left_top() + Vec2::new(4.0, 2.0), Align2::LEFT_TOP, "dB/bin", FontId::monospace(10.0), ACCENT);

    let measured: Vec<Pos2> = model
        .spectrum
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(k, _)| *k as f32 * bin_hz >= f_lo)
        .map(|(k, &p)| Pos2::new(x_of(k as f32 * bin_hz), y_of(db(p))))
        .collect();
    painter.add(egui::Shape::line(measured, Stroke::new(1.2, ACCENT)));
    // NOTE: With a companding curve the steps are not uniform and no such floor exists.
    if curve != Curve::Linear {
        painter.text(
            plot.right_top() + Vec2::new(-4.0, 2.0),
            Align2::RIGHT_TOP,
            "no uniform-step theory with a companding curve",
            FontId::monospace(11.0),
            THEORY_COLOR,
        );
        return;
    }
    let line: Vec<Pos2> = (0..=200)
        .map(|i| f_lo * (f_hi / f_lo).powf(i as f32 / 200.0))
        .map(|f| Pos2::new(x_of(f), y_of(db(theory(f)))))
        .collect();
    painter.add(egui::Shape::line(line, Stroke::new(2.0, THEORY_COLOR)));
    let base = match dither {
        DitherMode::Off => "Δ²/12",
        DitherMode::Rpdf => "Δ²/6",
        DitherMode::Tpdf => "Δ²/4",
        DitherMode::HighPassTpdf => "Δ²/12·(1 + 4 sin²(πf/fs))",
    };
    let label =
        if shaping == Shaping::Off { format!("theory: {base}") } else { format!("theory: {base} · |1 - H|²") };
    painter.text(
        plot.right_top() + Vec2::new(-4.0, 2.0),
        Align2::RIGHT_TOP,
        label,
        FontId::monospace(11.0),
        THEORY_COLOR,
    );
}
