//! The SVG export: the ladder as a picture for slides, made to be read
//! from the back of a classroom.
//!
//! - A title, then one column per participant (hosts, and the middleboxes
//!   a segment was seen at) with its name and address, and a dashed
//!   lifeline below it.
//! - One row per segment, in order of sending: an arrow from sender to
//!   receiver labelled like the Mermaid export (`[stage] FLAGS seq=..
//!   ack=.. len=.. payload-start`). The arrow drops as it goes, more for a
//!   longer trip, so it always arrives later than it left; a lost segment
//!   stops at a red ✕ where it was lost.
//! - Colour tells the connection (blue for the first, the FTP control
//!   connection; green for the data connections); a thick line carries
//!   payload, a thin one only flags (SYN, ACK, FIN).
//! - The segments of a stage sit on a tinted band, with the stage number
//!   in a disc in the left gutter and its title in the right margin; the
//!   segment number and time are in the gutter too.
//!
//! Text widths are estimated (0.6 em for a monospace character, 1 em for
//! a wide CJK one), since an SVG file cannot measure its own text. Every
//! coordinate is an integer, so the same run always gives the same file.
//!
//! Leaves out: a true time scale (100 µs trips beside seconds of thinking
//! cannot share one; the drop shows order, not duration), interactivity,
//! and embedded fonts (the viewer's sans-serif and monospace fonts are
//! used).

use crate::ladder::{Row, on_link, participants, rows, stage_groups};
use crate::{ExportError, check, words};
use netstep_trace::{Annotation, Lang, NodeKind, Trace};
use std::fmt::Write;

const MARGIN: i64 = 30;
/// Left gutter: stage disc, segment number and time.
const GUTTER: i64 = 180;
const TITLE_FONT: i64 = 36;
const SUB_FONT: i64 = 20;
const BOX_TOP: i64 = 118;
const BOX_H: i64 = 74;
const FIRST_ROW: i64 = BOX_TOP + BOX_H + 28;
const ROW_H: i64 = 58;
const LABEL_FONT: i64 = 20;
const STAGE_FONT: i64 = 20;
/// Line spacing of the stage titles.
const LINE_H: i64 = 25;
/// Right margin with the stage titles.
const PANEL_W: i64 = 560;
const LEGEND_H: i64 = 120;
/// Characters of payload on an arrow.
const PREVIEW_CHARS: usize = 22;

const SANS: &str = "'DejaVu Sans', 'Noto Sans', 'Noto Sans CJK SC', Arial, sans-serif";
const MONO: &str =
    "'DejaVu Sans Mono', 'Noto Sans Mono', 'Noto Sans Mono CJK SC', Consolas, monospace";

/// Line colours by connection label, in order of first appearance: the
/// first (control) connection blue, the next label (data) green.
const CONN_COLOURS: [&str; 4] = ["#1d4ed8", "#15803d", "#7e22ce", "#b45309"];
const LOST: &str = "#dc2626";
const INK: &str = "#0f172a";
const MUTED: &str = "#475569";
const BANDS: [&str; 2] = ["#e8f0fe", "#fef6dc"];

