//! From a validated scenario to a network ready to run.
//!
//! The scenario crate has already checked every name, address and
//! reference, so nothing here can fail on a user's mistake; an
//! inconsistency would be a bug in validation and panics with a message
//! saying so.

use crate::ftp_app::{FtpClientApp, FtpServerApp};
use crate::middlebox::{Firewall, Nat, Rule, Verdict};
use crate::net::{Fault, FaultAction, NetworkBuilder, RunLimits};
use crate::tcphost::TcpHost;
use netstep_scenario as sc;
use netstep_tcp::{AckEvery, Ephemeral, EphemeralKind, Profile, ProfileOverrides, Switch};
use netstep_trace::{NodeInfo, NodeKind, ScenarioInfo, TcpProfileInfo, Trace};
use netstep_wire::{Instant, Ipv4Addr};
use std::collections::BTreeMap;

/// Runs a scenario to the end and returns its trace.
pub fn run_scenario(scenario: &sc::Scenario) -> Trace {
    let f = &scenario.file;
    let limit = Instant::ZERO + f.scenario.time_limit;
    build(scenario).build().run(RunLimits {
        time: limit,
        ..RunLimits::default()
    })
}

fn addr(s: &str) -> Ipv4Addr {
    s.parse()
        .unwrap_or_else(|_| panic!("validation let through a bad address `{s}`"))
}

/// The TCP profile a host spec asks for.
pub fn host_profile(h: &sc::HostSpec) -> Profile {
    let base = Profile::by_name(h.profile.get_ref())
        .unwrap_or_else(|| panic!("validation let through profile `{}`", h.profile.get_ref()));
    let t = &h.tcp;
    let mut o = ProfileOverrides {
        ttl: t.ttl,
        mss: t.mss,
        recv_buffer: t.window.map(|w| w as usize),
        send_buffer: t.send_buffer.map(|w| w as usize),
        window_scale: t.window_scale.map(|w| Switch(u8::try_from(w).ok())),
        sack_permitted: t.sack_permitted,
        timestamps: t.timestamps,
        delayed_ack: t.delayed_ack.map(|d| match d {
            sc::DelayedAckSetting::Off => Switch(None),
            sc::DelayedAckSetting::After(d) => Switch(Some(d)),
        }),
        ack_every: t
            .ack_every
            .map(AckEvery::Segments)
            .or(t.ack_every_full_sized.map(AckEvery::FullSizedBytes)),
        quickack_segments: t.quickack,
        rto_initial: t.rto_initial,
        rto_min: t.rto_min,
        rto_max: t.rto_max,
        syn_rto_initial: t.syn_rto_initial,
        syn_retries: t.syn_retries,
        data_retries: t.data_retries,
        time_wait: t.time_wait,
        nagle: t.nagle,
        initial_cwnd_segments: t.initial_cwnd,
        isn: t.isn,
        ..ProfileOverrides::default()
    };
    if t.ephemeral.is_some() || t.ephemeral_first.is_some() || t.ephemeral_last.is_some() {
        let e = base.ephemeral;
        let kind = match t.ephemeral {
            Some(sc::EphemeralKind::Sequential) => EphemeralKind::Sequential,
            Some(sc::EphemeralKind::Random) => EphemeralKind::Random,
            None => e.kind,
        };
        // `ephemeral_first` starts the range (and a sequential allocator
        // starts there). The seed's client handed out 51299 although XP's
        // default range ends at 5000 (its MaxUserPort had been raised), so
        // a first port beyond the preset's range runs to 65535 unless the
        // scenario says where it ends.
        let first = t.ephemeral_first.unwrap_or(e.first);
        let last = t
            .ephemeral_last
            .unwrap_or(if first > e.last { u16::MAX } else { e.last });
        o.ephemeral = Some(Ephemeral {
            kind,
            first,
            last,
            start: None,
        });
    }
    base.with_overrides(&o)
}

fn profile_info(name: &str, p: &Profile) -> TcpProfileInfo {
    TcpProfileInfo {
        profile: name.to_string(),
        delayed_ack: p.delayed_ack,
        ack_every: match p.ack_every {
            AckEvery::Segments(1) => "every segment".into(),
            AckEvery::Segments(n) => format!("every {n} segments"),
            AckEvery::FullSizedBytes(n) => format!("{n} full-sized segments"),
        },
        mss: p.mss,
        ttl: p.ttl,
        rto_initial: p.rto_initial,
        time_wait: p.time_wait,
        isn_fixed: p.isn.is_some(),
    }
}

