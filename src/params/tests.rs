//! The parameter table's tests: the host contract, the derived lists, values by id.

use super::*;

/// The parameters as released in 0.2.0: the contract saved sessions, presets and hosts'
/// automation depend on. Append what a release adds; never edit a line.
const RELEASED: [(&str, &str, &str); 27] = [
    ("bits", "Bit Depth", "Crush"),
    ("quantizer", "Quantizer", "Crush"),
    ("curve", "Curve", "Crush"),
    ("drive", "Drive", "Crush"),
    ("antialias", "Anti-alias", "Crush"),
    ("dither", "Dither", "Noise"),
    ("shaping", "Noise Shaping", "Noise"),
    ("rate", "Sample Rate", "Rate"),
    ("jitter", "Jitter", "Rate"),
    ("prefilter", "Pre-filter", "Rate"),
    ("postfilter", "Post-filter", "Rate"),
    ("mix", "Mix", "Output"),
    ("output", "Output", "Output"),
    ("listen", "Listen", "Output"),
    ("bypass", "Bypass", "Output"),
    ("lfo-shape", "LFO Shape", "LFO"),
    ("lfo-sync", "LFO Sync", "LFO"),
    ("lfo-rate", "LFO Rate", "LFO"),
    ("lfo-division", "LFO Division", "LFO"),
    ("lfo-timing", "LFO Timing", "LFO"),
    ("lfo-bits", "LFO to Bits", "LFO"),
    ("lfo-octaves", "LFO to Rate", "LFO"),
    ("follow-bits", "Follow to Bits", "Follower"),
    ("follow-attack", "Follow Attack", "Follower"),
    ("follow-release", "Follow Release", "Follower"),
    ("harmonic", "Harmonic", "Notes"),
    ("glide", "Glide", "Notes"),
];

#[test]
fn released_ids_and_names_are_kept() {
    let p = StairstepParams::default();
    let map = p.param_map();
    // SAFETY: the pointers point into `p`, alive for the whole test.
    let got: Vec<(String, String, String)> =
        map.iter().map(|(id, ptr, group)| (id.clone(), unsafe { ptr.name() }.to_string(), group.clone())).collect();
    // Every released parameter is still there with its name and group, in the same order
    // relative to the others (a new parameter may stand anywhere).
    let mut from = 0;
    for (id, name, group) in RELEASED {
        let at = got[from..].iter().position(|(i, _, _)| i == id).map(|k| k + from);
        let at = at.unwrap_or_else(|| panic!("{id} is gone or moved before an earlier released parameter"));
        assert_eq!((got[at].1.as_str(), got[at].2.as_str()), (name, group), "{id}");
        from = at + 1;
    }
    assert!(got.iter().all(|(_, _, group)| GROUPS.contains(&group.as_str())));
    let mut ids: Vec<&String> = got.iter().map(|(id, _, _)| id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), got.len(), "ids are unique");
}

#[test]
fn every_parameter_has_one_place_in_the_editor() {
    // Every parameter is shown once: in a row of a page, the gauge or the header.
    let mut shown: Vec<&str> = [Crush, Movement].into_iter().flat_map(rows).flat_map(|(_, ids)| ids).collect();
    shown.extend(IDS.iter().zip(PLACES).filter(|(_, p)| matches!(p, Gauge | Header)).map(|(id, _)| *id));
    shown.sort_unstable();
    let mut ids = IDS.to_vec();
    ids.sort_unstable();
    assert_eq!(shown, ids);
    // Positions are unique on a page, so the order is the table's intent, not chance.
    for page in [Crush, Movement] {
        let mut positions: Vec<u16> = PLACES
            .iter()
            .filter_map(|p| if let Row(q, k, _) = p { (*q == page).then_some(*k) } else { None })
            .collect();
        let n = positions.len();
        positions.sort_unstable();
        positions.dedup();
        assert_eq!(positions.len(), n, "{page:?}: two parameters share a position");
    }
    let crush = rows(Crush);
    assert_eq!(crush[0], ("Dither", vec!["dither"]));
    assert!(crush.contains(&("Filters", vec!["prefilter", "postfilter", "antialias"])));
    assert_eq!(rows(Movement)[0], ("LFO", vec!["lfo-shape", "lfo-sync"]));
}

