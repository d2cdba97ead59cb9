//! The pcapng export: the run as a capture file Wireshark opens, one
//! packet per segment, each with a comment that says which stage of the
//! walkthrough it is (or why it has none), its segment number and why TCP
//! sent it.
//!
//! Packets are rebuilt from the recorded fields (addresses, TTL, IP
//! identification, DF, sequence and acknowledgement numbers, flags,
//! window, options, payload from the sender's stream) by
//! `netstep_wire::emit_ipv4_tcp`, which fills in correct checksums, and
//! framed in the synthetic Ethernet II header of `netstep_wire::ethernet`.
//! Timestamps are virtual time since the start of the run, so Wireshark
//! shows them on 1970-01-01; its "seconds since beginning of capture" view
//! reads like the ladder.
//!
//! Leaves out: segments a host dropped on arrival for a bad checksum (the
//! trace does not record which bit flipped), link duplicates in the
//! sender's own capture (the sending host never saw the copy), and
//! Ethernet padding and FCS (see `netstep_wire::ethernet`).

use crate::ladder::{Journeys, Roles, Seen};
use crate::{CapturePoint, ExportError, check, words};
use netstep_trace::{Annotation, Fate, Lang, Trace};
use netstep_wire::{Instant, Ipv4Repr, LinkType, PcapngWriter, SeqNumber, TcpFlags, TcpRepr};
use std::io::Write;

/// The capture of `trace` at `at` as pcapng bytes, comments in `lang`.
pub fn pcapng(
    trace: &Trace,
    ann: &Annotation,
    at: CapturePoint,
    lang: Lang,
) -> Result<Vec<u8>, ExportError> {
    write_pcapng(Vec::new(), trace, ann, at, lang)
}

/// [`pcapng`] into any writer, which is handed back flushed.
pub fn write_pcapng<W: Write>(
    w: W,
    trace: &Trace,
    ann: &Annotation,
    at: CapturePoint,
    lang: Lang,
) -> Result<W, ExportError> {
    check(trace, ann)?;
    let journeys = Journeys::of(trace);
    let packets = select(trace, &journeys, at)?;
    let mut writer = PcapngWriter::new(w, LinkType::ETHERNET, 0)?;
    let mut buf = Vec::new();
    for p in &packets {
        let seg = &trace.segments.at(p.index);
        if trace.payload(seg).len() != seg.payload_len as usize {
            return Err(ExportError::MissingPayload {
                segment: p.index + 1,
            });
        }
        let len = build(seg, &p.seen, &mut buf).map_err(|source| ExportError::Packet {
            segment: p.index + 1,
            source,
        })?;
        let comment = comment(trace, ann, &journeys, p, at, lang);
        writer.write_ipv4(p.time, &buf[..len], Some(&comment))?;
    }
    Ok(writer.into_inner()?)
}

/// One packet of the capture.
#[derive(Debug)]
struct Captured<'t> {
    time: Instant,
    index: usize,
    /// Delivered to the capturing host (rather than sent by it).
    arriving: bool,
    seen: Seen<'t>,
}

/// The packets a capture at `at` holds, in the order it holds them.
fn select<'t>(
    trace: &'t Trace,
    journeys: &Journeys<'t>,
    at: CapturePoint,
) -> Result<Vec<Captured<'t>>, ExportError> {
    let host = match at {
        CapturePoint::Client => Some(Roles::of(trace)?.client),
        CapturePoint::Server => Some(Roles::of(trace)?.server),
        CapturePoint::Wire => None,
    };
    let mut out = Vec::new();
    for (index, seg) in trace.segments.iter().enumerate() {
        let Some(host) = host else {
            out.push(Captured {
                time: seg.time,
                index,
                arriving: false,
                seen: Seen::sent(trace, &seg),
            });
            continue;
        };
        if seg.from == host && seg.duplicate_of.is_none() {
            out.push(Captured {
                time: seg.time,
                index,
                arriving: false,
                seen: Seen::sent(trace, &seg),
            });
        }
        if let Fate::Delivered { at } = seg.fate
            && journeys.dest.get(index).copied().flatten() == Some(host)
        {
            out.push(Captured {
                time: at,
                index,
                arriving: true,
                seen: journeys.arrived(trace, index),
            });
        }
    }
    // At one instant a host handles what arrived before it sends what that
    // caused, so arrivals go first; then the order of sending.
    out.sort_by_key(|p| (p.time, !p.arriving, p.index));
    Ok(out)
}

