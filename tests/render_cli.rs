//! `stairstep-render` as a user runs it: real files, real exit codes, real error lines.

use stairstep::StairstepParams;
use stairstep::dsp::engine::{DEFAULT_SEED, Engine};
use stairstep::params::ParamValue;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_stairstep-render");

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stairstep-render-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run the renderer. When cross-testing, through `STAIRSTEP_TEST_RUNNER` (the target's runner,
/// as in cargo's `target.<triple>.runner`; scripts/cross.sh sets both): qemu-user runs this
/// test, but cannot follow its exec into another foreign binary.
fn run(args: &[&str]) -> Output {
    let runner = std::env::var("STAIRSTEP_TEST_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    let mut command = match words.next() {
        Some(program) => {
            let mut c = Command::new(program);
            c.args(words).arg(BIN);
            c
        }
        None => Command::new(BIN),
    };
    command.args(args).output().expect("run stairstep-render")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn sine(n: usize, freq: f64, sr: f64, amp: f64) -> Vec<f32> {
    (0..n).map(|i| (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / sr).sin()) as f32).collect()
}

/// Write `channels` as a WAV of the given spec.
fn write(path: &Path, channels: &[Vec<f32>], sr: u32, bits: u16, float: bool) {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: sr,
        bits_per_sample: bits,
        sample_format: if float { hound::SampleFormat::Float } else { hound::SampleFormat::Int },
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..channels[0].len() {
        for c in channels {
            if float {
                w.write_sample(c[i]).unwrap();
            } else {
                let scale = 2f64.powi(bits as i32 - 1);
                w.write_sample(((c[i] as f64 * scale).round().clamp(-scale, scale - 1.0)) as i32).unwrap();
            }
        }
    }
    w.finalize().unwrap();
}

fn read_f32(path: &Path) -> (hound::WavSpec, Vec<Vec<f32>>) {
    let audio = stairstep::render::read_wav(path).unwrap();
    let r = hound::WavReader::open(path).unwrap();
    (r.spec(), audio.channels)
}

#[test]
fn float_render_equals_the_engine_bit_for_bit() {
    let dir = scratch("identity");
    let x = vec![sine(20000, 997.0, 44100.0, 0.8), sine(20000, 441.0, 44100.0, 0.5)];
    let (input, output) = (dir.join("in.wav"), dir.join("out.wav"));
    write(&input, &x, 44100, 32, true);
    let o =
        run(&[input.to_str().unwrap(), output.to_str().unwrap(), "--bits", "5.5", "--dither", "tpdf", "--mix", "80"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary = String::from_utf8_lossy(&o.stdout);
    assert!(summary.contains("1 file rendered") && summary.contains("real time"), "{summary}");

    let params = StairstepParams::default();
    params.set_by_id("bits", &ParamValue::Number(5.5)).unwrap();
    params.set_by_id("dither", &ParamValue::Text("tpdf".into())).unwrap();
    params.set_by_id("mix", &ParamValue::Number(80.0)).unwrap();
    let mut expected = x.clone();
    let mut engine = Engine::new(2, 44100.0, params.settings(), DEFAULT_SEED);
    let (a, b) = expected.split_at_mut(1);
    engine.process(&mut [&mut a[0], &mut b[0]]);
    let (spec, got) = read_f32(&output);
    assert_eq!(spec.sample_format, hound::SampleFormat::Float);
    assert_eq!(got, expected);
}

#[test]
fn every_input_format_reads_and_keeps_its_format() {
    let dir = scratch("formats");
    for (bits, float, sr, ch) in
        [(16, false, 44100, 1), (24, false, 96000, 2), (32, false, 22050, 2), (32, true, 48000, 1)]
    {
        let x: Vec<Vec<f32>> = (0..ch).map(|c| sine(4000, 300.0 + 100.0 * c as f64, sr as f64, 0.6)).collect();
        let input = dir.join(format!("in-{bits}-{float}.wav"));
        let output = dir.join(format!("out-{bits}-{float}.wav"));
        write(&input, &x, sr, bits, float);
        let o = run(&[input.to_str().unwrap(), output.to_str().unwrap(), "--bits", "24", "--no-output-dither", "-q"]);
        assert!(o.status.success(), "{bits} {float}: {}", stderr(&o));
        let (spec, y) = read_f32(&output);
        assert_eq!((spec.bits_per_sample, spec.sample_rate, spec.channels as usize), (bits, sr, ch));
        let (_, xin) = read_f32(&input);
        // 24 bits, no dither: within one 24-bit step of the input.
        for (a, b) in xin.iter().flatten().zip(y.iter().flatten()) {
            assert!((a - b).abs() <= 2f32.powi(-23) + 2f32.powi(1 - bits.min(24) as i32), "{bits}: {a} vs {b}");
        }
    }
}

#[test]
fn integer_output_gets_tpdf_dither_unless_disabled() {
    let dir = scratch("outdither");
    let input = dir.join("in.wav");
    // A very quiet float sine: 16-bit output rounds it away without dither.
    write(&input, &[sine(48000, 997.0, 48000.0, 0.4 / 32768.0)], 48000, 32, true);
    let plain = dir.join("plain.wav");
    let dithered = dir.join("dithered.wav");
    let i = input.to_str().unwrap();
    assert!(
        run(&[i, plain.to_str().unwrap(), "--bits", "24", "--format", "s16", "--no-output-dither"]).status.success()
    );
    assert!(run(&[i, dithered.to_str().unwrap(), "--bits", "24", "--format", "s16"]).status.success());
    let (spec, p) = read_f32(&plain);
    assert_eq!(spec.bits_per_sample, 16);
    assert!(p[0].iter().all(|&v| v == 0.0));
    let (_, d) = read_f32(&dithered);
    let lsb = 1.0 / 32768.0;
    assert!(d[0].iter().all(|&v| v.abs() <= 2.0 * lsb));
    let power: f64 = d[0].iter().map(|&v| (v as f64 / lsb as f64).powi(2)).sum::<f64>() / d[0].len() as f64;
    // TPDF (1/6 LSB²) plus rounding (1/12) plus the signal (0.08): about 0.33 LSB².
    assert!((power - 0.33).abs() < 0.05, "dithered power {power} LSB²");
}

#[test]
fn batch_renders_are_parallel_and_deterministic() {
    let dir = scratch("batch");
    let mut inputs = vec![];
    for k in 0..4 {
        let p = dir.join(format!("take{k}.wav"));
        write(&p, &[sine(30000, 200.0 + 50.0 * k as f64, 48000.0, 0.7)], 48000, 24, false);
        inputs.push(p.to_str().unwrap().to_string());
    }
    let render_to = |out: &str| {
        let mut args: Vec<&str> = inputs.iter().map(String::as_str).collect();
        args.extend(["--out-dir", out, "--bits", "6", "--dither", "hp-tpdf", "-j", "3"]);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(String::from_utf8_lossy(&o.stdout).contains("4 files rendered"));
    };
    let (a, b) = (dir.join("a"), dir.join("b"));
    render_to(a.to_str().unwrap());
    render_to(b.to_str().unwrap());
    for k in 0..4 {
        let name = format!("take{k}.wav");
        assert_eq!(std::fs::read(a.join(&name)).unwrap(), std::fs::read(b.join(&name)).unwrap(), "{name}");
    }
}

#[test]
fn presets_save_and_load_the_same_settings() {
    let dir = scratch("preset");
    let input = dir.join("in.wav");
    write(&input, &[sine(10000, 500.0, 48000.0, 0.9)], 48000, 32, true);
    let preset = dir.join("mine.json");
    let o = run(&[
        "--bits",
        "3.25",
        "--dither",
        "RPDF",
        "--quantizer",
        "mid-rise",
        "--output",
        "-6 dB",
        "--save-preset",
        preset.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json = std::fs::read_to_string(&preset).unwrap();
    assert!(json.contains("\"bits\": 3.25") && json.contains("\"dither\": \"rpdf\""), "{json}");
    // A preset that cannot be written is a one-line error, and leaves no temporary file.
    let o = run(&["--bits", "4", "--save-preset", dir.join("missing/x.json").to_str().unwrap()]);
    assert!(!o.status.success() && stderr(&o).contains("cannot write"), "{}", stderr(&o));
    let o = run(&["--bits", "4", "--save-preset", dir.to_str().unwrap()]);
    assert!(!o.status.success() && stderr(&o).contains("cannot write"), "{}", stderr(&o));
    assert!(std::fs::read_dir(&dir).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".tmp")));
    let (by_flags, by_preset) = (dir.join("flags.wav"), dir.join("preset.wav"));
    let i = input.to_str().unwrap();
    assert!(
        run(&[
            i,
            by_flags.to_str().unwrap(),
            "--bits",
            "3.25",
            "--dither",
            "rpdf",
            "--quantizer",
            "mid-rise",
            "--output",
            "-6"
        ])
        .status
        .success()
    );
    assert!(run(&[i, by_preset.to_str().unwrap(), "--preset", preset.to_str().unwrap()]).status.success());
    assert_eq!(std::fs::read(by_flags).unwrap(), std::fs::read(by_preset).unwrap());
}

#[test]
fn automation_from_csv_changes_the_grid_on_time() {
    let dir = scratch("automate");
    let input = dir.join("in.wav");
    write(&input, &[sine(48000, 997.0, 48000.0, 0.9)], 48000, 32, true);
    let csv = dir.join("bits.csv");
    std::fs::write(&csv, "time,bits\n0,12\n0.5,12\n0.5,3\n").unwrap();
    let output = dir.join("out.wav");
    let o = run(&[input.to_str().unwrap(), output.to_str().unwrap(), "--automate", &format!("bits={}", csv.display())]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (_, y) = read_f32(&output);
    let on_grid = |v: f32, bits: i32| (v as f64 * 2f64.powi(bits - 1)).fract() == 0.0;
    assert!(y[0][..24000].iter().all(|&v| on_grid(v, 12)));
    assert!(!y[0][..24000].iter().all(|&v| on_grid(v, 3)));
    assert!(y[0][24000 + 480..].iter().all(|&v| on_grid(v, 3)), "3-bit grid 10 ms after the step");
}

/// Runs a command expected to fail: exit code 2, one line on stderr containing `needle`.
fn assert_fails(args: &[&str], needle: &str) {
    let o = run(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: not one line: {err}");
    assert!(err.contains(needle), "{args:?}: '{err}' lacks '{needle}'");
}

#[test]
fn bad_input_is_one_clear_line_and_exit_code_2() {
    let dir = scratch("errors");
    let good = dir.join("good.wav");
    write(&good, &[sine(1000, 500.0, 48000.0, 0.5)], 48000, 16, false);
    let g = good.to_str().unwrap();
    let out = dir.join("out.wav");
    let o = out.to_str().unwrap();

    assert_fails(&[dir.join("missing.wav").to_str().unwrap(), o], "missing.wav");
    let text = dir.join("notes.wav");
    std::fs::write(&text, "these are not samples").unwrap();
    assert_fails(&[text.to_str().unwrap(), o], "not a WAV file");
    let truncated = dir.join("truncated.wav");
    std::fs::write(&truncated, &std::fs::read(&good).unwrap()[..30]).unwrap();
    assert_fails(&[truncated.to_str().unwrap(), o], "truncated.wav");
    let quad = dir.join("quad.wav");
    write(&quad, &vec![sine(100, 500.0, 48000.0, 0.5); 4], 48000, 16, false);
    assert_fails(&[quad.to_str().unwrap(), o], "4 channels are not supported");
    let eight = dir.join("eight.wav");
    write(&eight, &[sine(100, 500.0, 48000.0, 0.5)], 48000, 8, false);
    assert_fails(&[eight.to_str().unwrap(), o], "8-bit integer samples are not supported");

    assert_fails(&[g, o, "--bits", "30"], "out of range");
    assert_fails(&[g, o, "--dither", "pink"], "not one of");
    assert_fails(&[g, o, "--wobble", "3"], "wobble");
    assert_fails(&[g, o, "--format", "s8"], "unknown format");
    let csv = dir.join("bad.csv");
    std::fs::write(&csv, "0,8\n1;x\n").unwrap();
    assert_fails(&[g, o, "--automate", &format!("bits={}", csv.display())], "line 2");
    std::fs::write(&csv, "0,8\n").unwrap();
    assert_fails(&[g, o, "--automate", &format!("dither={}", csv.display())], "cannot be automated");
    assert_fails(&[g, o, "--automate", &format!("bits={}", dir.join("none.csv").display())], "none.csv");
    assert_fails(&[g, o, "--preset", dir.join("none.json").to_str().unwrap()], "none.json");
    let bad_preset = dir.join("bad.json");
    std::fs::write(&bad_preset, "{\"format\": \"stairstep-preset\", \"version\": 1, \"params\": {\"bits\": 0}}")
        .unwrap();
    assert_fails(&[g, o, "--preset", bad_preset.to_str().unwrap()], "out of range");
    // None of that left an output or a temporary file behind.
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!out.exists());
    assert!(left.iter().all(|n| !n.to_string_lossy().ends_with(".tmp")), "{left:?}");
}

#[test]
fn never_overwrites_an_input_and_only_overwrites_outputs_with_force() {
    let dir = scratch("overwrite");
    let input = dir.join("in.wav");
    write(&input, &[sine(1000, 500.0, 48000.0, 0.5)], 48000, 16, false);
    let before = std::fs::read(&input).unwrap();
    let i = input.to_str().unwrap();
    assert_fails(&[i, i, "--force"], "would overwrite the input");
    assert_fails(&[i, "--out-dir", dir.to_str().unwrap(), "--force"], "would overwrite the input");
    assert_eq!(std::fs::read(&input).unwrap(), before);

    let out = dir.join("out.wav");
    std::fs::write(&out, b"keep me").unwrap();
    assert_fails(&[i, out.to_str().unwrap()], "already exists");
    assert_eq!(std::fs::read(&out).unwrap(), b"keep me");
    let o = run(&[i, out.to_str().unwrap(), "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_ne!(std::fs::read(&out).unwrap(), b"keep me");
}

/// `--list-params --json` is the table scripts read: every parameter in host order, each set
/// value (preset first, then flags) with the normalized value a host would send for it.
#[test]
fn list_params_prints_the_table_with_the_values_set() {
    let dir = scratch("list-params");
    let preset = dir.join("p.json");
    let o = run(&["--bits", "6.5", "--dither", "tpdf", "--save-preset", preset.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["--list-params", "--json", "--preset", preset.to_str().unwrap(), "--mix", "25"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let rows = rows.as_array().expect("an array");
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, stairstep::params::IDS);
    let row = |id: &str| rows.iter().find(|r| r["id"] == id).unwrap();
    assert_eq!(row("bits")["value"], 6.5);
    assert_eq!(row("bits")["normalized"].as_f64().unwrap() as f32, 5.5f32 / 23.0);
    assert_eq!(row("bits")["default"], 8.0);
    assert_eq!(row("dither")["value"], "tpdf");
    assert_eq!(row("mix")["value"], 25.0);
    assert_eq!(row("rate")["kind"], "hz");
    assert_eq!(row("bypass")["default"], false);
    assert_eq!(row("lfo-shape")["choices"].as_array().unwrap().len(), 7);
    assert_eq!(row("glide")["since"], 2);
    // The text form: one line per parameter.
    let o = run(&["--list-params"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(text.lines().count(), ids.len(), "{text}");
    assert!(text.lines().next().unwrap().starts_with("bits "), "{text}");
    // --json alone is refused.
    assert!(!run(&["--json"]).status.success());
}