#[test]
fn the_state_layout_is_the_newest_a_parameter_arrived_in() {
    assert_eq!(STATE_VERSION, *SINCE.iter().max().unwrap());
    assert_eq!(since("bits"), Some(1));
    assert_eq!(since("glide"), Some(2));
    assert_eq!(since("wobble"), None);
}

#[test]
fn the_editor_size_is_saved_with_the_state() {
    let p = StairstepParams::default();
    *p.editor_size.write().unwrap() = EditorSize { width: 1234, height: 777 };
    let fields = p.serialize_fields();
    assert!(fields.contains_key("editor-size"), "{fields:?}");
    let q = StairstepParams::default();
    q.deserialize_fields(&fields);
    assert_eq!(*q.editor_size.read().unwrap(), EditorSize { width: 1234, height: 777 });
    assert_eq!(fields.get(VERSION_FIELD), Some(&STATE_VERSION.to_string()));
    // A corrupt or absurd saved size keeps a usable one.
    for bad in ["", "{", "[1,2,3]", "{\"width\": -4, \"height\": 10}", "null"] {
        let q = StairstepParams::default();
        q.deserialize_fields(&BTreeMap::from([(EDITOR_SIZE_FIELD.to_string(), bad.to_string())]));
        assert_eq!(*q.editor_size.read().unwrap(), DEFAULT_SIZE, "{bad}");
    }
    let q = StairstepParams::default();
    q.deserialize_fields(&BTreeMap::from([(
        EDITOR_SIZE_FIELD.to_string(),
        "{\"width\": 100000, \"height\": 1}".to_string(),
    )]));
    assert_eq!(*q.editor_size.read().unwrap(), EditorSize { width: 3840, height: 500 });
    assert_eq!(EditorSize { width: 0, height: 99999 }.clamped(), EditorSize { width: 720, height: 2160 });
}

#[test]
fn defaults_are_the_documented_ones() {
    let s = StairstepParams::default().settings();
    assert_eq!(s, dsp::Settings::default());
}

#[test]
fn rate_memo_follows_every_change() {
    // Repeats, returns to an earlier value, neighbours one f32 apart, a NaN twice: the
    // memo gives what the conversion gives, bit for bit, and so do the settings.
    let near = 13.0f32.next_up();
    let values = [13.0, 13.0, 16.5, 13.0, near, near, 13.0, f32::NAN, f32::NAN, 5.6, 16.55];
    let mut memo = RateMemo::default();
    for v in values {
        assert_eq!(memo.hz(v).to_bits(), rate_hz(v).to_bits(), "log2 Hz {v}");
    }
    let p = StairstepParams::default();
    let mut memo = RateMemo::default();
    for hz in [8000.0, 8000.0, 11025.0, 8000.0, 44100.0] {
        p.set_by_id("rate", &ParamValue::Number(hz)).unwrap();
        assert_eq!(p.settings_memo(&mut memo), p.settings(), "{hz} Hz");
    }
}

#[test]
fn typed_text_parses() {
    assert_eq!(parse_bits("6"), Some(6.0));
    assert_eq!(parse_bits("6 bits"), Some(6.0));
    assert_eq!(parse_bits(" 12.5bit "), Some(12.5));
    assert_eq!(parse_bits("nan"), None);
    assert_eq!(parse_bits("6 Bits"), Some(6.0));
    assert_eq!(parse_with_unit("-3 db", "dB"), Some(-3.0));
    assert_eq!(parse_switch(" On "), Some(true));
    assert_eq!(parse_switch("0"), Some(false));
    assert_eq!(parse_switch("banana"), None);
    assert_eq!(parse_with_unit("-3 dB", "dB"), Some(-3.0));
    assert_eq!(parse_with_unit("50%", "%"), Some(50.0));
    assert_eq!(parse_hz("8 kHz"), Some(8000.0));
    assert_eq!(parse_hz("44.1k"), Some(44100.0));
    assert_eq!(parse_hz("11025 Hz"), Some(11025.0));
    // The rate parameter is logarithmic and round-trips whole frequencies exactly.
    let p = StairstepParams::default();
    for hz in [50.0, 8000.0, 11025.0, 26040.0, 44100.0, 96000.0] {
        p.set_by_id("rate", &ParamValue::Number(hz)).unwrap();
        assert_eq!(p.settings().rate, hz as f32);
    }
    let travel = |hz: f32| p.rate.preview_normalized(hz.log2());
    assert!((travel(100.0) - travel(50.0) - (travel(200.0) - travel(100.0))).abs() < 1e-6, "equal travel per octave");
    assert_eq!(format_bits(7.25), "7.25");
    assert_eq!(format_bits(16.0), "16.00");
}

