//! The ladder: a sequence diagram with a column per node and a row per
//! segment, each an arrow from sender to receiver labelled
//! `[stage] flags seq=.. ack=.. len=.. payload`.
//!
//! Only the rows on screen are looked at: the viewport is computed from
//! the cursor's row alone (the cursor sits in the middle once the list is
//! longer than the screen), so a million-segment trace draws as fast as a
//! short one and stepping back gives the same picture as stepping forward.
//!
//! Leaves out: arrows sloped by travel time (every arrow is one row; the
//! time column and the segment panel give the times), and drawing more
//! than one row per segment.

use crate::app::App;
use crate::text::{first_line, tr, truncate, width};
use netstep_trace::{DropReason, Fate, Segment, Unstaged};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::symbols::border;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};

/// The ladder widget.
#[derive(Debug)]
pub struct LadderView<'a> {
    pub app: &'a App,
}

/// Where things are inside the ladder's area.
#[derive(Debug, Clone, Copy)]
struct Geometry {
    inner: Rect,
    /// First row of segments (the header is above it).
    rows_y: u16,
    rows_h: u16,
    /// Filtered row shown at `rows_y`.
    top: usize,
    num_w: u16,
    time_w: u16,
    /// Left edge of the diagram.
    diag_x: u16,
}

fn block(app: &App, focused: bool) -> Block<'static> {
    let t = &app.theme;
    let lang = app.lang;
    let filter = match app.filter_name().as_str() {
        "all" => tr(lang, "all", "全部").to_string(),
        "control" => tr(lang, "control", "控制连接").to_string(),
        "data" => tr(lang, "data", "数据连接").to_string(),
        other => other.to_string(),
    };
    let numbers = if app.absolute {
        tr(lang, "absolute", "绝对序号")
    } else {
        tr(lang, "relative", "相对序号")
    };
    let title = format!(
        " {} · {} {} · {} ",
        tr(lang, "Ladder", "梯形图"),
        tr(lang, "filter", "筛选"),
        filter,
        numbers
    );
    Block::bordered()
        .border_set(border::ROUNDED)
        .border_style(if focused { t.border_focused } else { t.border })
        .title(Span::styled(title, t.title))
}

fn geometry(app: &App, area: Rect) -> Geometry {
    let inner = block(app, false).inner(area);
    let n = app.trace.segments.len();
    let num_w = digits(n).max(1) as u16;
    let last_time = app.trace.segments.last().map(|s| fmt_time(s.time));
    let time_w = last_time.map_or(4, |t| t.len()).max(4) as u16;
    let rows_y = inner.y.saturating_add(1).min(inner.bottom());
    let rows_h = inner.bottom().saturating_sub(rows_y);
    let len = app.rows_len();
    let top = viewport_top(app.pos(), len, rows_h as usize);
    Geometry {
        inner,
        rows_y,
        rows_h,
        top,
        num_w,
        time_w,
        diag_x: inner.x + 1 + num_w + 1 + time_w + 1,
    }
}

/// The first row on screen: the cursor in the middle, except near the ends.
pub fn viewport_top(pos: usize, len: usize, height: usize) -> usize {
    if height == 0 || len <= height {
        0
    } else {
        pos.saturating_sub(height / 2).min(len - height)
    }
}

/// The filtered row under screen row `y`, if a segment is drawn there.
pub fn row_at(app: &App, area: Rect, y: u16) -> Option<usize> {
    let g = geometry(app, area);
    if y < g.rows_y || y >= g.rows_y + g.rows_h {
        return None;
    }
    let pos = g.top + usize::from(y - g.rows_y);
    (pos < app.rows_len()).then_some(pos)
}

fn digits(n: usize) -> usize {
    n.max(1).ilog10() as usize + 1
}

/// Seconds with microseconds, without the unit (the header says `s`).
pub fn fmt_time(t: netstep_wire::Instant) -> String {
    let ns = t.as_nanos();
    format!("{}.{:06}", ns / 1_000_000_000, (ns % 1_000_000_000) / 1_000)
}

