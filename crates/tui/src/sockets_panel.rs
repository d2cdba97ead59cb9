//! The sockets panel: every socket that exists at this step, its 4-tuple,
//! its state (TIME-WAIT with the time left), and its send and receive
//! variables as of the last segment it sent; a state that changed in this
//! step is lit, with its cause.
//!
//! All of it comes from the index built when the trace was opened: the
//! sockets alive in this block of steps, a binary search in each one's
//! state history and in its list of sent segments. Leaves out: sockets
//! that never appear in an event or a connection (they have no state).

use crate::app::{App, Focus};
use crate::index::last_at_or_before;
use crate::text::{tr, truncate, wrap_hanging};
use netstep_trace::{EventKind, Lang, TcpState};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};

/// Sockets listed at most; the rest are counted.
const MAX_SOCKETS: usize = 48;

#[derive(Debug)]
pub struct SocketsPanel<'a> {
    pub app: &'a App,
    pub block: Block<'a>,
}

fn build(app: &App, width: usize) -> (Vec<Line<'static>>, Option<usize>) {
    let t = &app.theme;
    let lang = app.lang;
    let trace = &app.trace;
    let six = &app.ix.sockets;
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut first_lit = None;
    if app.is_empty() {
        lines.push(Line::from(Span::styled(
            tr(
                lang,
                "No sockets: nothing was sent.",
                "没有套接字：没有发送任何报文段。",
            ),
            t.dim,
        )));
        return (lines, None);
    }
    let k = app.cursor as u32;
    let m = app.sent_count();
    let now = app.seg(app.cursor).time;
    let changes = six.changes_in_step(k);
    let cur_conn = app.seg(app.cursor).conn;
    let changed = |s: u32| {
        changes.iter().any(|&e| {
            matches!(trace.events[e as usize].kind, EventKind::SocketState { socket, .. } if socket == s)
        })
    };
    let involved = |s: u32| {
        let conn = trace.sockets.get(s as usize).and_then(|i| i.conn);
        conn.is_some() && conn == cur_conn
    };
    // Many sockets at once (a busy server): those this step is about
    // first, then the oldest, up to a screenful or two.
    let mut shown: Vec<u32> = six.alive(m).collect();
    let hidden = shown.len().saturating_sub(MAX_SOCKETS);
    if hidden > 0 {
        shown.sort_by_key(|&s| (!changed(s) && !involved(s), s));
        shown.truncate(MAX_SOCKETS);
        shown.sort_unstable();
    }
    for s in shown {
        let Some(info) = trace.sockets.get(s as usize) else {
            continue;
        };
        let state = six.state_at(s, m);
        let state_name = state.map_or(TcpState::Closed, |c| c.to);
        let node = trace.node_name(info.node);
        let tuple = match info.remote {
            Some(r) => format!("{} ⇄ {r}", info.local),
            None => format!("{} {}", info.local, tr(lang, "(listening)", "（监听）")),
        };
        // The change in this step, if any (the last one wins).
        let change = changes
            .iter()
            .rev()
            .find_map(|&e| match &trace.events[e as usize].kind {
                EventKind::SocketState {
                    socket,
                    from,
                    cause,
                    segment,
                    ..
                } if *socket == s => Some((*from, cause.clone(), *segment)),
                _ => None,
            });
        let mut state_text = state_name.name().to_string();
        if state_name == TcpState::TimeWait
            && let Some(c) = state
        {
            let entered = trace.events[c.event as usize].time;
            let tw = trace
                .nodes
                .get(info.node as usize)
                .and_then(|n| n.tcp.as_ref())
                .map(|p| p.time_wait);
            if let Some(tw) = tw {
                let left = tw.saturating_sub(now.saturating_since(entered));
                state_text.push_str(&match lang {
                    Lang::En => format!(" ({left} left)"),
                    Lang::Zh => format!("（还剩 {left}）"),
                });
            }
        }
        let mark = if involved(s) { "▸" } else { " " };
        let state_style = if change.is_some() { t.changed } else { t.title };
        if change.is_some() && first_lit.is_none() {
            first_lit = Some(lines.len());
        }
        let head = format!("{mark} {node:<7} {tuple}  ");
        let label_style = t.conn(&info.label, info.conn);
        let state_w = crate::text::width(&state_text);
        let label = format!("  {}", info.label);
        let fits = crate::text::width(&head) + state_w + crate::text::width(&label) <= width;
        let mut spans = vec![
            Span::styled(truncate(&head, width.saturating_sub(state_w + 1)), t.base),
            Span::styled(state_text, state_style),
        ];
        // The label only if it fits whole.
        if fits {
            spans.push(Span::styled(label, label_style));
        }
        lines.push(Line::from(spans));
        if let Some((from, cause, segment)) = change {
            let by = match (segment, lang) {
                (Some(sg), Lang::En) if sg as usize == app.cursor => " (this segment)".to_string(),
                (Some(sg), Lang::En) => format!(" (segment #{})", sg + 1),
                (Some(sg), Lang::Zh) if sg as usize == app.cursor => "（本报文段）".to_string(),
                (Some(sg), Lang::Zh) => format!("（第 {} 个报文段）", sg + 1),
                (None, _) => String::new(),
            };
            let text = format!("    ← {}: {cause}{by}", from.name());
            for l in wrap_hanging(&text, width, 6) {
                lines.push(Line::from(Span::styled(l, t.base)));
            }
        }
        if let Some(vars) = vars_line(app, s, width) {
            lines.push(Line::from(Span::styled(truncate(&vars, width), t.dim)));
        }
    }
    if hidden > 0 {
        let more = match lang {
            Lang::En => format!("  … and {hidden} more sockets"),
            Lang::Zh => format!("  …… 另有 {hidden} 个套接字"),
        };
        lines.push(Line::from(Span::styled(more, t.dim)));
    }
    if lines.is_empty() {
        lines.push(Line::from(Span::styled(
            tr(lang, "No socket exists at this step.", "此时没有套接字。"),
            t.dim,
        )));
    }
    (lines, first_lit)
}

