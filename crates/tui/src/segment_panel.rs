//! The segment panel: the current segment layer by layer (IPv4, TCP, FTP),
//! why it was sent and what became of it, the arithmetic behind its
//! numbers, and its bytes in hex with the selected field's bytes lit.
//!
//! Only the current segment is read. The panel scrolls so that the
//! selected field stays in view, computed from the field alone. Leaves
//! out: the Ethernet header, and payload bytes past a few lines of hex
//! (the count of the rest is shown).

use crate::app::{App, FieldId};
use crate::explain;
use crate::ftp;
use crate::packet::{IP_HEADER, Packet};
use crate::text::{escape_bytes, tr, truncate, width, wrap, wrap_hanging};
use netstep_trace::{Lang, Segment, Text};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};

/// Hex lines of payload shown before "… N more bytes".
const PAYLOAD_HEX_LINES: usize = 6;

#[derive(Debug)]
pub struct SegmentPanel<'a> {
    pub app: &'a App,
    pub block: Block<'a>,
}

/// The fields Up and Down move through.
pub fn present_fields(app: &App) -> Vec<FieldId> {
    if app.is_empty() {
        Vec::new()
    } else {
        FieldId::ALL.to_vec()
    }
}

fn field_label(f: FieldId, lang: Lang) -> &'static str {
    match f {
        FieldId::IpSrc => tr(lang, "source", "源地址"),
        FieldId::IpDst => tr(lang, "destination", "目的地址"),
        FieldId::IpTtl => tr(lang, "TTL", "生存时间"),
        FieldId::IpIdent => tr(lang, "ident", "标识"),
        FieldId::IpFlags => tr(lang, "flags", "标志"),
        FieldId::IpLen => tr(lang, "total length", "总长度"),
        FieldId::IpChecksum => tr(lang, "checksum", "首部校验和"),
        FieldId::SrcPort => tr(lang, "source port", "源端口"),
        FieldId::DstPort => tr(lang, "dest. port", "目的端口"),
        FieldId::Seq => tr(lang, "seq", "序号"),
        FieldId::Ack => tr(lang, "ack", "确认号"),
        FieldId::HeaderLen => tr(lang, "header length", "首部长度"),
        FieldId::Flags => tr(lang, "flags", "标志位"),
        FieldId::Window => tr(lang, "window", "窗口"),
        FieldId::Checksum => tr(lang, "checksum", "校验和"),
        FieldId::Options => tr(lang, "options", "选项"),
        FieldId::Payload => tr(lang, "payload", "载荷"),
    }
}

const LABEL_W: usize = 14;

/// Lines under construction, remembering where the selected field is.
struct Lines {
    lines: Vec<Line<'static>>,
    selected: Option<usize>,
    /// The last hex line holding a byte of the selected field.
    selected_bytes: Option<usize>,
    width: usize,
}

impl Lines {
    fn push(&mut self, line: Line<'static>) {
        self.lines.push(line);
    }

    /// A paragraph wrapped to the panel, every line in `style`, with a
    /// hanging indent after the first.
    fn para(&mut self, text: &str, indent: usize, style: Style) {
        for l in wrap_hanging(text, self.width, indent) {
            self.push(Line::from(Span::styled(l, style)));
        }
    }

    /// `  label         value` with the value wrapped under itself; extra
    /// lines (`more`) go under the value.
    fn field(&mut self, app: &App, id: FieldId, value: &str, more: &[String]) {
        let t = &app.theme;
        let selected = app.field == id;
        let label = field_label(id, app.lang);
        let lw = LABEL_W.max(width(label) + 1);
        let vw = self.width.saturating_sub(lw + 2).max(8);
        let style = if selected { t.selected } else { t.base };
        if selected {
            self.selected = Some(self.lines.len());
        }
        let marker = if selected { "▸ " } else { "  " };
        let mut first = true;
        for text in std::iter::once(value.to_string()).chain(more.iter().cloned()) {
            for l in wrap(&text, vw) {
                let head = if first {
                    format!("{marker}{label}{}", " ".repeat(lw - width(label)))
                } else {
                    " ".repeat(lw + 2)
                };
                let line_style = if first {
                    style
                } else {
                    t.dim.bg(t.base.bg.unwrap_or_default())
                };
                self.push(Line::from(vec![
                    Span::styled(head, if first { style } else { t.base }),
                    Span::styled(l, if first { style } else { line_style }),
                ]));
                first = false;
            }
        }
    }
}

fn heading(app: &App, text: &str) -> Line<'static> {
    Line::from(Span::styled(text.to_string(), app.theme.heading))
}

fn node_name(app: &App, node: u32) -> String {
    app.trace.node_name(node).to_string()
}

