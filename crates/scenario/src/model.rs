//! The scenario file, as serde reads it.
//!
//! Every table denies unknown keys, so a misspelt key is an error with its
//! place, never silently ignored. Values that later checks must point back
//! to (names, addresses, references between tables) keep their source span
//! with `toml::Spanned`; the validator finds the place of everything else
//! through the parsed document (see `tree`).
//!
//! Leaves out: checks that need more than one value (references between
//! tables, ranges, contradictions). Those live in `validate`, so that a
//! file that deserialises still gets every one of its mistakes reported,
//! not just the first.
//!
//! Custom `Deserialize` impls here use visitors rather than
//! `#[serde(untagged)]` or `#[serde(flatten)]`: both buffer the input and so
//! lose the source span of any error inside, and `flatten` also defeats
//! `deny_unknown_fields`.

use crate::schema::{
    AddrText, BandwidthText, DataPortText, DelayedAckText, DurationText, NameText, OneOrMany,
    TextSchema, TypedLineSchema,
};
use netstep_trace::{Matcher, Text};
use netstep_wire::Duration;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use toml::Spanned;

/// A whole scenario file.
///
/// Each list of tables (`host`, `link`, `ftp_server`, ...) may also be
/// written as a single table when there is one (`[ftp_server]` rather than
/// `[[ftp_server]]`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Name, titles and the run's seed and time limit.
    pub scenario: Meta,
    /// End hosts: each runs a TCP stack and possibly FTP.
    #[serde(default, rename = "host", deserialize_with = "one_or_many")]
    #[schemars(with = "OneOrMany<HostSpec>")]
    pub hosts: Vec<HostSpec>,
    /// Routers forward IPv4 along shortest paths and decrement the TTL.
    #[serde(default, rename = "router", deserialize_with = "one_or_many")]
    #[schemars(with = "OneOrMany<RouterSpec>")]
    pub routers: Vec<RouterSpec>,
    /// Source NAT between an inside and an outside link.
    #[serde(default, rename = "nat", deserialize_with = "one_or_many")]
    #[schemars(with = "OneOrMany<NatSpec>")]
    pub nats: Vec<NatSpec>,
    /// Stateful firewalls between an inside and an outside link.
    #[serde(default, rename = "firewall", deserialize_with = "one_or_many")]
    #[schemars(with = "OneOrMany<FirewallSpec>")]
    pub firewalls: Vec<FirewallSpec>,
    /// Links between two named nodes.
    #[serde(default, rename = "link", deserialize_with = "one_or_many")]
    #[schemars(with = "OneOrMany<LinkSpec>")]
    pub links: Vec<LinkSpec>,
    /// FTP servers, each on a host.
    #[serde(default, rename = "ftp_server", deserialize_with = "one_or_many")]
    #[schemars(with = "OneOrMany<FtpServerSpec>")]
    pub ftp_servers: Vec<FtpServerSpec>,
    /// FTP clients, each on a host, each a person typing.
    #[serde(default, rename = "ftp_client", deserialize_with = "one_or_many")]
    #[schemars(with = "OneOrMany<FtpClientSpec>")]
    pub ftp_clients: Vec<FtpClientSpec>,
    /// Things that go wrong, aimed at segments by meaning.
    #[serde(default, rename = "fault", deserialize_with = "one_or_many")]
    #[schemars(with = "OneOrMany<FaultSpec>")]
    pub faults: Vec<FaultSpec>,
    /// The numbered story told about the run.
    #[serde(default)]
    pub walkthrough: Option<WalkthroughSpec>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// A short name: lower case, digits and dashes (`active-ftp`).
    #[schemars(with = "NameText")]
    pub name: Spanned<String>,
    /// The title shown above the run: a string, or `{ en = "...", zh = "..." }`.
    #[serde(deserialize_with = "text_or_string")]
    #[schemars(with = "TextSchema")]
    pub title: Text,
    /// What the scenario shows, in a few sentences.
    #[serde(default, deserialize_with = "text_or_string")]
    #[schemars(with = "TextSchema")]
    pub description: Text,
    /// Every random choice of the run comes from this seed.
    #[serde(default)]
    pub seed: u64,
    /// The run stops at this virtual time at the latest.
    #[serde(default = "default_time_limit")]
    #[schemars(with = "DurationText")]
    pub time_limit: Duration,
}

