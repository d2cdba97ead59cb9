//! Sentences about one segment: why TCP sent it, what became of it, and
//! the arithmetic behind its sequence and acknowledgement numbers
//! ("seq 15 = 1 (SYN) + 14 bytes sent before: `USER student\r\n`").
//!
//! Everything is read from the trace: the cause the recorder noted, the
//! sender's stream for the bytes before, the host profile for timer
//! values. Leaves out: guessing a cause the recorder did not note.

use crate::text::escape_bytes;
use netstep_trace::{
    AckReason, DropReason, Fate, RetxKind, RstReason, SegCause, Segment, Text, Trace,
};

/// Why this segment exists, most specific reason first.
pub fn why(trace: &Trace, seg: &Segment) -> Vec<Text> {
    let mut out = Vec::new();
    if let Some(orig) = seg.duplicate_of {
        out.push(Text::new(
            format!(
                "a copy of segment #{} made by the link, not by TCP",
                orig + 1
            ),
            format!("链路复制的第 {} 个报文段的副本，并非 TCP 所发", orig + 1),
        ));
        return out;
    }
    if let Some(r) = seg.retransmission {
        let of = r
            .of_segment
            .map(|o| {
                (
                    format!(" of segment #{}", o + 1),
                    format!("（重传第 {} 个报文段）", o + 1),
                )
            })
            .unwrap_or_default();
        out.push(match r.kind {
            RetxKind::Rto { backoff } => Text::new(
                format!(
                    "retransmission after RTO #{backoff}{}: no ACK came before the retransmission timer expired (RTO now {})",
                    of.0, seg.vars.rto
                ),
                format!(
                    "第 {backoff} 次超时重传{}：重传定时器到期前没有收到确认（RTO 现为 {}）",
                    of.1, seg.vars.rto
                ),
            ),
            RetxKind::Fast => Text::new(
                format!("fast retransmit{} after three duplicate ACKs (RFC 5681 3.2)", of.0),
                format!("快速重传{}：收到三个重复确认（RFC 5681 3.2）", of.1),
            ),
            RetxKind::PartialAck => Text::new(
                format!("retransmission{} on a partial ACK during recovery (RFC 6582)", of.0),
                format!("快速恢复期间收到部分确认后的重传{}（RFC 6582）", of.1),
            ),
            RetxKind::Syn { attempt } => Text::new(
                format!("the SYN sent again, attempt {attempt}: no answer came in time"),
                format!("再次发送 SYN（第 {attempt} 次尝试）：未及时收到应答"),
            ),
        });
    }
    out.push(cause(trace, seg));
    out
}

fn cause(trace: &Trace, seg: &Segment) -> Text {
    match seg.cause {
        SegCause::Syn => Text::new(
            "active open: the application connected, so TCP sends a SYN",
            "主动打开：应用程序发起连接，TCP 发送 SYN",
        ),
        SegCause::SynAck => Text::new(
            "passive open: a SYN reached a listening socket, which answers SYN+ACK",
            "被动打开：SYN 到达监听套接字，回应 SYN+ACK",
        ),
        SegCause::HandshakeAck => Text::new(
            "the third segment of the three-way handshake",
            "三次握手的第三个报文段",
        ),
        SegCause::Data { piggybacked_ack } => {
            if piggybacked_ack {
                Text::new(
                    "data the application wrote; the ACK it owed rides along (piggybacked)",
                    "应用程序写入的数据；所欠的确认捎带其上",
                )
            } else {
                Text::new("data the application wrote", "应用程序写入的数据")
            }
        }
        SegCause::Fin {
            piggybacked_ack,
            with_data,
        } => {
            let (mut en, mut zh) = (
                String::from("the application closed its side: FIN"),
                String::from("应用程序关闭了自己一方：FIN"),
            );
            if with_data {
                en.push_str(", with the last data");
                zh.push_str("，附带最后的数据");
            }
            if piggybacked_ack {
                en.push_str("; the ACK it owed rides along");
                zh.push_str("；所欠的确认捎带其上");
            }
            Text::new(en, zh)
        }
        SegCause::AckNow { reason } => ack_now(trace, seg, reason),
        SegCause::DelayedAckTimer => {
            let d = trace
                .nodes
                .get(seg.from as usize)
                .and_then(|n| n.tcp.as_ref())
                .and_then(|p| p.delayed_ack);
            match d {
                Some(d) => Text::new(
                    format!("the delayed-ACK timer ({d}) fired with nothing to send: a bare ACK"),
                    format!("延迟确认定时器（{d}）到期，且没有数据可发：单独发送 ACK"),
                ),
                None => Text::new(
                    "the delayed-ACK timer fired with nothing to send: a bare ACK",
                    "延迟确认定时器到期，且没有数据可发：单独发送 ACK",
                ),
            }
        }
        SegCause::WindowUpdate => Text::new(
            "window update: the application read data and the receive window opened",
            "窗口更新：应用程序读取了数据，接收窗口变大",
        ),
        SegCause::ZeroWindowProbe => Text::new(
            "zero-window probe: has the peer's window opened?",
            "零窗口探测：对方的窗口是否已打开？",
        ),
        SegCause::Rst { reason } => match reason {
            RstReason::ClosedPort => Text::new(
                "RST: no socket for that port (RFC 9293 3.10.7.1)",
                "RST：该端口没有套接字（RFC 9293 3.10.7.1）",
            ),
            RstReason::Abort => Text::new(
                "RST: the application aborted the connection",
                "RST：应用程序中止了连接",
            ),
            RstReason::BadAck => Text::new(
                "RST: an unacceptable ACK before the connection was synchronised",
                "RST：连接同步前收到不可接受的确认",
            ),
            RstReason::DataAfterClose => Text::new(
                "RST: data arrived after the application closed",
                "RST：应用程序关闭后仍有数据到达",
            ),
            RstReason::Other => Text::new("RST", "RST"),
        },
        SegCause::Other => Text::new("the recorder noted no cause", "记录中没有注明原因"),
    }
}

