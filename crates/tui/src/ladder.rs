//! The ladder: a sequence diagram with a column per node and a row per
//! segment in order of sending, each segment an arrow from sender to
//! receiver labelled `[stage] flags seq=.. ack=.. len=.. payload`.
//!
//! Two ways to draw it (`s` switches):
//!
//! - sloped by travel time (the default): an arrow leaves the sender's
//!   lifeline on its own row and reaches the receiver's on the row of the
//!   moment it arrived (see `flight.rs`): the next row on a LAN, several
//!   rows down across a long link, so the rows it crosses are the
//!   segments sent while it was on its way, and a flight of segments is a
//!   sheaf of parallel lines. A lost one ends in a cross on the row of
//!   the moment it was lost. Lines are Braille dots (two by four a cell),
//!   labels sit beside the diagram on the row the arrow leaves from, so
//!   no line ever runs under text; the overlap rules are at
//!   [`draw_sloped`].
//! - flat: every arrow on its own row, the label on it.
//!
//! Only what is on screen is looked at: the viewport is computed from the
//! cursor's row alone (the cursor sits in the middle once the list is
//! longer than the screen), and the sloped ladder draws the rows on
//! screen plus the arrows from above still in flight on its top row,
//! which the flight index finds without a walk. So a million-segment
//! trace draws as fast as a short one, and stepping back gives the same
//! picture as stepping forward.
//!
//! Leaves out: where a segment was between leaving and arriving (a
//! straight line is drawn; a trace records nothing in between), and more
//! than one row per segment.

use crate::app::App;
use crate::text::{first_line, tr, truncate, width};
use netstep_trace::{DropReason, Fate, Segment, Unstaged};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::symbols::border;
use ratatui::symbols::braille::BRAILLE;
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
    /// Right edge (exclusive) of the diagram: the whole width in the flat
    /// ladder, where labels sit on the arrows; in the sloped one the
    /// labels have the rest of the row, so that lines never run under
    /// text.
    diag_right: u16,
    sloped: bool,
}

/// The frame and its title; `sloped` is what is drawn (a window too
/// narrow for the sloped ladder's columns gets the flat one).
fn block(app: &App, focused: bool, sloped: bool) -> Block<'static> {
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
    let slope = if sloped {
        tr(lang, "sloped", "倾斜")
    } else {
        tr(lang, "flat", "水平")
    };
    let title = format!(
        " {} · {} {} · {} · {} ",
        tr(lang, "Ladder", "梯形图"),
        tr(lang, "filter", "筛选"),
        filter,
        numbers,
        slope
    );
    Block::bordered()
        .border_set(border::ROUNDED)
        .border_style(if focused { t.border_focused } else { t.border })
        .title(Span::styled(title, t.title))
}

fn geometry(app: &App, area: Rect) -> Geometry {
    let inner = block(app, false, false).inner(area);
    let n = app.trace.segments.len();
    let num_w = digits(n).max(1) as u16;
    let last_time = app.trace.segments.last().map(|s| fmt_time(s.time));
    let time_w = last_time.map_or(4, |t| t.len()).max(4) as u16;
    let rows_y = inner.y.saturating_add(1).min(inner.bottom());
    let rows_h = inner.bottom().saturating_sub(rows_y);
    let len = app.rows_len();
    let top = viewport_top(app.pos(), len, rows_h as usize);
    let diag_x = inner.x + 1 + num_w + 1 + time_w + 1;
    let avail = inner.right().saturating_sub(diag_x);
    let gaps = app.ix.columns.len().saturating_sub(1).max(1) as u16;
    // Two fifths of the room while the labels keep 46 cells (a label
    // with a short payload), but at least 12 cells between lifelines, and
    // never less than 30 for the labels; flat when that cannot be.
    let diag_w = (avail * 2 / 5)
        .min(avail.saturating_sub(46))
        .max(12 * gaps + 4)
        .min(avail.saturating_sub(30));
    let sloped = app.sloped && diag_w >= 8 * gaps + 4;
    Geometry {
        inner,
        rows_y,
        rows_h,
        top,
        num_w,
        time_w,
        diag_x,
        diag_right: if sloped {
            diag_x + diag_w
        } else {
            inner.right()
        },
        sloped,
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
        let g = geometry(app, area);
        block(app, focused, g.sloped).render(area, buf);
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
        let bottom = (g.top + usize::from(g.rows_h)).min(len);
        // The rows on screen: (row, segment index, segment), each segment
        // looked at once.
        let shown: Vec<(usize, usize, Segment)> = (g.top..bottom)
            .map(|pos| {
                let index = app.row_seg(pos);
                (pos, index, app.seg(index))
            })
            .collect();
        let sloped = g.sloped && !cols.is_empty() && cols.len() == app.ix.columns.len();
        if sloped {
            draw_sloped(app, &g, &cols, &shown, buf);
        } else {
            for &(pos, index, seg) in &shown {
                draw_row(app, &g, &cols, row_y(&g, pos), index, &seg, buf);
            }
        }
        let hits = &app.search.hits;
        for &(pos, index, _) in &shown {
            let y = row_y(&g, pos);
            let future = index > app.cursor;
            let current = index == app.cursor;
            let hit = hits.binary_search(&(index as u32)).is_ok();
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
            } else if future && !sloped {
                // Not sent yet: readable, but quieter than the past.
                buf.set_style(
                    Rect::new(g.inner.x + 1, y, g.inner.width - 1, 1),
                    quiet(app),
                );
            }
        }
    }
}

