//! Host TCP profiles: the handful of numbers that make one operating
//! system's TCP look different from another's in a capture (TTL, MSS,
//! window, delayed-ACK timer, ACK frequency, retransmission timers,
//! ephemeral ports).
//!
//! Two presets: `classic-windows` (Windows XP / Server 2003, the era of the
//! walkthrough's capture) and `linux` (a current kernel's defaults). A
//! scenario names a preset and overrides any field with
//! [`ProfileOverrides`]. Every preset value cites where it comes from.

use netstep_wire::Duration;
use serde::{Deserialize, Deserializer, Serialize};

/// When the receiver acknowledges at once instead of waiting for the
/// delayed-ACK timer (RFC 1122 4.2.3.2: "an ACK SHOULD be generated for at
/// least every second full-sized segment").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum AckEvery {
    /// ACK once this many data segments, full-sized or not, arrived since
    /// the last ACK (Windows' `TcpAckFrequency`, default 2).
    Segments(u32),
    /// ACK once at least this many full-sized segments' worth of bytes
    /// arrived since the last ACK (Linux `__tcp_ack_snd_check`: "more than
    /// one full frame received").
    FullSizedBytes(u32),
}

/// How the ephemeral (client-side) ports are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EphemeralKind {
    /// One after the other: N, N+1, N+2... (Windows before Vista, and the
    /// client of the walkthrough's capture).
    Sequential,
    /// RFC 6056 3.3.1 (Algorithm 1): a random start in the range, then the
    /// next free port. Linux randomises similarly (Algorithm 3 family for
    /// `connect`), which a simulation cannot tell apart.
    Random,
}

/// The ephemeral port range and how ports are picked from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ephemeral {
    pub kind: EphemeralKind,
    /// First port of the range (inclusive).
    pub first: u16,
    /// Last port of the range (inclusive).
    pub last: u16,
    /// Sequential only: the first port handed out (defaults to `first`).
    /// The walkthrough's client starts at 51299.
    #[serde(default)]
    pub start: Option<u16>,
}

/// A host's TCP parameters. Every field can be overridden by a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Profile {
    /// IP time to live of every segment sent.
    pub ttl: u8,
    /// The MSS we announce: the largest payload we accept (RFC 9293 3.7.1).
    pub mss: u16,
    /// Receive buffer in bytes: bounds the window we advertise.
    pub recv_buffer: usize,
    /// Send buffer in bytes: bounds what `send` accepts (unsent plus
    /// unacknowledged data).
    pub send_buffer: usize,
    /// Our window scale shift (RFC 7323 2); `None` sends no option.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_scale: Option<u8>,
    /// Send SACK-permitted on SYNs (RFC 2018). SACK blocks themselves are
    /// neither sent nor used.
    pub sack_permitted: bool,
    /// Timestamps option (RFC 7323 3) when both SYNs carry it.
    pub timestamps: bool,
    /// Delayed-ACK timer; `None` acknowledges every data segment at once.
    #[serde(
        deserialize_with = "de_delayed_ack",
        serialize_with = "ser_delayed_ack"
    )]
    pub delayed_ack: Option<Duration>,
    /// When to ACK at once without waiting for the timer.
    pub ack_every: AckEvery,
    /// ACK the first this-many data segments at once (Linux quick-ACK mode,
    /// `TCP_MAX_QUICKACKS`); 0 for stacks without it.
    pub quickack_segments: u32,
    /// RTO before the first RTT measurement (RFC 6298 2.1).
    pub rto_initial: Duration,
    /// Lower bound on the RTO (RFC 6298 2.4).
    pub rto_min: Duration,
    /// Upper bound on the RTO (RFC 6298 2.5).
    pub rto_max: Duration,
    /// RTO for an unanswered SYN or SYN-ACK.
    pub syn_rto_initial: Duration,
    /// How many times a SYN is retransmitted before the connect fails.
    pub syn_retries: u32,
    /// How many times a SYN-ACK is retransmitted before the half-open
    /// connection is dropped.
    pub synack_retries: u32,
    /// How many consecutive timeouts of data or FIN before the connection
    /// is aborted (RFC 9293 3.8.3, R2).
    pub data_retries: u32,
    /// TIME-WAIT duration, 2×MSL (RFC 9293 3.3.2).
    pub time_wait: Duration,
    /// Nagle's algorithm (RFC 896, RFC 9293 3.7.4) for new connections.
    pub nagle: bool,
    /// Initial congestion window in segments (RFC 3390, RFC 6928).
    pub initial_cwnd_segments: u32,
    /// Duplicate ACKs that trigger fast retransmit (RFC 5681 3.2: 3).
    pub dup_ack_threshold: u32,
    pub ephemeral: Ephemeral,
    /// Every connection's initial sequence number, instead of one drawn
    /// from the host's random stream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub isn: Option<u32>,
}