/// What a host does with a value: reads its normalized value (nice-plug keeps it in f32;
/// VST3 and CLAP pass it on as f64) and sends it back.
fn through_a_host(param: &FloatParam, plain: f32) -> f32 {
    let normalized = param.preview_normalized(plain) as f64;
    param.preview_plain(normalized as f32)
}

#[test]
fn defaults_and_whole_values_round_trip_through_a_host() {
    let p = StairstepParams::default();
    for id in IDS {
        let Some(Field::Number(param)) = p.field(id) else { continue };
        let (min, max) = (param.preview_plain(0.0), param.preview_plain(1.0));
        let default = param.default_plain_value();
        assert_eq!(through_a_host(param, default), default, "{id}'s default");
        // The host's own normalization, computed in f64 (as DawDreamer's tests do).
        if let FloatRange::Linear { min, max } = param.range() {
            let host = ((default as f64 - min as f64) / (max as f64 - min as f64)) as f32;
            assert_eq!(param.preview_plain(host), default, "{id}'s default, normalized in f64");
            for v in [min.ceil(), max.floor(), (min + max).div_euclid(2.0)] {
                let host = ((v as f64 - min as f64) / (max as f64 - min as f64)) as f32;
                assert_eq!(param.preview_plain(host), v, "{id} = {v}, normalized in f64");
            }
        }
        let mut v = min.ceil();
        while v <= max {
            assert_eq!(through_a_host(param, v), v, "{id} = {v}");
            v += 1.0;
        }
        // Binary fractions come back exactly; two decimals as the text shows them.
        if through_a_host(param, min.ceil() + 0.5).fract() == 0.0 {
            continue; // A whole-number parameter (Harmonic).
        }
        if let FloatRange::Linear { .. } = param.range() {
            for v in [0.25, 0.5, 0.125, 0.75] {
                let v = min.ceil() + v;
                assert_eq!(through_a_host(param, v), v, "{id} = {v}");
            }
        }
        for typed in ["7.30", "12.45", "6.01", "0.99"] {
            let v: f32 = typed.parse().unwrap();
            if (min..=max).contains(&v) {
                assert_eq!(format!("{:.2}", through_a_host(param, v)), typed, "{id} = {typed}");
            }
        }
    }
    // The Bit Depth a VST3 host reads back after loading: 8 bits, not 7.9999995.
    assert_eq!(p.bits.preview_plain(p.bits.unmodulated_normalized_value()), BITS_DEFAULT);
}

#[test]
fn presets_and_renders_snap_as_a_host_does_by_at_most_half_a_step() {
    // set_by_id takes the host's normalized path, so the renderer and a preset loaded in
    // the window land on the same value; any value moves by half a step at most.
    let p = StairstepParams::default();
    for (id, v) in [("bits", 7.123_456), ("mix", 33.333_33), ("drive", 0.001), ("glide", 499.9)] {
        p.set_by_id(id, &ParamValue::Number(v)).unwrap();
        let Some(ParamValue::Number(got)) = p.get_by_id(id) else { panic!("{id}") };
        assert!((got - v).abs() <= HOST_STEP as f64 / 2.0 + 1e-9, "{id}: {got} vs {v}");
        assert_eq!(got.rem_euclid(HOST_STEP as f64), 0.0, "{id}: {got} is on the step");
    }
}