/// The run as an SVG picture, texts in `lang`.
pub fn svg(trace: &Trace, ann: &Annotation, lang: Lang) -> Result<String, ExportError> {
    check(trace, ann)?;
    let rows = rows(trace, ann);
    let parts = participants(trace, &rows);
    let col = |node: u32| parts.iter().position(|&p| p == node).unwrap_or(0) as i64;
    let labels: Vec<String> = rows.iter().map(|r| r.label(trace, PREVIEW_CHARS)).collect();

    // Lifeline spacing: wide enough for the longest label between two
    // neighbouring columns, and for the participants' boxes.
    let mut gap = 420;
    for (r, label) in rows.iter().zip(&labels) {
        let (a, b) = (col(r.seg.from), col(r.to.unwrap_or(r.seg.from)));
        let span = (a - b).abs();
        if span > 0 {
            let lost = if r.lost.is_some() { 6 } else { 0 };
            gap = gap.max((text_width(label, LABEL_FONT, true) + lost * 12 + 70) / span);
        }
    }
    for &p in &parts {
        gap = gap.max(box_width(trace, p) + 60);
    }
    let gap = gap.min(1200);
    let half_box = parts
        .iter()
        .map(|&p| box_width(trace, p) / 2)
        .max()
        .unwrap_or(0);
    let lane0 = MARGIN + GUTTER + half_box + 20;
    let xs: Vec<i64> = (0..parts.len() as i64).map(|i| lane0 + i * gap).collect();
    let last_x = xs.last().copied().unwrap_or(lane0);
    let panel_x = last_x + half_box + 30;
    let width = panel_x + PANEL_W + MARGIN;
    let rows_end = FIRST_ROW + rows.len() as i64 * ROW_H;
    let height = rows_end + LEGEND_H;

    let conn_labels = conn_labels(trace);
    let colour_of = |r: &Row<'_>| -> &'static str {
        let l = trace.conn_label(r.seg);
        let i = conn_labels.iter().position(|x| x == l).unwrap_or(0);
        CONN_COLOURS[i % CONN_COLOURS.len()]
    };

    let mut out = String::new();
    let title = trace.scenario.title.get(lang);
    let title = if title.is_empty() {
        trace.scenario.name.as_str()
    } else {
        title
    };
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="{SANS}">"#
    );
    let _ = writeln!(out, "<title>{}</title>", esc(title));
    let _ = writeln!(
        out,
        r#"<rect width="{width}" height="{height}" fill="white"/>"#
    );
    out.push_str("<defs>\n");
    for (i, c) in CONN_COLOURS.iter().enumerate() {
        let _ = writeln!(
            out,
            r#"<marker id="head{i}" viewBox="0 0 12 12" refX="11" refY="6" markerWidth="16" markerHeight="16" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L12,6 L0,12 z" fill="{c}"/></marker>"#
        );
    }
    out.push_str("</defs>\n");

    // Title and subtitle.
    let _ = writeln!(
        out,
        r#"<text x="{MARGIN}" y="{}" font-size="{TITLE_FONT}" font-weight="bold" fill="{INK}">{}</text>"#,
        MARGIN + TITLE_FONT,
        esc(title)
    );
    let sub = match lang {
        Lang::En => format!(
            "netstep · scenario {} · seed {} · {} segments · {} of {} stages occurred",
            trace.scenario.name,
            trace.scenario.seed,
            rows.len(),
            ann.occurred().count(),
            ann.stages.len()
        ),
        Lang::Zh => format!(
            "netstep · 场景 {} · 种子 {} · 共 {} 个报文段 · {} 个步骤中出现了 {} 个",
            trace.scenario.name,
            trace.scenario.seed,
            rows.len(),
            ann.stages.len(),
            ann.occurred().count()
        ),
    };
    let _ = writeln!(
        out,
        r#"<text x="{MARGIN}" y="{}" font-size="{SUB_FONT}" fill="{MUTED}">{}</text>"#,
        MARGIN + TITLE_FONT + 36,
        esc(&sub)
    );

    // Stage bands, discs and titles.
    out.push_str("<g id=\"stages\">\n");
    for g in stage_groups(&rows) {
        let n = g.stage;
        let top = FIRST_ROW + g.first as i64 * ROW_H;
        let h = (g.last - g.first + 1) as i64 * ROW_H;
        // The tint follows the stage number, so a stage shown in two
        // places keeps its colour.
        let _ = writeln!(
            out,
            r#"<rect x="{MARGIN}" y="{top}" width="{}" height="{h}" fill="{}"/>"#,
            width - 2 * MARGIN,
            BANDS[n as usize % BANDS.len()]
        );
        let (cx, cy) = (MARGIN + 30, top + ROW_H / 2);
        let _ = writeln!(
            out,
            r##"<circle cx="{cx}" cy="{cy}" r="22" fill="#334155"/><text x="{cx}" y="{}" font-size="22" font-weight="bold" fill="white" text-anchor="middle">{n}</text>"##,
            cy + 8
        );
        let stage_title = ann.stage(n).map_or("", |s| s.title.get(lang));
        let more = if g.continued {
            words::pick(lang, " (continued)", "（续）")
        } else {
            ""
        };
        let text = format!("{n}. {stage_title}{more}");
        // As many lines as the band has room for, centred on it.
        let room = ((h - 8) / LINE_H).clamp(1, 4) as usize;
        let lines = wrap(&text, STAGE_FONT, PANEL_W - 20, room);
        let first = top + h / 2 - (lines.len() as i64 - 1) * LINE_H / 2 + 7;
        for (k, line) in lines.iter().enumerate() {
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{}" font-size="{STAGE_FONT}" font-weight="bold" fill="{INK}">{}</text>"#,
                panel_x + 10,
                first + k as i64 * LINE_H,
                esc(line)
            );
        }
    }
    out.push_str("</g>\n");

    // Participants and lifelines.
    out.push_str("<g id=\"participants\">\n");
    for (&p, &x) in parts.iter().zip(&xs) {
        let node = &trace.nodes[p as usize];
        let w = box_width(trace, p);
        let fill = if node.kind == NodeKind::Host {
            "#f1f5f9"
        } else {
            "#fde68a"
        };
        let _ = writeln!(
            out,
            r##"<line x1="{x}" y1="{}" x2="{x}" y2="{rows_end}" stroke="#94a3b8" stroke-width="2" stroke-dasharray="8 8"/>"##,
            BOX_TOP + BOX_H
        );
        let _ = writeln!(
            out,
            r##"<rect x="{}" y="{BOX_TOP}" width="{w}" height="{BOX_H}" rx="10" fill="{fill}" stroke="#334155" stroke-width="2"/>"##,
            x - w / 2
        );
        let _ = writeln!(
            out,
            r#"<text x="{x}" y="{}" font-size="26" font-weight="bold" fill="{INK}" text-anchor="middle">{}</text>"#,
            BOX_TOP + 32,
            esc(&node_title(trace, p))
        );
        let _ = writeln!(
            out,
            r#"<text x="{x}" y="{}" font-size="18" fill="{MUTED}" text-anchor="middle" font-family="{MONO}">{}</text>"#,
            BOX_TOP + 60,
            esc(&addresses(trace, p))
        );
    }
    out.push_str("</g>\n");

    // Segments.
    let max_trip = rows
        .iter()
        .filter_map(|r| {
            let end = r.arrived.or(r.lost.map(|l| l.2))?;
            Some(end.saturating_since(r.seg.time).as_nanos())
        })
        .max()
        .unwrap_or(0)
        .max(1);
    out.push_str("<g id=\"segments\">\n");
    for (k, (r, label)) in rows.iter().zip(&labels).enumerate() {
        let top = FIRST_ROW + k as i64 * ROW_H;
        let y = top + 36;
        // Segment number and time in the gutter.
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" font-size="17" font-weight="bold" fill="{MUTED}" text-anchor="end">#{}</text><text x="{}" y="{}" font-size="15" fill="{MUTED}" text-anchor="end" font-family="{MONO}">{}</text>"#,
            MARGIN + GUTTER - 10,
            top + 24,
            r.index + 1,
            MARGIN + GUTTER - 10,
            top + 46,
            r.seg.time
        );
        segment(
            &mut out,
            r,
            label,
            &xs,
            &col,
            colour_of(r),
            max_trip,
            y,
            lang,
        );
    }
    out.push_str("</g>\n");

    legend(&mut out, rows_end + 30, &conn_labels, lang);
    out.push_str("</svg>\n");
    Ok(out)
}

