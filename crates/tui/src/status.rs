//! The status line: scenario and seed, virtual time, segment i/N, stage
//! k/N, play state and speed, the search, and key hints; the `/` prompt
//! while a search is typed.
//!
//! Leaves out: transient messages (a message that outlived its key press
//! would make the screen depend on history).

use crate::app::{App, PlayMode};
use crate::ladder::fmt_time;
use crate::stage_panel::current_stage;
use crate::text::{tr, truncate, width};
use netstep_trace::Lang;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

#[derive(Debug)]
pub struct StatusLine<'a> {
    pub app: &'a App,
}

/// `×2`, `×1/4`.
pub fn speed_text(exp: i8) -> String {
    if exp >= 0 {
        format!("×{}", 1u32 << exp)
    } else {
        format!("×1/{}", 1u32 << (-exp))
    }
}

impl Widget for StatusLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let t = &app.theme;
        let lang = app.lang;
        buf.set_style(area, t.base);
        let sep = Span::styled(" │ ", t.dim);
        let mut spans: Vec<Span<'static>> = Vec::new();
        if let Some(input) = &app.search.input {
            spans.push(Span::styled(format!(" /{input}"), t.title));
            spans.push(Span::styled("█", t.key));
            spans.push(Span::styled(
                format!(
                    "   {}",
                    tr(
                        lang,
                        "search payloads and flags · Enter: find · Esc: cancel",
                        "搜索载荷和标志位 · Enter：查找 · Esc：取消"
                    )
                ),
                t.dim,
            ));
            buf.set_line(area.x, area.y, &Line::from(spans), area.width);
            return;
        }
        let n = app.trace.segments.len();
        spans.push(Span::styled(
            format!(" {}", app.trace.scenario.name),
            t.title,
        ));
        spans.push(Span::styled(
            format!(" {} {}", tr(lang, "seed", "种子"), app.trace.scenario.seed),
            t.dim,
        ));
        spans.push(sep.clone());
        let time = if n == 0 {
            "–".to_string()
        } else {
            fmt_time(app.seg(app.cursor).time) + "s"
        };
        spans.push(Span::styled(format!("t={time}"), t.base));
        spans.push(sep.clone());
        let pos = if n == 0 { 0 } else { app.cursor + 1 };
        spans.push(Span::styled(format!("#{pos}/{n}"), t.title));
        spans.push(sep.clone());
        let total = app.ann.stages.len();
        let stage = match current_stage(app) {
            Some((k, true)) => format!("{k}/{total}"),
            Some((k, false)) => format!("({k})/{total}"),
            None => format!("–/{total}"),
        };
        spans.push(Span::styled(
            format!("{} {stage}", tr(lang, "stage", "步骤")),
            t.title,
        ));
        spans.push(sep.clone());
        let speed = speed_text(app.play.speed_exp);
        let play = if app.play.playing {
            let mode = match app.play.mode {
                PlayMode::Step => tr(lang, "step", "逐个"),
                PlayMode::RealTime => tr(lang, "real time", "真实时间"),
            };
            format!("▶ {mode} {speed}")
        } else {
            format!("⏸ {speed}")
        };
        spans.push(Span::styled(play, t.base));
        if !app.search.query.is_empty() {
            spans.push(sep.clone());
            let hits = &app.search.hits;
            let text = if hits.is_empty() {
                match lang {
                    Lang::En => format!("/{}: no match", app.search.query),
                    Lang::Zh => format!("/{}：无匹配", app.search.query),
                }
            } else {
                let at = hits.partition_point(|&h| (h as usize) < app.cursor);
                let here = hits.get(at).is_some_and(|&h| h as usize == app.cursor);
                let i = if here {
                    format!("{}", at + 1)
                } else {
                    "-".into()
                };
                format!("/{} {i}/{}", app.search.query, hits.len())
            };
            spans.push(Span::styled(truncate(&text, 24), t.hit));
        }
        let used: usize = spans.iter().map(|s| width(&s.content)).sum();
        let hints = tr(lang, "? help  q quit ", "? 帮助  q 退出 ");
        let room = usize::from(area.width);
        if used + width(hints) + 2 <= room {
            let pad = room - used - width(hints);
            spans.push(Span::raw(" ".repeat(pad)));
            spans.push(Span::styled(hints, t.key));
        }
        buf.set_line(area.x, area.y, &Line::from(spans), area.width);
    }
}