/// `SND.UNA 29  SND.NXT 59  RCV.NXT 78  SND.WND 5840  RCV.WND 65535  cwnd 4380`
/// from the last segment the socket sent, relative to the ISNs unless
/// absolute numbers are on.
fn vars_line(app: &App, socket: u32, width: usize) -> Option<String> {
    let (conn, dir) = app
        .ix
        .sockets
        .conn_dir
        .get(socket as usize)
        .copied()
        .flatten()?;
    let sent = app.ix.sent_by(conn, dir);
    let Some(last) = last_at_or_before(sent, app.cursor as u32) else {
        return Some(format!(
            "    {}",
            tr(app.lang, "(has sent nothing yet)", "（尚未发送任何报文段）")
        ));
    };
    let seg = app.seg(last as usize);
    let mut v = seg.vars;
    // What arrived since the socket last sent moves its variables too: an
    // ACK of everything it sent (the last segment of a close) advances
    // SND.UNA, in-order data advances RCV.NXT. Look back over the peer's
    // most recent segments that had arrived by now (bounded: a frame does
    // not scan the trace).
    let now = app.seg(app.cursor).time;
    let peer = app.ix.sent_by(conn, 1 - dir);
    let upto = peer.partition_point(|&i| i <= app.cursor as u32);
    let from = upto.saturating_sub(64);
    for &i in &peer[from..upto] {
        let p = app.seg(i as usize);
        let arrived = matches!(p.fate, netstep_trace::Fate::Delivered { at } if at <= now);
        if !arrived || i <= last {
            continue;
        }
        if let Some(a) = p.ack
            && a > v.snd_una
            && a <= v.snd_nxt
        {
            v.snd_una = a;
        }
        if p.seq == v.rcv_nxt {
            v.rcv_nxt = p.seq + p.seq_len() as usize;
        }
    }
    let rel = |x: u32, d: u8| -> String {
        match (app.absolute, app.trace.isn(conn, d)) {
            (false, Some(isn)) => x.wrapping_sub(isn.get()).to_string(),
            _ => x.to_string(),
        }
    };
    let rcv = if seg.ack.is_some() {
        rel(v.rcv_nxt.get(), 1 - dir)
    } else {
        "–".into()
    };
    let parts = [
        format!("SND.UNA {}", rel(v.snd_una.get(), dir)),
        format!("SND.NXT {}", rel(v.snd_nxt.get(), dir)),
        format!("RCV.NXT {rcv}"),
        format!("SND.WND {}", v.snd_wnd),
        format!("RCV.WND {}", v.rcv_wnd),
        format!("cwnd {}", v.cwnd),
    ];
    // Two spaces between variables where they fit, one where they must.
    let wide = format!("    {}", parts.join("  "));
    Some(if crate::text::width(&wide) <= width {
        wide
    } else {
        format!("    {}", parts.join(" "))
    })
}

impl Widget for SocketsPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let inner = self.block.inner(area);
        self.block.render(area, buf);
        if inner.width < 8 || inner.height == 0 {
            return;
        }
        let (lines, lit) = build(app, usize::from(inner.width));
        let h = usize::from(inner.height);
        let max_top = lines.len().saturating_sub(h);
        // Start where this step changed something when that would be off
        // screen; then the user's own scrolling, if the panel has focus.
        let base = match lit {
            Some(l) if l >= h => l.min(max_top),
            _ => 0,
        };
        let scroll = if app.focus == Focus::Sockets {
            usize::from(app.scroll)
        } else {
            0
        };
        let top = (base + scroll).min(max_top);
        for (row, line) in lines.iter().skip(top).take(h).enumerate() {
            buf.set_line(inner.x, inner.y + row as u16, line, inner.width);
        }
    }
}