fn default_time_limit() -> Duration {
    Duration::from_secs(600)
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostSpec {
    /// The host's name, used by links, FTP apps and matchers.
    #[schemars(with = "NameText")]
    pub name: Spanned<String>,
    /// The host's IPv4 address, e.g. `192.168.120.168`.
    #[schemars(with = "AddrText")]
    pub addr: Spanned<String>,
    /// A TCP profile preset: `classic-windows` (the default) or `linux`.
    #[serde(default = "default_profile")]
    #[schemars(with = "crate::schema::ProfileText")]
    pub profile: Spanned<String>,
    /// Field-by-field changes to the profile.
    #[serde(default)]
    pub tcp: TcpOverrides,
}

fn default_profile() -> Spanned<String> {
    Spanned::new(0..0, "classic-windows".to_string())
}

/// Changes to a host's TCP profile; every field is optional.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TcpOverrides {
    /// The delayed-ACK timer, or `"off"` to acknowledge every segment at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DelayedAckText>")]
    pub delayed_ack: Option<DelayedAckSetting>,
    /// Acknowledge at once every Nth unacknowledged segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_every: Option<u32>,
    /// Acknowledge at once when this many full-sized segments are unacknowledged (Linux style).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_every_full_sized: Option<u32>,
    /// Maximum segment size announced in the SYN (bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mss: Option<u16>,
    /// Receive buffer, which is the advertised window (bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<u32>,
    /// Send buffer (bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_buffer: Option<u32>,
    /// Window scale shift (RFC 7323), or -1 to turn scaling off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_scale: Option<i8>,
    /// Offer SACK (RFC 2018) in the SYN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sack_permitted: Option<bool>,
    /// Send timestamps (RFC 7323).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamps: Option<bool>,
    /// The IPv4 time-to-live of the host's packets (1-255).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u8>,
    /// The first retransmission timeout, before any RTT sample (RFC 6298).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DurationText>")]
    pub rto_initial: Option<Duration>,
    /// The lowest the retransmission timeout goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DurationText>")]
    pub rto_min: Option<Duration>,
    /// The highest the retransmission timeout goes after backing off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DurationText>")]
    pub rto_max: Option<Duration>,
    /// The retransmission timeout of an unanswered SYN (3 s in the RFC 1122 era).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DurationText>")]
    pub syn_rto_initial: Option<Duration>,
    /// How many times a SYN is sent again before the connection gives up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syn_retries: Option<u32>,
    /// How many times data is sent again before the connection gives up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_retries: Option<u32>,
    /// How long a socket stays in TIME-WAIT (2×MSL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DurationText>")]
    pub time_wait: Option<Duration>,
    /// Nagle's algorithm (RFC 896): hold small segments while data is unacknowledged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nagle: Option<bool>,
    /// The initial congestion window, in segments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_cwnd: Option<u32>,
    /// `sequential` (the seed's N, N+1, N+2) or `random` (RFC 6056).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral: Option<EphemeralKind>,
    /// The first port of the ephemeral range; a sequential allocator
    /// starts there. Beyond the preset's range, the range runs to 65535
    /// unless `ephemeral_last` ends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_first: Option<u16>,
    /// The last port the ephemeral allocator hands out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_last: Option<u16>,
    /// Fix the initial sequence number of every connection on this host,
    /// opened or accepted (otherwise each comes from the seed): the same
    /// ISN for all of them keeps relative and absolute numbers easy to
    /// compare on a ladder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isn: Option<u32>,
    /// Acknowledge the first this-many data segments of a connection at
    /// once (Linux's quick-ACK mode); 0 turns it off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quickack: Option<u32>,
}

