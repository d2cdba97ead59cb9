//! A validated scenario and the lookups the simulator needs, with every
//! default applied.
//!
//! A [`Scenario`] only comes from [`crate::parse`] or [`crate::load`],
//! which validate it: every name a table uses resolves, every address
//! parses, every probability is one. The lookups below can therefore
//! return plain values; where they return `Option`, `None` means the caller
//! asked about a name the scenario does not have, never a broken scenario.

use crate::model::*;
use crate::overrides::SetOverride;
use crate::validate::parse_addr;
use netstep_trace::{Matcher, NodeKind, Stage, Walkthrough};
use netstep_wire::Duration;
use std::net::Ipv4Addr;

/// A scenario file that parsed and validated.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub file: ScenarioFile,
    /// Where the text came from, as diagnostics name it (a path, or a
    /// bundled scenario's file name).
    pub origin: String,
    /// The text the spans in `file` point into: the file with every
    /// override applied.
    pub text: String,
    /// The `--set`/`--seed` overrides applied, in order.
    pub overrides: Vec<SetOverride>,
}

/// One direction of a link with every default applied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResolvedLinkDir {
    /// One-way propagation delay.
    pub delay: Duration,
    pub bits_per_sec: u64,
    /// Drop-tail queue limit, in packets.
    pub queue: u32,
    /// Probabilities, each in 0..=1.
    pub loss: f64,
    pub duplicate: f64,
    pub reorder: f64,
    /// How long a reordered packet is held back.
    pub reorder_delay: Duration,
    pub corrupt: f64,
}

impl Default for ResolvedLinkDir {
    /// A clean LAN: 100 µs, 100 Mbit/s, 100 packets of queue, nothing lost.
    fn default() -> Self {
        ResolvedLinkDir {
            delay: Duration::from_micros(100),
            bits_per_sec: 100_000_000,
            queue: 100,
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_delay: Duration::from_millis(1),
            corrupt: 0.0,
        }
    }
}

impl ResolvedLinkDir {
    /// Each setting from the first level that sets it (the direction's
    /// own table, then the link's), else the default.
    pub fn resolve(levels: &[&LinkDirSpec]) -> Self {
        let d = ResolvedLinkDir::default();
        macro_rules! pick {
            ($field:ident) => {
                levels.iter().find_map(|l| l.$field)
            };
        }
        ResolvedLinkDir {
            delay: pick!(delay).unwrap_or(d.delay),
            bits_per_sec: pick!(bandwidth).map_or(d.bits_per_sec, |b| b.bits_per_sec),
            queue: pick!(queue).unwrap_or(d.queue),
            loss: pick!(loss).unwrap_or(d.loss),
            duplicate: pick!(duplicate).unwrap_or(d.duplicate),
            reorder: pick!(reorder).unwrap_or(d.reorder),
            reorder_delay: pick!(reorder_delay).unwrap_or(d.reorder_delay),
            corrupt: pick!(corrupt).unwrap_or(d.corrupt),
        }
    }
}

/// A link with both directions resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedLink {
    pub a: String,
    pub b: String,
    pub a_to_b: ResolvedLinkDir,
    pub b_to_a: ResolvedLinkDir,
}

/// A fault with its defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedFault {
    pub action: FaultAction,
    pub matcher: Matcher,
    /// How many matching segments to act on; 0 means all.
    pub count: u32,
    /// The extra delay of a `delay` fault (zero for the others).
    pub delay: Duration,
}

impl Scenario {
    /// The scenario's short name.
    pub fn name(&self) -> &str {
        self.file.scenario.name.get_ref()
    }

    pub fn seed(&self) -> u64 {
        self.file.scenario.seed
    }

    /// Every node's name: hosts, routers, NATs, firewalls, each in file
    /// order. The simulator numbers nodes in this order.
    pub fn node_names(&self) -> Vec<&str> {
        let f = &self.file;
        f.hosts
            .iter()
            .map(|h| h.name.get_ref().as_str())
            .chain(f.routers.iter().map(|r| r.name.get_ref().as_str()))
            .chain(f.nats.iter().map(|n| n.name.get_ref().as_str()))
            .chain(f.firewalls.iter().map(|w| w.name.get_ref().as_str()))
            .collect()
    }

    /// What kind of node `name` is.
    pub fn node_kind(&self, name: &str) -> Option<NodeKind> {
        let f = &self.file;
        if f.hosts.iter().any(|h| h.name.get_ref() == name) {
            Some(NodeKind::Host)
        } else if f.routers.iter().any(|r| r.name.get_ref() == name) {
            Some(NodeKind::Router)
        } else if f.nats.iter().any(|n| n.name.get_ref() == name) {
            Some(NodeKind::Nat)
        } else if f.firewalls.iter().any(|w| w.name.get_ref() == name) {
            Some(NodeKind::Firewall)
        } else {
            None
        }
    }

