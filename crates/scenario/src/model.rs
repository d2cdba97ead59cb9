//! The scenario file, as serde reads it.
//!
//! Every table denies unknown keys, so a misspelt key is an error with its
//! place, never silently ignored. Values that later checks must point back
//! to (names, addresses, references between tables) keep their source span
//! with `toml::Spanned`.

use netstep_trace::{Matcher, Text};
use netstep_wire::Duration;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use toml::Spanned;

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Name, titles and the run's seed and time limit.
    pub scenario: Meta,
    /// End hosts: each runs a TCP stack and possibly FTP.
    #[serde(default, rename = "host")]
    pub hosts: Vec<HostSpec>,
    /// Routers forward IPv4 along shortest paths and decrement the TTL.
    #[serde(default, rename = "router")]
    pub routers: Vec<RouterSpec>,
    /// Source NAT between an inside and an outside link.
    #[serde(default, rename = "nat")]
    pub nats: Vec<NatSpec>,
    /// Stateful firewalls between an inside and an outside link.
    #[serde(default, rename = "firewall")]
    pub firewalls: Vec<FirewallSpec>,
    /// Links between two named nodes.
    #[serde(default, rename = "link")]
    pub links: Vec<LinkSpec>,
    /// FTP servers, each on a host.
    #[serde(default, rename = "ftp_server")]
    pub ftp_servers: Vec<FtpServerSpec>,
    /// FTP clients, each on a host, each a person typing.
    #[serde(default, rename = "ftp_client")]
    pub ftp_clients: Vec<FtpClientSpec>,
    /// Things that go wrong, aimed at segments by meaning.
    #[serde(default, rename = "fault")]
    pub faults: Vec<FaultSpec>,
    /// The numbered story told about the run.
    #[serde(default)]
    pub walkthrough: Option<WalkthroughSpec>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// A short name: lower case, digits and dashes (`active-ftp`).
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    pub title: Text,
    #[serde(default)]
    pub description: Text,
    /// Every random choice of the run comes from this seed.
    #[serde(default)]
    pub seed: u64,
    /// The run stops at this virtual time at the latest.
    #[serde(default = "default_time_limit")]
    #[schemars(with = "String")]
    pub time_limit: Duration,
}

fn default_time_limit() -> Duration {
    Duration::from_secs(600)
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostSpec {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// The host's IPv4 address, e.g. `192.168.120.168`.
    #[schemars(with = "String")]
    pub addr: Spanned<String>,
    /// A TCP profile preset: `classic-windows` or `linux`.
    #[serde(default = "default_profile")]
    #[schemars(with = "String")]
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
    pub delayed_ack: Option<DelayedAckSetting>,
    /// Acknowledge at once every Nth unacknowledged segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_every: Option<u32>,
    /// Acknowledge at once when this many full-sized segments are unacknowledged (Linux style).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_every_full_sized: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mss: Option<u16>,
    /// Receive buffer, which is the advertised window (bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_buffer: Option<u32>,
    /// Window scale shift (RFC 7323), or -1 to turn scaling off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_scale: Option<i8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sack_permitted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamps: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub rto_initial: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub rto_min: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub rto_max: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub syn_rto_initial: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syn_retries: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_retries: Option<u32>,
    /// How long a socket stays in TIME-WAIT (2×MSL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub time_wait: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nagle: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_cwnd: Option<u32>,
    /// `sequential` (the seed's N, N+1, N+2) or `random` (RFC 6056).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral: Option<EphemeralKind>,
    /// The first port the ephemeral allocator hands out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_first: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_last: Option<u16>,
    /// Fix the initial sequence number of every connection this host opens
    /// (otherwise it comes from the seed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isn: Option<u32>,
}

/// A delayed-ACK setting: a duration, or `"off"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(with = "String")]
pub enum DelayedAckSetting {
    Off,
    After(Duration),
}

impl<'de> Deserialize<'de> for DelayedAckSetting {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.trim() == "off" {
            return Ok(DelayedAckSetting::Off);
        }
        s.parse::<Duration>()
            .map(DelayedAckSetting::After)
            .map_err(|e| serde::de::Error::custom(format!("{e}, or \"off\"")))
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
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// The router's own address (for TTL-expired reports and tracing).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub addr: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NatSpec {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// The NAT's public address: what the outside sees as the source.
    #[schemars(with = "String")]
    pub public_addr: Spanned<String>,
    /// The node on the inside (private) side.
    #[schemars(with = "String")]
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
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// The node on the protected side.
    #[schemars(with = "String")]
    pub inside: Spanned<String>,
    /// What happens to a new connection from outside that no rule allows.
    #[serde(default)]
    pub default_inbound: Verdict,
    /// Let through packets of connections opened from inside.
    #[serde(default = "yes")]
    pub allow_established: bool,
    /// Rules, first match wins.
    #[serde(default, rename = "rule")]
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
    pub verdict: Verdict,
    /// Inbound destination port (on the inside host).
    #[serde(default)]
    pub port: Option<u16>,
    /// Source address.
    #[serde(default)]
    pub from: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    #[schemars(with = "String")]
    pub a: Spanned<String>,
    #[schemars(with = "String")]
    pub b: Spanned<String>,
    /// Settings for both directions; `a_to_b` and `b_to_a` override them.
    #[serde(flatten)]
    pub both: LinkDirSpec,
    #[serde(default)]
    pub a_to_b: LinkDirSpec,
    #[serde(default)]
    pub b_to_a: LinkDirSpec,
}

/// One direction of a link. Unset fields take the other level's value, then
/// the default (no loss, 1 ms, 100 Mbit/s, 100-packet queue).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkDirSpec {
    /// One-way propagation delay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub delay: Option<Duration>,
    /// `"100Mbit"`, `"10Mbit"`, `"1Gbit"`, `"56kbit"`; serialisation delay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub reorder_delay: Option<Duration>,
    /// Probability that one bit of a packet is flipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrupt: Option<f64>,
}