fn ack_now(trace: &Trace, seg: &Segment, reason: AckReason) -> Text {
    match reason {
        AckReason::Fin => Text::new(
            "FIN acknowledged at once: a FIN is never delayed",
            "FIN 立即确认：FIN 从不延迟确认",
        ),
        AckReason::EveryNth => {
            let every = trace
                .nodes
                .get(seg.from as usize)
                .and_then(|n| n.tcp.as_ref())
                .map(|p| p.ack_every.clone())
                .unwrap_or_else(|| "every 2nd segment".into());
            Text::new(
                format!(
                    "acknowledged at once: a second unacknowledged segment arrived (ACK {every})"
                ),
                format!("立即确认：又收到一个未确认的报文段（{every}）"),
            )
        }
        AckReason::OutOfOrder => Text::new(
            "out-of-order data is acknowledged at once (a duplicate ACK)",
            "乱序数据立即确认（重复确认）",
        ),
        AckReason::FillsHole => Text::new(
            "data that fills a hole is acknowledged at once",
            "填补空缺的数据立即确认",
        ),
        AckReason::Duplicate => Text::new(
            "a duplicate segment is acknowledged at once",
            "重复的报文段立即确认",
        ),
        AckReason::Unacceptable => Text::new(
            "an unacceptable segment is answered with an ACK (RFC 9293 3.10.7.4)",
            "对不可接受的报文段回应 ACK（RFC 9293 3.10.7.4）",
        ),
        AckReason::Challenge => Text::new("challenge ACK (RFC 5961)", "挑战 ACK（RFC 5961）"),
        AckReason::NoDelay => Text::new(
            "this host acknowledges every segment at once (no delayed ACK)",
            "该主机对每个报文段都立即确认（不使用延迟确认）",
        ),
        AckReason::Other => Text::new("ACK sent at once", "立即发送 ACK"),
    }
}

/// What became of the segment.
pub fn fate(trace: &Trace, seg: &Segment) -> Text {
    match seg.fate {
        Fate::Delivered { at } => {
            let to = seg.to.map_or("?", |n| trace.node_name(n));
            let d = at.saturating_since(seg.time);
            Text::new(
                format!("delivered to {to} at {at} ({d} on the way)"),
                format!("{at} 送达 {to}（途中 {d}）"),
            )
        }
        Fate::Dropped { at, node, reason } => {
            let (en, zh) = drop_reason(reason);
            let where_ = trace.node_name(node);
            Text::new(
                format!("LOST at {where_} at {at}: {en}"),
                format!("{at} 在 {where_} 丢失：{zh}"),
            )
        }
        Fate::InFlight => Text::new("still in flight when the run stopped", "运行结束时仍在途中"),
    }
}