/// A delayed-ACK setting: a duration, or `"off"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(with = "DelayedAckText")]
pub enum DelayedAckSetting {
    Off,
    After(Duration),
}

impl Serialize for DelayedAckSetting {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            DelayedAckSetting::Off => s.serialize_str("off"),
            DelayedAckSetting::After(d) => s.collect_str(d),
        }
    }
}

impl<'de> Deserialize<'de> for DelayedAckSetting {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = DelayedAckSetting;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a duration such as \"200ms\", or \"off\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v.trim() == "off" {
                    return Ok(DelayedAckSetting::Off);
                }
                v.parse::<Duration>()
                    .map(DelayedAckSetting::After)
                    .map_err(|e| match e {
                        netstep_wire::DurationParseError::MissingUnit(t) => E::custom(format!(
                            "`{t}` has no unit: write \"{t}ms\", or \"off\" to acknowledge at once"
                        )),
                        _ => E::custom(format!(
                            "`{v}` is neither a duration nor \"off\": write e.g. \"200ms\", or \"off\" to acknowledge at once"
                        )),
                    })
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
                if v {
                    Err(E::custom(
                        "`true` does not say how long to wait: write a duration such as \"200ms\"",
                    ))
                } else {
                    Ok(DelayedAckSetting::Off)
                }
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                match v {
                    0 => Ok(DelayedAckSetting::After(Duration::ZERO)),
                    _ => Err(E::custom(format!(
                        "a bare number has no unit: write \"{v}ms\", or \"off\""
                    ))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EphemeralKind {
    Sequential,
    Random,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouterSpec {
    /// The router's name, used by links and matchers.
    #[schemars(with = "NameText")]
    pub name: Spanned<String>,
    /// The router's own address (for TTL-expired reports and tracing).
    #[serde(default)]
    #[schemars(with = "Option<AddrText>")]
    pub addr: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NatSpec {
    /// The NAT's name, used by links and matchers.
    #[schemars(with = "NameText")]
    pub name: Spanned<String>,
    /// The NAT's public address: what the outside sees as the source.
    #[schemars(with = "AddrText")]
    pub public_addr: Spanned<String>,
    /// The node on the inside (private) side.
    #[schemars(with = "NameText")]
    pub inside: Spanned<String>,
    /// The first public port mappings take.
    #[serde(default = "default_nat_first_port")]
    pub first_port: u16,
    /// Rewrite PORT commands and 227 replies the way FTP ALGs do.
    #[serde(default)]
    pub ftp_helper: bool,
}

fn default_nat_first_port() -> u16 {
    40000
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FirewallSpec {
    /// The firewall's name, used by links and matchers.
    #[schemars(with = "NameText")]
    pub name: Spanned<String>,
    /// The node on the protected side.
    #[schemars(with = "NameText")]
    pub inside: Spanned<String>,
    /// What happens to a new connection from outside that no rule allows.
    #[serde(default)]
    pub default_inbound: Verdict,
    /// Let through packets of connections opened from inside.
    #[serde(default = "yes")]
    pub allow_established: bool,
    /// Rules, first match wins.
    #[serde(default, rename = "rule", deserialize_with = "one_or_many")]
    #[schemars(with = "OneOrMany<FirewallRule>")]
    pub rules: Vec<FirewallRule>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    #[default]
    Deny,
    Allow,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FirewallRule {
    /// `allow` or `deny`.
    pub verdict: Verdict,
    /// Inbound destination port (on the inside host).
    #[serde(default)]
    pub port: Option<u16>,
    /// Source address.
    #[serde(default)]
    #[schemars(with = "Option<AddrText>")]
    pub from: Option<String>,
}

/// A link between two nodes. In the file, the keys of [`LinkDirSpec`] sit
/// directly in `[[link]]` (both directions) and in its `a_to_b` and `b_to_a`
/// tables (one direction each).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(from = "LinkSpecRepr")]
pub struct LinkSpec {
    pub a: Spanned<String>,
    pub b: Spanned<String>,
    /// Settings for both directions; `a_to_b` and `b_to_a` override them.
    #[serde(flatten)]
    pub both: LinkDirSpec,
    #[serde(default)]
    pub a_to_b: LinkDirSpec,
    #[serde(default)]
    pub b_to_a: LinkDirSpec,
}

/// [`LinkSpec`] as written: the both-direction settings spelt out rather
/// than `#[serde(flatten)]`ed, which would lose the place of any mistake in
/// them and let misspelt keys through.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "LinkSpec")]
struct LinkSpecRepr {
    /// One end: a host, router, NAT or firewall name.
    #[schemars(with = "NameText")]
    a: Spanned<String>,
    /// The other end.
    #[schemars(with = "NameText")]
    b: Spanned<String>,
    /// One-way propagation delay, both directions (default `100us`).
    #[serde(default)]
    #[schemars(with = "Option<DurationText>")]
    delay: Option<Duration>,
    /// Bit rate, both directions (default `"100Mbit"`).
    #[serde(default)]
    bandwidth: Option<Bandwidth>,
    /// Drop-tail queue limit in packets, both directions (default 100).
    #[serde(default)]
    queue: Option<u32>,
    /// Probability (0 to 1) that a packet is lost.
    #[serde(default)]
    loss: Option<f64>,
    /// Probability (0 to 1) that a packet is delivered twice.
    #[serde(default)]
    duplicate: Option<f64>,
    /// Probability (0 to 1) that a packet is held back by `reorder_delay`.
    #[serde(default)]
    reorder: Option<f64>,
    /// How long a reordered packet is held back (default `1ms`).
    #[serde(default)]
    #[schemars(with = "Option<DurationText>")]
    reorder_delay: Option<Duration>,
    /// Probability (0 to 1) that one bit of a packet is flipped.
    #[serde(default)]
    corrupt: Option<f64>,
    /// Settings for packets from `a` to `b` only.
    #[serde(default)]
    a_to_b: LinkDirSpec,
    /// Settings for packets from `b` to `a` only.
    #[serde(default)]
    b_to_a: LinkDirSpec,
}

impl From<LinkSpecRepr> for LinkSpec {
    fn from(r: LinkSpecRepr) -> Self {
        LinkSpec {
            a: r.a,
            b: r.b,
            both: LinkDirSpec {
                delay: r.delay,
                bandwidth: r.bandwidth,
                queue: r.queue,
                loss: r.loss,
                duplicate: r.duplicate,
                reorder: r.reorder,
                reorder_delay: r.reorder_delay,
                corrupt: r.corrupt,
            },
            a_to_b: r.a_to_b,
            b_to_a: r.b_to_a,
        }
    }
}

impl JsonSchema for LinkSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "LinkSpec".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        LinkSpecRepr::json_schema(generator)
    }
}

/// One direction of a link. Unset fields take the other level's value, then
/// the default (`100us` delay, `100Mbit`, a 100-packet queue, no loss,
/// duplication, reordering or corruption, `1ms` reorder delay).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkDirSpec {
    /// One-way propagation delay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DurationText>")]
    pub delay: Option<Duration>,
    /// `"100Mbit"`, `"10Mbit"`, `"1Gbit"`, `"56kbit"`; serialisation delay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<BandwidthText>")]
    pub bandwidth: Option<Bandwidth>,
    /// Drop-tail queue limit, in packets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<u32>,
    /// Probability (0 to 1) that a packet is lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    /// Probability that a packet is delivered twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<f64>,
    /// Probability that a packet is held back by `reorder_delay`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reorder: Option<f64>,
    /// How long a reordered packet is held back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DurationText>")]
    pub reorder_delay: Option<Duration>,
    /// Probability that one bit of a packet is flipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrupt: Option<f64>,
}

/// A bit rate written as people write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(with = "BandwidthText")]
pub struct Bandwidth {
    pub bits_per_sec: u64,
}

impl std::str::FromStr for Bandwidth {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let unit = unit.trim();
        let scale: f64 = match unit.to_ascii_lowercase().as_str() {
            "bit" | "bps" => 1.0,
            "kbit" | "kbps" => 1e3,
            "mbit" | "mbps" => 1e6,
            "gbit" | "gbps" => 1e9,
            "" => {
                return Err(format!(
                    "`{t}` has no unit: write e.g. \"100Mbit\" or \"56kbit\""
                ));
            }
            // Bytes: say so, since "MB" is the usual slip.
            _ if unit.ends_with('B') => {
                return Err(format!(
                    "`{unit}` counts bytes, and bandwidth is in bits: write kbit, Mbit or Gbit (1 byte is 8 bits)"
                ));
            }
            _ => {
                return Err(format!(
                    "unknown bandwidth unit `{unit}`: use bit, kbit, Mbit or Gbit"
                ));
            }
        };
        let n: f64 = num
            .parse()
            .map_err(|_| format!("`{t}` is not a number followed by a unit, like \"100Mbit\""))?;
        let bps = (n * scale).round();
        if !(1.0..=1e13).contains(&bps) {
            return Err(format!(
                "bandwidth `{t}` is out of range (1bit to 10000Gbit)"
            ));
        }
        Ok(Bandwidth {
            bits_per_sec: bps as u64,
        })
    }
}

impl std::fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = self.bits_per_sec;
        for (unit, scale) in [
            ("Gbit", 1_000_000_000u64),
            ("Mbit", 1_000_000),
            ("kbit", 1_000),
        ] {
            if b >= scale && b.is_multiple_of(scale) {
                return write!(f, "{}{unit}", b / scale);
            }
        }
        write!(f, "{b}bit")
    }
}