/// One arrow and its label.
#[allow(clippy::too_many_arguments)]
fn segment(
    out: &mut String,
    r: &Row<'_>,
    label: &str,
    xs: &[i64],
    col: &dyn Fn(u32) -> i64,
    colour: &str,
    max_trip: u64,
    y: i64,
    lang: Lang,
) {
    let x_at = |c: i64| xs.get(c as usize).copied().unwrap_or(0);
    let x1 = x_at(col(r.seg.from));
    let to = r.to.unwrap_or(r.seg.from);
    let x2 = x_at(col(to));
    let trip = r
        .arrived
        .or(r.lost.map(|l| l.2))
        .map_or(0, |end| end.saturating_since(r.seg.time).as_nanos());
    // The drop shows that the segment arrives after it left: at least 6
    // px, up to 24 px for the run's longest trip.
    let drop = 6 + (18 * u128::from(trip) / u128::from(max_trip)) as i64;
    let width = if r.is_data() { 4 } else { 2 };
    let marker = CONN_COLOURS.iter().position(|c| *c == colour).unwrap_or(0);
    let id = r.index + 1;
    let _ = writeln!(out, r#"<g id="seg{id}">"#);
    if x1 == x2 {
        // A segment to itself (or nowhere): a small loop.
        let _ = writeln!(
            out,
            r#"<path d="M{x1},{y} h60 v{drop} h-56" fill="none" stroke="{colour}" stroke-width="{width}" marker-end="url(#head{marker})"/>"#
        );
    } else if let Some((_, reason, _)) = r.lost {
        // Lost on a link: the ✕ sits part of the way along; lost inside a
        // node: at that node's lifeline, just short of it.
        let frac = if on_link(reason) { 55 } else { 96 };
        let cx = x1 + (x2 - x1) * frac / 100;
        let cy = y + drop * frac / 100;
        let _ = writeln!(
            out,
            r#"<line x1="{x1}" y1="{y}" x2="{cx}" y2="{cy}" stroke="{colour}" stroke-width="{width}" stroke-dasharray="10 6"/>"#
        );
        let _ = writeln!(
            out,
            r#"<path d="M{},{} l20,20 M{},{} l-20,20" stroke="{LOST}" stroke-width="5" stroke-linecap="round"/>"#,
            cx - 10,
            cy - 10,
            cx + 10,
            cy - 10
        );
    } else {
        let _ = writeln!(
            out,
            r#"<line x1="{x1}" y1="{y}" x2="{x2}" y2="{}" stroke="{colour}" stroke-width="{width}" marker-end="url(#head{marker})"/>"#,
            y + drop
        );
    }
    let mid = if x1 == x2 { x1 + 70 } else { (x1 + x2) / 2 };
    let anchor = if x1 == x2 { "start" } else { "middle" };
    let weight = if r.is_data() { "bold" } else { "normal" };
    // A lost segment's label turns red and says so, next to the red ✕.
    let (fill, text) = if r.lost.is_some() {
        let lost = match lang {
            Lang::En => format!("{label} (lost)"),
            Lang::Zh => format!("{label}（丢失）"),
        };
        (LOST, lost)
    } else {
        (colour, label.to_string())
    };
    let _ = write!(
        out,
        r#"<text x="{mid}" y="{}" font-size="{LABEL_FONT}" font-family="{MONO}" font-weight="{weight}" fill="{fill}" text-anchor="{anchor}" stroke="white" stroke-width="5" stroke-linejoin="round" paint-order="stroke">{}"#,
        y - 9,
        esc(&text)
    );
    out.push_str("</text>\n</g>\n");
}

fn legend(out: &mut String, y: i64, conn_labels: &[String], lang: Lang) {
    let _ = writeln!(out, r#"<g id="legend" font-size="18" fill="{INK}">"#);
    let mut x = MARGIN + 10;
    for (i, l) in conn_labels.iter().enumerate().take(CONN_COLOURS.len()) {
        let c = CONN_COLOURS[i];
        let name = match (l.as_str(), lang) {
            ("control", Lang::Zh) => "控制连接".to_string(),
            ("data", Lang::Zh) => "数据连接".to_string(),
            (l, Lang::En) => format!("{l} connection"),
            (l, Lang::Zh) => format!("{l} 连接"),
        };
        let _ = writeln!(
            out,
            r#"<line x1="{x}" y1="{y}" x2="{}" y2="{y}" stroke="{c}" stroke-width="4" marker-end="url(#head{i})"/><text x="{}" y="{}">{}</text>"#,
            x + 56,
            x + 68,
            y + 6,
            esc(&name)
        );
        x += 100 + text_width(&name, 18, false);
    }
    let thin = words::pick(
        lang,
        "thin: no payload (SYN, ACK, FIN)",
        "细线：无载荷（SYN、ACK、FIN）",
    );
    let thick = words::pick(lang, "thick: carries payload", "粗线：携带载荷");
    let _ = writeln!(
        out,
        r#"<line x1="{x}" y1="{y}" x2="{}" y2="{y}" stroke="{MUTED}" stroke-width="4"/><text x="{}" y="{}">{}</text>"#,
        x + 50,
        x + 62,
        y + 6,
        esc(thick)
    );
    x += 90 + text_width(thick, 18, false);
    let _ = writeln!(
        out,
        r#"<line x1="{x}" y1="{y}" x2="{}" y2="{y}" stroke="{MUTED}" stroke-width="2"/><text x="{}" y="{}">{}</text>"#,
        x + 50,
        x + 62,
        y + 6,
        esc(thin)
    );
    x += 90 + text_width(thin, 18, false);
    let _ = writeln!(
        out,
        r#"<path d="M{},{} l16,16 M{},{} l-16,16" stroke="{LOST}" stroke-width="5" stroke-linecap="round"/><text x="{}" y="{}">{}</text>"#,
        x,
        y - 8,
        x + 16,
        y - 8,
        x + 28,
        y + 6,
        esc(words::pick(lang, "lost", "丢失"))
    );
    let note = words::pick(
        lang,
        "Rows in order of sending. Every arrow drops as it goes: it arrives after it left (a longer trip drops more). Numbers are relative, as Wireshark shows them.",
        "各行按发送顺序排列。箭头向下倾斜表示到达晚于发出（途中越久倾斜越大）。序列号与确认号为相对值，与 Wireshark 的显示一致。",
    );
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{}" font-size="16" fill="{MUTED}">{}</text>"#,
        MARGIN + 10,
        y + 48,
        esc(note)
    );
    out.push_str("</g>\n");
}

/// Connection labels in order of first appearance, the first
/// connection's first.
fn conn_labels(trace: &Trace) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in &trace.conns {
        if !out.contains(&c.label) {
            out.push(c.label.clone());
        }
    }
    for s in &trace.segments {
        let l = trace.conn_label(s);
        if !out.iter().any(|x| x == l) {
            out.push(l.to_string());
        }
    }
    out
}

