//! NAT and firewall nodes: the packet hooks of forwarding nodes.
//!
//! The NAT is a source NAT (RFC 3022's NAPT): connections opened from the
//! inside get the NAT's public address and a port from a sequential pool;
//! packets from the outside reach the inside only through a mapping. With
//! its FTP helper on, it rewrites the address in `PORT` commands the way
//! ALGs such as Linux's `nf_nat_ftp` do, creating a
//! mapping for the data port and shifting the sequence and acknowledgement
//! numbers of the rest of the connection by the change in length.
//!
//! The firewall is stateful: it remembers connections opened from the
//! inside and lets their packets back in; a new connection from outside
//! passes only if a rule allows it.
//!
//! Leaves out: NAT hairpinning, endpoint-independent filtering variants,
//! ICMP errors, mapping timeouts, and rewriting `227`/`EPRT` (needed only
//! for a NAT in front of a server or for IPv6-style commands; no bundled
//! scenario has either).

use crate::net::Middlebox;
use crate::record::Recorder;
use netstep_trace::{DropReason, EventKind};
use netstep_wire::{Instant, Ipv4Addr};
use std::collections::BTreeMap;
use std::net::SocketAddrV4;

/// Offsets into an IPv4 packet without options (netstep emits none).
const IP_LEN: usize = 20;

fn src(p: &[u8]) -> SocketAddrV4 {
    SocketAddrV4::new(
        Ipv4Addr::new(p[12], p[13], p[14], p[15]),
        u16::from_be_bytes([p[IP_LEN], p[IP_LEN + 1]]),
    )
}

fn dst(p: &[u8]) -> SocketAddrV4 {
    SocketAddrV4::new(
        Ipv4Addr::new(p[16], p[17], p[18], p[19]),
        u16::from_be_bytes([p[IP_LEN + 2], p[IP_LEN + 3]]),
    )
}

fn set_src(p: &mut [u8], a: SocketAddrV4) {
    p[12..16].copy_from_slice(&a.ip().octets());
    p[IP_LEN..IP_LEN + 2].copy_from_slice(&a.port().to_be_bytes());
}

fn set_dst(p: &mut [u8], a: SocketAddrV4) {
    p[16..20].copy_from_slice(&a.ip().octets());
    p[IP_LEN + 2..IP_LEN + 4].copy_from_slice(&a.port().to_be_bytes());
}

fn tcp_flags(p: &[u8]) -> u8 {
    p[IP_LEN + 13]
}

fn tcp_header_len(p: &[u8]) -> usize {
    usize::from(p[IP_LEN + 12] >> 4) * 4
}

fn seq_at(p: &[u8], off: usize) -> u32 {
    u32::from_be_bytes([p[off], p[off + 1], p[off + 2], p[off + 3]])
}

fn set_seq_at(p: &mut [u8], off: usize, v: u32) {
    p[off..off + 4].copy_from_slice(&v.to_be_bytes());
}

/// Recomputes the IPv4 and TCP checksums after a rewrite.
fn refresh_checksums(p: &mut [u8]) {
    if let Ok(mut ip) = netstep_wire::ipv4::Ipv4Packet::new_checked(&mut p[..]) {
        ip.fill_checksum();
    }
    let (s, d) = (src(p), dst(p));
    if let Ok(mut tcp) = netstep_wire::tcp::TcpPacket::new_checked(&mut p[IP_LEN..]) {
        tcp.fill_checksum(*s.ip(), *d.ip());
    }
}

/// A sequence-number adjustment after a payload changed length: segments
/// at or after `from_seq` are shifted by `delta` (Linux's nf_ct_seqadj).
#[derive(Debug, Clone, Copy, Default)]
struct SeqAdj {
    from_seq: u32,
    delta: i32,
}

impl SeqAdj {
    fn apply(&self, seq: u32) -> u32 {
        if self.delta != 0 && seq.wrapping_sub(self.from_seq) as i32 >= 0 {
            seq.wrapping_add(self.delta as u32)
        } else {
            seq
        }
    }
    fn unapply(&self, ack: u32) -> u32 {
        let moved = self.from_seq.wrapping_add(self.delta as u32);
        if self.delta != 0 && ack.wrapping_sub(moved) as i32 >= 0 {
            ack.wrapping_sub(self.delta as u32)
        } else {
            ack
        }
    }
}