fn drop_reason(r: DropReason) -> (&'static str, &'static str) {
    match r {
        DropReason::Loss => ("random loss on the link", "链路随机丢包"),
        DropReason::Fault => ("a fault the scenario aimed at it", "场景设定的故障"),
        DropReason::QueueFull => (
            "the link's queue was full (drop-tail)",
            "链路队列已满（尾部丢弃）",
        ),
        DropReason::Corrupted => (
            "a bit flipped on the link and the checksum caught it",
            "链路上有比特翻转，被校验和发现",
        ),
        DropReason::NoRoute => ("no route to the destination", "没有到目的地的路由"),
        DropReason::TtlExpired => ("its TTL ran out", "TTL 耗尽"),
        DropReason::Filtered => ("a firewall rule refused it", "被防火墙规则拒绝"),
        DropReason::NoNatMapping => ("the NAT had no mapping for it", "NAT 中没有对应的映射"),
        DropReason::NotForUs => ("that host has no such address", "该主机没有这个地址"),
    }
}

/// A number shown both ways, with the sums behind each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    pub abs: u32,
    pub rel: Option<u32>,
    /// `= 1 (SYN) + 14 bytes sent before: ...`
    pub rel_sum: Text,
    /// `= ISN 1022640128 + 15`
    pub abs_sum: Text,
}

/// Up to this many bytes before a number are quoted in full.
const QUOTE_MAX: usize = 72;

/// `USER student\r\n`, `PASS netstep\r\n`: the stream's bytes in protocol
/// lines, or the last of them when there are many.
fn quote(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return String::new();
    }
    let pieces: Vec<String> = bytes
        .split_inclusive(|&b| b == b'\n')
        .map(|p| format!("`{}`", escape_bytes(p)))
        .collect();
    if bytes.len() <= QUOTE_MAX {
        return pieces.join(" ");
    }
    match pieces.last() {
        Some(last) if last.len() <= QUOTE_MAX => format!("… {last}"),
        _ => String::from("…"),
    }
}

/// The bytes of stream `dir` of the segment's connection.
fn stream<'t>(trace: &'t Trace, seg: &Segment, dir: u8) -> &'t [u8] {
    seg.conn
        .and_then(|c| trace.conns.get(c as usize))
        .and_then(|c| c.streams[usize::from(dir & 1)])
        .and_then(|s| trace.streams.get(s as usize))
        .map_or(&[][..], |s| s.bytes.as_slice())
}

pub fn seq(trace: &Trace, seg: &Segment) -> Explained {
    let abs = seg.seq.get();
    let isn = seg.conn.and_then(|c| trace.isn(c, seg.dir));
    let Some(isn) = isn else {
        return no_isn(abs);
    };
    let rel = abs.wrapping_sub(isn.get());
    let abs_sum = Text::new(
        format!("= ISN {} + {rel}", isn.get()),
        format!("= ISN {} + {rel}", isn.get()),
    );
    let fixed = trace
        .nodes
        .get(seg.from as usize)
        .and_then(|n| n.tcp.as_ref())
        .is_some_and(|t| t.isn_fixed);
    let rel_sum = if seg.flags.syn() && fixed {
        Text::new(
            "= the initial sequence number (ISN), fixed by the scenario; the SYN takes one number",
            "= 初始序号（ISN），由场景指定；SYN 占用一个序号",
        )
    } else if seg.flags.syn() {
        Text::new(
            "= the initial sequence number (ISN), drawn at random from the seed; the SYN takes one number",
            "= 初始序号（ISN），由种子随机生成；SYN 占用一个序号",
        )
    } else if rel == 0 {
        Text::new("= the ISN itself", "= ISN 本身")
    } else {
        stream_sum(
            trace,
            seg,
            seg.dir,
            rel - 1,
            ("bytes sent before", "之前已发送的"),
            ("", ""),
        )
    };
    Explained {
        abs,
        rel: Some(rel),
        rel_sum,
        abs_sum,
    }
}

