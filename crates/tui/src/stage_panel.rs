//! The stage panel: "Stage k of N", the stage's title and text in the
//! chosen language, its segments, and the stages that did not occur with
//! the reason the annotator found.
//!
//! The current stage is the current segment's, or, for a segment outside
//! the story (a retransmission), the last stage begun before it. The
//! walkthrough's source credit closes the text when the caller passed it
//! (`PlayOptions::source`: the annotation does not carry it).
//!
//! Leaves out: a segment's fields (the segment panel has them).

use crate::app::App;
use crate::text::{tr, wrap_hanging};
use netstep_trace::{Lang, StageResult, Unstaged};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};

#[derive(Debug)]
pub struct StagePanel<'a> {
    pub app: &'a App,
    pub block: Block<'a>,
}

/// The stage the story is at: (stage number, whether the current segment
/// itself belongs to it).
pub fn current_stage(app: &App) -> Option<(u32, bool)> {
    if app.is_empty() {
        return None;
    }
    if let Some(n) = app.ann.stage_of(app.cursor) {
        return Some((n, true));
    }
    let starts = &app.ix.stage_starts;
    let i = starts.partition_point(|&(s, _)| s as usize <= app.cursor);
    i.checked_sub(1).map(|i| (starts[i].1, false))
}

/// `text` wrapped to the panel; lines after the first indented.
fn push_wrapped(
    lines: &mut Vec<Line<'static>>,
    text: &str,
    width: usize,
    indent: usize,
    style: Style,
) {
    for l in wrap_hanging(text, width, indent) {
        lines.push(Line::from(Span::styled(l, style)));
    }
}

fn build(app: &App, width: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    let lang = app.lang;
    let mut lines = Vec::new();
    let total = app.ann.stages.len();
    if total == 0 {
        push_wrapped(
            &mut lines,
            tr(
                lang,
                "This run has no walkthrough: no stages to tell.",
                "这次运行没有讲解步骤。",
            ),
            width,
            0,
            t.dim,
        );
        return lines;
    }
    match current_stage(app) {
        None => push_wrapped(
            &mut lines,
            tr(lang, "The story has not begun yet.", "讲解尚未开始。"),
            width,
            0,
            t.dim,
        ),
        Some((n, exact)) => {
            if !exact {
                let why = app
                    .ann
                    .segments
                    .get(app.cursor)
                    .and_then(|r| r.err())
                    .unwrap_or(Unstaged::NotPartOfTheWalkthrough)
                    .text();
                let note = match lang {
                    Lang::En => format!(
                        "Segment #{} is not a stage of its own ({}). The story is at:",
                        app.cursor + 1,
                        why.get(lang)
                    ),
                    Lang::Zh => format!(
                        "第 {} 个报文段不单独构成一步（{}）。讲解进行到：",
                        app.cursor + 1,
                        why.get(lang)
                    ),
                };
                push_wrapped(&mut lines, &note, width, 0, t.warning);
            }
            if let Some(stage) = app.ann.stage(n) {
                stage_lines(app, stage, total, width, &mut lines);
            }
        }
    }
    let missing: Vec<&StageResult> = app.ann.missing().collect();
    if !missing.is_empty() {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled(
            tr(lang, "Stages that did not occur", "没有出现的步骤").to_string(),
            t.heading,
        )));
        for s in missing {
            push_wrapped(
                &mut lines,
                &format!("{:>2}  {}", s.n, s.title.get(lang)),
                width,
                4,
                t.title,
            );
            if let Some(why) = &s.why_not {
                push_wrapped(
                    &mut lines,
                    &format!("    {}", why.get(lang)),
                    width,
                    4,
                    t.base,
                );
            }
        }
    }
    if !app.ann.out_of_order.is_empty() {
        let list: Vec<String> = app.ann.out_of_order.iter().map(u32::to_string).collect();
        let text = match lang {
            Lang::En => format!("Stages that came out of order: {}", list.join(", ")),
            Lang::Zh => format!("顺序颠倒的步骤：{}", list.join("、")),
        };
        lines.push(Line::default());
        push_wrapped(&mut lines, &text, width, 0, t.warning);
    }
    if let Some(source) = &app.source {
        lines.push(Line::default());
        let credit = format!("{} {}", tr(lang, "Source:", "出处："), source.get(lang));
        push_wrapped(&mut lines, &credit, width, 0, t.dim);
    }
    lines
}

fn stage_lines(
    app: &App,
    stage: &StageResult,
    total: usize,
    width: usize,
    lines: &mut Vec<Line<'static>>,
) {
    let t = &app.theme;
    let lang = app.lang;
    let head = match lang {
        Lang::En => format!("Stage {} of {total}", stage.n),
        Lang::Zh => format!("第 {} 步，共 {total} 步", stage.n),
    };
    lines.push(Line::from(Span::styled(head, t.heading)));
    push_wrapped(lines, stage.title.get(lang), width, 0, t.title);
    let text = stage.text.get(lang);
    if !text.is_empty() {
        push_wrapped(lines, text, width, 0, t.base);
    }
    if !stage.segments.is_empty() {
        lines.push(Line::from(Span::styled(
            tr(lang, "Its segments", "本步的报文段").to_string(),
            t.heading,
        )));
        for &s in &stage.segments {
            let s = s as usize;
            if s >= app.trace.segments.len() {
                continue;
            }
            let seg = app.seg(s);
            let mark = if s == app.cursor { "▶" } else { " " };
            let style = if s == app.cursor {
                t.title
            } else {
                t.conn(app.trace.conn_label(seg), seg.conn)
            };
            let from = app.trace.node_name(seg.from);
            let to = seg.to.map_or("?", |n| app.trace.node_name(n));
            let label = crate::ladder::label(app, s, &seg);
            let text = format!("{mark} #{:<3} {from} → {to}  {label}", s + 1);
            push_wrapped(lines, &text, width, 7, style);
        }
    }
}

impl Widget for StagePanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let inner = self.block.inner(area);
        self.block.render(area, buf);
        if inner.width < 8 || inner.height == 0 {
            return;
        }
        let lines = build(app, usize::from(inner.width));
        let h = usize::from(inner.height);
        let scroll = if app.focus == crate::app::Focus::Stage {
            usize::from(app.scroll)
        } else {
            0
        };
        let top = scroll.min(lines.len().saturating_sub(h));
        for (row, line) in lines.iter().skip(top).take(h).enumerate() {
            buf.set_line(inner.x, inner.y + row as u16, line, inner.width);
        }
    }
}
