//! The window around the drawing: the egui app that feeds the model from the audio thread's
//! analysis, nice-plug's editor (size, open count, repaint), and a direct `GuiContext` for the
//! preview and the tests.

use super::*;

/// The egui app behind one open window.
pub struct EditorApp {
    /// Parameters shared with the plugin.
    params: Arc<StairstepParams>,
    /// Analysis data from the audio thread (locked by the editor thread only).
    reader: Arc<Mutex<AnalysisReader>>,
    /// Display state.
    model: EditorModel,
    /// What the modulation does, from the audio thread.
    monitor: Arc<Monitor>,
    /// The host's context, from `build()`.
    gui_context: Option<GuiContext>,
}

impl EditorApp {
    /// An app for `params`, reading analysis data from `reader` and the modulation from
    /// `monitor`.
    pub fn new(params: Arc<StairstepParams>, reader: Arc<Mutex<AnalysisReader>>, monitor: Arc<Monitor>) -> Self {
        Self { params, reader, model: EditorModel::new(), monitor, gui_context: None }
    }

    /// Show `page` of controls below Bit Depth.
    pub fn show_page(&mut self, page: Page) {
        self.model.page = page;
    }

    /// One frame: take new analysis data, draw, ask for the next frame.
    pub fn frame(&mut self, ui: &mut egui::Ui, context: &GuiContext) {
        if let Ok(mut reader) = self.reader.lock() {
            self.model.update(&mut reader);
        }
        self.model.monitor = self.monitor.load();
        let setter = context.param_setter();
        draw(ui, &self.params, &setter, &mut self.model);
        ui.ctx().request_repaint_after(Duration::from_millis(33));
    }
}

impl NiceEguiApp for EditorApp {
    fn build(
        &mut self,
        _ctx: egui::Context,
        gui_context: GuiContext,
        _frame: &mut Frame,
    ) -> Result<(), baseview::HandlerError> {
        self.gui_context = Some(gui_context);
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut Frame) {
        if let Some(context) = self.gui_context.clone() {
            egui::CentralPanel::default().show(ui, |ui| self.frame(ui, &context));
        }
    }

    fn resized(&mut self, size: baseview::WindowSize) {
        let s = EditorSize { width: size.logical.width.round() as u32, height: size.logical.height.round() as u32 };
        if let Ok(mut saved) = self.params.editor_size.write() {
            *saved = s;
        }
    }
}

/// The plugin's editor: a fresh egui window at the saved size each time the host opens it.
pub struct StairstepEditor {
    /// Parameters (and the saved window size).
    params: Arc<StairstepParams>,
    /// Analysis data from the audio thread.
    reader: Arc<Mutex<AnalysisReader>>,
    /// Number of open windows; the audio thread feeds the analysis only while it is non-zero.
    open: Arc<AtomicUsize>,
    /// What the modulation does, from the audio thread.
    monitor: Arc<Monitor>,
}

impl StairstepEditor {
    /// An editor for `params`; `open` counts open windows.
    pub fn new(
        params: Arc<StairstepParams>,
        reader: Arc<Mutex<AnalysisReader>>,
        open: Arc<AtomicUsize>,
        monitor: Arc<Monitor>,
    ) -> Self {
        Self { params, reader, open, monitor }
    }

    fn saved_size(&self) -> EditorSize {
        self.params.editor_size.read().map(|s| *s).unwrap_or(DEFAULT_SIZE).clamped()
    }
}

/// Handle to an open window; closing it (dropping the handle) counts the window as closed.
pub struct StairstepEditorHandle {
    /// nice-plug-egui's handle.
    inner: EguiEditorHandle,
    /// Shared open-window count.
    open: Arc<AtomicUsize>,
}

impl Drop for StairstepEditorHandle {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::AcqRel);
    }
}

impl EditorHandle for StairstepEditorHandle {
    type Window = baseview::Window;
    type Error = baseview::Error;

    fn run_until_closed(window: Self::Window) -> Result<(), Self::Error> {
        EguiEditorHandle::run_until_closed(window)
    }
    fn set_parent(&self, parent: ParentWindowHandle, window: &Self::Window) -> Result<(), Self::Error> {
        self.inner.set_parent(parent, window)
    }
    fn show(&self, window: &Self::Window) -> Result<(), Self::Error> {
        self.inner.show(window)
    }
    fn hide(&self, window: &Self::Window) -> Result<(), Self::Error> {
        self.inner.hide(window)
    }
    fn set_size(&self, new_size: NativeSize<u32>, window: &Self::Window) -> Result<(), Self::Error> {
        self.inner.set_size(new_size, window)
    }
    fn host_main_thread_callback(&self, window: &Self::Window) {
        self.inner.host_main_thread_callback(window)
    }
    fn adjust_size(&self, new_size: NativeSize<u32>, window: &Self::Window) -> Option<NativeSize<u32>> {
        self.inner.adjust_size(new_size, window)
    }
    fn set_fallback_scale_factor(&self, scale_factor: f64, window: &Self::Window) -> Result<(), Self::Error> {
        self.inner.set_fallback_scale_factor(scale_factor, window)
    }
    fn param_value_changed(&self, id: &str, normalized_value: f32) {
        self.inner.param_value_changed(id, normalized_value)
    }
    fn param_modulation_changed(&self, id: &str, modulation_offset: f32) {
        self.inner.param_modulation_changed(id, modulation_offset)
    }
}