/// Source NAT with an optional FTP helper.
#[derive(Debug)]
pub struct Nat {
    pub node: u32,
    pub public: Ipv4Addr,
    /// The neighbour on the private side.
    pub inside: u32,
    pub ftp_helper: bool,
    next_port: u16,
    /// inside address → public port, and back.
    out_map: BTreeMap<SocketAddrV4, u16>,
    in_map: BTreeMap<u16, SocketAddrV4>,
    /// Sequence adjustments per (inside address, remote address).
    seqadj: BTreeMap<(SocketAddrV4, SocketAddrV4), SeqAdj>,
}

impl Nat {
    pub fn new(
        node: u32,
        public: Ipv4Addr,
        inside: u32,
        first_port: u16,
        ftp_helper: bool,
    ) -> Self {
        Nat {
            node,
            public,
            inside,
            ftp_helper,
            next_port: first_port,
            out_map: BTreeMap::new(),
            in_map: BTreeMap::new(),
            seqadj: BTreeMap::new(),
        }
    }

    fn map(&mut self, inside: SocketAddrV4) -> u16 {
        if let Some(&p) = self.out_map.get(&inside) {
            return p;
        }
        let p = self.next_port;
        self.next_port = self.next_port.checked_add(1).unwrap_or(1024);
        self.out_map.insert(inside, p);
        self.in_map.insert(p, inside);
        p
    }

    /// Rewrites `PORT h1,h2,h3,h4,p1,p2` in an outbound control segment.
    fn rewrite_port_command(
        &mut self,
        packet: &mut Vec<u8>,
        key: (SocketAddrV4, SocketAddrV4),
        raw_seq: u32,
    ) -> Option<String> {
        let data_off = IP_LEN + tcp_header_len(packet);
        let payload = packet.get(data_off..)?.to_vec();
        let text = std::str::from_utf8(&payload).ok()?;
        let rest = text.strip_prefix("PORT ")?;
        let args = rest.trim_end_matches(['\r', '\n']);
        let nums: Vec<u16> = args
            .split(',')
            .map(|n| n.trim().parse().ok())
            .collect::<Option<_>>()?;
        if nums.len() != 6 || nums.iter().any(|&n| n > 255) {
            return None;
        }
        let inside = SocketAddrV4::new(
            Ipv4Addr::new(nums[0] as u8, nums[1] as u8, nums[2] as u8, nums[3] as u8),
            nums[4] * 256 + nums[5],
        );
        let port = self.map(inside);
        let o = self.public.octets();
        let new = format!(
            "PORT {},{},{},{},{},{}\r\n",
            o[0],
            o[1],
            o[2],
            o[3],
            port >> 8,
            port & 0xff
        );
        // Adjustments are kept in the inside host's sequence space.
        let seq = raw_seq;
        let delta = new.len() as i32 - payload.len() as i32;
        packet.truncate(data_off);
        packet.extend_from_slice(new.as_bytes());
        let total = packet.len() as u16;
        packet[2..4].copy_from_slice(&total.to_be_bytes());
        let end = seq.wrapping_add(payload.len() as u32);
        let adj = self.seqadj.entry(key).or_default();
        // A retransmitted PORT is rewritten the same way but must not move
        // the stream a second time.
        let first_time = adj.delta == 0 || end.wrapping_sub(adj.from_seq) as i32 > 0;
        if delta != 0 && first_time {
            // Later segments of this direction move by the new total delta,
            // counted from the end of this one.
            adj.delta += delta;
            adj.from_seq = end;
        }
        Some(format!("FTP helper rewrote {} to {new:?}", text.trim_end()))
    }
}

