//! Runs for the export tests: the bundled walkthrough, and a small
//! hand-built run whose payloads hold every character the output formats
//! must escape, a segment lost on the link and its retransmission.

#![allow(dead_code)]

use netstep_trace::{
    Annotation, ConnInfo, ConnVars, EndReason, Endpoint, Fate, NodeInfo, NodeKind, Retransmission,
    RetxKind, ScenarioInfo, SegCause, Segment, StageResult, Stream, Text, Trace, Unstaged,
};
use netstep_wire::{Instant, SeqNumber, TcpFlags, TcpOptions};
use pulldown_cmark::{Event, Tag, TagEnd};
use std::net::{Ipv4Addr, SocketAddrV4};

/// The bundled `active-ftp` scenario, run and annotated.
pub fn active_ftp() -> (Trace, Annotation) {
    let b = netstep_scenario::bundled("active-ftp").expect("active-ftp is bundled");
    let scenario = netstep_scenario::parse(b.text, b.file_name, &[]).expect("it parses");
    let trace = netstep_sim::run_scenario(&scenario);
    let ann = netstep_trace::annotate(&trace, &scenario.walkthrough());
    (trace, ann)
}

/// The payload that must survive every format.
pub const NASTY: &[u8] = b"a|b`c``d;e#f<g>\"h&i%j'k\\l\r\n";
/// Bytes that are not UTF-8.
pub const BINARY: &[u8] = &[0xff, 0x00, b'x', 0x1b];

const CLIENT_ISN: u32 = 1000;
const SERVER_ISN: u32 = 5000;

/// Two hosts and one connection: the handshake, a segment with
/// [`NASTY`] payload, a segment with [`BINARY`] payload that is lost and
/// then retransmitted, and its ACK.
pub fn fixture() -> (Trace, Annotation) {
    fixture_with(NASTY)
}

/// [`fixture`] with `payload` in place of [`NASTY`].
pub fn fixture_with(payload: &[u8]) -> (Trace, Annotation) {
    let c = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 40000);
    let s = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 21);
    let node = |name: &str, addr: SocketAddrV4| NodeInfo {
        name: name.into(),
        kind: NodeKind::Host,
        addrs: vec![*addr.ip()],
        tcp: None,
    };
    let mut stream = payload.to_vec();
    stream.extend_from_slice(BINARY);
    let seg = |i: u64,
               dir: u8,
               seq: u32,
               ack: Option<u32>,
               flags: TcpFlags,
               offset: u64,
               len: u32,
               fate: Fate| {
        let (from, to, src, dst) = if dir == 0 { (0, 1, c, s) } else { (1, 0, s, c) };
        Segment {
            time: Instant::from_millis(i * 10),
            from,
            to: Some(to),
            conn: Some(0),
            dir,
            src,
            dst,
            ttl: 64,
            ip_ident: i as u16,
            seq: SeqNumber(seq),
            ack: ack.map(SeqNumber),
            flags,
            window: 64240,
            options: if flags.syn() {
                TcpOptions {
                    mss: Some(1460),
                    ..TcpOptions::NONE
                }
            } else {
                TcpOptions::NONE
            },
            payload_offset: offset,
            payload_len: len,
            cause: SegCause::Other,
            retransmission: None,
            duplicate_of: None,
            fate,
            vars: ConnVars::default(),
        }
    };
    let delivered = |i: u64| Fate::Delivered {
        at: Instant::from_millis(i * 10 + 1),
    };
    let (a, p) = (TcpFlags::ACK, TcpFlags::PSH | TcpFlags::ACK);
    let n = payload.len() as u32;
    let b = BINARY.len() as u32;
    let mut segments = vec![
        seg(0, 0, CLIENT_ISN, None, TcpFlags::SYN, 0, 0, delivered(0)),
        seg(
            1,
            1,
            SERVER_ISN,
            Some(CLIENT_ISN + 1),
            TcpFlags::SYN | a,
            0,
            0,
            delivered(1),
        ),
        seg(
            2,
            0,
            CLIENT_ISN + 1,
            Some(SERVER_ISN + 1),
            a,
            0,
            0,
            delivered(2),
        ),
        seg(
            3,
            0,
            CLIENT_ISN + 1,
            Some(SERVER_ISN + 1),
            p,
            0,
            n,
            delivered(3),
        ),
        seg(
            4,
            0,
            CLIENT_ISN + 1 + n,
            Some(SERVER_ISN + 1),
            p,
            u64::from(n),
            b,
            Fate::Dropped {
                at: Instant::from_millis(41),
                node: 0,
                reason: netstep_trace::DropReason::Loss,
            },
        ),
        seg(
            5,
            0,
            CLIENT_ISN + 1 + n,
            Some(SERVER_ISN + 1),
            p,
            u64::from(n),
            b,
            delivered(5),
        ),
        seg(
            6,
            1,
            SERVER_ISN + 1,
            Some(CLIENT_ISN + 1 + n + b),
            a,
            0,
            0,
            delivered(6),
        ),
    ];
    segments[4].cause = SegCause::Data {
        piggybacked_ack: false,
    };
    segments[5].retransmission = Some(Retransmission {
        of_segment: Some(4),
        kind: RetxKind::Rto { backoff: 1 },
    });
    segments[6].cause = SegCause::DelayedAckTimer;
    let trace = Trace {
        version: netstep_trace::TRACE_FORMAT_VERSION,
        scenario: ScenarioInfo {
            name: "fixture".into(),
            title: Text::new("Escapes & <losses>", "转义与丢失"),
            description: Text::default(),
            seed: 7,
        },
        nodes: vec![node("client", c), node("server", s)],
        conns: vec![ConnInfo {
            label: "control".into(),
            initiator: Endpoint { node: 0, addr: c },
            responder: Endpoint { node: 1, addr: s },
            initiator_isn: Some(SeqNumber(CLIENT_ISN)),
            responder_isn: Some(SeqNumber(SERVER_ISN)),
            sockets: [None, None],
            streams: [Some(0), None],
        }],
        sockets: Vec::new(),
        segments: segments.into(),
        events: Vec::new(),
        streams: vec![Stream {
            conn: 0,
            dir: 0,
            bytes: stream,
            generated: None,
        }],
        end_time: Instant::from_millis(100),
        end_reason: EndReason::Quiescent,
    };
    let stage = |n: u32, title: &str, segs: Vec<u32>, why_not: Option<&str>| StageResult {
        n,
        title: Text::new(title, format!("步骤 {n}")),
        text: Text::new(format!("Text of stage {n}; with `code` and | pipes."), ""),
        occurred: why_not.is_none(),
        segments: segs,
        why_not: why_not.map(|w| Text::new(w, "没有出现")),
    };
    let ann = Annotation {
        segments: vec![
            Ok(1),
            Ok(1),
            Ok(1),
            Ok(2),
            Ok(3),
            Err(Unstaged::Retransmission),
            Err(Unstaged::NotPartOfTheWalkthrough),
        ],
        stages: vec![
            stage(1, "Handshake", vec![0, 1, 2], None),
            stage(2, "Nasty; #text <here> \"quoted\"", vec![3], None),
            stage(3, "Binary, lost", vec![4], None),
            stage(
                4,
                "Never",
                Vec::new(),
                Some("stage 4 did not occur: nothing matched"),
            ),
        ],
        out_of_order: Vec::new(),
    };
    (trace, ann)
}

