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
        if let Some(input) = &app.search.input {
            let mut spans = vec![Span::styled(format!(" /{input}"), t.title)];
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
        // Parts in display order, each with a priority: when the line is
        // too narrow the least important go first.
        let mut parts: Vec<(u8, Vec<Span<'static>>)> = Vec::new();
        let n = app.trace.segments.len();
        parts.push((
            4,
            vec![Span::styled(
                format!(" {}", app.trace.scenario.name),
                t.title,
            )],
        ));
        parts.push((
            3,
            vec![Span::styled(
                format!(" {} {}", tr(lang, "seed", "种子"), app.trace.scenario.seed),
                t.dim,
            )],
        ));
        let time = if n == 0 {
            "–".to_string()
        } else {
            fmt_time(app.seg(app.cursor).time) + "s"
        };
        parts.push((
            8,
            vec![sep.clone(), Span::styled(format!("t={time}"), t.base)],
        ));
        let pos = if n == 0 { 0 } else { app.cursor + 1 };
        parts.push((
            10,
            vec![sep.clone(), Span::styled(format!("#{pos}/{n}"), t.title)],
        ));
        let total = app.ann.stages.len();
        let stage = match current_stage(app) {
            Some((k, true)) => format!("{k}/{total}"),
            Some((k, false)) => format!("({k})/{total}"),
            None => format!("–/{total}"),
        };
        parts.push((
            9,
            vec![
                sep.clone(),
                Span::styled(format!("{} {stage}", tr(lang, "stage", "步骤")), t.title),
            ],
        ));
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
        parts.push((6, vec![sep.clone(), Span::styled(play, t.base)]));
        if !app.search.query.is_empty() {
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
            parts.push((
                7,
                vec![sep.clone(), Span::styled(truncate(&text, 28), t.hit)],
            ));
        }
        let hints = tr(lang, "  ? help  q quit ", "  ? 帮助  q 退出 ");
        parts.push((2, vec![Span::styled(hints, t.key)]));
        let room = usize::from(area.width);
        let part_w = |p: &Vec<Span<'static>>| p.iter().map(|s| width(&s.content)).sum::<usize>();
        while parts.iter().map(|(_, p)| part_w(p)).sum::<usize>() > room {
            let Some(i) = parts
                .iter()
                .enumerate()
                .min_by_key(|(_, (prio, _))| *prio)
                .map(|(i, _)| i)
            else {
                break;
            };
            parts.remove(i);
        }
        // Hints sit at the right edge.
        let hints_kept = parts.last().is_some_and(|(prio, _)| *prio == 2);
        let used: usize = parts.iter().map(|(_, p)| part_w(p)).sum();
        let mut spans: Vec<Span<'static>> = Vec::new();
        let count = parts.len();
        for (i, (_, p)) in parts.into_iter().enumerate() {
            if hints_kept && i + 1 == count {
                spans.push(Span::raw(" ".repeat(room.saturating_sub(used))));
            }
            spans.extend(p);
        }
        buf.set_line(area.x, area.y, &Line::from(spans), area.width);
    }
}