/// Builds the network of a validated scenario.
pub fn build(scenario: &sc::Scenario) -> NetworkBuilder {
    let f = &scenario.file;
    let mut nb = NetworkBuilder::new(ScenarioInfo {
        name: f.scenario.name.get_ref().clone(),
        title: f.scenario.title.clone(),
        description: f.scenario.description.clone(),
        seed: f.scenario.seed,
    });
    let mut ids: BTreeMap<String, u32> = BTreeMap::new();
    let host_addr: BTreeMap<String, Ipv4Addr> = f
        .hosts
        .iter()
        .map(|h| (h.name.get_ref().clone(), addr(h.addr.get_ref())))
        .collect();
    let resolve_host = |name_or_addr: &str| -> Ipv4Addr {
        host_addr
            .get(name_or_addr)
            .copied()
            .unwrap_or_else(|| addr(name_or_addr))
    };
    for h in &f.hosts {
        let name = h.name.get_ref();
        let a = addr(h.addr.get_ref());
        let profile = host_profile(h);
        let info = NodeInfo {
            name: name.clone(),
            kind: NodeKind::Host,
            addrs: vec![a],
            tcp: Some(profile_info(h.profile.get_ref(), &profile)),
        };
        let mut host = TcpHost::new(a, profile);
        for s in f.ftp_servers.iter().filter(|s| s.host.get_ref() == name) {
            host.add_app(Box::new(FtpServerApp::new(s, a)));
        }
        for c in f.ftp_clients.iter().filter(|c| c.host.get_ref() == name) {
            let server = resolve_host(c.server.get_ref());
            host.add_app(Box::new(FtpClientApp::new(c, a, server)));
        }
        ids.insert(name.clone(), nb.host(info, Box::new(host)));
    }
    for r in &f.routers {
        let addrs = r.addr.iter().map(|a| addr(a.get_ref())).collect();
        let info = NodeInfo {
            name: r.name.get_ref().clone(),
            kind: NodeKind::Router,
            addrs,
            tcp: None,
        };
        ids.insert(r.name.get_ref().clone(), nb.router(info, None));
    }
    // NATs and firewalls name their inside neighbour, which may be added
    // after them: add every node first, then give them their hooks.
    for n in &f.nats {
        let public = addr(n.public_addr.get_ref());
        let info = NodeInfo {
            name: n.name.get_ref().clone(),
            kind: NodeKind::Nat,
            addrs: vec![public],
            tcp: None,
        };
        ids.insert(n.name.get_ref().clone(), nb.router(info, None));
    }
    for fw in &f.firewalls {
        let info = NodeInfo {
            name: fw.name.get_ref().clone(),
            kind: NodeKind::Firewall,
            addrs: vec![],
            tcp: None,
        };
        ids.insert(fw.name.get_ref().clone(), nb.router(info, None));
    }
    for n in &f.nats {
        let id = ids[n.name.get_ref()];
        let public = addr(n.public_addr.get_ref());
        let inside = ids[n.inside.get_ref()];
        nb.set_middlebox(
            id,
            Box::new(Nat::new(id, public, inside, n.first_port, n.ftp_helper)),
        );
    }
    let verdict = |v: sc::Verdict| match v {
        sc::Verdict::Allow => Verdict::Allow,
        sc::Verdict::Deny => Verdict::Deny,
    };
    for fw in &f.firewalls {
        let id = ids[fw.name.get_ref()];
        let rules = fw
            .rules
            .iter()
            .map(|r| Rule {
                verdict: verdict(r.verdict),
                port: r.port,
                from: r.from.as_deref().map(addr),
            })
            .collect();
        let hook = Firewall::new(
            id,
            ids[fw.inside.get_ref()],
            verdict(fw.default_inbound),
            fw.allow_established,
            rules,
        );
        nb.set_middlebox(id, Box::new(hook));
    }
    for (i, l) in f.links.iter().enumerate() {
        let (ab, ba) = scenario.link_dirs(i);
        nb.link(ids[l.a.get_ref()], ids[l.b.get_ref()], ab, ba);
    }
    for fault in &f.faults {
        nb.fault(Fault {
            action: match fault.action {
                sc::FaultAction::Drop => FaultAction::Drop,
                sc::FaultAction::Delay => FaultAction::Delay,
                sc::FaultAction::Duplicate => FaultAction::Duplicate,
                sc::FaultAction::Corrupt => FaultAction::Corrupt,
            },
            matcher: fault.matcher.get_ref().clone(),
            count: fault.count,
            delay: fault.delay.unwrap_or_default(),
        });
    }
    nb
}
