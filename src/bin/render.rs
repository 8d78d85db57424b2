//! `stairstep-render`: bounce WAV files through Stairstep's DSP without a DAW.
//!
//! ```text
//! stairstep-render IN.wav OUT.wav [--bits 6 --dither tpdf ...]
//! stairstep-render A.wav B.wav C.wav --out-dir crushed/ --preset lofi.json
//! stairstep-render IN.wav OUT.wav --automate bits=sweep.csv --format s16
//! stairstep-render --bits 4 --dither tpdf --save-preset mine.json
//! stairstep-render IN.wav OUT.wav --lfo-bits -4 --lfo-division 1/8 --bpm 128 --midi bass.mid
//! stairstep-render --list-params --json
//! ```
//!
//! Errors are one line naming the file and the problem, with exit code 2.

use clap::{Arg, ArgAction, Command};
use stairstep::StairstepParams;
use stairstep::dsp::engine::DEFAULT_SEED;
use stairstep::params::ParamValue;
use stairstep::preset::Preset;
use stairstep::render::{Automation, RenderOptions, RenderStats, SampleFormat, render_file};
use stairstep::timeline::{Timeline, parse_bpm, parse_start_beat, parse_time_signature, read_midi};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

const NAME: &str = "stairstep-render";

fn fail(message: impl std::fmt::Display) -> ! {
    eprintln!("{NAME}: {message}");
    std::process::exit(2);
}

fn command(params: &StairstepParams) -> Command {
    let mut cmd = Command::new(NAME)
        .version(env!("CARGO_PKG_VERSION"))
        .about("Render WAV files through Stairstep, bit-identical to the plugin.")
        .arg(Arg::new("files").num_args(0..).value_name("FILES").help(
            "IN.wav OUT.wav, or several inputs with --out-dir (16/24/32-bit integer or 32-bit float, mono or stereo)",
        ))
        .arg(Arg::new("out-dir").long("out-dir").value_name("DIR").help("Write each input to DIR under its own name"))
        .arg(
            Arg::new("preset")
                .long("preset")
                .value_name("FILE")
                .help("Load a preset (flags given too take precedence)"),
        )
        .arg(
            Arg::new("save-preset")
                .long("save-preset")
                .value_name("FILE")
                .help("Write the resulting settings as a preset"),
        )
        .arg(
            Arg::new("automate").long("automate").value_name("ID=FILE.csv").action(ArgAction::Append).help(
                "Automate a continuous parameter from a CSV of 'time_seconds,value' rows (linear between points)",
            ),
        )
        .arg(
            Arg::new("bpm")
                .long("bpm")
                .value_name("BPM")
                .help("Tempo of the song the file plays in, for the synced LFO (default 120)"),
        )
        .arg(
            Arg::new("time-signature")
                .long("time-signature")
                .value_name("N/D")
                .help("Time signature, for LFO divisions in bars (default 4/4)"),
        )
        .arg(
            Arg::new("start-beat")
                .long("start-beat")
                .value_name("BEATS")
                .help("Song position of the file's first sample, in quarter notes (default 0)"),
        )
        .arg(
            Arg::new("midi")
                .long("midi")
                .value_name("FILE.mid")
                .help("Notes for note-tracked Sample Rate, timed by the file's own tempo from the file's first sample"),
        )
        .arg(
            Arg::new("format")
                .long("format")
                .value_name("s16|s24|s32|f32")
                .help("Output format (default: the input's)"),
        )
        .arg(
            Arg::new("no-output-dither")
                .long("no-output-dither")
                .action(ArgAction::SetTrue)
                .help("Do not add TPDF dither when writing an integer format"),
        )
        .arg(Arg::new("force").long("force").action(ArgAction::SetTrue).help("Overwrite existing output files"))
        .arg(
            Arg::new("list-params")
                .long("list-params")
                .action(ArgAction::SetTrue)
                .help("Print the parameters (ids, names, ranges, defaults, choices) with the values the preset and flags set, and exit"),
        )
        .arg(
            Arg::new("json")
                .long("json")
                .action(ArgAction::SetTrue)
                .requires("list-params")
                .help("With --list-params: as JSON, for scripts"),
        )
        .arg(Arg::new("quiet").long("quiet").short('q').action(ArgAction::SetTrue).help("No progress bar"))
        .arg(
            Arg::new("seed")
                .long("seed")
                .value_name("N")
                .value_parser(clap::value_parser!(u32))
                .help("Dither seed (default: the plugin's)"),
        )
        .arg(
            Arg::new("jobs")
                .long("jobs")
                .short('j')
                .value_name("N")
                .value_parser(clap::value_parser!(usize))
                .help("Files rendered at once (default: all cores)"),
        );
    for id in params.ids() {
        let id: &'static str = Box::leak(id.into_boxed_str());
        cmd = cmd.arg(
            Arg::new(id)
                .long(id)
                .value_name("VALUE")
                .allow_hyphen_values(true)
                .help(params.describe(id))
                .help_heading("Parameters"),
        );
    }
    cmd
}