/// Segments not sent yet: readable, but quieter than the past.
fn quiet(app: &App) -> Style {
    app.theme.dim.remove_modifier(Modifier::BOLD)
}

/// Screen row of ladder row `pos`, which must be on screen.
fn row_y(g: &Geometry, pos: usize) -> u16 {
    g.rows_y + (pos - g.top) as u16
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
    let right = g.diag_right;
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
    // In the sloped ladder a gap before the addresses over the labels.
    let right = if g.sloped {
        g.diag_right - 1
    } else {
        g.diag_right
    };
    let name = |node: u32, with_addr: bool| {
        let info = &app.trace.nodes[node as usize];
        match info.addrs.first() {
            Some(a) if with_addr => format!("{} {}", info.name, a),
            _ => info.name.clone(),
        }
    };
    // The sloped ladder's diagram is narrow: names over the lifelines,
    // and every node with its address over the labels.
    if g.sloped {
        let label_x = g.diag_right + 1;
        let all: Vec<String> = app.ix.columns.iter().map(|&n| name(n, true)).collect();
        let room = usize::from(g.inner.right().saturating_sub(label_x));
        buf.set_string(label_x, y, truncate(&all.join(" · "), room), t.dim);
    }
    // With addresses when every name still fits without overlapping.
    for with_addr in [!g.sloped, false] {
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
            // Each name centred over its own lifeline (but for the
            // edges), none pushed aside by its neighbour.
            let pushed = i > 0 && prev_end > cx.saturating_sub(w / 2) + 1;
            if pushed || start < prev_end || start + w > right || start > cx || start + w <= cx {
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

/// Where an arrow ends, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// Delivered: an arrowhead beside the receiver's lifeline at x.
    Head(u16),
    /// Lost: a cross at x.
    Cross(u16),
    /// Still on its way when the run stopped, or to nowhere known: the
    /// line stops at x.
    Open(u16),
}

impl End {
    fn x(self) -> u16 {
        match self {
            End::Head(x) | End::Cross(x) | End::Open(x) => x,
        }
    }
}

/// The sender's lifeline and where the arrow ends, or `None` when the
/// diagram has no room for every column or the sender has no column (a
/// node id outside the trace).
fn arrow_ends(app: &App, g: &Geometry, cols: &[u16], seg: &Segment) -> Option<(u16, End)> {
    let col_of = |node: u32| app.ix.node_col.get(node as usize).copied().flatten();
    let from_col = col_of(seg.from).filter(|_| cols.len() == app.ix.columns.len())?;
    let xa = cols[from_col];
    let to_col = seg.to.and_then(col_of);
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
                    None => xd.saturating_add(3).min(g.diag_right - 1),
                }
            } else {
                xd
            };
            End::Cross(x)
        }
        (Fate::InFlight, Some(tc)) => End::Open((xa + cols[tc]) / 2),
        (_, Some(tc)) if tc != from_col => End::Head(cols[tc]),
        _ => End::Open(xa.saturating_add(4).min(g.diag_right - 1)),
    };
    Some((xa, end))
}

