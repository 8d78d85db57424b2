//! The controls: Bit Depth's gauge (drag, wheel, double-click, typed entry), one control per
//! parameter of the table (slider, choice or toggle, by kind), and the movement readout.

use super::*;

/// What the modulation does now: the bit depth and Sample Rate it sets and the note held.
pub(super) fn movement_readout(ui: &mut egui::Ui, model: &EditorModel) {
    let m = model.monitor;
    let text = if m == dsp::engine::Monitor::default() {
        "movement: none".to_string()
    } else {
        let bits = m.bits.map_or_else(|| "-".to_string(), |b| format!("{b:.2} bits"));
        let rate = m.rate.map_or_else(|| "-".to_string(), |r| format!("{r:.0} Hz"));
        let note = m.note.map_or_else(|| "-".to_string(), note_name);
        format!("now: {bits} · {rate} · note {note}")
    };
    ui.label(egui::RichText::new(text).monospace().color(ACCENT)).on_hover_text(
        "What the LFO, the follower and the held note set at this moment (\"-\": the knob's value). \
             Bit Depth's gauge shows the moving depth as a thin line.",
    );
}

/// Bit Depth: drag (Shift for fine), double-click to reset, mouse wheel, typed entry below.
pub(super) fn bits_control(ui: &mut egui::Ui, params: &StairstepParams, setter: &ParamSetter, model: &mut EditorModel) {
    let param = &params.bits;
    let (rect, response) = ui.allocate_exact_size(Vec2::new(270.0, 130.0), Sense::click_and_drag());
    // Named for screen readers (and the UI tests, which find widgets through AccessKit).
    response.widget_info(|| egui::WidgetInfo::slider(true, param.value() as f64, "Bit Depth"));
    let response = response.on_hover_text(params.tooltip("bits"));
    let fine = ui.input(|i| i.modifiers.shift);
    let value = param.unmodulated_plain_value();
    let set = |v: f32| setter.set_parameter(param, v.clamp(1.0, 24.0));

    if response.drag_started() {
        setter.begin_set_parameter(param);
    }
    if response.dragged() {
        let d = response.drag_delta();
        let per_px = if fine { DRAG_BITS_PER_PIXEL / 10.0 } else { DRAG_BITS_PER_PIXEL };
        set(value + (d.x - d.y) * per_px);
    }
    if response.drag_stopped() {
        setter.end_set_parameter(param);
    }
    if response.double_clicked() {
        setter.begin_set_parameter(param);
        setter.set_parameter(param, param.default_plain_value());
        setter.end_set_parameter(param);
    }
    if response.hovered() {
        let scroll = ui.input(|i| i.smooth_scroll_delta.y);
        if scroll != 0.0 {
            let per_px = if fine { WHEEL_BITS_PER_PIXEL / 10.0 } else { WHEEL_BITS_PER_PIXEL };
            setter.begin_set_parameter(param);
            set(value + scroll * per_px);
            setter.end_set_parameter(param);
        }
    }

    // Paint: a staircase of the current depth behind the number.
    let painter = ui.painter_at(rect);
    let active = response.hovered() || response.dragged();
    painter.rect_filled(rect, 8.0, PANEL);
    painter.rect_stroke(rect, 8.0, Stroke::new(if active { 2.0 } else { 1.0 }, ACCENT), egui::StrokeKind::Inside);
    let bits = param.value();
    let levels = 2f32.powf(bits).min(64.0);
    let inner = rect.shrink(14.0);
    let steps = levels.max(2.0) as usize;
    let mut points = Vec::with_capacity(2 * steps);
    for s in 0..steps {
        let y = inner.bottom() - inner.height() * s as f32 / (steps - 1).max(1) as f32;
        let x0 = inner.left() + inner.width() * s as f32 / steps as f32;
        let x1 = inner.left() + inner.width() * (s + 1) as f32 / steps as f32;
        points.push(Pos2::new(x0, y));
        points.push(Pos2::new(x1, y));
    }
    painter.add(egui::Shape::line(points, Stroke::new(2.0, ACCENT.gamma_multiply(0.35))));
    // The modulated depth, moving: a gauge along the bottom edge (1 to 24 bits).
    if let Some(moving) = model.monitor.bits {
        let x = |b: f32| inner.left() + inner.width() * ((b - 1.0) / 23.0).clamp(0.0, 1.0);
        let y = rect.bottom() - 6.0;
        painter.line_segment([Pos2::new(inner.left(), y), Pos2::new(x(moving), y)], Stroke::new(3.0, ACCENT));
        painter.circle_filled(Pos2::new(x(bits), y), 3.0, Color32::WHITE);
    }
    painter.text(
        rect.center() - Vec2::new(0.0, 10.0),
        Align2::CENTER_CENTER,
        format!("{bits:.2}"),
        FontId::proportional(48.0),
        Color32::WHITE,
    );
    painter.text(
        rect.center() + Vec2::new(0.0, 32.0),
        Align2::CENTER_CENTER,
        "BIT DEPTH (bits)",
        FontId::proportional(13.0),
        ACCENT,
    );

    // Typed entry.
    ui.horizontal(|ui| {
        ui.label("Type:");
        let mut text = model.bits_text.clone().unwrap_or_else(|| format!("{:.2}", param.unmodulated_plain_value()));
        let edit = ui.add(egui::TextEdit::singleline(&mut text).desired_width(80.0).id_salt("bits-entry"));
        let edit =
            edit.on_hover_text("Type a bit depth from 1 to 24 (for example 6, 12.5 or \"8 bits\") and press Enter.");
        if edit.has_focus() || edit.changed() {
            model.bits_text = Some(text.clone());
        }
        let commit = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if commit {
            if let Some(normalized) = param.string_to_normalized_value(&text) {
                setter.begin_set_parameter(param);
                setter.set_parameter_normalized(param, normalized);
                setter.end_set_parameter(param);
            }
            model.bits_text = None;
        } else if edit.lost_focus() {
            model.bits_text = None;
        }
        ui.label("bits");
    });
}