impl Default for Profile {
    fn default() -> Self {
        Profile::classic_windows()
    }
}

impl Profile {
    /// The names [`Profile::by_name`] knows.
    pub const PRESETS: &'static [&'static str] = &["classic-windows", "linux"];

    /// Windows XP / Server 2003, the stacks of the walkthrough's capture.
    pub fn classic_windows() -> Profile {
        Profile {
            // KB 314053 (TCP/IP parameters for Windows XP): DefaultTTL = 128.
            ttl: 128,
            // Ethernet MTU 1500 minus 20 bytes IP and 20 bytes TCP.
            mss: 1460,
            // 44 × 1460 = 64240: the SYN window of p0f's Windows XP SP1+/2000
            // SP3 signature "S44:128:1:48:M*,N,N,S" (window rounded to MSS).
            recv_buffer: 64_240,
            // AFD's SO_SNDBUF is 8 KiB, but Windows keeps the application's
            // own buffer for in-flight data; 64 KiB models that without
            // capping throughput below the receive window.
            send_buffer: 65_536,
            // KB 224829: Tcp1323Opts = 0 does not send window scale or
            // timestamps on SYNs.
            window_scale: None,
            // KB 224829: SackOpts = 1 (the XP SYN is "MSS, NOP, NOP, SACK_PERM").
            sack_permitted: true,
            timestamps: false,
            // KB 328890 / KB 321098: TcpDelAckTicks = 2 (× 100 ms) = 200 ms.
            delayed_ack: Some(Duration::from_millis(200)),
            // KB 328890: TcpAckFrequency = 2 (every second segment).
            ack_every: AckEvery::Segments(2),
            quickack_segments: 0,
            // "Microsoft Windows 2000 TCP/IP Implementation Details":
            // TcpInitialRtt = 3 s (also RFC 1122 4.2.3.1's original 3 s).
            rto_initial: Duration::from_secs(3),
            // Not documented for XP; Windows Vista+ document MinRto = 300 ms.
            rto_min: Duration::from_millis(300),
            // RFC 6298 (2.5): "a maximum value MAY be placed on RTO provided
            // it is at least 60 seconds".
            rto_max: Duration::from_secs(60),
            // SYNs retried at ~3 s and ~9 s: the walkthrough's captures.
            syn_rto_initial: Duration::from_secs(3),
            // KB 314053: TcpMaxConnectRetransmissions = 2.
            syn_retries: 2,
            // KB 314053: TcpMaxConnectResponseRetransmissions = 2.
            synack_retries: 2,
            // KB 314053: TcpMaxDataRetransmissions = 5.
            data_retries: 5,
            // KB 314053: TcpTimedWaitDelay = 0xF0 = 240 s (MSL 120 s).
            time_wait: Duration::from_secs(240),
            nagle: true,
            // RFC 2581 3.1 (IW = 2 segments), as Windows 2000/XP.
            initial_cwnd_segments: 2,
            dup_ack_threshold: 3,
            // KB 196271, KB 929851: ports 1025 through 5000 (MaxUserPort),
            // handed out in order.
            ephemeral: Ephemeral {
                kind: EphemeralKind::Sequential,
                first: 1025,
                last: 5000,
                start: None,
            },
            isn: None,
        }
    }

    /// A current Linux kernel with default sysctls.
    pub fn linux() -> Profile {
        Profile {
            // net.ipv4.ip_default_ttl = 64.
            ttl: 64,
            mss: 1460,
            // net.ipv4.tcp_rmem[1] = 131072 (since 4.20).
            recv_buffer: 131_072,
            // tcp_wmem[1] = 16384 grows by autotuning; fixed here at a size
            // that does not cap throughput.
            send_buffer: 262_144,
            // Shift 7: what Linux picks for tcp_rmem[2] = 6 MiB.
            window_scale: Some(7),
            // net.ipv4.tcp_sack = 1.
            sack_permitted: true,
            // net.ipv4.tcp_timestamps = 1.
            timestamps: true,
            // TCP_DELACK_MIN = TCP_ATO_MIN = HZ/25 = 40 ms.
            delayed_ack: Some(Duration::from_millis(40)),
            // __tcp_ack_snd_check: ACK when more than one full frame is
            // unacknowledged.
            ack_every: AckEvery::FullSizedBytes(2),
            // TCP_MAX_QUICKACKS = 16 (tcp_incr_quickack on the first data).
            quickack_segments: 16,
            // TCP_TIMEOUT_INIT = 1 s (RFC 6298 2.1).
            rto_initial: Duration::from_secs(1),
            // TCP_RTO_MIN = HZ/5 = 200 ms.
            rto_min: Duration::from_millis(200),
            // TCP_RTO_MAX = 120 s.
            rto_max: Duration::from_secs(120),
            syn_rto_initial: Duration::from_secs(1),
            // net.ipv4.tcp_syn_retries = 6.
            syn_retries: 6,
            // net.ipv4.tcp_synack_retries = 5.
            synack_retries: 5,
            // net.ipv4.tcp_retries2 = 15.
            data_retries: 15,
            // TCP_TIMEWAIT_LEN = 60 s.
            time_wait: Duration::from_secs(60),
            nagle: true,
            // TCP_INIT_CWND = 10 (RFC 6928).
            initial_cwnd_segments: 10,
            dup_ack_threshold: 3,
            // net.ipv4.ip_local_port_range = 32768 60999, randomised
            // (RFC 6056).
            ephemeral: Ephemeral {
                kind: EphemeralKind::Random,
                first: 32768,
                last: 60999,
                start: None,
            },
            isn: None,
        }
    }

    /// A preset by its name (see [`Profile::PRESETS`]).
    pub fn by_name(name: &str) -> Option<Profile> {
        match name {
            "classic-windows" => Some(Profile::classic_windows()),
            "linux" => Some(Profile::linux()),
            _ => None,
        }
    }

    /// This profile with the fields a scenario set replaced.
    pub fn with_overrides(mut self, o: &ProfileOverrides) -> Profile {
        macro_rules! take {
            ($($f:ident),*) => { $( if let Some(v) = o.$f.clone() { self.$f = v; } )* };
        }
        take!(
            ttl,
            mss,
            recv_buffer,
            send_buffer,
            sack_permitted,
            timestamps,
            ack_every,
            quickack_segments,
            rto_initial,
            rto_min,
            rto_max,
            syn_rto_initial,
            syn_retries,
            synack_retries,
            data_retries,
            time_wait,
            nagle,
            initial_cwnd_segments,
            dup_ack_threshold,
            ephemeral
        );
        if let Some(v) = o.window_scale {
            self.window_scale = v.0;
        }
        if let Some(v) = o.delayed_ack {
            self.delayed_ack = v.0;
        }
        if let Some(v) = o.isn {
            self.isn = Some(v);
        }
        self
    }
}