/// "client", or "nat (NAT)" for a middlebox.
fn node_title(trace: &Trace, node: u32) -> String {
    let n = &trace.nodes[node as usize];
    let kind = match n.kind {
        NodeKind::Host => return n.name.clone(),
        NodeKind::Router => "router",
        NodeKind::Nat => "NAT",
        NodeKind::Firewall => "firewall",
    };
    if n.name.eq_ignore_ascii_case(kind) {
        n.name.clone()
    } else {
        format!("{} ({kind})", n.name)
    }
}

fn addresses(trace: &Trace, node: u32) -> String {
    let addrs: Vec<String> = trace.nodes[node as usize]
        .addrs
        .iter()
        .map(ToString::to_string)
        .collect();
    addrs.join(", ")
}

fn box_width(trace: &Trace, node: u32) -> i64 {
    let name = text_width(&node_title(trace, node), 26, false);
    let addr = text_width(&addresses(trace, node), 18, true);
    name.max(addr) + 40
}

/// Estimated width in pixels of `s` at `font` px: 0.6 em for a character
/// of a monospace font, 0.62 em in a sans-serif one (bold DejaVu Sans, the
/// widest common default), 1 em for a wide one (CJK, fullwidth forms).
fn text_width(s: &str, font: i64, mono: bool) -> i64 {
    let narrow = if mono { 60 } else { 62 };
    s.chars()
        .map(|c| if is_wide(c) { 100 } else { narrow })
        .sum::<i64>()
        * font
        / 100
}

fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6)
}

/// `s` in at most `lines` lines of at most `max` pixels, broken at spaces
/// or between wide (CJK) characters, a word too long for a line broken
/// where it stops fitting; the last line is cut with `…` if the text does
/// not fit.
fn wrap(s: &str, font: i64, max: i64, lines: usize) -> Vec<String> {
    // Tokens: runs of narrow non-space characters, single wide characters.
    let mut tokens: Vec<String> = Vec::new();
    for word in s.split(' ').filter(|w| !w.is_empty()) {
        let mut run = String::new();
        for c in word.chars() {
            if is_wide(c) {
                if !run.is_empty() {
                    tokens.push(std::mem::take(&mut run));
                }
                tokens.push(c.to_string());
            } else {
                run.push(c);
            }
        }
        if !run.is_empty() {
            tokens.push(run);
        }
        // A space separates words; CJK characters follow each other
        // with none.
        tokens.push(" ".into());
    }
    tokens.pop();
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut i = 0;
    while i < tokens.len() && out.len() < lines {
        let t = &tokens[i];
        let candidate = format!("{line}{t}");
        if text_width(candidate.trim(), font, false) <= max {
            line = candidate;
            i += 1;
            continue;
        }
        if line.trim().is_empty() {
            // A token wider than a whole line: take what fits.
            let mut piece = String::new();
            let mut rest = String::new();
            for c in t.chars() {
                if rest.is_empty() && text_width(&format!("{piece}{c}"), font, false) <= max {
                    piece.push(c);
                } else {
                    rest.push(c);
                }
            }
            if piece.is_empty() {
                break;
            }
            out.push(piece);
            tokens[i] = rest;
            continue;
        }
        out.push(line.trim().to_string());
        line.clear();
    }
    let rest: String = tokens[i.min(tokens.len())..].concat();
    if out.len() < lines && !line.trim().is_empty() {
        out.push(line.trim().to_string());
        line.clear();
    }
    let left = format!("{line}{rest}");
    if !left.trim().is_empty()
        && let Some(last) = out.last_mut()
    {
        *last = fit(&format!("{last} {}", left.trim()), font, false, max);
    }
    out
}