impl Serialize for Bandwidth {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Bandwidth {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Bandwidth;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a bit rate such as \"100Mbit\" or \"56kbit\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Bandwidth, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Bandwidth, E> {
                Err(E::custom(format!(
                    "a bare number has no unit: write e.g. \"{v}Mbit\" or \"{v}kbit\""
                )))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Bandwidth, E> {
                Err(E::custom(format!(
                    "a bare number has no unit: write e.g. \"{v}Mbit\" or \"{v}kbit\""
                )))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FtpServerSpec {
    /// The host the server runs on.
    #[schemars(with = "NameText")]
    pub host: Spanned<String>,
    /// The control port.
    #[serde(default = "default_control_port")]
    pub port: u16,
    /// The first line the server says, code included.
    #[serde(default = "default_greeting")]
    pub greeting: String,
    /// The port active-mode data connections come from: a number (20, RFC
    /// 959's L-1) or `"ephemeral"`.
    #[serde(default)]
    #[schemars(with = "DataPortText")]
    pub data_port: DataPortSetting,
    /// The range passive-mode data ports are taken from.
    #[serde(default = "default_passive_ports")]
    pub passive_ports: [u16; 2],
    /// Let PORT/EPRT name an address other than the client's (FTP bounce).
    #[serde(default)]
    pub allow_foreign_port: bool,
    /// Set TCP_NODELAY on control connections, so small replies leave at
    /// once instead of waiting for the previous one's ACK (Nagle). FTP
    /// servers such as vsftpd and ProFTPD do; the seed's capture shows the
    /// 226 sent while the 150 was still unacknowledged.
    #[serde(default = "yes")]
    pub nodelay: bool,
    /// Accept `anonymous` with any password.
    #[serde(default)]
    pub anonymous: bool,
    /// Accounts that can log in.
    #[serde(default, rename = "user", deserialize_with = "one_or_many")]
    #[schemars(with = "OneOrMany<FtpUser>")]
    pub users: Vec<FtpUser>,
    /// How long the server takes over each command before it replies, by
    /// verb (`USER = "300ms"`); `default` covers the rest.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, DurationText>")]
    pub delays: BTreeMap<String, Duration>,
    /// The virtual file system.
    #[serde(default, rename = "file", deserialize_with = "one_or_many")]
    #[schemars(with = "OneOrMany<FtpFile>")]
    pub files: Vec<FtpFile>,
    /// Directories of the virtual file system (parents of files exist anyway).
    #[serde(default, rename = "dir", deserialize_with = "one_or_many")]
    #[schemars(with = "OneOrMany<FtpDir>")]
    pub dirs: Vec<FtpDir>,
}

fn default_control_port() -> u16 {
    21
}
fn default_greeting() -> String {
    "220 (vsFTPd 2.0.5)".into()
}
fn default_passive_ports() -> [u16; 2] {
    [50000, 50100]
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, JsonSchema)]
#[schemars(with = "DataPortText")]
pub enum DataPortSetting {
    /// RFC 959's L-1: port 20 for a server on 21.
    #[default]
    Default,
    Fixed(u16),
    Ephemeral,
}

impl Serialize for DataPortSetting {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            DataPortSetting::Default => s.serialize_str("default"),
            DataPortSetting::Fixed(p) => s.serialize_u16(*p),
            DataPortSetting::Ephemeral => s.serialize_str("ephemeral"),
        }
    }
}

