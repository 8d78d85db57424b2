//! Offline rendering: WAV in, WAV out, through exactly the plugin's DSP.
//!
//! Parameter values go through the same normalized path a host uses ([`StairstepParams`]),
//! and every automation change is applied at its sample as a sample-accurate host applies a
//! parameter event, so a render equals, bit for bit, what the plugin produces in a host given
//! the same input, settings, seed and automation.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::dsp::DitherMode;
use crate::dsp::dither::Dither;
use crate::dsp::engine::Engine;
use crate::params::{ParamValue, StairstepParams};
use crate::timeline::{Note, Timeline};

/// Frames per processing block when nothing is automated.
const BLOCK: usize = 1024;

/// A parameter curve from a CSV file: `time_seconds,value` rows, linear between points.
#[derive(Debug, Clone)]
pub struct Automation {
    /// Parameter id.
    pub id: String,
    /// (time in seconds, plain value), sorted by time. Two points at one time make a step.
    pub points: Vec<(f64, f64)>,
}

impl Automation {
    /// Parse CSV text. Blank lines and lines starting with `#` are skipped, as is a first line
    /// that is not numeric (a header). Errors name the line.
    pub fn parse(id: &str, text: &str) -> Result<Self, String> {
        let mut points = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split([',', ';', '\t']).map(str::trim).collect();
            let parsed = match fields.as_slice() {
                [t, v] => t.parse::<f64>().ok().zip(v.parse::<f64>().ok()),
                _ => None,
            };
            match parsed {
                Some((t, v)) if t.is_finite() && v.is_finite() && t >= 0.0 => {
                    if points.last().is_some_and(|&(last, _)| t < last) {
                        return Err(format!("line {}: time {t} goes backwards", i + 1));
                    }
                    points.push((t, v));
                }
                None if points.is_empty() && i == 0 => {} // header
                _ => {
                    return Err(format!("line {}: expected 'time_seconds,value', got '{line}'", i + 1));
                }
            }
        }
        if points.is_empty() {
            return Err("no automation points".into());
        }
        Ok(Self { id: id.into(), points })
    }

    /// The value at `t` seconds: linear between points, the first/last value outside them, and
    /// the later point's value from the time of a step on.
    pub fn value_at(&self, t: f64) -> f64 {
        let p = &self.points;
        // Index of the first point strictly after t.
        let after = p.partition_point(|&(pt, _)| pt <= t);
        if after == 0 {
            return p[0].1;
        }
        if after == p.len() {
            return p[p.len() - 1].1;
        }
        let (t0, v0) = p[after - 1];
        let (t1, v1) = p[after];
        v0 + (v1 - v0) * (t - t0) / (t1 - t0)
    }

    /// Check every point against the parameter's range.
    pub fn validate(&self, params: &StairstepParams) -> Result<(), String> {
        if !params.is_continuous(&self.id) {
            return Err(format!("{} cannot be automated (only continuous parameters can)", self.id));
        }
        let scratch = StairstepParams::default();
        for &(t, v) in &self.points {
            scratch.set_by_id(&self.id, &ParamValue::Number(v)).map_err(|e| format!("at {t} s: {e}"))?;
        }
        Ok(())
    }
}

/// Sample formats the renderer writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleFormat {
    /// 16-bit integer PCM.
    S16,
    /// 24-bit integer PCM.
    S24,
    /// 32-bit integer PCM.
    S32,
    /// 32-bit float.
    F32,
}

impl SampleFormat {
    /// Parse `s16`, `s24`, `s32`, `f32`.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "s16" => Ok(Self::S16),
            "s24" => Ok(Self::S24),
            "s32" => Ok(Self::S32),
            "f32" => Ok(Self::F32),
            other => Err(format!("unknown format '{other}' (s16, s24, s32, f32)")),
        }
    }

    fn spec(self, channels: u16, sample_rate: u32) -> hound::WavSpec {
        let (bits_per_sample, sample_format) = match self {
            Self::S16 => (16, hound::SampleFormat::Int),
            Self::S24 => (24, hound::SampleFormat::Int),
            Self::S32 => (32, hound::SampleFormat::Int),
            Self::F32 => (32, hound::SampleFormat::Float),
        };
        hound::WavSpec { channels, sample_rate, bits_per_sample, sample_format }
    }
}

