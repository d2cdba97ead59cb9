//! The one matcher language that both scenario faults and walkthrough stages
//! use to name segments by meaning: "the server's bare ACK of USER", "the
//! segment that carries 331", "the SYN of the data connection".
//!
//! A matcher is a conjunction of optional conditions; an empty matcher
//! matches every segment. Leaves out: regular expressions (a prefix or a
//! substring has covered every stage and fault so far, and stays readable
//! for scenario authors) and conditions on time (stages are about what was
//! sent, not when).

use crate::model::Trace;
use netstep_wire::TcpFlags;
use serde::{Deserialize, Serialize};

/// Conditions on a segment, all of which must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Matcher {
    /// The connection's label: `control` or `data` for FTP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conn: Option<String>,
    /// The sending node's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The name of the node the segment is addressed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Exactly these flags, e.g. `"SYN"`, `"SYN,ACK"`, `"FIN,ACK"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<FlagSet>,
    /// At least these flags (others may be set too), e.g. `"FIN"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_flags: Option<FlagSet>,
    /// `true`: an ACK with no payload and no SYN, FIN or RST (a "bare ACK").
    /// `false`: anything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pure_ack: Option<bool>,
    /// The payload starts with this text, e.g. `"USER"` or `"331"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// The payload contains this text anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_contains: Option<String>,
    /// `true`: the segment carries some payload; `false`: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_payload: Option<bool>,
    /// The segment is the first, in its direction, whose acknowledgement
    /// number covers the whole of the peer's segment whose payload starts
    /// with this text (`"USER"`: the ACK of the USER command). `"FIN"` and
    /// `"SYN"` name the peer's FIN and SYN instead of a payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acks: Option<String>,
    /// `true`: only retransmissions; `false`: only first transmissions.
    /// Stages leave it unset and skip retransmissions; faults leave it unset
    /// and see both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retransmission: Option<bool>,
    /// Take the nth segment (1-based) that meets every other condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<u32>,
}

/// A set of TCP flags written as names: `"SYN,ACK"`, `"SYN+ACK"`,
/// `"PSH, ACK"` or `["SYN", "ACK"]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlagSet(pub TcpFlags);

impl FlagSet {
    /// Parses flag names separated by commas, `+`, `|` or spaces.
    pub fn parse(text: &str) -> Result<FlagSet, String> {
        let mut flags = TcpFlags::NONE;
        for name in text
            .split([',', '+', '|', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            flags |= flag_by_name(name)?;
        }
        if flags.is_empty() {
            return Err("no flags named: write e.g. \"SYN\" or \"FIN,ACK\"".into());
        }
        Ok(FlagSet(flags))
    }
}

fn flag_by_name(name: &str) -> Result<TcpFlags, String> {
    Ok(match name.to_ascii_uppercase().as_str() {
        "SYN" => TcpFlags::SYN,
        "ACK" => TcpFlags::ACK,
        "FIN" => TcpFlags::FIN,
        "RST" => TcpFlags::RST,
        "PSH" => TcpFlags::PSH,
        "URG" => TcpFlags::URG,
        "ECE" => TcpFlags::ECE,
        "CWR" => TcpFlags::CWR,
        _ => {
            return Err(format!(
                "unknown TCP flag `{name}`: use SYN, ACK, FIN, RST, PSH, URG, ECE or CWR"
            ));
        }
    })
}

impl Serialize for FlagSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.names().join(","))
    }
}

impl<'de> Deserialize<'de> for FlagSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            One(String),
            Many(Vec<String>),
        }
        let text = match Repr::deserialize(d).map_err(|_| {
            serde::de::Error::custom("expected flag names, like \"SYN,ACK\" or [\"SYN\", \"ACK\"]")
        })? {
            Repr::One(s) => s,
            Repr::Many(v) => v.join(","),
        };
        FlagSet::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for FlagSet {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FlagSet".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "TCP flag names: \"SYN\", \"SYN,ACK\", \"FIN,ACK\", or an array of names",
            "anyOf": [
                { "type": "string", "pattern": "^\\s*[A-Za-z]{3}(\\s*[,+| ]\\s*[A-Za-z]{3})*\\s*$" },
                { "type": "array", "items": { "type": "string", "enum": ["SYN","ACK","FIN","RST","PSH","URG","ECE","CWR"] } }
            ]
        })
    }
}

/// What the matcher needs to know about the run besides the segment: node
/// names and connection labels, and the segments sent before it (for
/// `acks`). Works both on a finished trace and on one still being recorded.
impl Matcher {
    /// Does segment `index` of `trace` meet every condition except `nth`?
    /// (`nth` counts across segments: see [`Matcher::select`].)
    pub fn matches(&self, trace: &Trace, index: usize) -> bool {
        let Some(seg) = trace.segments.get(index) else {
            return false;
        };
        if let Some(label) = &self.conn
            && trace.conn_label(seg) != label
        {
            return false;
        }
        if let Some(from) = &self.from
            && trace.node_name(seg.from) != from
        {
            return false;
        }
        if let Some(to) = &self.to
            && seg.to.map(|n| trace.node_name(n)) != Some(to.as_str())
        {
            return false;
        }
        if let Some(FlagSet(f)) = self.flags
            && seg.flags != f
        {
            return false;
        }
        if let Some(FlagSet(f)) = self.has_flags
            && !seg.flags.contains(f)
        {
            return false;
        }
        if let Some(p) = self.pure_ack
            && seg.is_pure_ack() != p
        {
            return false;
        }
        if let Some(r) = self.retransmission
            && seg.retransmission.is_some() != r
        {
            return false;
        }
        if let Some(h) = self.has_payload
            && (seg.payload_len > 0) != h
        {
            return false;
        }
        if self.payload.is_some() || self.payload_contains.is_some() {
            let payload = trace.payload(seg);
            if let Some(prefix) = &self.payload
                && !payload.starts_with(prefix.as_bytes())
            {
                return false;
            }
            if let Some(needle) = &self.payload_contains
                && !contains(payload, needle.as_bytes())
            {
                return false;
            }
        }
        if let Some(what) = &self.acks
            && first_ack_of(trace, what, seg.conn, seg.dir, index) != Some(index)
        {
            return false;
        }
        true
    }