impl<'de> Deserialize<'de> for DataPortSetting {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = DataPortSetting;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a port number (1-65535), \"default\" or \"ephemeral\"")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                match u16::try_from(v) {
                    Ok(0) => Err(E::custom(
                        "port 0 is not a port: use 1-65535, \"default\" or \"ephemeral\"",
                    )),
                    Ok(p) => Ok(DataPortSetting::Fixed(p)),
                    Err(_) => Err(E::custom(format!(
                        "{v} is not a port: use 1-65535, \"default\" or \"ephemeral\""
                    ))),
                }
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                match v {
                    "ephemeral" => Ok(DataPortSetting::Ephemeral),
                    "default" => Ok(DataPortSetting::Default),
                    w => Err(E::custom(format!(
                        "unknown data port `{w}`: use a port number, \"default\" or \"ephemeral\""
                    ))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FtpUser {
    /// The name typed at the `Name:` prompt (sent as USER).
    pub name: String,
    /// The password (sent as PASS, in clear text, as FTP does).
    pub password: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FtpFile {
    /// Absolute path in the server's (or client's) file system.
    #[schemars(with = "String")]
    pub path: Spanned<String>,
    /// The file's content as text.
    #[serde(default)]
    pub text: Option<String>,
    /// Or: this many bytes of deterministic generated content.
    #[serde(default)]
    pub size: Option<u64>,
    /// Modification time, seconds since 1970 (shown by LIST and MDTM).
    #[serde(default)]
    pub mtime: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FtpDir {
    /// Absolute path of the directory.
    #[schemars(with = "String")]
    pub path: Spanned<String>,
    /// Modification time, seconds since 1970.
    #[serde(default)]
    pub mtime: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FtpClientSpec {
    /// The host the client runs on.
    #[schemars(with = "NameText")]
    pub host: Spanned<String>,
    /// The host (name) or address the user opens: `ftp 192.168.120.240`.
    #[schemars(with = "String")]
    pub server: Spanned<String>,
    /// The server's control port.
    #[serde(default = "default_control_port")]
    pub port: u16,
    /// When the user starts the program.
    #[serde(default)]
    #[schemars(with = "Option<DurationText>")]
    pub start: Option<Duration>,
    /// `active` (PORT, the default), `passive` (PASV) or `epsv`.
    #[serde(default)]
    pub mode: FtpMode,
    /// The command `ls` sends: `NLST` (Windows ftp.exe, the seed) or `LIST` (netkit ftp).
    #[serde(default = "default_ls")]
    pub ls: String,
    /// Think time before each typed line unless the line says otherwise.
    #[serde(default = "default_think")]
    #[schemars(with = "DurationText")]
    pub think: Duration,
    /// Time between bytes arriving and the program acting on them.
    #[serde(default = "default_reaction")]
    #[schemars(with = "DurationText")]
    pub reaction: Duration,
    /// What the user types, in order: a string, or `{ line = "...", think = "3s" }`.
    #[serde(default)]
    #[schemars(with = "Vec<TypedLineSchema>")]
    pub typed: Vec<TypedLine>,
    /// Files in the client's local file system (for `put`).
    #[serde(default, rename = "file", deserialize_with = "one_or_many")]
    #[schemars(with = "OneOrMany<FtpFile>")]
    pub files: Vec<FtpFile>,
}

fn default_ls() -> String {
    "NLST".into()
}
fn default_think() -> Duration {
    Duration::from_secs(2)
}
fn default_reaction() -> Duration {
    Duration::from_millis(1)
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FtpMode {
    #[default]
    Active,
    Passive,
    Epsv,
}

/// A line the user types, and how long they think first.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TypedLine {
    /// The line, as typed at the `ftp>` prompt.
    pub line: String,
    /// Think time before this line (instead of the client's `think`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DurationText>")]
    pub think: Option<Duration>,
}

impl<'de> Deserialize<'de> for TypedLine {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Full {
            line: String,
            #[serde(default)]
            think: Option<Duration>,
        }
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = TypedLine;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a typed line: \"ls\", or { line = \"ls\", think = \"3s\" }")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TypedLine, E> {
                Ok(TypedLine {
                    line: v.to_string(),
                    think: None,
                })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<TypedLine, A::Error> {
                let f = Full::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(TypedLine {
                    line: f.line,
                    think: f.think,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// Something that goes wrong, aimed at the segments a matcher names.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// `drop`, `delay`, `duplicate` or `corrupt`.
    pub action: FaultAction,
    /// Which segments: the same matcher language as walkthrough stages.
    #[serde(rename = "match")]
    #[schemars(with = "Matcher")]
    pub matcher: Spanned<Matcher>,
    /// How many matching segments to act on (default 1; 0 means all).
    #[serde(default = "one")]
    pub count: u32,
    /// Extra delay for `delay`.
    #[serde(default)]
    #[schemars(with = "Option<DurationText>")]
    pub delay: Option<Duration>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FaultAction {
    Drop,
    Delay,
    Duplicate,
    Corrupt,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WalkthroughSpec {
    /// Credit for the story: a string, or `{ en = "...", zh = "..." }`.
    #[serde(default, deserialize_with = "opt_text_or_string")]
    #[schemars(with = "Option<TextSchema>")]
    pub source: Option<Text>,
    /// The stages, numbered 1, 2, 3, ... in order.
    #[serde(default, rename = "stage")]
    pub stages: Vec<StageSpec>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StageSpec {
    /// 1, 2, 3, ... in order.
    #[schemars(with = "u32")]
    pub n: Spanned<u32>,
    /// A short title: a string, or `{ en = "...", zh = "..." }`.
    #[serde(deserialize_with = "text_or_string")]
    #[schemars(with = "TextSchema")]
    pub title: Text,
    /// What happens in this stage and why.
    #[serde(default, deserialize_with = "text_or_string")]
    #[schemars(with = "TextSchema")]
    pub text: Text,
    /// The segments that make the stage, one matcher each.
    #[serde(rename = "segment")]
    #[schemars(with = "Vec<Matcher>")]
    pub segments: Vec<Spanned<Matcher>>,
}

/// Reads a [`Text`] written either as a plain string (English only) or as
/// `{ en = "...", zh = "..." }`: most scenario authors write one language.
fn text_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Text;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a text: \"...\", or { en = \"...\", zh = \"...\" }")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Text, E> {
            Ok(Text::new(v, ""))
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Text, A::Error> {
            Text::deserialize(serde::de::value::MapAccessDeserializer::new(map))
        }
    }
    d.deserialize_any(V)
}

fn opt_text_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Text>, D::Error> {
    text_or_string(d).map(Some)
}

/// Reads a list of tables written either as an array (`[[ftp_server]]`) or,
/// when there is one, as a single table (`[ftp_server]`).
fn one_or_many<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct V<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for V<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a table, or an array of tables")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Vec<T>, A::Error> {
            Vec::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Vec<T>, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(|t| vec![t])
        }
    }
    d.deserialize_any(V(std::marker::PhantomData))
}