/// Row number and send time.
fn draw_numbers(app: &App, g: &Geometry, y: u16, index: usize, seg: &Segment, buf: &mut Buffer) {
    let t = &app.theme;
    let x = g.inner.x + 1;
    let future = index > app.cursor;
    buf.set_string(
        x,
        y,
        format!("{:>w$}", index + 1, w = g.num_w as usize),
        if future { quiet(app) } else { t.dim },
    );
    buf.set_string(
        x + g.num_w + 1,
        y,
        format!("{:>w$}", fmt_time(seg.time), w = g.time_w as usize),
        if future { quiet(app) } else { t.base },
    );
}

/// A horizontal arrow on row `y` from the lifeline at `xa` to `end`: the
/// whole arrow in the flat ladder, and in the sloped one an arrow that
/// arrives on the row it left.
fn draw_flat_arrow(
    buf: &mut Buffer,
    cols: &[u16],
    y: u16,
    xa: u16,
    end: End,
    style: Style,
    cross: Style,
) {
    let xe = end.x();
    let body = if matches!(end, End::Open(_)) {
        "┄"
    } else {
        "─"
    };
    if xe == xa {
        put(buf, xa, y, "↺", style);
    }
    let (lo, hi) = (xa.min(xe), xa.max(xe));
    for bx in lo + 1..hi {
        let crossing = cols.contains(&bx);
        put(buf, bx, y, if crossing { "┼" } else { body }, style);
    }
    draw_end(buf, xa, end, y, style, cross);
}

/// The arrowhead or the cross at the end of an arrow, on row `y`.
fn draw_end(buf: &mut Buffer, xa: u16, end: End, y: u16, style: Style, cross: Style) {
    match end {
        End::Head(x) => {
            let (hx, head) = if x > xa {
                (x - 1, "▶")
            } else {
                (x + 1, "◀")
            };
            if hx != xa {
                put(buf, hx, y, head, style);
            }
        }
        End::Cross(x) => put(buf, x, y, "✕", cross),
        End::Open(_) => {}
    }
}

/// One row of the flat ladder: every arrow on its own row.
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
    draw_numbers(app, g, y, index, seg, buf);
    for &cx in cols {
        put(buf, cx, y, "│", t.lifeline);
    }
    let Some((xa, end)) = arrow_ends(app, g, cols, seg) else {
        return;
    };
    let style = t.conn(app.trace.conn_label(seg), seg.conn);
    draw_flat_arrow(buf, cols, y, xa, end, style, t.dropped);
    // The label on the arrow, over its line.
    let text = label(app, index, seg);
    let (lo, hi) = (xa.min(end.x()), xa.max(end.x()));
    let (lx, max, centred) = label_slot(cols, lo, hi, width(&text) as u16 + 2, g.inner.right());
    if max >= 6 {
        let shown = truncate(&format!(" {text} "), usize::from(max));
        let w = width(&shown) as u16;
        let start = if centred { lx + (max - w) / 2 } else { lx };
        let line = Line::from(Span::styled(shown, style));
        buf.set_line(start, y, &line, w);
    }
}

/// How many arrows coming in from above the screen are drawn at most
/// (the nearest): more would be a solid block of dots.
const MAX_FROM_ABOVE: usize = 256;

/// One arrow of the sloped ladder.
struct Arrow {
    index: usize,
    /// Screen rows it leaves from and ends on (either may be off screen).
    y0: i64,
    y1: i64,
    /// The sender's lifeline.
    xa: u16,
    end: End,
    style: Style,
}