/// `[4]`, `[rtx]`, `[dup]` or `[·]`.
pub fn stage_tag(app: &App, seg: usize) -> String {
    match app.ann.segments.get(seg) {
        Some(Ok(n)) => format!("[{n}]"),
        Some(Err(Unstaged::Retransmission)) => "[rtx]".into(),
        Some(Err(Unstaged::Duplicate)) => "[dup]".into(),
        _ => "[·]".into(),
    }
}

/// `SYN,ACK` without spaces: the ladder has little room.
pub fn flags_compact(seg: &Segment) -> String {
    let names = seg.flags.names();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(",")
    }
}

/// The label on a segment's arrow.
pub fn label(app: &App, index: usize, seg: &Segment) -> String {
    let mut s = format!("{} {}", stage_tag(app, index), flags_compact(seg));
    let (seq, ack) = if app.absolute {
        (Some(seg.seq.get()), seg.ack.map(|a| a.get()))
    } else {
        (
            app.trace.rel_seq(seg).or(Some(seg.seq.get())),
            app.trace
                .rel_ack(seg)
                .or(seg.ack.map(|a| a.get()))
                .filter(|_| seg.ack.is_some()),
        )
    };
    if let Some(q) = seq {
        s.push_str(&format!(" seq={q}"));
    }
    if let Some(a) = ack {
        s.push_str(&format!(" ack={a}"));
    }
    s.push_str(&format!(" len={}", seg.payload_len));
    let payload = app.trace.payload(seg);
    if !payload.is_empty() {
        s.push(' ');
        s.push_str(&truncate(&first_line(payload), 40));
    }
    s
}

impl Widget for LadderView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let t = &app.theme;
        let focused = app.focus == crate::app::Focus::Ladder;
        block(app, focused).render(area, buf);
        let g = geometry(app, area);
        if g.inner.width < 10 || g.inner.height < 2 {
            return;
        }
        if app.is_empty() {
            let msg = tr(
                app.lang,
                "This trace has no segments.",
                "这个记录中没有报文段。",
            );
            buf.set_string(g.inner.x + 1, g.rows_y, msg, t.dim);
            return;
        }
        let cols = column_xs(app, &g);
        draw_header(app, &g, &cols, buf);
        let len = app.rows_len();
        let hits = &app.search.hits;
        for r in 0..g.rows_h {
            let pos = g.top + usize::from(r);
            if pos >= len {
                break;
            }
            let index = app.row_seg(pos);
            let y = g.rows_y + r;
            let seg = app.seg(index);
            let future = index > app.cursor;
            let current = index == app.cursor;
            let hit = hits.binary_search(&(index as u32)).is_ok();
            draw_row(app, &g, &cols, y, index, seg, buf);
            let row = Rect::new(g.inner.x, y, g.inner.width, 1);
            let gutter = if current {
                "▶"
            } else if hit {
                "•"
            } else {
                " "
            };
            buf.set_string(g.inner.x, y, gutter, if hit { t.hit } else { t.base });
            if current {
                buf.set_style(row, t.current);
            } else if future {
                // Not sent yet: readable, but quieter than the past.
                buf.set_style(
                    Rect::new(g.inner.x + 1, y, g.inner.width - 1, 1),
                    t.dim.remove_modifier(Modifier::BOLD),
                );
            }
        }
    }
}

/// One single-width character: straight into the cell, skipping the
/// grapheme segmentation `set_string` does (the arrows are most of the
/// ladder's cells).
fn put(buf: &mut Buffer, x: u16, y: u16, symbol: &str, style: Style) {
    if let Some(cell) = buf.cell_mut((x, y)) {
        cell.set_symbol(symbol).set_style(style);
    }
}

/// Screen x of each column's lifeline.
fn column_xs(app: &App, g: &Geometry) -> Vec<u16> {
    let n = app.ix.columns.len() as u16;
    let right = g.inner.right();
    let dw = right.saturating_sub(g.diag_x);
    if n == 0 || dw < 4 {
        return Vec::new();
    }
    if n == 1 {
        return vec![g.diag_x + dw / 2];
    }
    let span = dw - 3;
    (0..n).map(|i| g.diag_x + 1 + i * span / (n - 1)).collect()
}