/// How to render.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// Output format; `None` keeps the input's.
    pub format: Option<SampleFormat>,
    /// TPDF dither when converting to an integer format.
    pub output_dither: bool,
    /// Seed of the plugin's dither (and of the output dither).
    pub seed: u32,
    /// Replace an existing output file.
    pub force: bool,
    /// Tempo, time signature, start beat and notes.
    pub timeline: Timeline,
}

/// What a render did.
#[derive(Debug, Clone, Copy)]
pub struct RenderStats {
    /// Frames rendered.
    pub frames: u64,
    /// Sample rate in Hz.
    pub sample_rate: u32,
}

/// Decoded audio: one vector per channel.
pub struct Audio {
    /// Samples per channel, full scale ±1.
    pub channels: Vec<Vec<f32>>,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// The file's format.
    pub format: SampleFormat,
}

/// Read a mono or stereo WAV file (16/24/32-bit integer or 32-bit float PCM).
pub fn read_wav(path: &Path) -> Result<Audio, String> {
    let reader = hound::WavReader::open(path).map_err(|e| match e {
        hound::Error::IoError(io) => io.to_string(),
        hound::Error::FormatError(m) => format!("not a WAV file or corrupt header ({m})"),
        hound::Error::Unsupported => "unsupported WAV encoding".into(),
        other => other.to_string(),
    })?;
    let spec = reader.spec();
    if !(1..=2).contains(&spec.channels) {
        return Err(format!("{} channels are not supported (mono or stereo)", spec.channels));
    }
    let format = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Int, 16) => SampleFormat::S16,
        (hound::SampleFormat::Int, 24) => SampleFormat::S24,
        (hound::SampleFormat::Int, 32) => SampleFormat::S32,
        (hound::SampleFormat::Float, 32) => SampleFormat::F32,
        (f, b) => {
            return Err(format!(
                "{b}-bit {} samples are not supported (16, 24, 32-bit integer or 32-bit float)",
                if f == hound::SampleFormat::Float { "float" } else { "integer" }
            ));
        }
    };
    if spec.sample_rate == 0 {
        return Err("sample rate is 0".into());
    }
    let ch = spec.channels as usize;
    let frames = reader.duration() as usize;
    let mut channels = vec![Vec::with_capacity(frames); ch];
    let corrupt = |e: hound::Error| format!("truncated or corrupt audio data ({e})");
    let mut reader = reader;
    match format {
        SampleFormat::F32 => {
            for (i, s) in reader.samples::<f32>().enumerate() {
                channels[i % ch].push(s.map_err(corrupt)?);
            }
        }
        _ => {
            let scale = 1.0 / 2f64.powi(spec.bits_per_sample as i32 - 1);
            for (i, s) in reader.samples::<i32>().enumerate() {
                channels[i % ch].push((s.map_err(corrupt)? as f64 * scale) as f32);
            }
        }
    }
    let len = channels[0].len();
    if channels.iter().any(|c| c.len() != len) {
        return Err("truncated audio data (channels of unequal length)".into());
    }
    Ok(Audio { channels, sample_rate: spec.sample_rate, format })
}