pub fn ack(trace: &Trace, seg: &Segment) -> Option<Explained> {
    let abs = seg.ack?.get();
    let peer = 1 - (seg.dir & 1);
    let Some(isn) = seg.conn.and_then(|c| trace.isn(c, peer)) else {
        return Some(no_isn(abs));
    };
    let rel = abs.wrapping_sub(isn.get());
    let abs_sum = Text::new(
        format!("= peer's ISN {} + {rel}", isn.get()),
        format!("= 对方 ISN {} + {rel}", isn.get()),
    );
    let rel_sum = if rel == 0 {
        Text::new("acknowledges nothing yet", "尚未确认任何内容")
    } else if rel == 1 {
        Text::new(
            "= 1: the peer's SYN took one number; the next byte expected is its first data byte",
            "= 1：对方的 SYN 占用了一个序号；期望的下一个字节是其第一个数据字节",
        )
    } else {
        stream_sum(
            trace,
            seg,
            peer,
            rel - 1,
            ("bytes received", "已收到的"),
            ("; the next byte expected", "；即期望的下一个字节"),
        )
    };
    Some(Explained {
        abs,
        rel: Some(rel),
        rel_sum,
        abs_sum,
    })
}

fn no_isn(abs: u32) -> Explained {
    Explained {
        abs,
        rel: None,
        rel_sum: Text::new(
            "no ISN recorded for this connection: only the absolute number is known",
            "该连接没有记录 ISN：只知道绝对序号",
        ),
        abs_sum: Text::new("as on the wire", "即报文中的值"),
    }
}

/// `= 1 (SYN) + N bytes <what>[ + 1 (FIN)]: `quoted bytes`<tail>`: the
/// arithmetic behind a relative sequence or acknowledgement number that
/// counts `count` numbers of direction `dir`'s stream after its SYN.
fn stream_sum(
    trace: &Trace,
    seg: &Segment,
    dir: u8,
    count: u32,
    (what_en, what_zh): (&str, &str),
    (tail_en, tail_zh): (&str, &str),
) -> Text {
    let count = count as usize;
    let bytes = stream(trace, seg, dir);
    let data = count.min(bytes.len());
    let fin = count - data;
    let q = quote(&bytes[..data]);
    let (fin_en, fin_zh) = if fin > 0 {
        (format!(" + {fin} (FIN)"), format!(" + {fin}（FIN）"))
    } else {
        (String::new(), String::new())
    };
    let colon = if q.is_empty() { "" } else { ": " };
    let colon_zh = if q.is_empty() { "" } else { "：" };
    Text::new(
        format!("= 1 (SYN) + {data} {what_en}{fin_en}{colon}{q}{tail_en}"),
        format!("= 1（SYN）+ {what_zh} {data} 字节{fin_zh}{colon_zh}{q}{tail_zh}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;
    use netstep_trace::Lang;

    #[test]
    fn sums_match_the_brief() {
        let (t, _) = fixture::walkthrough_run();
        // #10 PASS: seq 15 = 1 + 14 bytes of USER.
        let pass = &t.segments.at(9);
        let s = seq(&t, pass);
        assert_eq!(s.rel, Some(15));
        assert_eq!(
            s.rel_sum.get(Lang::En),
            "= 1 (SYN) + 14 bytes sent before: `USER student\\r\\n`"
        );
        assert_eq!(s.abs_sum.get(Lang::En), "= ISN 1022640128 + 15");
        // #7 the server's ACK of USER: ack 15 = 1 + 14 bytes received.
        let a = ack(&t, &t.segments.at(6)).unwrap();
        assert_eq!(a.rel, Some(15));
        assert!(
            a.rel_sum
                .get(Lang::En)
                .starts_with("= 1 (SYN) + 14 bytes received: `USER student\\r\\n`")
        );
        // #37 the last ACK covers the client's FIN.
        let last = ack(&t, &t.segments.at(36)).unwrap();
        assert!(
            last.rel_sum
                .get(Lang::En)
                .contains("75 bytes received + 1 (FIN)"),
            "{last:?}"
        );
        // The SYN's sequence number is the ISN.
        assert_eq!(seq(&t, &t.segments.at(0)).rel, Some(0));
    }

    #[test]
    fn causes_name_the_timer_and_the_retransmission() {
        let (t, _) = fixture::walkthrough_run();
        let w = why(&t, &t.segments.at(4));
        assert_eq!(
            w[0].get(Lang::En),
            "the delayed-ACK timer (200ms) fired with nothing to send: a bare ACK"
        );
        let (t, _) = fixture::lossy_run();
        let w = why(&t, &t.segments.at(6));
        assert!(
            w[0].get(Lang::En)
                .starts_with("retransmission after RTO #1 of segment #6")
        );
        assert!(
            fate(&t, &t.segments.at(5))
                .get(Lang::En)
                .starts_with("LOST at router")
        );
    }
}