/// `s`, cut with `…` to fit `max` pixels.
fn fit(s: &str, font: i64, mono: bool, max: i64) -> String {
    if text_width(s, font, mono) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        out.push(c);
        if text_width(&out, font, mono) + font > max {
            out.pop();
            break;
        }
    }
    out.push('…');
    out
}

/// `s` as XML text: the five special characters escaped, and control
/// characters (which XML 1.0 forbids) shown as `·`.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push('·'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_count_wide_characters_double() {
        assert_eq!(text_width("abcde", 20, true), 60);
        assert_eq!(text_width("主动", 20, true), 40);
        assert_eq!(fit("abcdefghij", 20, true, 100), "abcdef…");
        assert_eq!(fit("abc", 20, true, 100), "abc");
    }

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_the_last_line() {
        // 0.62 em at 20 px is 12.4 px a character: 100 px hold 8.
        assert_eq!(wrap("aaa bbb ccc", 20, 100, 3), ["aaa bbb", "ccc"]);
        assert_eq!(
            wrap("aaa bbb ccc ddd eee", 20, 100, 2),
            ["aaa bbb", "ccc dd…"]
        );
        assert_eq!(wrap("aaaaaaaaaaaaaa", 20, 100, 2), ["aaaaaaaa", "aaaaaa"]);
        assert_eq!(
            wrap("主动模式主动模式", 20, 100, 2),
            ["主动模式主", "动模式"]
        );
        assert_eq!(wrap("", 20, 100, 2), Vec::<String>::new());
    }

    #[test]
    fn esc_makes_text_safe_for_xml() {
        assert_eq!(esc("<a & 'b'>\u{1}"), "&lt;a &amp; &apos;b&apos;&gt;·");
    }
}
