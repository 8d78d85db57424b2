//! The parameter table as data, for tools and scripts (`stairstep-render --list-params`): each
//! parameter's id, name, group, kind, range, default, choices, where the editor and the remote
//! controls show it, the layout it arrived in, and its current value (plain and normalized).
//! The Python tests, the benchmark scripts and the README's parameter table read this instead
//! of keeping lists of their own.

use nice_plug::prelude::*;
use serde_json::{Value, json};

use super::{Field, IDS, PLACES, Page, Place, REMOTE, SINCE, StairstepParams, rate_hz};

impl StairstepParams {
    /// Every parameter, in host order, as JSON objects (see the module's documentation).
    pub fn listing(&self) -> Value {
        let rows: Vec<Value> = IDS.iter().enumerate().map(|(k, id)| self.describe_one(k, id)).collect();
        Value::Array(rows)
    }

    fn describe_one(&self, k: usize, id: &'static str) -> Value {
        let field = self.field(id).expect("an id of the table");
        let mut row = json!({
            "id": id,
            "group": super::GROUP_OF[k],
            "since": SINCE[k],
            "place": place(PLACES[k]),
            "remote": REMOTE[k].map(|(p, slot)| json!({"page": page(p), "slot": slot})),
            "help": self.describe(id),
            "tooltip": self.tooltip(id),
        });
        let more = match field {
            Field::Number(p) => {
                let range = match p.range() {
                    FloatRange::Skewed { factor, .. } => json!({"type": "skewed", "factor": num(factor)}),
                    _ => json!({"type": "linear"}),
                };
                json!({
                    "kind": "number", "name": p.name(), "unit": p.unit().trim(),
                    "min": num(p.preview_plain(0.0)), "max": num(p.preview_plain(1.0)), "range": range,
                    "default": num(p.default_plain_value()), "value": num(p.value()),
                    "normalized": num(p.unmodulated_normalized_value()),
                    "default_normalized": num(p.preview_normalized(p.default_plain_value())),
                })
            }
            Field::Hz(p) => json!({
                "kind": "hz", "name": p.name(), "unit": "Hz",
                "min": num(rate_hz(p.preview_plain(0.0))), "max": num(rate_hz(p.preview_plain(1.0))),
                "range": {"type": "log2"},
                "default": num(rate_hz(p.default_plain_value())), "value": num(rate_hz(p.value())),
                "normalized": num(p.unmodulated_normalized_value()),
                "default_normalized": num(p.preview_normalized(p.default_plain_value())),
            }),
            Field::Choice(c) => {
                let choices: Vec<Value> =
                    c.ids().iter().zip(c.names()).map(|(id, name)| json!({"id": id, "name": name})).collect();
                let last = (c.ids().len() - 1).max(1) as f32;
                json!({
                    "kind": "choice", "name": self.name_of(id), "unit": "", "choices": choices,
                    "default": c.ids()[c.default_index()], "value": c.ids()[c.index()],
                    "normalized": num(c.index() as f32 / last),
                    "default_normalized": num(c.default_index() as f32 / last),
                })
            }
            Field::Switch(p) => json!({
                "kind": "switch", "name": p.name(), "unit": "",
                "default": p.default_plain_value(), "value": p.value(),
                "normalized": if p.value() { 1.0 } else { 0.0 },
                "default_normalized": if p.default_plain_value() { 1.0 } else { 0.0 },
            }),
        };
        if let (Value::Object(row), Value::Object(more)) = (&mut row, more) {
            row.extend(more);
        }
        row
    }

    /// The name hosts show for parameter `id`.
    pub fn name_of(&self, id: &str) -> String {
        let map = self.entries();
        let ptr = map.iter().find(|(i, _, _)| i == id).map(|(_, ptr, _)| *ptr);
        // SAFETY: the pointer points into `self`, alive for this call.
        ptr.map(|ptr| unsafe { ptr.name() }.to_string()).unwrap_or_default()
    }

    /// The table as text, one parameter a line: id, name, range or choices, default.
    pub fn listing_text(&self) -> String {
        let mut out = String::new();
        for row in self.listing().as_array().into_iter().flatten() {
            let text = |k: &str| match &row[k] {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                v => v.to_string(),
            };
            let values = match text("kind").as_str() {
                "choice" => {
                    let ids: Vec<String> =
                        row["choices"].as_array().into_iter().flatten().map(|c| c["id"].to_string()).collect();
                    ids.join(" | ").replace('"', "")
                }
                "switch" => "on | off".into(),
                _ => format!("{} to {} {}", text("min"), text("max"), text("unit")),
            };
            let default = match &row["default"] {
                Value::Bool(on) => if *on { "on" } else { "off" }.to_string(),
                _ => text("default"),
            };
            out += &format!("{:<16} {:<16} {:<44} default {default}\n", text("id"), text("name"), values.trim());
        }
        out
    }
}

/// An f32 as JSON by its shortest decimal form (0.01, not 0.009999999776482582), which reads
/// back as the same f32.
fn num(v: f32) -> Value {
    v.to_string().parse::<f64>().map_or(Value::Null, Value::from)
}

fn page(p: Page) -> &'static str {
    match p {
        Page::Crush => "crush",
        Page::Movement => "movement",
    }
}

fn place(p: Place) -> Value {
    match p {
        Place::Gauge => json!({"page": "header", "label": "Bit Depth gauge"}),
        Place::Header => json!({"page": "header", "label": "header"}),
        Place::Row(p, position, label) => json!({"page": page(p), "position": position, "label": label}),
    }
}