#[test]
fn every_parameter_can_be_set_and_read_by_id() {
    let p = StairstepParams::default();
    for id in p.ids() {
        let v = p.get_by_id(&id).unwrap_or_else(|| panic!("{id} has no getter"));
        p.set_by_id(&id, &v).unwrap_or_else(|e| panic!("{id}: {e}"));
        match (p.get_by_id(&id), &v) {
            // The normalized f32 path a host uses moves plain values by an ulp or so.
            (Some(ParamValue::Number(a)), ParamValue::Number(b)) => {
                assert!((a - b).abs() < 1e-5, "{id}: {a} vs {b}")
            }
            (got, _) => assert_eq!(got, Some(v), "{id} does not round-trip"),
        }
        assert!(!p.describe(&id).is_empty(), "{id} has no description");
        assert!(!p.tooltip(&id).is_empty(), "{id} has no tooltip");
    }
}

#[test]
fn the_remote_pages_fill_their_eight_slots_once() {
    let p = StairstepParams::default();
    for page in [Crush, Movement] {
        let ids = remote_page(page);
        assert_eq!(ids.len(), 8, "{page:?}: {ids:?}");
        let mut slots: Vec<u8> = REMOTE.iter().flatten().filter(|(q, _)| *q == page).map(|(_, k)| *k).collect();
        slots.sort_unstable();
        assert_eq!(slots, (0..8).collect::<Vec<u8>>(), "{page:?}: each slot once");
        assert!(ids.iter().all(|id| p.visit(id, Kind).is_some()), "{ids:?}");
    }
    assert_eq!(remote_page(Crush), ["bits", "rate", "dither", "shaping", "drive", "mix", "output", "jitter"]);
    // The visit hands over the parameter of the table's kind.
    let kinds: Vec<_> = IDS.iter().filter_map(|id| p.visit(id, Kind)).collect();
    let continuous: Vec<_> = IDS.iter().map(|id| p.is_continuous(id)).collect();
    assert_eq!(kinds.iter().map(|k| *k == "number").collect::<Vec<_>>(), continuous);
    assert_eq!(p.visit("dither", Kind), Some("choice"));
    assert_eq!(p.visit("bypass", Kind), Some("switch"));
    assert_eq!(p.visit("wobble", Kind), None);
}

/// The kind a visit reaches.
struct Kind;
impl Visit for Kind {
    type Output = &'static str;
    fn number(self, _: &FloatParam) -> &'static str {
        "number"
    }
    fn choice<T: Enum + PartialEq + 'static>(self, _: &EnumParam<T>) -> &'static str {
        "choice"
    }
    fn switch(self, _: &BoolParam) -> &'static str {
        "switch"
    }
}

#[test]
fn values_parse_like_a_user_types_them() {
    let p = StairstepParams::default();
    p.set_by_id("bits", &ParamValue::Text("6 bits".into())).unwrap();
    assert_eq!(p.bits.value(), 6.0);
    p.set_by_id("bits", &ParamValue::Number(12.5)).unwrap();
    assert_eq!(p.bits.value(), 12.5);
    p.set_by_id("output", &ParamValue::Text("-3 dB".into())).unwrap();
    assert_eq!(p.output.value(), -3.0);
    p.set_by_id("dither", &ParamValue::Text("TPDF".into())).unwrap();
    assert_eq!(p.dither.value(), DitherParam::Tpdf);
    p.set_by_id("dither", &ParamValue::Text("hp-tpdf".into())).unwrap();
    assert_eq!(p.dither.value(), DitherParam::HighPassTpdf);
    p.set_by_id("bypass", &ParamValue::Text("on".into())).unwrap();
    assert!(p.bypass.value());
}

#[test]
fn bad_values_are_refused_with_the_reason() {
    let p = StairstepParams::default();
    let e = p.set_by_id("bits", &ParamValue::Number(30.0)).unwrap_err();
    assert!(e.contains("out of range"), "{e}");
    let e = p.set_by_id("dither", &ParamValue::Text("pink".into())).unwrap_err();
    assert!(e.contains("tpdf"), "{e}");
    let e = p.set_by_id("wobble", &ParamValue::Number(1.0)).unwrap_err();
    assert!(e.contains("unknown parameter"), "{e}");
    assert!(p.set_by_id("mix", &ParamValue::Text("lots".into())).is_err());
    assert!(p.set_by_id("bits", &ParamValue::Number(f64::NAN)).is_err());
    // Nothing changed.
    assert_eq!(p.settings(), crate::dsp::Settings::default());
}