/// Every line of the panel for the current segment.
/// Every line of the panel: the part that always shows (which segment,
/// why, what became of it), then the fields and bytes, which scroll, and
/// where the selected field is among those.
fn build(app: &App, width: usize) -> Built {
    let mut out = Lines {
        lines: Vec::new(),
        selected: None,
        selected_bytes: None,
        width,
    };
    let t = &app.theme;
    let lang = app.lang;
    if app.is_empty() {
        out.para(
            tr(lang, "No segment to show.", "没有可显示的报文段。"),
            0,
            t.dim,
        );
        return Built {
            fixed: out.lines,
            ..Built::default()
        };
    }
    let index = app.cursor;
    let seg = app.seg(index);
    let trace = &app.trace;
    let n = trace.segments.len();
    let to = seg
        .to
        .map_or_else(|| "?".to_string(), |n| node_name(app, n));
    let stage = crate::ladder::stage_tag(app, index);
    let conn_style = t.conn(trace.conn_label(seg), seg.conn);
    out.push(Line::from(vec![
        Span::styled(format!("#{}/{n} ", index + 1), t.title),
        Span::styled(format!("{} → {to} ", node_name(app, seg.from)), t.base),
        Span::styled(trace.conn_label(seg).to_string(), conn_style),
        Span::styled(format!(" {stage} "), t.base),
        Span::styled(crate::ladder::fmt_time(seg.time) + "s", t.dim),
    ]));
    let why_label = tr(lang, "why: ", "原因：");
    for w in explain::why(trace, &seg) {
        out.para(
            &format!("{why_label}{}", w.get(lang)),
            crate::text::width(why_label),
            t.base,
        );
    }
    let fate = explain::fate(trace, &seg);
    let fate_style = if matches!(seg.fate, netstep_trace::Fate::Dropped { .. }) {
        t.dropped
    } else {
        t.dim
    };
    out.para(fate.get(lang), 2, fate_style);
    let fixed = std::mem::take(&mut out.lines);

    let packet = Packet::build(trace, &seg);
    ip_fields(app, &seg, packet.as_ref(), &mut out);
    tcp_fields(app, &seg, packet.as_ref(), &mut out);
    ftp_lines(app, &seg, &mut out);
    match &packet {
        Some(p) => hex(app, &seg, p, &mut out),
        None => out.para(
            tr(
                lang,
                "(the bytes could not be rebuilt)",
                "（无法重建报文字节）",
            ),
            0,
            t.dim,
        ),
    }
    Built {
        fixed,
        lines: out.lines,
        selected: out.selected,
        selected_bytes: out.selected_bytes,
    }
}

#[derive(Default)]
struct Built {
    /// Always shown at the top.
    fixed: Vec<Line<'static>>,
    /// Fields and bytes, scrolled.
    lines: Vec<Line<'static>>,
    selected: Option<usize>,
    selected_bytes: Option<usize>,
}

fn ip_fields(app: &App, seg: &Segment, p: Option<&Packet>, out: &mut Lines) {
    let lang = app.lang;
    out.push(heading(app, tr(lang, "IPv4 (RFC 791)", "IPv4（RFC 791）")));
    out.field(app, FieldId::IpSrc, &seg.src.ip().to_string(), &[]);
    out.field(app, FieldId::IpDst, &seg.dst.ip().to_string(), &[]);
    let ttl = match app
        .trace
        .nodes
        .get(seg.from as usize)
        .and_then(|n| n.tcp.as_ref())
    {
        Some(prof) => match lang {
            Lang::En => format!("{} (the {} profile's initial TTL)", seg.ttl, prof.profile),
            Lang::Zh => format!("{}（{} 配置的初始 TTL）", seg.ttl, prof.profile),
        },
        None => seg.ttl.to_string(),
    };
    out.field(app, FieldId::IpTtl, &ttl, &[]);
    out.field(
        app,
        FieldId::IpIdent,
        &format!("0x{:04x} ({})", seg.ip_ident, seg.ip_ident),
        &[],
    );
    out.field(
        app,
        FieldId::IpFlags,
        tr(lang, "DF: don't fragment", "DF：不分片"),
        &[],
    );
    let tcp_h = p.map_or(20, |p| p.tcp_header);
    let total = IP_HEADER + tcp_h + seg.payload_len as usize;
    let len = match lang {
        Lang::En => format!(
            "{total} = {IP_HEADER} (IP) + {tcp_h} (TCP) + {} (data)",
            seg.payload_len
        ),
        Lang::Zh => format!(
            "{total} = {IP_HEADER}（IP 首部）+ {tcp_h}（TCP 首部）+ {}（数据）",
            seg.payload_len
        ),
    };
    out.field(app, FieldId::IpLen, &len, &[]);
    let sum = p.map_or(0, |p| p.u16_at(10));
    out.field(app, FieldId::IpChecksum, &format!("0x{sum:04x}"), &[]);
}