/// A bit rate written as people write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(with = "String")]
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
        let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
            "bit" | "bps" => 1.0,
            "kbit" | "kbps" => 1e3,
            "mbit" | "mbps" => 1e6,
            "gbit" | "gbps" => 1e9,
            "" => return Err(format!("`{t}` has no unit: write e.g. \"100Mbit\" or \"56kbit\"")),
            u => return Err(format!("unknown bandwidth unit `{u}`: use bit, kbit, Mbit or Gbit")),
        };
        let n: f64 = num
            .parse()
            .map_err(|_| format!("`{t}` is not a number followed by a unit, like \"100Mbit\""))?;
        let bps = (n * scale).round();
        if !(1.0..=1e13).contains(&bps) {
            return Err(format!("bandwidth `{t}` is out of range (1bit to 10000Gbit)"));
        }
        Ok(Bandwidth { bits_per_sec: bps as u64 })
    }
}

impl std::fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = self.bits_per_sec;
        for (unit, scale) in [("Gbit", 1_000_000_000u64), ("Mbit", 1_000_000), ("kbit", 1_000)] {
            if b >= scale && b % scale == 0 {
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
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FtpServerSpec {
    /// The host the server runs on.
    #[schemars(with = "String")]
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
    pub data_port: DataPortSetting,
    /// The range passive-mode data ports are taken from.
    #[serde(default = "default_passive_ports")]
    pub passive_ports: [u16; 2],
    /// Let PORT/EPRT name an address other than the client's (FTP bounce).
    #[serde(default)]
    pub allow_foreign_port: bool,
    /// Accept `anonymous` with any password.
    #[serde(default)]
    pub anonymous: bool,
    #[serde(default, rename = "user")]
    pub users: Vec<FtpUser>,
    /// How long the server takes over each command before it replies, by
    /// verb (`USER = "300ms"`); `default` covers the rest.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub delays: BTreeMap<String, Duration>,
    /// The virtual file system.
    #[serde(default, rename = "file")]
    pub files: Vec<FtpFile>,
    #[serde(default, rename = "dir")]
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
#[schemars(with = "String")]
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
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Port(u16),
            Word(String),
        }
        match Repr::deserialize(d).map_err(|_| {
            serde::de::Error::custom("expected a port number (1-65535), \"default\" or \"ephemeral\"")
        })? {
            Repr::Port(0) => Err(serde::de::Error::custom("port 0 is not a port: use 1-65535 or \"ephemeral\"")),
            Repr::Port(p) => Ok(DataPortSetting::Fixed(p)),
            Repr::Word(w) if w == "ephemeral" => Ok(DataPortSetting::Ephemeral),
            Repr::Word(w) if w == "default" => Ok(DataPortSetting::Default),
            Repr::Word(w) => Err(serde::de::Error::custom(format!(
                "unknown data port `{w}`: use a port number, \"default\" or \"ephemeral\""
            ))),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FtpUser {
    pub name: String,
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
    #[schemars(with = "String")]
    pub path: Spanned<String>,
    #[serde(default)]
    pub mtime: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FtpClientSpec {
    /// The host the client runs on.
    #[schemars(with = "String")]
    pub host: Spanned<String>,
    /// The host (name) or address the user opens: `ftp 192.168.120.240`.
    #[schemars(with = "String")]
    pub server: Spanned<String>,
    #[serde(default = "default_control_port")]
    pub port: u16,
    /// When the user starts the program.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub start: Option<Duration>,
    /// `active` (PORT, the default), `passive` (PASV) or `epsv`.
    #[serde(default)]
    pub mode: FtpMode,
    /// The command `ls` sends: `NLST` (Windows ftp.exe, the seed) or `LIST` (netkit ftp).
    #[serde(default = "default_ls")]
    pub ls: String,
    /// Think time before each typed line unless the line says otherwise.
    #[serde(default = "default_think")]
    #[schemars(with = "String")]
    pub think: Duration,
    /// Time between bytes arriving and the program acting on them.
    #[serde(default = "default_reaction")]
    #[schemars(with = "String")]
    pub reaction: Duration,
    /// What the user types, in order: a string, or `{ line = "...", think = "3s" }`.
    #[serde(default)]
    pub typed: Vec<TypedLine>,
    /// Files in the client's local file system (for `put`).
    #[serde(default, rename = "file")]
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
    pub line: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
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
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Line(String),
            Full(Full),
        }
        match Repr::deserialize(d).map_err(|_| {
            serde::de::Error::custom(
                "expected a typed line: \"ls\", or { line = \"ls\", think = \"3s\" }",
            )
        })? {
            Repr::Line(line) => Ok(TypedLine { line, think: None }),
            Repr::Full(f) => Ok(TypedLine { line: f.line, think: f.think }),
        }
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
    #[schemars(with = "Option<String>")]
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
    /// Credit for the story.
    #[serde(default)]
    pub source: Option<Text>,
    #[serde(default, rename = "stage")]
    pub stages: Vec<StageSpec>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StageSpec {
    /// 1, 2, 3, ... in order.
    #[schemars(with = "u32")]
    pub n: Spanned<u32>,
    pub title: Text,
    #[serde(default)]
    pub text: Text,
    /// The segments that make the stage, one matcher each.
    #[serde(rename = "segment")]
    #[schemars(with = "Vec<Matcher>")]
    pub segments: Vec<Spanned<Matcher>>,
}