fn draw_header(app: &App, g: &Geometry, cols: &[u16], buf: &mut Buffer) {
    let t = &app.theme;
    let y = g.inner.y;
    let x = g.inner.x + 1;
    buf.set_string(x, y, format!("{:>w$}", "#", w = g.num_w as usize), t.dim);
    let time_head = tr(app.lang, "time s", "时间 秒");
    let tw = width(time_head) as u16;
    buf.set_string(
        x + g.num_w + 1 + g.time_w.saturating_sub(tw),
        y,
        time_head,
        t.dim,
    );
    let right = g.inner.right();
    let name = |node: u32, with_addr: bool| {
        let info = &app.trace.nodes[node as usize];
        match info.addrs.first() {
            Some(a) if with_addr => format!("{} {}", info.name, a),
            _ => info.name.clone(),
        }
    };
    // With addresses when every name still fits without overlapping.
    for with_addr in [true, false] {
        let mut placed = Vec::new();
        let mut ok = true;
        let mut prev_end = g.diag_x;
        for (i, &node) in app.ix.columns.iter().enumerate() {
            let text = name(node, with_addr);
            let w = width(&text) as u16;
            let cx = cols.get(i).copied().unwrap_or(g.diag_x);
            let start = cx
                .saturating_sub(w / 2)
                .max(prev_end)
                .min(right.saturating_sub(w));
            if start < prev_end || start + w > right {
                ok = false;
            }
            prev_end = start + w + 1;
            placed.push((start, text));
        }
        if ok || !with_addr {
            for (start, text) in placed {
                let max = right.saturating_sub(start) as usize;
                buf.set_string(start, y, truncate(&text, max), t.title);
            }
            break;
        }
    }
}

fn is_link_loss(reason: DropReason) -> bool {
    matches!(
        reason,
        DropReason::Loss | DropReason::QueueFull | DropReason::Corrupted | DropReason::Fault
    )
}

fn draw_row(
    app: &App,
    g: &Geometry,
    cols: &[u16],
    y: u16,
    index: usize,
    seg: &Segment,
    buf: &mut Buffer,
) {
    let t = &app.theme;
    let x = g.inner.x + 1;
    buf.set_string(
        x,
        y,
        format!("{:>w$}", index + 1, w = g.num_w as usize),
        t.dim,
    );
    buf.set_string(
        x + g.num_w + 1,
        y,
        format!("{:>w$}", fmt_time(seg.time), w = g.time_w as usize),
        t.base,
    );
    for &cx in cols {
        put(buf, cx, y, "│", t.lifeline);
    }
    let col_of = |node: u32| app.ix.node_col.get(node as usize).copied().flatten();
    // No arrow when the diagram has no room for every column, or for a
    // sender the index has no column for (a node id outside the trace).
    let Some(from_col) = col_of(seg.from).filter(|_| cols.len() == app.ix.columns.len()) else {
        return;
    };
    let xa = cols[from_col];
    let to_col = seg.to.and_then(col_of);
    let style = t.conn(app.trace.conn_label(seg), seg.conn);
    let text = label(app, index, seg);

    // Where the arrow ends, and how.
    enum End {
        Head(u16),
        Cross(u16),
        Open(u16),
    }
    let toward = |col: usize, target: Option<usize>| -> Option<usize> {
        match target {
            Some(tc) if tc > col => Some(col + 1),
            Some(tc) if tc < col => Some(col - 1),
            _ => None,
        }
    };
    let end = match (seg.fate, to_col) {
        (Fate::Dropped { node, reason, .. }, _) => {
            let dc = col_of(node).unwrap_or(from_col);
            let target = to_col.or(if dc == from_col { None } else { Some(dc) });
            let xd = cols[dc];
            let x = if Some(dc) == to_col {
                // Reached the receiver and refused there.
                if xd > xa { xd - 1 } else { xd + 1 }
            } else if is_link_loss(reason) || dc == from_col {
                // Lost on the link leaving the node.
                match toward(dc, target) {
                    Some(next) => (xd + cols[next]) / 2,
                    None => xd.saturating_add(3).min(g.inner.right() - 1),
                }
            } else {
                xd
            };
            End::Cross(x)
        }
        (Fate::InFlight, Some(tc)) => End::Open((xa + cols[tc]) / 2),
        (_, Some(tc)) if tc != from_col => End::Head(cols[tc]),
        _ => End::Open(xa.saturating_add(4).min(g.inner.right() - 1)),
    };
    let (xe, body) = match end {
        End::Head(x) => (x, "─"),
        End::Cross(x) => (x, "─"),
        End::Open(x) => (x, "┄"),
    };
    if xe == xa {
        put(buf, xa, y, "↺", style);
    }
    let (lo, hi) = (xa.min(xe), xa.max(xe));
    let right = xe > xa;
    for bx in lo + 1..hi {
        let crossing = cols.contains(&bx);
        put(buf, bx, y, if crossing { "┼" } else { body }, style);
    }
    match end {
        End::Head(x) => {
            let (hx, head) = if right {
                (x - 1, "▶")
            } else {
                (x + 1, "◀")
            };
            if hx != xa {
                put(buf, hx, y, head, style);
            }
        }
        End::Cross(x) => put(buf, x, y, "✕", t.dropped),
        End::Open(_) => {}
    }

    let (lx, max, centred) = label_slot(cols, lo, hi, width(&text) as u16 + 2, g.inner.right());
    if max >= 6 {
        let shown = truncate(&format!(" {text} "), usize::from(max));
        let w = width(&shown) as u16;
        let start = if centred { lx + (max - w) / 2 } else { lx };
        let line = Line::from(Span::styled(shown, style));
        buf.set_line(start, y, &line, w);
    }
}