/// The ladder sloped by travel time: each arrow leaves the sender's
/// lifeline on its own row and ends on the row of the moment it arrived
/// or was lost (see `flight.rs`).
///
/// Overlaps, from bottom to top: the sloped lines in Braille dots (dots
/// of lines that share a cell merge, the later segment's colour wins);
/// the current segment's line alone in its cells, in the current row's
/// highlight, so the highlight runs down to where that segment landed;
/// lifelines, with a tick where an arrow leaves; arrows that end on the
/// row they left as box-drawing lines; arrowheads and crosses. Labels
/// have their own column and never overlap a line. Segments not sent yet
/// are dim, lines and labels. Only arrows that touch the screen are
/// looked at: the rows on it, and the nearest [`MAX_FROM_ABOVE`] of those
/// above still in flight on its top row.
fn draw_sloped(
    app: &App,
    g: &Geometry,
    cols: &[u16],
    shown: &[(usize, usize, Segment)],
    buf: &mut Buffer,
) {
    let t = &app.theme;
    let flight = &app.current_filter().flight;
    let len = app.rows_len();
    let screen_y = |pos: usize| i64::from(g.rows_y) + pos as i64 - g.top as i64;
    // The current segment's line continues its row's highlight down to
    // where it ends.
    let style_of = |index: usize, seg: &Segment| {
        if index > app.cursor {
            quiet(app)
        } else if index == app.cursor {
            t.current
        } else {
            t.conn(app.trace.conn_label(seg), seg.conn)
        }
    };
    let mut above: Vec<usize> = flight.in_flight_above(g.top).take(MAX_FROM_ABOVE).collect();
    above.reverse();
    let rows = above
        .into_iter()
        .map(|pos| {
            let index = app.row_seg(pos);
            (pos, index, app.seg(index))
        })
        .chain(shown.iter().copied());
    let arrows: Vec<Arrow> = rows
        .filter_map(|(pos, index, seg)| {
            let (xa, end) = arrow_ends(app, g, cols, &seg)?;
            Some(Arrow {
                index,
                y0: screen_y(pos),
                y1: screen_y(flight.land(pos)),
                xa,
                end,
                style: style_of(index, &seg),
            })
        })
        .collect();

    let mut canvas = Canvas::new(Rect::new(
        g.diag_x,
        g.rows_y,
        g.diag_right.saturating_sub(g.diag_x),
        g.rows_h,
    ));
    for (i, a) in arrows.iter().enumerate() {
        if a.y1 != a.y0 && a.end.x() != a.xa {
            let (from, to) = line_dots(a);
            canvas.line(from, to, i as u32, a.index == app.cursor);
        }
    }
    canvas.paint(buf, |i| arrows[i as usize].style);

    // Lifelines, down to the row after the last (where arrows that
    // arrive after everything end).
    let life_end = (g.top + usize::from(g.rows_h)).min(len + 1);
    for pos in g.top..life_end {
        for &cx in cols {
            put(buf, cx, row_y(g, pos), "│", t.lifeline);
        }
    }
    let on_screen = |y: i64| y >= i64::from(g.rows_y) && y < i64::from(g.rows_y + g.rows_h);
    for a in &arrows {
        let y0 = on_screen(a.y0).then_some(a.y0 as u16);
        let right = a.end.x() > a.xa;
        if let Some(y) = y0 {
            if a.y1 == a.y0 || a.end.x() == a.xa {
                draw_flat_arrow(buf, cols, y, a.xa, a.end, a.style, t.dropped);
            } else {
                // Where it leaves: a tick on the sender's lifeline.
                put(buf, a.xa, y, if right { "├" } else { "┤" }, a.style);
            }
        }
    }
    // Labels beside the diagram, on the rows the arrows leave from.
    let label_x = g.diag_right + 1;
    let room = usize::from(g.inner.right().saturating_sub(label_x));
    for &(pos, index, seg) in shown {
        let style = if index > app.cursor {
            quiet(app)
        } else {
            t.conn(app.trace.conn_label(seg), seg.conn)
        };
        let text = truncate(&label(app, index, &seg), room);
        buf.set_string(label_x, row_y(g, pos), text, style);
    }
    for a in &arrows {
        if a.y1 != a.y0 && on_screen(a.y1) {
            let cross = if a.index > app.cursor {
                quiet(app)
            } else {
                t.dropped
            };
            draw_end(buf, a.xa, a.end, a.y1 as u16, a.style, cross);
        }
    }
    for &(pos, index, seg) in shown {
        draw_numbers(app, g, row_y(g, pos), index, &seg, buf);
    }
}