/// Run `channels` through the plugin's DSP in place, with `params` as the settings,
/// `automation` applied at every sample where it changes a value, and the song `timeline`
/// (the transport at every block, its notes at their samples). `progress` counts frames.
pub fn process(
    channels: &mut [Vec<f32>],
    sample_rate: u32,
    params: &StairstepParams,
    automation: &[Automation],
    timeline: &Timeline,
    seed: u32,
    progress: &AtomicU64,
) -> Result<(), String> {
    let n = channels.first().map_or(0, Vec::len);
    let sr = sample_rate as f64;
    let notes = timeline.note_samples(sr);
    let mut next_note = 0;
    let values_at = |i: usize| -> Vec<f64> { automation.iter().map(|a| a.value_at(i as f64 / sr)).collect() };
    let apply = |values: &[f64]| -> Result<(), String> {
        for (a, &v) in automation.iter().zip(values) {
            params.set_by_id(&a.id, &ParamValue::Number(v))?;
        }
        Ok(())
    };
    if !automation.is_empty() {
        apply(&values_at(0))?;
    }
    let mut engine = Engine::new(channels.len(), sample_rate as f32, params.settings(), seed);
    // NOTE: Like a DAW's bounce, compensate the plugin's latency (Anti-alias): render that
    //       many samples past the end and drop as many from the start.
    let latency = engine.latency();
    for c in channels.iter_mut() {
        c.resize(n + latency, 0.0);
    }
    let n = n + latency;
    let mut pos = 0;
    while pos < n {
        let end = if automation.is_empty() {
            (pos + BLOCK).min(n)
        } else {
            // The run of samples over which no automated value changes.
            let here = values_at(pos);
            apply(&here)?;
            let mut end = pos + 1;
            while end < n && end < pos + BLOCK && values_at(end) == here {
                end += 1;
            }
            end
        };
        // Notes land on their samples: act on those due here, and stop before the next.
        engine.set_settings(params.settings());
        while let Some(&(_, note)) = notes.get(next_note).filter(|(at, _)| *at <= pos) {
            match note {
                Note::On(k) => engine.note_on(k),
                Note::Off(k) => engine.note_off(k),
                Note::Bend(b) => engine.pitch_bend(b),
                Note::AllOff => engine.all_notes_off(),
            }
            next_note += 1;
        }
        let end = notes.get(next_note).map_or(end, |&(at, _)| end.min(at.max(pos + 1)));
        engine.set_transport(&timeline.transport_at(pos, sr));
        let mut slices: Vec<&mut [f32]> = channels.iter_mut().map(|c| &mut c[pos..end]).collect();
        engine.process(&mut slices);
        progress.fetch_add((end - pos) as u64, Ordering::Relaxed);
        pos = end;
    }
    for c in channels.iter_mut() {
        c.drain(..latency);
    }
    Ok(())
}

/// True when `a` and `b` name the same file (`b` may not exist yet).
fn same_file(a: &Path, b: &Path) -> bool {
    let canon = |p: &Path| -> Option<PathBuf> {
        if let Ok(c) = p.canonicalize() {
            return Some(c);
        }
        let parent = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        Some(parent.canonicalize().ok()?.join(p.file_name()?))
    };
    matches!((canon(a), canon(b)), (Some(x), Some(y)) if x == y)
}

/// Write `channels` as a WAV file in `format`, through a temporary file renamed into place
/// when complete. Integer formats get TPDF dither at their own LSB unless `dither` is false.
pub fn write_wav(
    path: &Path,
    channels: &[Vec<f32>],
    sample_rate: u32,
    format: SampleFormat,
    dither: bool,
    seed: u32,
) -> Result<(), String> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or("the output has no file name")?.to_string_lossy();
    let mut tmp = crate::preset::temp_file_in(dir, &name).map_err(|e| format!("cannot write: {e}"))?;
    let spec = format.spec(channels.len() as u16, sample_rate);
    let io = |e: hound::Error| format!("cannot write: {e}");
    let mut w = hound::WavWriter::new(std::io::BufWriter::new(tmp.as_file_mut()), spec).map_err(io)?;
    let n = channels.first().map_or(0, Vec::len);
    match format {
        SampleFormat::F32 => {
            for i in 0..n {
                for c in channels {
                    w.write_sample(c[i]).map_err(io)?;
                }
            }
        }
        _ => {
            let bits = spec.bits_per_sample as i32;
            let scale = 2f64.powi(bits - 1);
            let (lo, hi) = (-scale, scale - 1.0);
            // One TPDF stream per channel, in LSB of the output format.
            let mut d: Vec<Vec<f32>> = (0..channels.len())
                .map(|c| {
                    let mut v = vec![0.0; n];
                    if dither {
                        Dither::new(seed ^ 0x6f75_7470, c).fill(DitherMode::Tpdf, &mut v);
                    }
                    v
                })
                .collect();
            for i in 0..n {
                for (c, ch) in channels.iter().enumerate() {
                    let x = ch[i] as f64 * scale + d[c][i] as f64;
                    let q = if x.is_finite() { x.round().clamp(lo, hi) } else { 0.0 };
                    w.write_sample(q as i32).map_err(io)?;
                }
            }
            d.clear();
        }
    }
    w.finalize().map_err(io)?;
    tmp.persist(path).map_err(|e| format!("cannot move the finished file into place: {}", e.error))?;
    Ok(())
}