    /// The segment this matcher names among `trace.segments[..limit]`: the
    /// `nth` (default first) that matches and for which `eligible` holds.
    pub fn select(
        &self,
        trace: &Trace,
        limit: usize,
        mut eligible: impl FnMut(usize) -> bool,
    ) -> Option<usize> {
        let want = self.nth.unwrap_or(1).max(1);
        let mut seen = 0;
        for i in 0..limit.min(trace.segments.len()) {
            if eligible(i) && self.matches(trace, i) {
                seen += 1;
                if seen == want {
                    return Some(i);
                }
            }
        }
        None
    }

    /// How many of the segments before `index` (exclusive) this matcher's
    /// conditions (all but `nth`) hold for: faults use it to act on the nth
    /// occurrence while the run is being recorded.
    pub fn count_before(&self, trace: &Trace, index: usize) -> usize {
        (0..index.min(trace.segments.len()))
            .filter(|&i| self.matches(trace, i))
            .count()
    }

    /// A short description for messages: `conn=control from=server pure_ack acks=USER`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(v) = &self.conn {
            parts.push(format!("conn={v}"));
        }
        if let Some(v) = &self.from {
            parts.push(format!("from={v}"));
        }
        if let Some(v) = &self.to {
            parts.push(format!("to={v}"));
        }
        if let Some(FlagSet(f)) = self.flags {
            parts.push(format!("flags={}", f.names().join(",")));
        }
        if let Some(FlagSet(f)) = self.has_flags {
            parts.push(format!("has_flags={}", f.names().join(",")));
        }
        if let Some(v) = self.pure_ack {
            parts.push(format!("pure_ack={v}"));
        }
        if let Some(v) = &self.payload {
            parts.push(format!("payload={v:?}"));
        }
        if let Some(v) = &self.payload_contains {
            parts.push(format!("payload_contains={v:?}"));
        }
        if let Some(v) = self.has_payload {
            parts.push(format!("has_payload={v}"));
        }
        if let Some(v) = &self.acks {
            parts.push(format!("acks={v:?}"));
        }
        if let Some(v) = self.retransmission {
            parts.push(format!("retransmission={v}"));
        }
        if let Some(v) = self.nth {
            parts.push(format!("nth={v}"));
        }
        if parts.is_empty() {
            "any segment".into()
        } else {
            parts.join(" ")
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// The peer segment that `what` names on connection `conn`, sent in
/// direction `peer_dir`: the first (non-retransmitted) one whose payload
/// starts with `what`, or its SYN or FIN.
pub fn named_peer_segment(trace: &Trace, what: &str, conn: u32, peer_dir: u8) -> Option<usize> {
    trace.segments.iter().position(|s| {
        s.conn == Some(conn)
            && s.dir == peer_dir
            && s.retransmission.is_none()
            && s.duplicate_of.is_none()
            && match what {
                "SYN" => s.flags.syn(),
                "FIN" => s.flags.fin(),
                _ => trace.payload(s).starts_with(what.as_bytes()),
            }
    })
}

/// The first segment, in direction `dir` of `conn` and before `limit`
/// (inclusive), whose ACK covers the peer segment named by `what`.
pub fn first_ack_of(
    trace: &Trace,
    what: &str,
    conn: Option<u32>,
    dir: u8,
    limit: usize,
) -> Option<usize> {
    let conn = conn?;
    let peer = named_peer_segment(trace, what, conn, 1 - (dir & 1))?;
    let p = &trace.segments.at(peer);
    let end = p.seq + p.seq_len() as usize;
    (peer + 1..=limit.min(trace.segments.len().saturating_sub(1))).find(|&i| {
        let s = &trace.segments.at(i);
        s.conn == Some(conn)
            && s.dir == dir
            && s.duplicate_of.is_none()
            && s.ack.is_some_and(|a| a >= end)
    })
}

/// Every segment index in `0..limit`: a helper for `select` callers with no
/// extra eligibility rule.
pub fn any(_: usize) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_sets_parse_in_every_common_spelling() {
        let sa = TcpFlags::SYN | TcpFlags::ACK;
        assert_eq!(FlagSet::parse("SYN,ACK"), Ok(FlagSet(sa)));
        assert_eq!(FlagSet::parse("syn+ack"), Ok(FlagSet(sa)));
        assert_eq!(FlagSet::parse(" SYN, ACK "), Ok(FlagSet(sa)));
        assert!(FlagSet::parse("SYN,AKC").unwrap_err().contains("AKC"));
        assert!(FlagSet::parse("").is_err());
    }
}