/// Writes segment `seg` as seen (`seen`) into `buf` as an IPv4 packet;
/// returns its length.
fn build(
    seg: &netstep_trace::Segment,
    seen: &Seen<'_>,
    buf: &mut Vec<u8>,
) -> Result<usize, netstep_wire::WireError> {
    let ack = if seg.flags.ack() {
        Some(seen.ack.unwrap_or(SeqNumber(0)))
    } else {
        None
    };
    let tcp = TcpRepr {
        src_port: seen.src.port(),
        dst_port: seen.dst.port(),
        seq_number: seen.seq,
        ack_number: ack,
        flags: TcpFlags(seg.flags.bits() & !TcpFlags::ACK.bits()),
        window: seg.window,
        urgent: 0,
        options: seg.options,
        payload: &seen.payload,
    };
    let ip = Ipv4Repr {
        src: *seen.src.ip(),
        dst: *seen.dst.ip(),
        protocol: netstep_wire::ipv4::protocol::TCP,
        ttl: seen.ttl,
        ident: seg.ip_ident,
        // Every TCP segment netstep's hosts send has DF set, as the stacks
        // it models do (path MTU discovery, RFC 1191).
        dont_frag: true,
        tos: 0,
        payload_len: 0,
    };
    buf.clear();
    buf.resize(Ipv4Repr::HEADER_LEN + tcp.buffer_len(), 0);
    netstep_wire::try_emit_ipv4_tcp(&ip, &tcp, buf)
}

/// `stage 8: The client sends the password; segment 10; application data,
/// ACK piggybacked`, plus what happened to it on the way when the capture
/// point can know.
fn comment(
    trace: &Trace,
    ann: &Annotation,
    journeys: &Journeys<'_>,
    p: &Captured<'_>,
    at: CapturePoint,
    lang: Lang,
) -> String {
    let seg = &trace.segments.at(p.index);
    let mut parts = Vec::new();
    parts.push(match ann.segments.get(p.index) {
        Some(Ok(n)) => match ann.stage(*n) {
            Some(st) => words::stage_heading(lang, *n, &st.title),
            None => words::stage_heading(lang, *n, &Default::default()),
        },
        Some(Err(why)) => words::unstaged(lang, *why),
        None => words::unstaged(lang, netstep_trace::Unstaged::NotPartOfTheWalkthrough),
    });
    parts.push(words::segment_number(lang, p.index + 1));
    if let Some(r) = words::reason(trace, seg, lang) {
        parts.push(r);
    }
    if p.arriving {
        for r in journeys.rewrites.get(p.index).into_iter().flatten() {
            parts.push(match lang {
                Lang::En => format!("rewritten by {}: {}", trace.node_name(r.node), r.note),
                Lang::Zh => format!("经 {} 改写：{}", trace.node_name(r.node), r.note),
            });
        }
    } else if let Fate::Dropped { node, reason, .. } = seg.fate {
        // The sender's capture and the wire see a segment that is lost
        // further on; say so, since the other side's capture will lack it.
        parts.push(words::lost(trace, node, reason, lang));
    } else if at == CapturePoint::Wire && seg.fate == Fate::InFlight {
        parts.push(
            words::pick(
                lang,
                "still in flight when the run stopped",
                "运行结束时仍在途中",
            )
            .into(),
        );
    }
    let sep = words::pick(lang, "; ", "；");
    parts.join(sep)
}