    pub fn host(&self, name: &str) -> Option<&HostSpec> {
        self.file.hosts.iter().find(|h| h.name.get_ref() == name)
    }

    /// The address of host `name`.
    pub fn host_addr(&self, name: &str) -> Option<Ipv4Addr> {
        self.host(name)
            .and_then(|h| parse_addr(h.addr.get_ref()).ok())
    }

    /// Every host's name and address, in file order.
    pub fn host_addrs(&self) -> Vec<(&str, Ipv4Addr)> {
        self.file
            .hosts
            .iter()
            .filter_map(|h| {
                Some((
                    h.name.get_ref().as_str(),
                    parse_addr(h.addr.get_ref()).ok()?,
                ))
            })
            .collect()
    }

    /// The address of any node that has one: a host's, a router's own, a
    /// NAT's public address.
    pub fn node_addr(&self, name: &str) -> Option<Ipv4Addr> {
        let f = &self.file;
        let text = f
            .hosts
            .iter()
            .find(|h| h.name.get_ref() == name)
            .map(|h| &h.addr)
            .or_else(|| {
                f.routers
                    .iter()
                    .find(|r| r.name.get_ref() == name)
                    .and_then(|r| r.addr.as_ref())
            })
            .or_else(|| {
                f.nats
                    .iter()
                    .find(|n| n.name.get_ref() == name)
                    .map(|n| &n.public_addr)
            })?;
        parse_addr(text.get_ref()).ok()
    }

    /// The host whose address is `addr`.
    pub fn host_by_addr(&self, addr: Ipv4Addr) -> Option<&HostSpec> {
        self.file
            .hosts
            .iter()
            .find(|h| parse_addr(h.addr.get_ref()).ok() == Some(addr))
    }

    /// Every link, both directions resolved, in file order.
    pub fn links(&self) -> Vec<ResolvedLink> {
        (0..self.file.links.len())
            .map(|i| {
                let l = &self.file.links[i];
                let (a_to_b, b_to_a) = self.link_dirs(i);
                ResolvedLink {
                    a: l.a.get_ref().clone(),
                    b: l.b.get_ref().clone(),
                    a_to_b,
                    b_to_a,
                }
            })
            .collect()
    }

    /// Link `i`'s two directions, `a` to `b` first, with defaults applied.
    ///
    /// # Panics
    ///
    /// If there is no link `i`, as indexing does.
    pub fn link_dirs(&self, i: usize) -> (ResolvedLinkDir, ResolvedLinkDir) {
        let l = &self.file.links[i];
        (
            ResolvedLinkDir::resolve(&[&l.a_to_b, &l.both]),
            ResolvedLinkDir::resolve(&[&l.b_to_a, &l.both]),
        )
    }

    /// The name of the host a client opens (its `server` may be a name or
    /// an address).
    pub fn client_server_host<'a>(&'a self, client: &'a FtpClientSpec) -> &'a str {
        let s = client.server.get_ref().as_str();
        if self.host(s).is_some() {
            return s;
        }
        s.trim()
            .parse()
            .ok()
            .and_then(|a| self.host_by_addr(a))
            .map_or(s, |h| h.name.get_ref().as_str())
    }

    /// The FTP server listening on `host` at control port `port`.
    pub fn ftp_server_on(&self, host: &str, port: u16) -> Option<&FtpServerSpec> {
        self.file
            .ftp_servers
            .iter()
            .find(|s| s.host.get_ref() == host && s.port == port)
    }

    /// The walkthrough as the annotator reads it (empty if the scenario
    /// has none).
    pub fn walkthrough(&self) -> Walkthrough {
        let Some(w) = &self.file.walkthrough else {
            return Walkthrough::default();
        };
        Walkthrough {
            source: w.source.clone(),
            stages: w
                .stages
                .iter()
                .map(|s| Stage {
                    n: *s.n.get_ref(),
                    title: s.title.clone(),
                    text: s.text.clone(),
                    segments: s.segments.iter().map(|m| m.get_ref().clone()).collect(),
                })
                .collect(),
        }
    }

    /// Each fault's matcher, in file order.
    pub fn fault_matchers(&self) -> Vec<Matcher> {
        self.file
            .faults
            .iter()
            .map(|f| f.matcher.get_ref().clone())
            .collect()
    }

    /// Every fault, in file order.
    pub fn faults(&self) -> Vec<ResolvedFault> {
        self.file
            .faults
            .iter()
            .map(|f| ResolvedFault {
                action: f.action,
                matcher: f.matcher.get_ref().clone(),
                count: f.count,
                delay: f.delay.unwrap_or(Duration::ZERO),
            })
            .collect()
    }
}