impl Middlebox for Nat {
    fn process(
        &mut self,
        now: Instant,
        packet: &mut Vec<u8>,
        seg: u32,
        from_node: u32,
        rec: &mut Recorder,
    ) -> Result<(), DropReason> {
        if packet.len() < IP_LEN + 20 {
            return Err(DropReason::Corrupted);
        }
        if from_node == self.inside {
            let (s, d) = (src(packet), dst(packet));
            let key = (s, d);
            let mut note = format!("source {s} → ");
            let raw_seq = seq_at(packet, IP_LEN + 4);
            if let Some(adj) = self.seqadj.get(&key) {
                set_seq_at(packet, IP_LEN + 4, adj.apply(raw_seq));
            }
            let mut helper_note = None;
            if self.ftp_helper && d.port() == 21 {
                helper_note = self.rewrite_port_command(packet, key, raw_seq);
            }
            let port = self.map(s);
            let public = SocketAddrV4::new(self.public, port);
            rec.alias((public, d), (s, d));
            set_src(packet, public);
            note.push_str(&public.to_string());
            if let Some(h) = helper_note {
                note.push_str("; ");
                note.push_str(&h);
            }
            refresh_checksums(packet);
            rec.event(
                now,
                EventKind::Rewritten {
                    segment: seg,
                    node: self.node,
                    src: public,
                    dst: d,
                    note,
                },
            );
            Ok(())
        } else {
            let d = dst(packet);
            if *d.ip() != self.public {
                // A private address is not routable from the outside.
                return Err(DropReason::NoRoute);
            }
            let Some(&inside) = self.in_map.get(&d.port()) else {
                return Err(DropReason::NoNatMapping);
            };
            let s = src(packet);
            if tcp_flags(packet) & 0x10 != 0
                && let Some(adj) = self.seqadj.get(&(inside, s))
            {
                let ack = seq_at(packet, IP_LEN + 8);
                set_seq_at(packet, IP_LEN + 8, adj.unapply(ack));
            }
            rec.alias((s, inside), (s, d));
            set_dst(packet, inside);
            refresh_checksums(packet);
            rec.event(
                now,
                EventKind::Rewritten {
                    segment: seg,
                    node: self.node,
                    src: s,
                    dst: inside,
                    note: format!("destination {d} → {inside}"),
                },
            );
            Ok(())
        }
    }
}

/// What a firewall rule decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    Deny,
}

/// One firewall rule for new inbound connections; unset fields match all.
#[derive(Debug, Clone)]
pub struct Rule {
    pub verdict: Verdict,
    pub port: Option<u16>,
    pub from: Option<Ipv4Addr>,
}

/// A stateful firewall in front of the `inside` node.
#[derive(Debug)]
pub struct Firewall {
    pub node: u32,
    pub inside: u32,
    pub default_inbound: Verdict,
    pub allow_established: bool,
    pub rules: Vec<Rule>,
    /// Connections seen leaving, as (inside, outside) address pairs.
    established: std::collections::BTreeSet<(SocketAddrV4, SocketAddrV4)>,
}

impl Firewall {
    pub fn new(
        node: u32,
        inside: u32,
        default_inbound: Verdict,
        allow_established: bool,
        rules: Vec<Rule>,
    ) -> Self {
        Firewall {
            node,
            inside,
            default_inbound,
            allow_established,
            rules,
            established: Default::default(),
        }
    }
}

impl Middlebox for Firewall {
    fn process(
        &mut self,
        _now: Instant,
        packet: &mut Vec<u8>,
        _seg: u32,
        from_node: u32,
        _rec: &mut Recorder,
    ) -> Result<(), DropReason> {
        if packet.len() < IP_LEN + 20 {
            return Err(DropReason::Corrupted);
        }
        let (s, d) = (src(packet), dst(packet));
        if from_node == self.inside {
            self.established.insert((s, d));
            return Ok(());
        }
        if self.allow_established && self.established.contains(&(d, s)) {
            return Ok(());
        }
        // A new connection (or a stray segment) from outside: first rule wins.
        let verdict = self
            .rules
            .iter()
            .find(|r| r.port.is_none_or(|p| p == d.port()) && r.from.is_none_or(|a| a == *s.ip()))
            .map_or(self.default_inbound, |r| r.verdict);
        match verdict {
            Verdict::Allow => {
                self.established.insert((d, s));
                Ok(())
            }
            Verdict::Deny => Err(DropReason::Filtered),
        }
    }
}
