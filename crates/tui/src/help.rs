//! The `?` overlay: every key, in the chosen language, and under them the
//! walkthrough's source credit when the window has room for all of it
//! (the stage panel always ends with it).
//!
//! Leaves out: anything else that is not a key (the book explains the
//! panels).

use crate::app::App;
use crate::input::HELP;
use crate::text::{tr, truncate, width, wrap};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::symbols::border;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Widget};

#[derive(Debug)]
pub struct HelpOverlay<'a> {
    pub app: &'a App,
}

impl Widget for HelpOverlay<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let t = &app.theme;
        let lang = app.lang;
        let key_w = HELP.iter().map(|(k, _, _)| width(k)).max().unwrap_or(0) + 2;
        let text_w = HELP
            .iter()
            .map(|(_, en, zh)| width(tr(lang, en, zh)))
            .max()
            .unwrap_or(0);
        let w = ((key_w + text_w + 4) as u16).min(area.width.saturating_sub(2));
        let credit: Vec<String> = app
            .source
            .as_ref()
            .map(|s| {
                let text = format!("{} {}", tr(lang, "Source:", "出处："), s.get(lang));
                wrap(&text, usize::from(w.saturating_sub(4)).max(1))
            })
            .unwrap_or_default();
        // The keys, a blank line, the credit when it fits whole, the foot.
        let keys_h = HELP.len() as u16 + 4;
        let with_credit = keys_h + 1 + credit.len() as u16;
        let credit_shown = !credit.is_empty() && with_credit <= area.height.saturating_sub(2);
        let h = if credit_shown { with_credit } else { keys_h }.min(area.height.saturating_sub(2));
        let x = area.x + (area.width.saturating_sub(w)) / 2;
        let y = area.y + (area.height.saturating_sub(h)) / 2;
        let rect = Rect::new(x, y, w, h);
        Clear.render(rect, buf);
        let block = Block::bordered()
            .border_set(border::ROUNDED)
            .border_style(t.border_focused)
            .title(Span::styled(
                format!(" {} ", tr(lang, "Keys", "按键")),
                t.title,
            ))
            .style(t.base);
        let inner = block.inner(rect);
        block.render(rect, buf);
        let max = usize::from(inner.width);
        for (i, (keys, en, zh)) in HELP.iter().enumerate() {
            let row = inner.y + i as u16;
            if row >= inner.bottom() {
                break;
            }
            let line = Line::from(vec![
                Span::styled(format!(" {keys:<w$}", w = key_w - 1), t.key),
                Span::styled(
                    truncate(tr(lang, en, zh), max.saturating_sub(key_w)),
                    t.base,
                ),
            ]);
            buf.set_line(inner.x, row, &line, inner.width);
        }
        if credit_shown {
            let top = inner.y + HELP.len() as u16 + 1;
            for (i, l) in credit.iter().enumerate() {
                buf.set_string(
                    inner.x + 1,
                    top + i as u16,
                    truncate(l, max.saturating_sub(1)),
                    t.dim,
                );
            }
        }
        let foot_y = inner.bottom().saturating_sub(1);
        // After a blank line when there is room, right under the keys
        // when not (80x24).
        if foot_y >= inner.y + HELP.len() as u16 {
            let foot = tr(lang, " ? or Esc closes this help", " 按 ? 或 Esc 关闭帮助");
            buf.set_string(inner.x, foot_y, truncate(foot, max), t.dim);
        }
    }
}
