//! The preset menu: the factory presets, the user's own (one JSON file each in the per-user
//! folder), and saving the current settings as one.

use super::*;

/// The preset menu: factory presets, the user's own, and saving the current settings.
pub struct PresetMenu {
    /// Name of the preset last loaded or saved, shown on the menu button.
    pub current: Option<String>,
    /// Text of the save-as field.
    pub save_name: String,
    /// Where user presets are saved (per-user data folder); an error where none is known.
    pub user_dir: Result<PathBuf, String>,
    /// The last load or save outcome, shown beside the menu.
    pub status: Option<String>,
    /// The factory presets, parsed once.
    factory: Vec<Preset>,
    /// The user's presets, rescanned each time the menu opens.
    user: Vec<(PathBuf, Result<Preset, String>)>,
    /// The name the user was asked about replacing (a second Save click replaces it).
    confirm_replace: Option<String>,
    /// Whether the menu was open last frame.
    was_open: bool,
}

impl PresetMenu {
    /// The factory presets and this machine's user preset folder.
    pub fn new() -> Self {
        Self::with_user_dir(preset::user_preset_dir())
    }

    /// As [`PresetMenu::new`] with another user folder (the tests use a temporary one).
    pub fn with_user_dir(user_dir: Result<PathBuf, String>) -> Self {
        Self {
            current: None,
            save_name: String::new(),
            user_dir,
            status: None,
            factory: preset::factory(),
            user: Vec::new(),
            confirm_replace: None,
            was_open: false,
        }
    }
}

impl Default for PresetMenu {
    fn default() -> Self {
        Self::new()
    }
}

/// Load `preset` as a user would expect a host to record it: every parameter set through the
/// host (begin, set, end), so undo and automation writing see the change.
pub fn load_preset(preset: &Preset, params: &StairstepParams, setter: &ParamSetter) -> Result<(), String> {
    let values = preset.normalized_values()?;
    let map = params.param_map();
    for (id, normalized) in values {
        if let Some((_, ptr, _)) = map.iter().find(|(i, _, _)| *i == id) {
            // SAFETY: `ptr` points into `params`, which outlives this call.
            unsafe {
                setter.raw_context.raw_begin_set_parameter(*ptr);
                setter.raw_context.raw_set_parameter_normalized(*ptr, normalized);
                setter.raw_context.raw_end_set_parameter(*ptr);
            }
        }
    }
    Ok(())
}

/// The preset menu button and its status line.
pub(super) fn preset_menu(ui: &mut egui::Ui, params: &StairstepParams, setter: &ParamSetter, menu: &mut PresetMenu) {
    let label = format!("Preset: {}", menu.current.as_deref().unwrap_or("none"));
    // NOTE: Clicks inside keep the menu open (Save shows its outcome there); loading a preset
    //       closes it explicitly.
    let config =
        egui::containers::menu::MenuConfig::new().close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside);
    let (_, inner) = egui::containers::menu::MenuButton::new(label).config(config).ui(ui, |ui| {
        if !menu.was_open {
            menu.user = menu.user_dir.as_ref().map(|d| preset::list_presets(d)).unwrap_or_default();
        }
        let mut chosen: Option<Preset> = None;
        ui.label(egui::RichText::new("Factory").strong());
        for p in &menu.factory {
            if ui.button(&p.name).on_hover_text(&p.description).clicked() {
                chosen = Some(p.clone());
            }
        }
        ui.separator();
        ui.label(egui::RichText::new("User").strong());
        if menu.user.is_empty() {
            ui.label(egui::RichText::new("none saved yet").weak());
        }
        for (path, p) in &menu.user {
            match p {
                Ok(p) => {
                    if ui.button(&p.name).on_hover_text(format!("{}\n{}", p.description, path.display())).clicked() {
                        chosen = Some(p.clone());
                    }
                }
                Err(e) => {
                    let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
                    ui.add_enabled(false, egui::Button::new(name)).on_disabled_hover_text(e);
                }
            }
        }
        ui.separator();
        ui.horizontal(|ui| {
            let label = ui.label("Name");
            ui.add(egui::TextEdit::singleline(&mut menu.save_name).desired_width(140.0))
                .labelled_by(label.id)
                .on_hover_text("Name for the current settings");
            let save = ui.button("Save").on_hover_text("Save the current settings as a user preset");
            if save.clicked() {
                save_current(params, menu);
            }
        });
        match &menu.user_dir {
            Ok(dir) => ui.label(egui::RichText::new(dir.display().to_string()).weak().small()),
            Err(e) => ui.label(egui::RichText::new(format!("No user preset folder: {e}")).weak().small()),
        };
        if let Some(preset) = chosen {
            match load_preset(&preset, params, setter) {
                Ok(()) => {
                    menu.status = None;
                    menu.current = Some(preset.name.clone());
                }
                Err(e) => menu.status = Some(format!("Cannot load '{}': {e}", preset.name)),
            }
            ui.close();
        }
    });
    menu.was_open = inner.is_some();
    if let Some(status) = &menu.status {
        ui.label(egui::RichText::new(status).weak());
    }
}

/// Save the current settings under the name typed; asks (by a second click) before replacing.
pub(super) fn save_current(params: &StairstepParams, menu: &mut PresetMenu) {
    let name = menu.save_name.trim().to_string();
    if name.is_empty() {
        menu.status = Some("Type a name for the preset first".into());
        return;
    }
    let dir = match &menu.user_dir {
        Ok(dir) => dir.clone(),
        Err(e) => {
            menu.status = Some(format!("Cannot save: {e}"));
            return;
        }
    };
    let exists = dir.join(preset::file_name_for(&name)).exists();
    if exists && menu.confirm_replace.as_deref() != Some(name.as_str()) {
        menu.status = Some(format!("'{name}' exists: click Save again to replace it"));
        menu.confirm_replace = Some(name);
        return;
    }
    menu.confirm_replace = None;
    let preset = Preset::capture(params, &name, "User preset");
    match preset::save_preset(&dir, &preset) {
        Ok(path) => {
            menu.status = Some(format!("Saved {}", path.display()));
            menu.current = Some(name);
            menu.user = preset::list_presets(&dir);
        }
        Err(e) => menu.status = Some(format!("Cannot save: {e}")),
    }
}