/// The control for parameter `id`, of its kind: a slider, a combo box (a row of buttons for two
/// choices) or a toggle, with the table's tooltip. Every change is one begin, set, end.
pub(super) fn control(ui: &mut egui::Ui, params: &StairstepParams, setter: &ParamSetter, id: &str) {
    control_sized(ui, params, setter, id, 150.0);
}

/// [`control`] with sliders and combo boxes `width` points wide (two share a row at 100).
pub(super) fn control_sized(ui: &mut egui::Ui, params: &StairstepParams, setter: &ParamSetter, id: &str, width: f32) {
    params.visit(id, Control { ui, setter, id, tip: params.tooltip(id), width });
}

/// [`control`]'s widget for one parameter.
struct Control<'a> {
    ui: &'a mut egui::Ui,
    setter: &'a ParamSetter<'a>,
    id: &'a str,
    tip: &'static str,
    /// Width of a slider or combo box, points.
    width: f32,
}

impl Visit for Control<'_> {
    type Output = ();

    fn number(self, param: &FloatParam) {
        self.ui.add(ParamSlider::for_param(param, self.setter).with_width(self.width)).on_hover_text(self.tip);
    }

    fn choice<T: Enum + PartialEq + 'static>(self, param: &EnumParam<T>) {
        let current = param.value().to_index();
        let mut chosen = None;
        let mut option = |ui: &mut egui::Ui, i: usize, name: &str| {
            if ui.selectable_label(i == current, name).on_hover_text(self.tip).clicked() && i != current {
                chosen = Some(i);
            }
        };
        if T::variants().len() == 2 {
            T::variants().iter().enumerate().for_each(|(i, name)| option(self.ui, i, name));
        } else {
            egui::ComboBox::from_id_salt(self.id)
                .selected_text(T::variants()[current])
                .width(self.width)
                .show_ui(self.ui, |ui| T::variants().iter().enumerate().for_each(|(i, name)| option(ui, i, name)))
                .response
                .on_hover_text(self.tip);
        }
        if let Some(i) = chosen {
            self.setter.begin_set_parameter(param);
            self.setter.set_parameter(param, T::from_index(i));
            self.setter.end_set_parameter(param);
        }
    }

    fn switch(self, param: &BoolParam) {
        let mut on = param.value();
        if self.ui.toggle_value(&mut on, param.name()).on_hover_text(self.tip).clicked() {
            self.setter.begin_set_parameter(param);
            self.setter.set_parameter(param, on);
            self.setter.end_set_parameter(param);
        }
    }
}