fn numbered(app: &App, ex: &explain::Explained) -> (String, Vec<String>) {
    let lang = app.lang;
    match (app.absolute, ex.rel) {
        (false, Some(rel)) => (
            format!("{rel} {}", ex.rel_sum.get(lang)),
            vec![format!(
                "{} {} {}",
                tr(lang, "absolute", "绝对值"),
                ex.abs,
                ex.abs_sum.get(lang)
            )],
        ),
        (true, Some(rel)) => (
            format!("{} {}", ex.abs, ex.abs_sum.get(lang)),
            vec![format!(
                "{} {rel} {}",
                tr(lang, "relative", "相对值"),
                ex.rel_sum.get(lang)
            )],
        ),
        (_, None) => (format!("{} ({})", ex.abs, ex.rel_sum.get(lang)), Vec::new()),
    }
}

fn tcp_fields(app: &App, seg: &Segment, p: Option<&Packet>, out: &mut Lines) {
    let lang = app.lang;
    let trace = &app.trace;
    out.push(heading(app, tr(lang, "TCP (RFC 9293)", "TCP（RFC 9293）")));
    out.field(app, FieldId::SrcPort, &seg.src.port().to_string(), &[]);
    out.field(app, FieldId::DstPort, &seg.dst.port().to_string(), &[]);
    let (v, more) = numbered(app, &explain::seq(trace, seg));
    out.field(app, FieldId::Seq, &v, &more);
    match explain::ack(trace, seg) {
        Some(ex) => {
            let (v, more) = numbered(app, &ex);
            out.field(app, FieldId::Ack, &v, &more);
        }
        None => out.field(
            app,
            FieldId::Ack,
            tr(
                lang,
                "0 (no ACK flag: the field is not used)",
                "0（没有 ACK 标志，该字段无效）",
            ),
            &[],
        ),
    }
    let hl = p.map_or(20, |p| p.tcp_header);
    let hl_text = match lang {
        Lang::En => format!("{hl} bytes ({} words of 4)", hl / 4),
        Lang::Zh => format!("{hl} 字节（{} 个 4 字节字）", hl / 4),
    };
    out.field(app, FieldId::HeaderLen, &hl_text, &[]);
    out.field(app, FieldId::Flags, &seg.flags.to_string(), &[]);
    out.field(app, FieldId::Window, &seg.window.to_string(), &[]);
    let sum = p.map_or(0, |p| p.u16_at(IP_HEADER + 16));
    out.field(app, FieldId::Checksum, &format!("0x{sum:04x}"), &[]);
    out.field(app, FieldId::Options, &options_text(seg, lang), &[]);
    let payload = trace.payload(seg);
    let text = if payload.is_empty() {
        tr(lang, "none", "无").to_string()
    } else {
        let shown = truncate(&escape_bytes(payload), 200);
        match lang {
            Lang::En => format!("{} bytes: {shown}", payload.len()),
            Lang::Zh => format!("{} 字节：{shown}", payload.len()),
        }
    };
    out.field(app, FieldId::Payload, &text, &[]);
}

fn options_text(seg: &Segment, lang: Lang) -> String {
    let o = &seg.options;
    let mut parts = Vec::new();
    if let Some(mss) = o.mss {
        parts.push(match lang {
            Lang::En => format!("MSS {mss} (largest segment it will accept)"),
            Lang::Zh => format!("MSS {mss}（愿意接收的最大报文段）"),
        });
    }
    if let Some(ws) = o.window_scale {
        parts.push(format!("window scale {ws} (×{})", 1u32 << ws.min(14)));
    }
    if o.sack_permitted {
        parts.push("SACK permitted".into());
    }
    if let Some((v, e)) = o.timestamps {
        parts.push(format!("timestamps {v} {e}"));
    }
    for (l, r) in o.sack_blocks.iter().flatten() {
        parts.push(format!("SACK {}-{}", l.get(), r.get()));
    }
    if parts.is_empty() {
        tr(lang, "none", "无").to_string()
    } else {
        parts.join(", ")
    }
}