fn main() {
    let params = StairstepParams::default();
    let matches = match command(&params).try_get_matches() {
        Ok(m) => m,
        Err(e) if matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion) => {
            e.exit()
        }
        Err(e) => {
            let text = e.to_string();
            fail(text.lines().next().unwrap_or("bad arguments").trim_start_matches("error: "))
        }
    };

    // Settings: preset first, then flags, validated on a scratch copy.
    let mut settings: Vec<(String, ParamValue)> = Vec::new();
    if let Some(path) = matches.get_one::<String>("preset") {
        let preset = Preset::load(Path::new(path)).unwrap_or_else(|e| fail(e));
        for entry in preset.values() {
            settings.push(entry.unwrap_or_else(|e| fail(format!("{path}: {e}"))));
        }
    }
    for id in params.ids() {
        if let Some(text) = matches.get_one::<String>(&id) {
            settings.push((id.clone(), ParamValue::Text(text.clone())));
        }
    }
    for (id, v) in &settings {
        params.set_by_id(id, v).unwrap_or_else(|e| fail(e));
    }

    if matches.get_flag("list-params") {
        let text = if matches.get_flag("json") {
            serde_json::to_string_pretty(&params.listing()).unwrap_or_else(|e| fail(e)) + "\n"
        } else {
            params.listing_text()
        };
        // NOTE: A closed pipe (`| head`) is not an error worth a panic.
        let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
        return;
    }

    let mut automation = Vec::new();
    for spec in matches.get_many::<String>("automate").into_iter().flatten() {
        let (id, file) =
            spec.split_once('=').unwrap_or_else(|| fail(format!("--automate {spec}: expected ID=FILE.csv")));
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| fail(format!("{file}: {e}")));
        let a = Automation::parse(id, &text).unwrap_or_else(|e| fail(format!("{file}: {e}")));
        a.validate(&params).unwrap_or_else(|e| fail(format!("{file}: {e}")));
        automation.push(a);
    }

    if let Some(path) = matches.get_one::<String>("save-preset") {
        let name = Path::new(path).file_stem().map_or("Preset".into(), |s| s.to_string_lossy().into_owned());
        let preset = Preset::capture(&params, &name, "");
        stairstep::preset::write_whole(Path::new(path), preset.to_json().as_bytes()).unwrap_or_else(|e| fail(e));
    }

    let files: Vec<PathBuf> = matches.get_many::<String>("files").into_iter().flatten().map(PathBuf::from).collect();
    let jobs: Vec<(PathBuf, PathBuf)> = match (matches.get_one::<String>("out-dir"), files.len()) {
        (_, 0) if matches.contains_id("save-preset") => return,
        (_, 0) => fail("no input files (try --help)"),
        (Some(dir), _) => {
            let dir = PathBuf::from(dir);
            std::fs::create_dir_all(&dir).unwrap_or_else(|e| fail(format!("{}: {e}", dir.display())));
            let mut seen = std::collections::HashSet::new();
            files
                .iter()
                .map(|f| {
                    let name = f.file_name().unwrap_or_else(|| fail(format!("{}: not a file", f.display())));
                    if !seen.insert(name.to_owned()) {
                        fail(format!("{}: two inputs share this name in --out-dir", f.display()));
                    }
                    (f.clone(), dir.join(name))
                })
                .collect()
        }
        (None, 2) => vec![(files[0].clone(), files[1].clone())],
        (None, n) => fail(format!("{n} files given: pass IN.wav OUT.wav, or several inputs with --out-dir DIR")),
    };

    let options = RenderOptions {
        format: matches
            .get_one::<String>("format")
            .map(|f| SampleFormat::parse(f).unwrap_or_else(|e| fail(format!("--format: {e}")))),
        output_dither: !matches.get_flag("no-output-dither"),
        seed: matches.get_one::<u32>("seed").copied().unwrap_or(DEFAULT_SEED),
        force: matches.get_flag("force"),
        timeline: Timeline {
            bpm: matches
                .get_one::<String>("bpm")
                .map_or(Ok(120.0), |s| parse_bpm(s))
                .unwrap_or_else(|e| fail(format!("--bpm: {e}"))),
            time_signature: matches
                .get_one::<String>("time-signature")
                .map_or(Ok((4, 4)), |s| parse_time_signature(s))
                .unwrap_or_else(|e| fail(format!("--time-signature: {e}"))),
            start_beat: matches
                .get_one::<String>("start-beat")
                .map_or(Ok(0.0), |s| parse_start_beat(s))
                .unwrap_or_else(|e| fail(format!("--start-beat: {e}"))),
            notes: matches
                .get_one::<String>("midi")
                .map_or(Ok(Vec::new()), |p| read_midi(Path::new(p)))
                .unwrap_or_else(|e| fail(format!("--midi: {e}"))),
        },
    };

    // Total frames for the progress bar (headers only).
    let total: u64 = jobs.iter().filter_map(|(i, _)| hound::WavReader::open(i).ok()).map(|r| r.duration() as u64).sum();
    let show_progress = !matches.get_flag("quiet") && std::io::stderr().is_terminal();
    let bar = show_progress.then(|| {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {percent:>3}% {elapsed_precise} eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });

    let started = Instant::now();
    let progress = AtomicU64::new(0);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Result<RenderStats, String>)>> = Mutex::new(Vec::new());
    let workers = matches
        .get_one::<usize>("jobs")
        .copied()
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, jobs.len());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some((input, output)) = jobs.get(k) else {
                        break;
                    };
                    let r = render_file(input, output, &settings, &automation, &options, &progress);
                    results.lock().unwrap().push((k, r));
                }
            });
        }
        if let Some(bar) = &bar {
            while next.load(Ordering::Relaxed) < jobs.len() + workers && results.lock().unwrap().len() < jobs.len() {
                bar.set_position(progress.load(Ordering::Relaxed));
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }

    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(k, _)| *k);
    let mut failed = 0;
    let mut seconds = 0.0;
    for (_, r) in &results {
        match r {
            Ok(stats) => seconds += stats.frames as f64 / stats.sample_rate as f64,
            Err(e) => {
                eprintln!("{NAME}: {e}");
                failed += 1;
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let ok = results.len() - failed;
    println!(
        "{NAME}: {ok} file{} rendered, {seconds:.2} s of audio in {elapsed:.2} s ({:.1}x real time){}",
        if ok == 1 { "" } else { "s" },
        seconds / elapsed.max(1e-9),
        if failed > 0 { format!(", {failed} failed") } else { String::new() }
    );
    if failed > 0 {
        std::process::exit(2);
    }
}
