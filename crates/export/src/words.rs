//! The exporters' words in English and Chinese: short forms of why TCP
//! sent a segment and what became of it, made to fit a packet comment or
//! a table cell. The player's long explanations (netstep-tui) say more.
//!
//! Leaves out: languages other than the two `Lang` knows.

use netstep_trace::{
    AckReason, DropReason, Lang, RetxKind, RstReason, SegCause, Segment, Text, Trace, Unstaged,
};

/// `en` or `zh`, as `lang` asks.
pub fn pick<'a>(lang: Lang, en: &'a str, zh: &'a str) -> &'a str {
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

/// "stage 8: The client sends the password" / "第 8 步：……".
pub fn stage_heading(lang: Lang, n: u32, title: &Text) -> String {
    let title = title.get(lang);
    match lang {
        Lang::En => format!("stage {n}: {title}"),
        Lang::Zh => format!("第 {n} 步：{title}"),
    }
}

/// Why a segment has no stage, in `lang`.
pub fn unstaged(lang: Lang, why: Unstaged) -> String {
    why.text().get(lang).to_string()
}

/// "segment 10" / "第 10 个报文段" (1-based).
pub fn segment_number(lang: Lang, n: usize) -> String {
    match lang {
        Lang::En => format!("segment {n}"),
        Lang::Zh => format!("第 {n} 个报文段"),
    }
}

/// Why TCP sent `seg`, in a few words; `None` when the recorder noted no
/// cause. A retransmission says so first.
pub fn reason(trace: &Trace, seg: &Segment, lang: Lang) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(orig) = seg.duplicate_of {
        parts.push(match lang {
            Lang::En => format!("copy of segment {} made by the link", orig + 1),
            Lang::Zh => format!("链路复制的第 {} 个报文段的副本", orig + 1),
        });
        return Some(parts.join("; "));
    }
    if let Some(r) = seg.retransmission {
        let of = r.of_segment.map(|o| o + 1);
        let what = match (r.kind, lang) {
            (RetxKind::Rto { backoff }, Lang::En) => {
                format!("retransmission timer expired (RTO #{backoff})")
            }
            (RetxKind::Rto { backoff }, Lang::Zh) => format!("重传定时器超时（第 {backoff} 次）"),
            (RetxKind::Fast, Lang::En) => "fast retransmit after three duplicate ACKs".into(),
            (RetxKind::Fast, Lang::Zh) => "收到三个重复确认后快速重传".into(),
            (RetxKind::PartialAck, Lang::En) => "partial ACK during recovery".into(),
            (RetxKind::PartialAck, Lang::Zh) => "快速恢复中收到部分确认".into(),
            (RetxKind::Syn { attempt }, Lang::En) => format!("SYN sent again, attempt {attempt}"),
            (RetxKind::Syn { attempt }, Lang::Zh) => format!("再次发送 SYN（第 {attempt} 次）"),
        };
        parts.push(match (of, lang) {
            (Some(o), Lang::En) => format!("{what}, repeats segment {o}"),
            (Some(o), Lang::Zh) => format!("{what}，重复第 {o} 个报文段"),
            (None, _) => what,
        });
    }
    if let Some(c) = cause(trace, seg, lang) {
        parts.push(c);
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn cause(trace: &Trace, seg: &Segment, lang: Lang) -> Option<String> {
    let s = match seg.cause {
        SegCause::Syn => pick(lang, "active open", "主动打开").to_string(),
        SegCause::SynAck => pick(lang, "passive open answers the SYN", "被动打开，回应 SYN").into(),
        SegCause::HandshakeAck => pick(
            lang,
            "third segment of the handshake",
            "三次握手的第三个报文段",
        )
        .into(),
        SegCause::Data { piggybacked_ack } => match (piggybacked_ack, lang) {
            (true, Lang::En) => "application data, ACK piggybacked".into(),
            (true, Lang::Zh) => "应用数据，捎带确认".into(),
            (false, _) => pick(lang, "application data", "应用数据").into(),
        },
        SegCause::Fin {
            piggybacked_ack, ..
        } => match (piggybacked_ack, lang) {
            (true, Lang::En) => "application closed its side, ACK piggybacked".into(),
            (true, Lang::Zh) => "应用程序关闭了自己一方，捎带确认".into(),
            (false, _) => pick(
                lang,
                "application closed its side",
                "应用程序关闭了自己一方",
            )
            .into(),
        },
        SegCause::AckNow { reason } => ack_now(trace, seg, reason, lang),
        SegCause::DelayedAckTimer => {
            let d = trace
                .nodes
                .get(seg.from as usize)
                .and_then(|n| n.tcp.as_ref())
                .and_then(|p| p.delayed_ack);
            match (d, lang) {
                (Some(d), Lang::En) => format!("delayed-ACK timer fired ({d})"),
                (Some(d), Lang::Zh) => format!("延迟确认定时器到期（{d}）"),
                (None, _) => pick(lang, "delayed-ACK timer fired", "延迟确认定时器到期").into(),
            }
        }
        SegCause::WindowUpdate => pick(lang, "window update", "窗口更新").into(),
        SegCause::ZeroWindowProbe => pick(lang, "zero-window probe", "零窗口探测").into(),
        SegCause::Rst { reason } => match reason {
            RstReason::ClosedPort => pick(
                lang,
                "RST: no socket for that port",
                "RST：该端口没有套接字",
            ),
            RstReason::Abort => pick(
                lang,
                "RST: the application aborted",
                "RST：应用程序中止连接",
            ),
            RstReason::BadAck => pick(lang, "RST: unacceptable ACK", "RST：不可接受的确认"),
            RstReason::DataAfterClose => pick(
                lang,
                "RST: data arrived after the application closed",
                "RST：应用程序关闭后仍有数据到达",
            ),
            RstReason::Other => "RST",
        }
        .into(),
        SegCause::Other => return None,
    };
    Some(s)
}

fn ack_now(trace: &Trace, seg: &Segment, reason: AckReason, lang: Lang) -> String {
    match reason {
        AckReason::Fin => pick(lang, "a FIN is acknowledged at once", "FIN 立即确认").into(),
        AckReason::EveryNth => {
            let every = trace
                .nodes
                .get(seg.from as usize)
                .and_then(|n| n.tcp.as_ref())
                .map_or("every 2nd segment", |p| p.ack_every.as_str());
            match lang {
                Lang::En => format!("acknowledged at once (ACK {every})"),
                Lang::Zh => format!("立即确认（{every}）"),
            }
        }
        AckReason::OutOfOrder => pick(
            lang,
            "out-of-order data: duplicate ACK",
            "乱序数据：重复确认",
        )
        .into(),
        AckReason::FillsHole => pick(
            lang,
            "data filled a hole: ACK at once",
            "数据填补空缺：立即确认",
        )
        .into(),
        AckReason::Duplicate => {
            pick(lang, "duplicate data: ACK at once", "重复数据：立即确认").into()
        }
        AckReason::Unacceptable => pick(
            lang,
            "unacceptable segment answered with an ACK",
            "对不可接受的报文段回应 ACK",
        )
        .into(),
        AckReason::Challenge => pick(lang, "challenge ACK", "挑战 ACK").into(),
        AckReason::NoDelay => pick(lang, "no delayed ACK on this host", "该主机不延迟确认").into(),
        AckReason::Other => pick(lang, "ACK at once", "立即确认").into(),
    }
}

/// "lost at router: random loss on the link".
pub fn lost(trace: &Trace, node: u32, reason: DropReason, lang: Lang) -> String {
    let (en, zh) = match reason {
        DropReason::Loss => ("random loss on the link", "链路随机丢包"),
        DropReason::Fault => ("a fault the scenario aimed at it", "场景设定的故障"),
        DropReason::QueueFull => ("the link's queue was full", "链路队列已满"),
        DropReason::Corrupted => (
            "corrupted on the link, checksum failed",
            "链路上损坏，校验和出错",
        ),
        DropReason::NoRoute => ("no route to the destination", "没有到目的地的路由"),
        DropReason::TtlExpired => ("its TTL ran out", "TTL 耗尽"),
        DropReason::Filtered => ("the firewall refused it", "被防火墙拒绝"),
        DropReason::NoNatMapping => ("the NAT had no mapping for it", "NAT 中没有对应的映射"),
        DropReason::NotForUs => ("that host has no such address", "该主机没有这个地址"),
    };
    let at = trace.node_name(node);
    match lang {
        Lang::En => format!("lost at {at}: {en}"),
        Lang::Zh => format!("在 {at} 丢失：{zh}"),
    }
}