/// Render one file. `settings` are applied (in order) to fresh parameters; errors are one
/// line, naming the problem; nothing is left at `output` unless the render completed.
pub fn render_file(
    input: &Path,
    output: &Path,
    settings: &[(String, ParamValue)],
    automation: &[Automation],
    options: &RenderOptions,
    progress: &AtomicU64,
) -> Result<RenderStats, String> {
    if same_file(input, output) {
        return Err(format!("{}: the output would overwrite the input", output.display()));
    }
    if output.exists() && !options.force {
        return Err(format!("{}: already exists (use --force to overwrite)", output.display()));
    }
    let mut audio = read_wav(input).map_err(|e| format!("{}: {e}", input.display()))?;
    let params = StairstepParams::default();
    for (id, v) in settings {
        params.set_by_id(id, v)?;
    }
    process(&mut audio.channels, audio.sample_rate, &params, automation, &options.timeline, options.seed, progress)?;
    let format = options.format.unwrap_or(audio.format);
    write_wav(output, &audio.channels, audio.sample_rate, format, options.output_dither, options.seed)
        .map_err(|e| format!("{}: {e}", output.display()))?;
    Ok(RenderStats { frames: audio.channels.first().map_or(0, Vec::len) as u64, sample_rate: audio.sample_rate })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automation_interpolates_and_steps() {
        let a = Automation::parse("bits", "time,value\n0,16\n1,8\n1,4\n# comment\n2,4\n").unwrap();
        assert_eq!(a.value_at(0.0), 16.0);
        assert_eq!(a.value_at(0.5), 12.0);
        assert!((a.value_at(0.999999) - 8.000008).abs() < 1e-9);
        assert_eq!(a.value_at(1.0), 4.0);
        assert_eq!(a.value_at(5.0), 4.0);
    }

    #[test]
    fn bad_csv_names_the_line() {
        for (text, needle) in [
            ("0,1\nabc\n", "line 2"),
            ("0,1\n2,3,4\n", "line 2"),
            ("1,4\n0.5,4\n", "backwards"),
            ("", "no automation points"),
            ("0,nan\n", "line 1"),
        ] {
            let e = Automation::parse("bits", text).unwrap_err();
            assert!(e.contains(needle), "{text:?}: {e}");
        }
    }

    #[test]
    fn renders_compensate_the_anti_alias_latency() {
        let params = StairstepParams::default();
        params.set_by_id("bits", &ParamValue::Number(24.0)).unwrap();
        params.set_by_id("antialias", &ParamValue::Bool(true)).unwrap();
        let x: Vec<f32> = (0..4800).map(|i| 0.5 * (i as f32 * 0.1).sin()).collect();
        let mut y = vec![x.clone()];
        process(&mut y, 48000, &params, &[], &Timeline::default(), 1, &AtomicU64::new(0)).unwrap();
        assert_eq!(y[0].len(), x.len());
        // Time-aligned: the error is the filters' ripple, not a 34-sample shift.
        let err: f64 = x.iter().zip(&y[0]).skip(100).map(|(a, b)| ((a - b) as f64).powi(2)).sum::<f64>() / 4700.0;
        assert!(10.0 * (err / 0.125).log10() < -60.0, "{err}");
    }

    #[test]
    fn automation_render_equals_sample_accurate_host_events() {
        // The same changes applied by hand at their samples, as a host's events would be.
        let params = StairstepParams::default();
        let x: Vec<f32> = (0..9600).map(|i| 0.7 * (i as f32 * 0.05).sin()).collect();
        let a = Automation::parse("bits", "0,12\n0.05,12\n0.05,4\n0.1,10\n").unwrap();
        let mut rendered = vec![x.clone()];
        process(&mut rendered, 48000, &params, std::slice::from_ref(&a), &Timeline::default(), 1, &AtomicU64::new(0))
            .unwrap();

        let by_hand = StairstepParams::default();
        let mut engine = None;
        let mut y = x.clone();
        for i in 0..y.len() {
            by_hand.set_by_id("bits", &ParamValue::Number(a.value_at(i as f64 / 48000.0))).unwrap();
            let e = engine.get_or_insert_with(|| Engine::new(1, 48000.0, by_hand.settings(), 1));
            e.set_settings(by_hand.settings());
            e.process(&mut [&mut y[i..i + 1]]);
        }
        assert_eq!(rendered[0], y);
    }
}