/// A switchable setting: `"off"`/`false` turns it off, a value sets it.
/// TOML has no null, so scenario files need a word for "none".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Switch<T>(pub Option<T>);

impl<'de> Deserialize<'de> for Switch<Duration> {
    /// A duration such as `"200ms"`, or `"off"`/`false`.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        de_delayed_ack(d).map(Switch)
    }
}

impl<'de> Deserialize<'de> for Switch<u8> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Bool(bool),
            Num(u8),
            Word(String),
        }
        match Raw::deserialize(d)? {
            Raw::Bool(false) => Ok(Switch(None)),
            Raw::Num(n) if n <= 14 => Ok(Switch(Some(n))),
            Raw::Num(n) => Err(serde::de::Error::custom(format!(
                "window scale {n} is above RFC 7323's maximum of 14"
            ))),
            Raw::Word(w) if w == "off" || w == "none" => Ok(Switch(None)),
            _ => Err(serde::de::Error::custom(
                "expected a shift count 0..=14 or \"off\"",
            )),
        }
    }
}

fn ser_delayed_ack<S: serde::Serializer>(v: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(d) => d.serialize(s),
        None => s.serialize_str("off"),
    }
}

fn de_delayed_ack<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bool(bool),
        Text(String),
        Null(Option<()>),
    }
    match Raw::deserialize(d)? {
        Raw::Bool(false) | Raw::Null(None) => Ok(None),
        Raw::Text(t) if t == "off" || t == "none" => Ok(None),
        Raw::Text(t) => t.parse().map(Some).map_err(serde::de::Error::custom),
        _ => Err(serde::de::Error::custom(
            "expected a duration such as \"200ms\", or \"off\"",
        )),
    }
}