/// The table of a Markdown document as GFM reads it: rows of cell texts
/// (code spans included), the header first.
pub fn table_cells(md: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut cell: Option<String> = None;
    for ev in pulldown_cmark::Parser::new_ext(md, pulldown_cmark::Options::ENABLE_TABLES) {
        match ev {
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => row.extend(cell.take()),
            Event::End(TagEnd::TableRow | TagEnd::TableHead) => rows.push(std::mem::take(&mut row)),
            Event::Text(t) | Event::Code(t) => {
                if let Some(c) = cell.as_mut() {
                    c.push_str(&t);
                }
            }
            _ => {}
        }
    }
    rows
}

/// Mermaid's statement separators and entity starts must only appear as
/// entity codes (`#59;`); quotes and angle brackets not at all, except in
/// the participants' `<br/>`.
pub fn assert_mermaid_safe(text: &str) {
    for line in text.lines().skip(1) {
        let line = line.trim_start();
        if line.starts_with("%%") {
            assert!(!line.contains('{'), "{line}");
            continue;
        }
        // Only the texts: a message's or note's after its colon, a title,
        // a participant's alias.
        let text = if let Some(t) = line.strip_prefix("title ") {
            t
        } else if let Some((_, t)) = line.split_once(" as ") {
            t
        } else if let Some((_, t)) = line.split_once(": ") {
            t
        } else {
            continue;
        };
        let line = text.replace("<br/>", "");
        let mut rest = line.as_str();
        let mut plain = String::new();
        while let Some(at) = rest.find('#') {
            plain.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let end = after
                .find(';')
                .unwrap_or_else(|| panic!("bare # in {line}"));
            assert!(
                after[..end].chars().all(|c| c.is_ascii_alphanumeric()),
                "not an entity code in {line}"
            );
            rest = &after[end + 1..];
        }
        plain.push_str(rest);
        for bad in [';', '"', '<', '>', '&', '%'] {
            assert!(!plain.contains(bad), "{bad:?} in {line}");
        }
    }
}