#[test]
fn the_table_and_the_hosts_view_agree() {
    let p = StairstepParams::default();
    let map = p.param_map();
    assert_eq!(map.iter().map(|(id, _, _)| id.as_str()).collect::<Vec<_>>(), IDS, "the host's order");
    let mut groups: Vec<&str> = map.iter().map(|(_, _, group)| group.as_str()).collect();
    groups.dedup();
    assert_eq!(groups, GROUPS, "each group once, in display order");
    for (id, ptr, _) in &map {
        // The table's kind is the host's parameter, and a value other than the default set
        // by id moves that very parameter and reads back.
        let value = match (p.field(id), ptr) {
            (Some(Field::Number(f)), ParamPtr::FloatParam(q)) if std::ptr::eq(f, *q) => {
                ParamValue::Number(f.preview_plain(0.25) as f64)
            }
            (Some(Field::Hz(f)), ParamPtr::FloatParam(q)) if std::ptr::eq(f, *q) => ParamValue::Number(8000.0),
            (Some(Field::Switch(f)), ParamPtr::BoolParam(q)) if std::ptr::eq(f, *q) => ParamValue::Bool(!f.value()),
            (Some(Field::Choice(c)), ParamPtr::EnumParam(_)) => ParamValue::Text(c.ids()[c.default_index() + 1].into()),
            _ => panic!("{id}: the table's kind is not the host's parameter"),
        };
        // SAFETY: the pointers point into `p`, alive for the whole test.
        let (before, flags) = unsafe { (ptr.unmodulated_normalized_value(), ptr.flags()) };
        p.set_by_id(id, &value).unwrap_or_else(|e| panic!("{id}: {e}"));
        // SAFETY: as above.
        assert_ne!(unsafe { ptr.unmodulated_normalized_value() }, before, "{id} did not move");
        match (p.get_by_id(id), &value) {
            (Some(ParamValue::Number(a)), ParamValue::Number(b)) => assert!((a - b).abs() < 1e-3, "{id}: {a} {b}"),
            (got, _) => assert_eq!(got.as_ref(), Some(&value), "{id}"),
        }
        assert_eq!(p.is_continuous(id), matches!(ptr, ParamPtr::FloatParam(_)), "{id}");
        assert_eq!(flags.contains(ParamFlags::BYPASS), id == "bypass", "{id}");
        assert!(!flags.intersects(ParamFlags::NON_AUTOMATABLE | ParamFlags::HIDDEN), "{id}");
    }
}

#[test]
fn the_listing_is_the_table() {
    let p = StairstepParams::default();
    p.set_by_id("drive", &ParamValue::Number(7.25)).unwrap();
    let rows = p.listing();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), IDS.len());
    for (k, (row, id)) in rows.iter().zip(IDS).enumerate() {
        assert_eq!(row["id"], *id);
        assert_eq!(row["name"], p.name_of(id));
        assert_eq!(row["group"], GROUP_OF[k]);
        assert_eq!(row["since"], SINCE[k]);
        // The normalized value is the parameter's own, to the f32.
        let ptr = p.param_map().into_iter().find(|(i, _, _)| i == id).unwrap().1;
        // SAFETY: the pointer points into `p`, alive for the whole test.
        let normalized = unsafe { ptr.unmodulated_normalized_value() };
        assert_eq!(row["normalized"].as_f64().unwrap() as f32, normalized, "{id}");
        let kind = row["kind"].as_str().unwrap();
        assert_eq!(kind == "number" || kind == "hz", p.is_continuous(id), "{id}");
    }
    let row = |id: &str| rows.iter().find(|r| r["id"] == id).unwrap();
    assert_eq!(row("drive")["value"], 7.25);
    assert_eq!(row("bits")["min"], 1.0);
    assert_eq!(row("lfo-rate")["min"], 0.01, "the shortest decimal of the f32");
}