/// The fields a scenario may override on top of a preset; absent means
/// "keep the preset's value".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProfileOverrides {
    pub ttl: Option<u8>,
    pub mss: Option<u16>,
    pub recv_buffer: Option<usize>,
    pub send_buffer: Option<usize>,
    /// A shift count, or `"off"`.
    pub window_scale: Option<Switch<u8>>,
    pub sack_permitted: Option<bool>,
    pub timestamps: Option<bool>,
    /// A duration such as `"200ms"`, or `"off"`.
    pub delayed_ack: Option<Switch<Duration>>,
    pub ack_every: Option<AckEvery>,
    pub quickack_segments: Option<u32>,
    pub rto_initial: Option<Duration>,
    pub rto_min: Option<Duration>,
    pub rto_max: Option<Duration>,
    pub syn_rto_initial: Option<Duration>,
    pub syn_retries: Option<u32>,
    pub synack_retries: Option<u32>,
    pub data_retries: Option<u32>,
    pub time_wait: Option<Duration>,
    pub nagle: Option<bool>,
    pub initial_cwnd_segments: Option<u32>,
    pub dup_ack_threshold: Option<u32>,
    pub ephemeral: Option<Ephemeral>,
    pub isn: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_found_by_name() {
        for name in Profile::PRESETS {
            assert!(Profile::by_name(name).is_some(), "{name}");
        }
        assert_eq!(Profile::by_name("bsd"), None);
        assert_eq!(Profile::by_name("classic-windows").unwrap().ttl, 128);
        assert_eq!(Profile::by_name("linux").unwrap().ttl, 64);
    }

    #[test]
    fn overrides_replace_only_what_they_name() {
        let o = ProfileOverrides {
            mss: Some(1400),
            delayed_ack: Some(Switch(None)),
            window_scale: Some(Switch(Some(2))),
            ..Default::default()
        };
        let p = Profile::classic_windows().with_overrides(&o);
        assert_eq!(p.mss, 1400);
        assert_eq!(p.delayed_ack, None);
        assert_eq!(p.window_scale, Some(2));
        assert_eq!(p.ttl, 128);
    }

    #[test]
    fn profiles_round_trip_through_serde() {
        for name in Profile::PRESETS {
            let p = Profile::by_name(name).unwrap();
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<Profile>(&json).unwrap(), p, "{json}");
        }
        let off = Profile {
            delayed_ack: None,
            ..Profile::linux()
        };
        let json = serde_json::to_string(&off).unwrap();
        assert!(json.contains(r#""delayed_ack":"off""#), "{json}");
        assert_eq!(serde_json::from_str::<Profile>(&json).unwrap(), off);
    }

    #[test]
    fn a_scenario_writes_overrides_as_people_do() {
        let o: ProfileOverrides = serde_json::from_str(
            r#"{"mss": 1400, "delayed_ack": "off", "window_scale": "off", "time_wait": "60s",
                "ack_every": {"segments": 3},
                "ephemeral": {"kind": "sequential", "first": 1025, "last": 65535, "start": 51299}}"#,
        )
        .unwrap();
        let p = Profile::linux().with_overrides(&o);
        assert_eq!((p.mss, p.delayed_ack, p.window_scale), (1400, None, None));
        assert_eq!(p.time_wait, Duration::from_secs(60));
        assert_eq!(p.ack_every, AckEvery::Segments(3));
        assert_eq!(p.ephemeral.start, Some(51299));
        let o: ProfileOverrides =
            serde_json::from_str(r#"{"delayed_ack": "150ms", "window_scale": 2}"#).unwrap();
        let p = Profile::classic_windows().with_overrides(&o);
        assert_eq!(
            (p.delayed_ack, p.window_scale),
            (Some(Duration::from_millis(150)), Some(2))
        );
        assert!(
            serde_json::from_str::<ProfileOverrides>(r#"{"msss": 1}"#).is_err(),
            "typos are refused"
        );
        assert!(serde_json::from_str::<ProfileOverrides>(r#"{"window_scale": 15}"#).is_err());
        assert!(
            serde_json::from_str::<Profile>(r#"{"ttl": 64}"#)
                .unwrap()
                .mss
                == 1460,
            "defaults fill in"
        );
    }
}
