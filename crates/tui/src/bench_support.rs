//! Hooks for benchmarks and tests: draw one frame without a terminal.
//!
//! Time to first frame is `App::new` plus one `render_once`; a frame is one
//! `render_once` after a step. With the `fixture` feature,
//! `netstep_tui::fixture::huge_run(1_000_000)` builds a trace to measure
//! them on. Leaves out: timing itself (the caller's benchmark harness
//! measures).

use crate::app::App;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

/// Draws the app once into a fresh `width`×`height` buffer and returns it.
pub fn render_once(app: &mut App, width: u16, height: u16) -> Buffer {
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    app.render_into(area, &mut buf);
    buf
}

/// The buffer's characters, one line per row (wide characters once), for
/// assertions and quick looks.
pub fn buffer_text(buf: &Buffer) -> String {
    let mut out = String::new();
    let w = buf.area.width as usize;
    for row in buf.content().chunks(w.max(1)) {
        let mut skip = 0;
        for cell in row {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            out.push_str(cell.symbol());
            skip = unicode_width::UnicodeWidthStr::width(cell.symbol()).saturating_sub(1);
        }
        out.push('\n');
    }
    out
}