/// An arrow's line in screen dots (a cell is 2 dots wide and 4 high):
/// from beside the sender's lifeline, a little above the middle of the
/// row it leaves, to beside the arrowhead or cross, a little below the
/// middle of the row it ends on.
fn line_dots(a: &Arrow) -> ((i64, i64), (i64, i64)) {
    let xa = i64::from(a.xa);
    let right = a.end.x() > a.xa;
    let x0 = if right { 2 * (xa + 1) } else { 2 * xa - 1 };
    let x1 = match a.end {
        End::Head(x) => {
            let hx = if right {
                i64::from(x) - 1
            } else {
                i64::from(x) + 1
            };
            if right { 2 * hx - 1 } else { 2 * hx + 2 }
        }
        End::Cross(x) => {
            let x = i64::from(x);
            if right { 2 * x - 1 } else { 2 * x + 2 }
        }
        End::Open(x) => {
            let x = i64::from(x);
            if right { 2 * x + 1 } else { 2 * x }
        }
    };
    ((x0, 4 * a.y0 + 1), (x1, 4 * a.y1 + 2))
}

/// Braille dots over a part of the screen: each cell keeps its dots and
/// the last line that drew there, and the current segment's line apart.
struct Canvas {
    area: Rect,
    dots: Vec<u8>,
    owner: Vec<u32>,
    current: Vec<u8>,
    current_owner: u32,
}

impl Canvas {
    fn new(area: Rect) -> Canvas {
        let n = usize::from(area.width) * usize::from(area.height);
        Canvas {
            area,
            dots: vec![0; n],
            owner: vec![0; n],
            current: vec![0; n],
            current_owner: 0,
        }
    }

    /// A straight line between two screen dots, clipped to the canvas:
    /// the work is the length of the part that shows.
    fn line(&mut self, a: (i64, i64), b: (i64, i64), owner: u32, current: bool) {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let top = 4 * i64::from(self.area.y);
        let bottom = 4 * i64::from(self.area.bottom()) - 1;
        if dx.abs() >= dy.abs() {
            let (a, b) = if dx >= 0 { (a, b) } else { (b, a) };
            let (dx, dy) = (b.0 - a.0, b.1 - a.1);
            let left = 2 * i64::from(self.area.x);
            let right = 2 * i64::from(self.area.right()) - 1;
            for x in a.0.max(left)..=b.0.min(right) {
                let y = a.1 + div_round((x - a.0) * dy, dx.max(1));
                self.plot(x, y, owner, current);
            }
        } else {
            let (a, b) = if dy >= 0 { (a, b) } else { (b, a) };
            let (dx, dy) = (b.0 - a.0, b.1 - a.1);
            for y in a.1.max(top)..=b.1.min(bottom) {
                let x = a.0 + div_round((y - a.1) * dx, dy);
                self.plot(x, y, owner, current);
            }
        }
    }

    fn plot(&mut self, x: i64, y: i64, owner: u32, current: bool) {
        let cx = x.div_euclid(2) - i64::from(self.area.x);
        let cy = y.div_euclid(4) - i64::from(self.area.y);
        if cx < 0 || cy < 0 || cx >= i64::from(self.area.width) || cy >= i64::from(self.area.height)
        {
            return;
        }
        let i = cy as usize * usize::from(self.area.width) + cx as usize;
        // ratatui's table is in row-major bit order: bit 2 * row + column.
        let bit = 1u8 << (y.rem_euclid(4) * 2 + x.rem_euclid(2));
        if current {
            self.current[i] |= bit;
            self.current_owner = owner;
        } else {
            self.dots[i] |= bit;
            self.owner[i] = owner;
        }
    }

    /// Into the buffer: the current line's cells show it alone.
    fn paint(&self, buf: &mut Buffer, style_of: impl Fn(u32) -> Style) {
        let w = usize::from(self.area.width);
        for (i, (&dots, &mine)) in self.dots.iter().zip(&self.current).enumerate() {
            let (ch, owner) = match (dots, mine) {
                (_, m) if m != 0 => (BRAILLE[usize::from(m)], self.current_owner),
                (d, _) if d != 0 => (BRAILLE[usize::from(d)], self.owner[i]),
                _ => continue,
            };
            let x = self.area.x + (i % w) as u16;
            let y = self.area.y + (i / w) as u16;
            if let Some(cell) = buf.cell_mut((x, y)) {
                cell.set_char(ch).set_style(style_of(owner));
            }
        }
    }
}

/// `n / d` rounded to the nearest, halves up; `d > 0`.
fn div_round(n: i64, d: i64) -> i64 {
    (2 * n + d).div_euclid(2 * d)
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
