//! The whole screen: `impl Widget for &App` lays the panels out and asks
//! each to draw itself; below the minimum size it only asks for a bigger
//! window.
//!
//! Leaves out: any state. Drawing reads the app and nothing else, so the
//! same app always draws the same screen.

use crate::app::{App, Focus};
use crate::help::HelpOverlay;
use crate::ladder::LadderView;
use crate::layout::{MIN_HEIGHT, MIN_WIDTH};
use crate::segment_panel::SegmentPanel;
use crate::sockets_panel::SocketsPanel;
use crate::stage_panel::StagePanel;
use crate::status::StatusLine;
use crate::text::{tr, truncate, width};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::symbols::border;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Widget};

fn panel_name(app: &App, panel: Focus) -> &'static str {
    let lang = app.lang;
    match panel {
        Focus::Ladder => tr(lang, "Ladder", "梯形图"),
        Focus::Stage => tr(lang, "Stage", "步骤"),
        Focus::Segment => tr(lang, "Segment", "报文段"),
        Focus::Sockets => tr(lang, "Sockets", "套接字"),
    }
}

/// The tabs' panels and their x ranges on the title row of a panel at
/// `x0`: what the title draws, and where a click lands.
const TABS: [Focus; 3] = [Focus::Stage, Focus::Segment, Focus::Sockets];

pub fn tab_at(app: &App, x0: u16, x: u16) -> Option<Focus> {
    // The corner, a space, then " Name " and "·" in turn.
    let mut start = x0 + 2;
    for p in TABS {
        let w = width(panel_name(app, p)) as u16 + 2;
        if (start..start + w).contains(&x) {
            return Some(p);
        }
        start += w + 1;
    }
    None
}

/// A panel's frame. When only one panel fits, its title names all three
/// as tabs, the shown one lit.
fn panel_block(app: &App, panel: Focus, tabbed: bool) -> Block<'static> {
    let t = &app.theme;
    let focused = app.focus == panel;
    let mut block = Block::bordered()
        .border_set(border::ROUNDED)
        .border_style(if focused { t.border_focused } else { t.border });
    if tabbed {
        let mut spans = vec![Span::styled(" ", t.border)];
        for (i, p) in TABS.into_iter().enumerate() {
            if i > 0 {
                spans.push(Span::styled("·", t.dim));
            }
            let style = if p == panel {
                t.title.add_modifier(Modifier::UNDERLINED)
            } else {
                t.dim
            };
            spans.push(Span::styled(format!(" {} ", panel_name(app, p)), style));
        }
        spans.push(Span::styled(
            format!(" {} ", tr(app.lang, "(Tab)", "（Tab 切换）")),
            t.dim,
        ));
        block = block.title(Line::from(spans));
    } else {
        block = block.title(Span::styled(
            format!(" {} ", panel_name(app, panel)),
            t.title,
        ));
    }
    block
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        // One pass: every cell blank in the theme's colours (the widgets
        // only draw on top, none fills its area again).
        let base = self.theme.base;
        if area == buf.area {
            for cell in &mut buf.content {
                cell.reset();
                cell.set_style(base);
            }
        } else {
            Clear.render(area, buf);
            buf.set_style(area, base);
        }
        let Some(screen) = self.screen_for(area) else {
            too_small(self, area, buf);
            return;
        };
        LadderView { app: self }.render(screen.ladder, buf);
        for &(panel, rect) in &screen.panels {
            let block = panel_block(self, panel, screen.tabbed);
            match panel {
                Focus::Stage | Focus::Ladder => StagePanel { app: self, block }.render(rect, buf),
                Focus::Segment => SegmentPanel { app: self, block }.render(rect, buf),
                Focus::Sockets => SocketsPanel { app: self, block }.render(rect, buf),
            }
        }
        StatusLine { app: self }.render(screen.status, buf);
        if self.help {
            HelpOverlay { app: self }.render(area, buf);
        }
    }
}

/// Below 80×24 the panels cannot say anything useful: ask for room.
fn too_small(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let lines = [
        match app.lang {
            netstep_trace::Lang::En => {
                format!("enlarge the window (need {MIN_WIDTH}×{MIN_HEIGHT})")
            }
            netstep_trace::Lang::Zh => format!("请放大窗口（至少 {MIN_WIDTH}×{MIN_HEIGHT}）"),
        },
        match app.lang {
            netstep_trace::Lang::En => format!("now {}×{}", area.width, area.height),
            netstep_trace::Lang::Zh => format!("当前 {}×{}", area.width, area.height),
        },
    ];
    let top = area.y + area.height.saturating_sub(lines.len() as u16) / 2;
    for (i, l) in lines.iter().enumerate() {
        let y = top + i as u16;
        if y >= area.bottom() {
            break;
        }
        let l = truncate(l, usize::from(area.width));
        let x = area.x + area.width.saturating_sub(width(&l) as u16) / 2;
        buf.set_string(x, y, &l, if i == 0 { t.warning } else { t.dim });
    }
}