fn ftp_lines(app: &App, seg: &Segment, out: &mut Lines) {
    let trace = &app.trace;
    let payload = trace.payload(seg);
    if payload.is_empty() {
        return;
    }
    let lang = app.lang;
    let t = &app.theme;
    let label = trace.conn_label(seg);
    let control = label == "control" || seg.src.port() == 21 || seg.dst.port() == 21;
    if control && let Some(line) = ftp::decode(payload) {
        out.push(heading(app, tr(lang, "FTP (RFC 959)", "FTP（RFC 959）")));
        out.para(&format!("  {}", line.line), 4, t.title);
        for note in &line.notes {
            out.para(&format!("  {}", note.get(lang)), 4, t.base);
        }
    } else if label == "data" || seg.src.port() == 20 || seg.dst.port() == 20 {
        out.push(heading(app, tr(lang, "FTP data", "FTP 数据")));
        let text: Text = Text::new(
            format!(
                "  {} bytes on the data connection: {}",
                payload.len(),
                truncate(&escape_bytes(payload), 120)
            ),
            format!(
                "  数据连接上的 {} 字节：{}",
                payload.len(),
                truncate(&escape_bytes(payload), 120)
            ),
        );
        out.para(text.get(lang), 4, t.base);
    }
}

fn hex(app: &App, seg: &Segment, p: &Packet, out: &mut Lines) {
    let t = &app.theme;
    let lang = app.lang;
    out.push(heading(
        app,
        tr(
            lang,
            "Bytes (IPv4 header, TCP header, data)",
            "字节（IPv4 首部、TCP 首部、数据）",
        ),
    ));
    let per_line = if out.width >= 6 + 16 * 3 + 2 + 16 {
        16
    } else {
        8
    };
    let sel = p.range(app.field);
    let payload_at = IP_HEADER + p.tcp_header;
    let shown = p
        .bytes
        .len()
        .min(payload_at.div_ceil(per_line) * per_line + PAYLOAD_HEX_LINES * per_line);
    let conn_style = t.conn(app.trace.conn_label(seg), seg.conn);
    let ascii = out.width >= 6 + per_line * 3 + 2 + per_line;
    for start in (0..shown).step_by(per_line) {
        let end = (start + per_line).min(shown);
        let mut spans = vec![Span::styled(format!("{start:04x}  "), t.dim)];
        for i in start..end {
            let style = if sel.contains(&i) {
                t.selected
            } else if i >= payload_at {
                conn_style
            } else {
                t.base
            };
            spans.push(Span::styled(format!("{:02x}", p.bytes[i]), style));
            let gap = if i + 1 - start == per_line / 2 {
                "  "
            } else {
                " "
            };
            spans.push(Span::styled(gap, t.base));
        }
        if ascii {
            let pad = (per_line - (end - start)) * 3 + usize::from(end - start <= per_line / 2);
            spans.push(Span::raw(" ".repeat(pad + 1)));
            for i in start..end {
                let b = p.bytes[i];
                let c = if (0x20..0x7f).contains(&b) {
                    char::from(b)
                } else {
                    '.'
                };
                let style = if sel.contains(&i) { t.selected } else { t.dim };
                spans.push(Span::styled(c.to_string(), style));
            }
        }
        if (start..end).any(|i| sel.contains(&i)) {
            out.selected_bytes = Some(out.lines.len());
        }
        out.push(Line::from(spans));
    }
    if shown < p.bytes.len() {
        let more = p.bytes.len() - shown;
        let text = match lang {
            Lang::En => format!("      … {more} more bytes"),
            Lang::Zh => format!("      …… 还有 {more} 字节"),
        };
        out.push(Line::from(Span::styled(text, t.dim)));
    }
}

impl Widget for SegmentPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let inner = self.block.inner(area);
        self.block.render(area, buf);
        if inner.width < 8 || inner.height == 0 {
            return;
        }
        let Built {
            fixed,
            lines,
            selected,
            selected_bytes,
        } = build(app, usize::from(inner.width));
        // The header keeps at least half the panel for the fields.
        let fixed_h = fixed.len().min(usize::from(inner.height) / 2);
        for (row, line) in fixed.iter().take(fixed_h).enumerate() {
            buf.set_line(inner.x, inner.y + row as u16, line, inner.width);
        }
        let h = usize::from(inner.height) - fixed_h;
        // Scroll only as far as it takes to show the selected field and,
        // when there is room, its lit bytes; a few lines under the field
        // otherwise. The layers stay put while everything fits.
        let top = match selected {
            Some(sel) if lines.len() > h => {
                let want_end = match selected_bytes {
                    Some(b) if b >= sel && b - sel < h => b + 1,
                    _ => sel + 4,
                };
                want_end.saturating_sub(h).min(sel).min(lines.len() - h)
            }
            _ => 0,
        };
        let y0 = inner.y + fixed_h as u16;
        for (row, line) in lines.iter().skip(top).take(h).enumerate() {
            buf.set_line(inner.x, y0 + row as u16, line, inner.width);
        }
    }
}