/// Window settings shared by the plugin editor and the preview.
pub fn window_settings() -> EguiNiceSettings {
    let mut hint = ResizeHint::resizable();
    hint.size_constraints = SizeConstraints::Logical {
        min_size: Some(LogicalSize::new(MIN_SIZE.width as f32, MIN_SIZE.height as f32)),
        max_size: Some(LogicalSize::new(MAX_SIZE.width as f32, MAX_SIZE.height as f32)),
    };
    EguiNiceSettings::new().with_tile("Stairstep").with_resize_hint(hint)
}

impl Editor for StairstepEditor {
    type Handle = StairstepEditorHandle;

    fn spawn(
        &self,
        parent: Option<ParentWindowHandle>,
        wait_for_parent: bool,
        fallback_scale_factor: Option<f64>,
        gui_context: GuiContext,
        host: Option<HostMethods>,
    ) -> Result<SpawnedEditor<Self::Handle>, Box<dyn Error>> {
        let size = self.saved_size();
        let state = EguiEditorState::from_size(LogicalSize::new(size.width as f64, size.height as f64), 1.0);
        let app = EditorApp::new(self.params.clone(), self.reader.clone(), self.monitor.clone());
        let editor = create_egui_editor(state, RepaintNotifier::new(), window_settings(), app)
            .ok_or("nice-plug-egui could not create the editor")?;
        let spawned = editor.spawn(parent, wait_for_parent, fallback_scale_factor, gui_context, host)?;
        self.open.fetch_add(1, Ordering::AcqRel);
        Ok(SpawnedEditor {
            handle: StairstepEditorHandle { inner: spawned.handle, open: self.open.clone() },
            window: spawned.window,
        })
    }

    fn size(&self) -> NativeSize<u32> {
        let size = self.saved_size();
        NativeSize::from_size(Size::Logical(LogicalSize::new(size.width as f64, size.height as f64)), 1.0)
    }

    fn resize_hint(&self) -> ResizeHint {
        window_settings().resize_hint
    }

    unsafe fn assume_standalone_in_process(&self) {
        // SAFETY: Same contract as `Editor::assume_standalone_in_process()`: only called by
        //         the standalone wrapper, which owns the process.
        unsafe { baseview::assume_standalone_in_process() };
    }
}

/// A [`GuiContextInner`] that applies parameter changes directly, as a host would after the
/// user moves a control. Used by the preview window and the UI tests; the plugin itself gets
/// the host's context.
pub struct DirectGuiContext {
    /// Every `(begin, set, end)` call, in order, for tests: `("set", normalized)` etc.
    pub log: Mutex<Vec<(String, &'static str, f32)>>,
}

impl Default for DirectGuiContext {
    fn default() -> Self {
        Self { log: Mutex::new(Vec::new()) }
    }
}

impl GuiContextInner for DirectGuiContext {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Standalone
    }
    unsafe fn raw_begin_set_parameter(&self, param: ParamPtr) {
        // SAFETY: The caller hands a pointer to a live parameter (this trait's contract), and
        //         the name is copied before returning.
        let name = unsafe { param.name() }.to_string();
        self.log.lock().unwrap().push((name, "begin", 0.0));
    }
    unsafe fn raw_set_parameter_normalized(&self, param: ParamPtr, normalized: f32) {
        // SAFETY: The pointer comes from a live parameter struct owned by the caller.
        unsafe { param._internal_set_normalized_value(normalized) };
        // SAFETY: As above: a live parameter; the name is copied before returning.
        let name = unsafe { param.name() }.to_string();
        self.log.lock().unwrap().push((name, "set", normalized));
    }
    unsafe fn raw_end_set_parameter(&self, param: ParamPtr) {
        // SAFETY: As in `raw_begin_set_parameter`: a live parameter, its name copied.
        let name = unsafe { param.name() }.to_string();
        self.log.lock().unwrap().push((name, "end", 0.0));
    }
    fn get_state(&self) -> PluginState {
        PluginState { version: String::new(), params: Default::default(), fields: Default::default() }
    }
    fn set_state(&self, _state: PluginState) {}
    fn request_restart(&self) {}
}