/// Where a label of `want` cells goes on an arrow from `lo` to `hi`:
/// (start, room, centred). Between two lifelines when it fits there, so
/// that a router's lifeline stays visible; else across the whole arrow;
/// beside the diagram when the arrow is too short for a useful part. A
/// stroke of the arrow stays visible on both sides of the label.
fn label_slot(cols: &[u16], lo: u16, hi: u16, want: u16, right: u16) -> (u16, u16, bool) {
    let room = |a: u16, b: u16| b.saturating_sub(a).saturating_sub(5);
    let mut stops: Vec<u16> = vec![lo];
    stops.extend(cols.iter().copied().filter(|&x| x > lo && x < hi));
    stops.push(hi);
    let best = stops
        .windows(2)
        .map(|w| (room(w[0], w[1]), w[0]))
        .max_by_key(|&(r, x)| (r, std::cmp::Reverse(x)));
    let whole = room(lo, hi);
    match best {
        Some((r, x)) if r >= want || (stops.len() > 2 && r >= 24) => (x + 3, r, true),
        _ if whole >= 12 => (lo + 3, whole, true),
        _ => {
            let after = hi + 2;
            (after, right.saturating_sub(after), false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewport_centres_the_cursor_and_clamps_at_the_ends() {
        assert_eq!(viewport_top(0, 37, 9), 0);
        assert_eq!(viewport_top(4, 37, 9), 0);
        assert_eq!(viewport_top(5, 37, 9), 1);
        assert_eq!(viewport_top(36, 37, 9), 28);
        assert_eq!(viewport_top(3, 5, 9), 0);
        assert_eq!(viewport_top(999_999, 1_000_000, 50), 1_000_000 - 50);
    }

    #[test]
    fn labels_sit_between_lifelines_when_they_fit() {
        // Two columns: the whole arrow.
        assert_eq!(label_slot(&[10, 70], 10, 70, 30, 80), (13, 55, true));
        // Three columns, a short label: the first gap, router visible.
        assert_eq!(label_slot(&[10, 40, 70], 10, 70, 20, 80), (13, 25, true));
        // A long label: the whole arrow.
        assert_eq!(label_slot(&[10, 30, 50], 10, 50, 40, 80), (13, 35, true));
        // A stub: beside it.
        assert_eq!(label_slot(&[10, 14], 10, 14, 20, 80), (16, 64, false));
    }

    #[test]
    fn times_print_with_microseconds() {
        assert_eq!(
            fmt_time(netstep_wire::Instant::from_micros(10_452_062)),
            "10.452062"
        );
    }
}
