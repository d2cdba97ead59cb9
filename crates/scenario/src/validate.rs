//! Checks across values: everything serde cannot see, so that once a
//! scenario validates, every reference between its tables resolves and the
//! simulator never has to report a scenario mistake.
//!
//! Every check runs on every element and reports on its own, so a file with
//! five mistakes gets five diagnostics. A check that depends on another
//! (reachability needs valid links) is skipped when that one failed,
//! rather than adding an echo of it.
//!
//! Leaves out: what only a run can tell (whether a firewall lets the data
//! connection in, whether a stage occurs), and the meaning of typed lines
//! (the FTP client reports an unknown command when the user "types" it,
//! which is itself something worth showing).

use crate::diagnostic::Problem;
use crate::model::*;
use crate::suggest;
use crate::tree::{Node, Seg, tpath};
use netstep_trace::{FlagSet, Matcher};
use netstep_wire::{Duration, TcpFlags};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::Ipv4Addr;
use std::ops::Range;
use toml::Spanned;

/// The TCP profile presets a host may name (`Profile::by_name` knows each).
pub const PROFILES: &[&str] = netstep_tcp::Profile::PRESETS;

/// The connection labels applications give their connections (FTP's).
pub const CONN_LABELS: &[&str] = &["control", "data"];

/// FTP verbs a server can be told to take time over: RFC 959, RFC 2389
/// (FEAT, OPTS), RFC 2428 (EPRT, EPSV) and RFC 3659 (MDTM, SIZE, MLST,
/// MLSD), plus `default` for the rest.
pub const FTP_VERBS: &[&str] = &[
    "USER", "PASS", "ACCT", "CWD", "CDUP", "SMNT", "REIN", "QUIT", "PORT", "PASV", "TYPE", "STRU",
    "MODE", "RETR", "STOR", "STOU", "APPE", "ALLO", "REST", "RNFR", "RNTO", "ABOR", "DELE", "RMD",
    "MKD", "PWD", "LIST", "NLST", "SITE", "SYST", "STAT", "HELP", "NOOP", "FEAT", "OPTS", "EPRT",
    "EPSV", "MDTM", "SIZE", "MLST", "MLSD", "default",
];

const NAME_HINT: &str =
    "names use lower-case letters, digits and dashes, like `client` or `router-1`";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Host,
    Router,
    Nat,
    Firewall,
}

impl Kind {
    fn article(self) -> &'static str {
        match self {
            Kind::Host => "a host",
            Kind::Router => "a router",
            Kind::Nat => "a NAT",
            Kind::Firewall => "a firewall",
        }
    }
    fn word(self) -> &'static str {
        match self {
            Kind::Host => "host",
            Kind::Router => "router",
            Kind::Nat => "NAT",
            Kind::Firewall => "firewall",
        }
    }
}

struct Checker<'a> {
    file: &'a ScenarioFile,
    tree: &'a Node,
    problems: Vec<Problem>,
    /// Every node's kind and the span of its name (first definition wins).
    nodes: BTreeMap<&'a str, (Kind, Range<usize>)>,
    /// Every valid node address and who has it.
    addrs: BTreeMap<Ipv4Addr, (&'a str, Kind)>,
    /// Unordered pairs of linked nodes, and whether every link was valid.
    links: BTreeSet<(&'a str, &'a str)>,
    links_ok: bool,
}

/// Every cross-value mistake in `file`.
pub(crate) fn validate(file: &ScenarioFile, tree: &Node) -> Vec<Problem> {
    let mut c = Checker {
        file,
        tree,
        problems: Vec::new(),
        nodes: BTreeMap::new(),
        addrs: BTreeMap::new(),
        links: BTreeSet::new(),
        links_ok: true,
    };
    c.meta();
    c.nodes();
    c.addresses();
    c.hosts();
    c.links();
    c.middleboxes();
    c.ftp_servers();
    c.ftp_clients();
    c.faults();
    c.walkthrough();
    c.problems
}

/// Is `s` a valid name: `[a-z0-9][a-z0-9-]*`?
pub(crate) fn is_valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A node address, or why it cannot be one (message, hint).
pub(crate) fn parse_addr(s: &str) -> Result<Ipv4Addr, (String, String)> {
    let a: Ipv4Addr = s.trim().parse().map_err(|_| {
        let hint = if s.contains('/') {
            "write the address alone, without a prefix length: `192.168.1.10`"
        } else if s.contains(':') {
            "netstep models IPv4 only: write an address like `192.168.1.10`"
        } else {
            "write four numbers from 0 to 255 separated by dots, like `192.168.1.10`"
        };
        (format!("`{s}` is not an IPv4 address"), hint.to_string())
    })?;
    let unicast = "a node needs a unicast address, like `192.168.1.10`".to_string();
    if a.is_unspecified() {
        return Err((
            "0.0.0.0 means \"no address\": it cannot be a node's address".into(),
            unicast,
        ));
    }
    if a.is_broadcast() {
        return Err((
            "255.255.255.255 is the broadcast address: it cannot be a node's address".into(),
            unicast,
        ));
    }
    if a.is_multicast() {
        return Err((
            format!("{a} is a multicast address (224.0.0.0 to 239.255.255.255)"),
            unicast,
        ));
    }
    Ok(a)
}

fn is_prob(p: f64) -> bool {
    (0.0..=1.0).contains(&p)
}

impl<'a> Checker<'a> {
    fn push(&mut self, p: Problem) {
        self.problems.push(p);
    }
    fn at(&self, path: &[Seg]) -> Range<usize> {
        self.tree.value_span(path)
    }
    fn key_at(&self, path: &[Seg]) -> Range<usize> {
        self.tree.key_span(path)
    }

    fn name(&mut self, name: &Spanned<String>) {
        let n = name.get_ref();
        if is_valid_name(n) {
            return;
        }
        let lower: String = n
            .trim()
            .to_lowercase()
            .chars()
            .map(|c| if c == '_' || c == ' ' { '-' } else { c })
            .collect();
        let hint = if is_valid_name(&lower) {
            format!("{NAME_HINT}: write `{lower}`")
        } else {
            NAME_HINT.to_string()
        };
        let message = if n.is_empty() {
            "a name cannot be empty".to_string()
        } else {
            format!("`{n}` is not a valid name")
        };
        self.push(Problem::at(name.span(), message).hint(hint));
    }

    fn meta(&mut self) {
        self.name(&self.file.scenario.name);
        if self.file.scenario.time_limit.is_zero() {
            let span = self.at(&tpath!["scenario", "time_limit"]);
            self.push(
                Problem::at(
                    span,
                    "`time_limit` is zero: the run would stop before it starts",
                )
                .hint("leave it out for the default (10min), or write e.g. \"60s\""),
            );
        }
    }

    fn nodes(&mut self) {
        let f = self.file;
        let all = f
            .hosts
            .iter()
            .map(|h| (&h.name, Kind::Host))
            .chain(f.routers.iter().map(|r| (&r.name, Kind::Router)))
            .chain(f.nats.iter().map(|n| (&n.name, Kind::Nat)))
            .chain(f.firewalls.iter().map(|w| (&w.name, Kind::Firewall)));
        let mut all: Vec<_> = all.collect();
        // Report a duplicate at the later of the two places.
        all.sort_by_key(|(n, _)| n.span().start);
        for (name, kind) in all {
            self.name(name);
            let n = name.get_ref().as_str();
            if let Some((first_kind, first)) = self.nodes.get(n) {
                let p = Problem::at(name.span(), format!("duplicate node name `{n}`"))
                    .hint(format!(
                        "{} `{n}` is defined at {{line}}; every host, router, NAT and firewall needs its own name",
                        capitalise(first_kind.article()),
                    ))
                    .related(first.clone());
                self.push(p);
            } else {
                self.nodes.insert(n, (kind, name.span()));
            }
        }
    }

    fn addresses(&mut self) {
        let f = self.file;
        let mut all: Vec<(&'a str, Kind, &'a Spanned<String>)> = Vec::new();
        for h in &f.hosts {
            all.push((h.name.get_ref(), Kind::Host, &h.addr));
        }
        for r in &f.routers {
            if let Some(a) = &r.addr {
                all.push((r.name.get_ref(), Kind::Router, a));
            }
        }
        for n in &f.nats {
            all.push((n.name.get_ref(), Kind::Nat, &n.public_addr));
        }
        all.sort_by_key(|(_, _, a)| a.span().start);
        let mut first_at: BTreeMap<Ipv4Addr, Range<usize>> = BTreeMap::new();
        for (owner, kind, addr) in all {
            match parse_addr(addr.get_ref()) {
                Err((m, h)) => self.push(Problem::at(addr.span(), m).hint(h)),
                Ok(a) => {
                    if let Some((other, other_kind)) = self.addrs.get(&a) {
                        let p = Problem::at(
                            addr.span(),
                            format!("address {a} is already {} `{other}`'s", other_kind.word()),
                        )
                        .hint("every node needs its own address (the other is at {line})")
                        .related(first_at.get(&a).cloned().unwrap_or(0..0));
                        self.push(p);
                    } else {
                        self.addrs.insert(a, (owner, kind));
                        first_at.insert(a, addr.span());
                    }
                }
            }
        }
    }

    fn hosts(&mut self) {
        for (i, h) in self.file.hosts.iter().enumerate() {
            let profile = h.profile.get_ref();
            if !PROFILES.contains(&profile.as_str()) {
                let hint = suggest::hint(profile, PROFILES, "the profiles are");
                self.push(
                    Problem::at(h.profile.span(), format!("unknown TCP profile `{profile}`"))
                        .maybe_hint(hint),
                );
            }
            let t = &h.tcp;
            let at = |k: &str| tpath!["host", i, "tcp", k];
            if t.mss == Some(0) {
                let span = self.at(&at("mss"));
                self.push(
                    Problem::at(span, "`mss` is 0: no segment could carry data")
                        .hint("the classic values are 536 and 1460"),
                );
            }
            if t.ttl == Some(0) {
                let span = self.at(&at("ttl"));
                self.push(
                    Problem::at(span, "`ttl` is 0: every packet would be dropped at once")
                        .hint("use 1 to 255; Windows used 128, Linux 64"),
                );
            }
            if let Some(ws) = t.window_scale
                && !(-1..=14).contains(&ws)
            {
                let span = self.at(&at("window_scale"));
                self.push(
                    Problem::at(span, format!("window scale {ws} is out of range"))
                        .hint("RFC 7323 allows shifts 0 to 14; write -1 to turn scaling off"),
                );
            }
            for key in ["ack_every", "ack_every_full_sized"] {
                let v = if key == "ack_every" {
                    t.ack_every
                } else {
                    t.ack_every_full_sized
                };
                if v == Some(0) {
                    let span = self.at(&at(key));
                    self.push(Problem::at(span, format!("`{key}` is 0")).hint("1 acknowledges every segment at once; 2 is RFC 1122's every second segment"));
                }
            }
            if let (Some(lo), Some(hi)) = (t.ephemeral_first, t.ephemeral_last)
                && lo > hi
            {
                let span = self.at(&at("ephemeral_last"));
                self.push(
                    Problem::at(
                        span,
                        format!("the ephemeral port range {lo}-{hi} is reversed"),
                    )
                    .hint(format!(
                        "write `ephemeral_first = {hi}` and `ephemeral_last = {lo}`"
                    )),
                );
            }
            if t.ephemeral_first == Some(0) {
                let span = self.at(&at("ephemeral_first"));
                self.push(Problem::at(span, "port 0 is not a port").hint(
                    "ephemeral ports usually start at 1025 (old stacks) or 49152 (RFC 6335)",
                ));
            }
            if let (Some(lo), Some(hi)) = (t.rto_min, t.rto_max)
                && lo > hi
            {
                let span = self.at(&at("rto_max"));
                self.push(
                    Problem::at(span, format!("`rto_max` ({hi}) is below `rto_min` ({lo})"))
                        .hint("the retransmission timeout backs off from rto_min up to rto_max"),
                );
            }
        }
    }

    /// The kind of the node called `name`, or a problem at `span` saying
    /// there is none (with the nearest name).
    fn node(&mut self, name: &str, span: Range<usize>) -> Option<Kind> {
        if let Some((k, _)) = self.nodes.get(name) {
            return Some(*k);
        }
        let names: Vec<&str> = self.nodes.keys().copied().collect();
        let hint = suggest::hint(name, &names, "the nodes are");
        self.push(
            Problem::at(span, format!("no node named `{name}`")).maybe_hint(hint.or(Some(
                "define it as a [[host]], [[router]], [[nat]] or [[firewall]]".into(),
            ))),
        );
        None
    }

    /// Like [`Self::node`], but the node must be a host.
    fn host(&mut self, name: &Spanned<String>, what: &str) -> bool {
        let n = name.get_ref();
        if let Some((k, _)) = self.nodes.get(n.as_str()) {
            if *k == Kind::Host {
                return true;
            }
            let k = *k;
            self.push(
                Problem::at(name.span(), format!("`{n}` is {}, not a host", k.article()))
                    .hint(format!("{what} run on hosts")),
            );
            return false;
        }
        let hosts: Vec<&str> = self
            .file
            .hosts
            .iter()
            .map(|h| h.name.get_ref().as_str())
            .collect();
        let hint = suggest::hint(n, &hosts, "the hosts are")
            .or_else(|| Some("define it as a [[host]]".into()));
        self.push(Problem::at(name.span(), format!("no host named `{n}`")).maybe_hint(hint));
        false
    }

    fn links(&mut self) {
        let mut first_at: BTreeMap<(&'a str, &'a str), Range<usize>> = BTreeMap::new();
        for (i, l) in self.file.links.iter().enumerate() {
            let a = l.a.get_ref().as_str();
            let b = l.b.get_ref().as_str();
            let ka = self.node(a, l.a.span());
            let kb = self.node(b, l.b.span());
            let mut ok = ka.is_some() && kb.is_some();
            if a == b {
                ok = false;
                self.push(
                    Problem::at(l.b.span(), format!("link from `{a}` to itself"))
                        .hint("a link joins two different nodes"),
                );
            }
            for (dir, spec) in [
                (None, &l.both),
                (Some("a_to_b"), &l.a_to_b),
                (Some("b_to_a"), &l.b_to_a),
            ] {
                let base = match dir {
                    None => tpath!["link", i].to_vec(),
                    Some(d) => tpath!["link", i, d].to_vec(),
                };
                ok &= self.link_dir(spec, &base);
            }
            if ok {
                let key = if a <= b { (a, b) } else { (b, a) };
                if let Some(first) = first_at.get(&key) {
                    self.push(
                        Problem::at(l.a.span().start..l.b.span().end, format!("a second link between `{a}` and `{b}`"))
                            .hint("the first is at {line}; give it `a_to_b` and `b_to_a` tables for different settings each way")
                            .related(first.clone()),
                    );
                    ok = false;
                } else {
                    first_at.insert(key, l.a.span());
                    self.links.insert(key);
                }
            }
            self.links_ok &= ok;
        }
    }

    /// Checks one level of a link's settings; false if any is wrong.
    fn link_dir(&mut self, d: &LinkDirSpec, base: &[Seg]) -> bool {
        let mut ok = true;
        let probs = [
            ("loss", d.loss),
            ("duplicate", d.duplicate),
            ("reorder", d.reorder),
            ("corrupt", d.corrupt),
        ];
        for (key, p) in probs {
            if let Some(p) = p
                && !is_prob(p)
            {
                ok = false;
                let mut path = base.to_vec();
                path.push(Seg::from(key));
                let span = self.at(&path);
                let hint = if (1.0..=100.0).contains(&p) {
                    format!(
                        "probabilities go from 0 to 1: for {p}%, write {}",
                        p / 100.0
                    )
                } else {
                    "probabilities go from 0 (never) to 1 (always)".to_string()
                };
                self.push(
                    Problem::at(span, format!("`{key}` is {p}, not a probability")).hint(hint),
                );
            }
        }
        if d.queue == Some(0) {
            let mut path = base.to_vec();
            path.push(Seg::from("queue"));
            let span = self.at(&path);
            self.push(
                Problem::at(span, "a queue of 0 packets drops everything")
                    .hint("the default is 100; use `loss = 1` to cut a link"),
            );
            ok = false;
        }
        ok
    }

    fn middleboxes(&mut self) {
        let f = self.file;
        let boxes = f
            .nats
            .iter()
            .map(|n| (&n.name, &n.inside, "NAT"))
            .chain(f.firewalls.iter().map(|w| (&w.name, &w.inside, "firewall")));
        for (name, inside, word) in boxes {
            if self.node(inside.get_ref(), inside.span()).is_none() {
                continue;
            }
            let (n, i) = (name.get_ref().as_str(), inside.get_ref().as_str());
            if n == i {
                self.push(
                    Problem::at(
                        inside.span(),
                        format!("the {word} `{n}` is its own inside node"),
                    )
                    .hint("`inside` names the neighbour on the protected side"),
                );
                continue;
            }
            let key = if n <= i { (n, i) } else { (i, n) };
            if self.links_ok && !self.links.contains(&key) {
                self.push(
                    Problem::at(
                        inside.span(),
                        format!("the {word} `{n}` has no link to its inside node `{i}`"),
                    )
                    .hint(format!("add a [[link]] with a = \"{i}\" and b = \"{n}\"")),
                );
            }
        }
        for (w, fw) in f.firewalls.iter().enumerate() {
            for (r, rule) in fw.rules.iter().enumerate() {
                if let Some(from) = &rule.from
                    && from.trim().parse::<Ipv4Addr>().is_err()
                {
                    let span = self.at(&tpath!["firewall", w, "rule", r, "from"]);
                    self.push(
                        Problem::at(span, format!("`{from}` is not an IPv4 address"))
                            .hint("write one address, like `203.0.113.5`"),
                    );
                }
                if rule.port == Some(0) {
                    let span = self.at(&tpath!["firewall", w, "rule", r, "port"]);
                    self.push(
                        Problem::at(span, "port 0 is not a port")
                            .hint("use 1 to 65535, or leave `port` out to match every port"),
                    );
                }
            }
        }
    }

    fn port(&mut self, port: u16, path: &[Seg]) {
        if port == 0 {
            let span = self.at(path);
            self.push(
                Problem::at(span, "port 0 is not a port")
                    .hint("use 1 to 65535; FTP's control port is 21"),
            );
        }
    }

    fn ftp_servers(&mut self) {
        let mut seen: BTreeMap<(&'a str, u16), Range<usize>> = BTreeMap::new();
        for (i, s) in self.file.ftp_servers.iter().enumerate() {
            let on_host = self.host(&s.host, "FTP servers");
            self.port(s.port, &tpath!["ftp_server", i, "port"]);
            if on_host {
                let key = (s.host.get_ref().as_str(), s.port);
                if let Some(first) = seen.get(&key) {
                    self.push(
                        Problem::at(
                            s.host.span(),
                            format!("a second FTP server on `{}` port {}", key.0, key.1),
                        )
                        .hint("the first is at {line}; give this one another `port`")
                        .related(first.clone()),
                    );
                } else {
                    seen.insert(key, s.host.span());
                }
            }
            if let DataPortSetting::Fixed(p) = s.data_port
                && p == s.port
            {
                let span = self.at(&tpath!["ftp_server", i, "data_port"]);
                self.push(
                    Problem::at(span, format!("the data port is the control port ({p})"))
                        .hint("RFC 959's default is the control port minus one: 20 for 21"),
                );
            }
            let [lo, hi] = s.passive_ports;
            if lo > hi {
                let span = self.at(&tpath!["ftp_server", i, "passive_ports"]);
                self.push(
                    Problem::at(
                        span,
                        format!("the passive port range {lo}-{hi} is reversed"),
                    )
                    .hint(format!("write `passive_ports = [{hi}, {lo}]`")),
                );
            } else if lo == 0 {
                let span = self.at(&tpath!["ftp_server", i, "passive_ports"]);
                self.push(
                    Problem::at(span, "port 0 is not a port")
                        .hint("passive ports are usually high, like [50000, 50100]"),
                );
            }
            let g = s.greeting.as_bytes();
            let coded = g.len() >= 3
                && g[..3].iter().all(u8::is_ascii_digit)
                && g.get(3).is_none_or(|c| *c == b' ' || *c == b'-');
            if !coded {
                let span = self.at(&tpath!["ftp_server", i, "greeting"]);
                self.push(
                    Problem::at(span, "the greeting does not start with a reply code").hint(
                        format!(
                            "write it as the server sends it, like \"220 {}\"",
                            s.greeting.trim()
                        ),
                    ),
                );
            }
            for verb in s.delays.keys() {
                if !FTP_VERBS.contains(&verb.as_str()) {
                    let span = self.key_at(&tpath!["ftp_server", i, "delays", verb]);
                    let hint = match suggest::nearest(verb, FTP_VERBS.iter().copied()) {
                        Some(n) => format!("did you mean `{n}`?"),
                        None => "use a command verb such as USER, PASS, PORT, LIST, RETR, or `default` for the rest".into(),
                    };
                    self.push(
                        Problem::at(span, format!("`{verb}` is not an FTP command")).hint(hint),
                    );
                }
            }
            let mut users: BTreeMap<&str, usize> = BTreeMap::new();
            for (u, user) in s.users.iter().enumerate() {
                if user.name.is_empty() {
                    let span = self.at(&tpath!["ftp_server", i, "user", u, "name"]);
                    self.push(Problem::at(span, "a user name cannot be empty"));
                } else if let Some(first) = users.get(user.name.as_str()) {
                    let span = self.at(&tpath!["ftp_server", i, "user", u, "name"]);
                    let first_span = self.at(&tpath!["ftp_server", i, "user", *first, "name"]);
                    self.push(
                        Problem::at(span, format!("user `{}` is defined twice", user.name))
                            .hint("the first is at {line}")
                            .related(first_span),
                    );
                } else {
                    users.insert(&user.name, u);
                }
            }
            self.files(&s.files, &tpath!["ftp_server", i]);
            let mut seen_dirs: BTreeSet<&str> = BTreeSet::new();
            for d in &s.dirs {
                self.fs_path(&d.path);
                if !seen_dirs.insert(d.path.get_ref()) {
                    self.push(Problem::at(
                        d.path.span(),
                        format!("directory `{}` is listed twice", d.path.get_ref()),
                    ));
                }
            }
        }
    }

    fn fs_path(&mut self, p: &Spanned<String>) -> bool {
        let s = p.get_ref();
        if !s.starts_with('/') {
            self.push(
                Problem::at(p.span(), format!("`{s}` is not an absolute path")).hint(format!(
                    "paths start at the root: \"/{}\"",
                    s.trim_start_matches("./")
                )),
            );
            return false;
        }
        if s.split('/').any(|c| c == "..") {
            self.push(
                Problem::at(p.span(), format!("`{s}` contains `..`"))
                    .hint("write the path without `..`, as the file system will show it"),
            );
            return false;
        }
        if s == "/" {
            self.push(Problem::at(
                p.span(),
                "`/` is the root directory, not a file",
            ));
            return false;
        }
        true
    }

    fn files(&mut self, files: &[FtpFile], base: &[Seg]) {
        let mut seen: BTreeMap<&str, Range<usize>> = BTreeMap::new();
        for (j, file) in files.iter().enumerate() {
            if self.fs_path(&file.path) {
                let p = file.path.get_ref().as_str();
                if let Some(first) = seen.get(p) {
                    self.push(
                        Problem::at(file.path.span(), format!("file `{p}` is listed twice"))
                            .hint("the first is at {line}")
                            .related(first.clone()),
                    );
                } else {
                    seen.insert(p, file.path.span());
                }
            }
            if file.text.is_some() && file.size.is_some() {
                let mut path = base.to_vec();
                path.extend([Seg::from("file"), Seg::from(j), Seg::from("size")]);
                let span = self.key_at(&path);
                self.push(
                    Problem::at(span, "a file has either `text` or `size`, not both").hint(
                        "`text` gives the content; `size` asks for that many generated bytes",
                    ),
                );
            }
        }
    }

    fn ftp_clients(&mut self) {
        for (i, c) in self.file.ftp_clients.iter().enumerate() {
            let on_host = self.host(&c.host, "FTP clients");
            self.port(c.port, &tpath!["ftp_client", i, "port"]);
            if c.ls != "NLST" && c.ls != "LIST" {
                let span = self.at(&tpath!["ftp_client", i, "ls"]);
                self.push(
                    Problem::at(span, format!("`ls` sends NLST or LIST, not `{}`", c.ls))
                        .hint("NLST is Windows ftp.exe (the seed); LIST is netkit ftp"),
                );
            }
            self.files(&c.files, &tpath!["ftp_client", i]);
            let Some(server) = self.server_host(&c.server) else {
                continue;
            };
            if !on_host {
                continue;
            }
            let client = c.host.get_ref().as_str();
            if server == client {
                self.push(
                    Problem::at(
                        c.server.span(),
                        format!("the client on `{client}` opens its own host"),
                    )
                    .hint("netstep has no loopback interface: put the server on another host"),
                );
            } else if self.links_ok && !self.reachable(client, server) {
                self.push(
                    Problem::at(c.server.span(), format!("`{server}` cannot be reached from `{client}`: no links join them"))
                        .hint(format!("add a [[link]] between `{client}` and `{server}`, directly or through a router")),
                );
            }
        }
    }

    /// The host a client's `server` names, by name or by address.
    fn server_host(&mut self, server: &'a Spanned<String>) -> Option<&'a str> {
        let s = server.get_ref().as_str();
        if let Some((k, _)) = self.nodes.get(s) {
            if *k == Kind::Host {
                return self.nodes.get_key_value(s).map(|(n, _)| *n);
            }
            let k = *k;
            self.push(
                Problem::at(
                    server.span(),
                    format!("`{s}` is {}, not a host", k.article()),
                )
                .hint("an FTP client opens a host that runs an FTP server"),
            );
            return None;
        }
        if let Ok(a) = s.trim().parse::<Ipv4Addr>() {
            return match self.addrs.get(&a) {
                Some((owner, Kind::Host)) => Some(owner),
                Some((owner, k)) => {
                    let (owner, k) = (*owner, *k);
                    self.push(
                        Problem::at(
                            server.span(),
                            format!(
                                "{a} is the address of {} `{owner}`, not of a host",
                                k.word()
                            ),
                        )
                        .hint("an FTP client opens a host that runs an FTP server"),
                    );
                    None
                }
                None => {
                    let hosts: Vec<String> = self
                        .file
                        .hosts
                        .iter()
                        .map(|h| format!("`{}` ({})", h.name.get_ref(), h.addr.get_ref()))
                        .collect();
                    self.push(
                        Problem::at(server.span(), format!("no host has the address {a}"))
                            .hint(format!("the hosts are {}", hosts.join(", "))),
                    );
                    None
                }
            };
        }
        let hosts: Vec<&str> = self
            .file
            .hosts
            .iter()
            .map(|h| h.name.get_ref().as_str())
            .collect();
        let hint = suggest::hint(s, &hosts, "write a host's name or address; the hosts are");
        self.push(
            Problem::at(
                server.span(),
                format!("`{s}` is neither a host's name nor an address"),
            )
            .maybe_hint(hint),
        );
        None
    }

    /// Is there a path of links from `from` to `to` that passes only
    /// through routers, NATs and firewalls (hosts do not forward)?
    fn reachable(&self, from: &str, to: &str) -> bool {
        let mut seen = BTreeSet::from([from]);
        let mut queue = VecDeque::from([from]);
        while let Some(n) = queue.pop_front() {
            if n == to {
                return true;
            }
            if n != from && matches!(self.nodes.get(n), Some((Kind::Host, _))) {
                continue;
            }
            for &(a, b) in &self.links {
                let next = if a == n {
                    b
                } else if b == n {
                    a
                } else {
                    continue;
                };
                if seen.insert(next) {
                    queue.push_back(next);
                }
            }
        }
        false
    }

    fn faults(&mut self) {
        for (i, f) in self.file.faults.iter().enumerate() {
            match (f.action, f.delay) {
                (FaultAction::Delay, None) => {
                    let span = self.at(&tpath!["fault", i, "action"]);
                    self.push(
                        Problem::at(span, "a `delay` fault needs a `delay`").hint(
                            "add how long to hold the segment back, like `delay = \"500ms\"`",
                        ),
                    );
                }
                (FaultAction::Delay, Some(d)) if d == Duration::ZERO => {
                    let span = self.at(&tpath!["fault", i, "delay"]);
                    self.push(
                        Problem::at(span, "a delay of 0 changes nothing")
                            .hint("write how long to hold the segment back, like \"500ms\""),
                    );
                }
                (action, Some(_)) if action != FaultAction::Delay => {
                    let span = self.key_at(&tpath!["fault", i, "delay"]);
                    self.push(
                        Problem::at(span, "`delay` only applies to `action = \"delay\"`")
                            .hint("remove it, or change the action to \"delay\""),
                    );
                }
                _ => {}
            }
            self.matcher(f.matcher.get_ref(), &tpath!["fault", i, "match"]);
        }
    }

    fn walkthrough(&mut self) {
        let Some(w) = &self.file.walkthrough else {
            return;
        };
        let mut numbering_ok = true;
        for (i, stage) in w.stages.iter().enumerate() {
            let expected = i as u32 + 1;
            let n = *stage.n.get_ref();
            if numbering_ok && n != expected {
                numbering_ok = false;
                let p = if i > 0 && n == expected - 1 {
                    Problem::at(stage.n.span(), format!("stage {n} appears twice")).hint(format!(
                        "this is the {} stage, so it is number {expected}",
                        ordinal(expected)
                    ))
                } else {
                    Problem::at(
                        stage.n.span(),
                        format!("expected stage {expected} here, found {n}"),
                    )
                    .hint("number the stages 1, 2, 3, ... in the order they appear in the file")
                };
                self.push(p);
            }
            if stage.segments.is_empty() {
                let span = self.at(&tpath!["walkthrough", "stage", i, "segment"]);
                self.push(Problem::at(span, format!("stage {n} names no segments")).hint("give it at least one matcher, like `segment = [{ conn = \"control\", flags = \"SYN\" }]`"));
            }
            for (j, m) in stage.segments.iter().enumerate() {
                self.matcher(
                    m.get_ref(),
                    &tpath!["walkthrough", "stage", i, "segment", j],
                );
            }
        }
    }

    /// A matcher that can never match is a mistake: the stage would never
    /// occur, or the fault never fire, and nobody would be told why.
    fn matcher(&mut self, m: &Matcher, base: &[Seg]) {
        let span = |key: &str| {
            let mut p = base.to_vec();
            p.push(Seg::from(key));
            self.tree.value_span(&p)
        };
        if let Some(label) = &m.conn
            && !CONN_LABELS.contains(&label.as_str())
        {
            let hint = match suggest::nearest(label, CONN_LABELS.iter().copied()) {
                Some(n) => format!("did you mean `{n}`?"),
                None => format!("FTP labels its connections {}", suggest::list(CONN_LABELS)),
            };
            self.push(
                Problem::at(span("conn"), format!("no connection is labelled `{label}`"))
                    .hint(hint),
            );
        }
        for key in ["from", "to"] {
            let v = if key == "from" { &m.from } else { &m.to };
            if let Some(name) = v {
                self.node(name, span(key));
            }
        }
        if let (Some(f), Some(t)) = (&m.from, &m.to)
            && f == t
        {
            self.push(
                Problem::at(span("to"), format!("`from` and `to` are both `{f}`"))
                    .hint("a node does not send segments to itself"),
            );
        }
        let bare_forbidden = TcpFlags::SYN | TcpFlags::FIN | TcpFlags::RST;
        if m.pure_ack == Some(true) {
            let why = "a bare ACK (`pure_ack = true`) has no payload and no SYN, FIN or RST";
            if m.payload.is_some() {
                self.push(
                    Problem::at(span("payload"), "`payload` contradicts `pure_ack = true`")
                        .hint(why),
                );
            }
            if m.payload_contains.is_some() {
                self.push(
                    Problem::at(
                        span("payload_contains"),
                        "`payload_contains` contradicts `pure_ack = true`",
                    )
                    .hint(why),
                );
            }
            if m.has_payload == Some(true) {
                self.push(
                    Problem::at(
                        span("has_payload"),
                        "`has_payload = true` contradicts `pure_ack = true`",
                    )
                    .hint(why),
                );
            }
            if let Some(FlagSet(f)) = m.flags {
                if !f.ack() {
                    self.push(Problem::at(span("flags"), format!("`flags = \"{}\"` has no ACK, but `pure_ack = true` asks for a bare ACK", names(f))).hint("write `flags = \"ACK\"`, or leave `flags` out"));
                } else if f.intersects(bare_forbidden) {
                    self.push(
                        Problem::at(
                            span("flags"),
                            format!("`flags = \"{}\"` contradicts `pure_ack = true`", names(f)),
                        )
                        .hint(why),
                    );
                }
            }
            if let Some(FlagSet(f)) = m.has_flags
                && f.intersects(bare_forbidden)
            {
                self.push(
                    Problem::at(
                        span("has_flags"),
                        format!(
                            "`has_flags = \"{}\"` contradicts `pure_ack = true`",
                            names(f)
                        ),
                    )
                    .hint(why),
                );
            }
        }
        if let (Some(FlagSet(exact)), Some(FlagSet(some))) = (m.flags, m.has_flags)
            && !exact.contains(some)
        {
            self.push(
                Problem::at(span("has_flags"), format!("`has_flags = \"{}\"` contradicts `flags = \"{}\"`", names(some), names(exact)))
                    .hint("`flags` asks for exactly those flags; drop `has_flags` or add its flags to `flags`"),
            );
        }
        if m.has_payload == Some(false) {
            for key in ["payload", "payload_contains"] {
                let v = if key == "payload" {
                    &m.payload
                } else {
                    &m.payload_contains
                };
                if v.as_deref().is_some_and(|s| !s.is_empty()) {
                    self.push(
                        Problem::at(
                            span(key),
                            format!("`{key}` contradicts `has_payload = false`"),
                        )
                        .hint("a segment with no payload cannot start with or contain text"),
                    );
                }
            }
        }
        if m.nth == Some(0) {
            self.push(
                Problem::at(span("nth"), "`nth` counts from 1")
                    .hint("`nth = 1` is the first matching segment"),
            );
        }
        if let Some(a) = &m.acks
            && a.trim().is_empty()
        {
            self.push(Problem::at(span("acks"), "`acks` is empty").hint("name what is acknowledged: the start of a payload like \"USER\", or \"SYN\" or \"FIN\""));
        }
    }
}

fn names(f: TcpFlags) -> String {
    f.names().join(",")
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, x) if x != 11 => "st",
        (2, x) if x != 12 => "nd",
        (3, x) if x != 13 => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    //! One test per check, each on a small valid scenario with one change;
    //! the catalogue in `tests/scenarios/bad` shows the full rendering.

    const BASE: &str = r#"
[scenario]
name = "lab"
title = "Lab"

[[host]]
name = "client"
addr = "10.0.0.1"

[[host]]
name = "server"
addr = "10.0.0.2"

[[link]]
a = "client"
b = "server"

[[ftp_server]]
host = "server"

[[ftp_client]]
host = "client"
server = "server"
"#;

    /// The messages for BASE with `old` replaced by `new` (`old` must occur).
    fn with(old: &str, new: &str) -> Vec<String> {
        assert!(BASE.contains(old), "{old}");
        messages(&BASE.replacen(old, new, 1))
    }

    /// The messages for BASE with `extra` appended.
    fn plus(extra: &str) -> Vec<String> {
        messages(&format!("{BASE}{extra}"))
    }

    fn messages(text: &str) -> Vec<String> {
        match crate::parse(text, "t.toml", &[]) {
            Ok(_) => Vec::new(),
            Err(e) => e.diagnostics.into_iter().map(|d| d.message).collect(),
        }
    }

    #[test]
    fn the_base_is_valid() {
        assert_eq!(messages(BASE), Vec::<String>::new());
    }

    #[test]
    fn names() {
        assert_eq!(with("\"lab\"", "\"Lab\""), ["`Lab` is not a valid name"]);
        assert_eq!(with("\"lab\"", "\"\""), ["a name cannot be empty"]);
        assert_eq!(with("\"lab\"", "\"-lab\""), ["`-lab` is not a valid name"]);
        assert!(super::is_valid_name("router-1") && super::is_valid_name("1"));
    }

    #[test]
    fn time_limit() {
        assert_eq!(
            with("title = \"Lab\"", "title = \"Lab\"\ntime_limit = \"0s\""),
            ["`time_limit` is zero: the run would stop before it starts"]
        );
    }

    #[test]
    fn node_names_are_unique_across_kinds() {
        assert_eq!(
            plus("[[firewall]]\nname = \"client\"\ninside = \"server\"\n")[0],
            "duplicate node name `client`"
        );
    }

    #[test]
    fn addresses() {
        for (addr, msg) in [
            ("10.0.0", "`10.0.0` is not an IPv4 address"),
            ("10.0.0.0/24", "`10.0.0.0/24` is not an IPv4 address"),
            (
                "0.0.0.0",
                "0.0.0.0 means \"no address\": it cannot be a node's address",
            ),
            (
                "255.255.255.255",
                "255.255.255.255 is the broadcast address: it cannot be a node's address",
            ),
            (
                "239.1.1.1",
                "239.1.1.1 is a multicast address (224.0.0.0 to 239.255.255.255)",
            ),
            ("10.0.0.2", "address 10.0.0.2 is already host `client`'s"),
        ] {
            assert_eq!(
                with("\"10.0.0.1\"", &format!("\"{addr}\"")),
                [msg],
                "{addr}"
            );
        }
        // A router's address may not repeat a host's either.
        assert_eq!(
            plus("[[router]]\nname = \"r\"\naddr = \"10.0.0.1\"\n"),
            ["address 10.0.0.1 is already host `client`'s"]
        );
    }

    #[test]
    fn tcp_profiles_and_settings() {
        assert_eq!(
            with(
                "addr = \"10.0.0.1\"",
                "addr = \"10.0.0.1\"\nprofile = \"bsd\""
            ),
            ["unknown TCP profile `bsd`"]
        );
        let tcp = |t: &str| {
            with(
                "addr = \"10.0.0.1\"",
                &format!("addr = \"10.0.0.1\"\ntcp = {{ {t} }}"),
            )
        };
        assert_eq!(tcp("mss = 0"), ["`mss` is 0: no segment could carry data"]);
        assert_eq!(
            tcp("ttl = 0"),
            ["`ttl` is 0: every packet would be dropped at once"]
        );
        assert_eq!(
            tcp("window_scale = 15"),
            ["window scale 15 is out of range"]
        );
        assert_eq!(tcp("window_scale = -1"), Vec::<String>::new());
        assert_eq!(tcp("ack_every = 0"), ["`ack_every` is 0"]);
        assert_eq!(
            tcp("ephemeral_first = 5000, ephemeral_last = 4000"),
            ["the ephemeral port range 5000-4000 is reversed"]
        );
        assert_eq!(
            tcp("rto_min = \"2s\", rto_max = \"1s\""),
            ["`rto_max` (1s) is below `rto_min` (2s)"]
        );
    }

    #[test]
    fn links() {
        assert_eq!(
            with("b = \"server\"", "b = \"nobody\""),
            ["no node named `nobody`"]
        );
        assert_eq!(
            with("b = \"server\"", "b = \"client\""),
            ["link from `client` to itself"]
        );
        assert_eq!(
            with("b = \"server\"", "b = \"server\"\nqueue = 0"),
            ["a queue of 0 packets drops everything"]
        );
        assert_eq!(
            with("b = \"server\"", "b = \"server\"\nduplicate = 1.01"),
            ["`duplicate` is 1.01, not a probability"]
        );
        assert_eq!(
            with("b = \"server\"", "b = \"server\"\nb_to_a = { loss = nan }"),
            ["`loss` is NaN, not a probability"]
        );
        assert_eq!(
            plus("[[link]]\na = \"server\"\nb = \"client\"\n"),
            ["a second link between `server` and `client`"]
        );
    }

    #[test]
    fn nats_and_firewalls() {
        let nat = "[[nat]]\nname = \"nat\"\npublic_addr = \"203.0.113.1\"\ninside = \"client\"\n";
        assert_eq!(
            plus(nat),
            ["the NAT `nat` has no link to its inside node `client`"]
        );
        assert_eq!(
            plus(&format!("{nat}[[link]]\na = \"client\"\nb = \"nat\"\n")),
            Vec::<String>::new()
        );
        assert_eq!(
            plus("[[firewall]]\nname = \"fw\"\ninside = \"nowhere\"\n"),
            ["no node named `nowhere`"]
        );
        assert_eq!(
            plus("[[firewall]]\nname = \"fw\"\ninside = \"fw\"\n"),
            ["the firewall `fw` is its own inside node"]
        );
        let fw = "[[firewall]]\nname = \"fw\"\ninside = \"server\"\n[[link]]\na = \"fw\"\nb = \"server\"\n";
        assert_eq!(
            plus(&format!(
                "{fw}[[firewall.rule]]\nverdict = \"allow\"\nport = 0\nfrom = \"somewhere\"\n"
            )),
            ["port 0 is not a port", "`somewhere` is not an IPv4 address"]
        );
    }

    #[test]
    fn ftp_servers() {
        assert_eq!(
            with("host = \"server\"", "host = \"nobody\""),
            ["no host named `nobody`"]
        );
        assert_eq!(
            plus("[[ftp_server]]\nhost = \"server\"\n"),
            ["a second FTP server on `server` port 21"]
        );
        assert_eq!(
            plus("[[ftp_server]]\nhost = \"server\"\nport = 2121\n"),
            Vec::<String>::new()
        );
        assert_eq!(
            with("host = \"server\"", "host = \"server\"\nport = 0"),
            ["port 0 is not a port"]
        );
        assert_eq!(
            with("host = \"server\"", "host = \"server\"\ndata_port = 21"),
            ["the data port is the control port (21)"]
        );
        assert_eq!(
            with(
                "host = \"server\"",
                "host = \"server\"\npassive_ports = [0, 10]"
            ),
            ["port 0 is not a port"]
        );
        assert_eq!(
            with(
                "host = \"server\"",
                "host = \"server\"\ngreeting = \"Welcome\""
            ),
            ["the greeting does not start with a reply code"]
        );
        assert_eq!(
            with(
                "host = \"server\"",
                "host = \"server\"\ngreeting = \"421 Too many users\""
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            with(
                "host = \"server\"",
                "host = \"server\"\ndelays = { user = \"1s\" }"
            ),
            ["`user` is not an FTP command"]
        );
        let users = "[[ftp_server.user]]\nname = \"a\"\npassword = \"x\"\n";
        assert_eq!(
            with(
                "host = \"server\"\n",
                &format!("host = \"server\"\n{users}{users}")
            ),
            ["user `a` is defined twice"]
        );
        let file = "[[ftp_server.file]]\npath = \"/a\"\n";
        assert_eq!(
            with(
                "host = \"server\"\n",
                &format!("host = \"server\"\n{file}{file}")
            ),
            ["file `/a` is listed twice"]
        );
        assert_eq!(
            with(
                "host = \"server\"\n",
                "host = \"server\"\n[[ftp_server.file]]\npath = \"/\"\n"
            ),
            ["`/` is the root directory, not a file"]
        );
        assert_eq!(
            with(
                "host = \"server\"\n",
                "host = \"server\"\n[[ftp_server.dir]]\npath = \"pub\"\n"
            ),
            ["`pub` is not an absolute path"]
        );
    }

    #[test]
    fn a_list_written_as_one_table_points_at_its_keys() {
        let text = BASE.replacen("[[ftp_server]]", "[ftp_server]", 1).replacen(
            "host = \"server\"\n",
            "host = \"server\"\ngreeting = \"hello\"\n",
            1,
        );
        let e = crate::parse(&text, "t.toml", &[]).unwrap_err();
        assert_eq!(e.diagnostics[0].line_text, "greeting = \"hello\"");
        assert_eq!(e.diagnostics[0].col, 12);
    }

    #[test]
    fn ftp_clients() {
        assert_eq!(
            with("host = \"client\"", "host = \"client\"\nport = 0"),
            ["port 0 is not a port"]
        );
        assert_eq!(
            with("host = \"client\"", "host = \"client\"\nls = \"DIR\""),
            ["`ls` sends NLST or LIST, not `DIR`"]
        );
        assert_eq!(
            with("server = \"server\"", "server = \"10.0.0.2\""),
            Vec::<String>::new()
        );
        let routed = BASE.replacen(
            "[[link]]\na = \"client\"\nb = \"server\"\n",
            "[[router]]\nname = \"r\"\naddr = \"10.0.0.9\"\n[[link]]\na = \"client\"\nb = \"r\"\n[[link]]\na = \"r\"\nb = \"server\"\n",
            1,
        );
        assert_eq!(messages(&routed), Vec::<String>::new(), "a router forwards");
        assert_eq!(
            messages(&routed.replacen("server = \"server\"", "server = \"r\"", 1)),
            ["`r` is a router, not a host"]
        );
        assert_eq!(
            messages(&routed.replacen("server = \"server\"", "server = \"10.0.0.9\"", 1)),
            ["10.0.0.9 is the address of router `r`, not of a host"]
        );
        // Hosts do not forward: a path through a third host does not count.
        let via_host = BASE.replacen(
            "[[link]]\na = \"client\"\nb = \"server\"\n",
            "[[host]]\nname = \"middle\"\naddr = \"10.0.0.3\"\n[[link]]\na = \"client\"\nb = \"middle\"\n[[link]]\na = \"middle\"\nb = \"server\"\n",
            1,
        );
        assert_eq!(
            messages(&via_host),
            ["`server` cannot be reached from `client`: no links join them"]
        );
        // No echo of a broken link as an unreachable server.
        assert_eq!(
            with("b = \"server\"", "b = \"srv\""),
            ["no node named `srv`"]
        );
    }

    #[test]
    fn faults() {
        let fault = |f: &str| {
            plus(&format!(
                "[[fault]]\n{f}\nmatch = {{ conn = \"control\" }}\n"
            ))
        };
        assert_eq!(
            fault("action = \"delay\""),
            ["a `delay` fault needs a `delay`"]
        );
        assert_eq!(
            fault("action = \"delay\"\ndelay = \"0s\""),
            ["a delay of 0 changes nothing"]
        );
        assert_eq!(
            fault("action = \"corrupt\"\ndelay = \"1s\""),
            ["`delay` only applies to `action = \"delay\"`"]
        );
        assert_eq!(
            fault("action = \"duplicate\"\ncount = 0"),
            Vec::<String>::new()
        );
        assert_eq!(
            plus("[[fault]]\naction = \"drop\"\nmatch = { conn = \"data\", from = \"nobody\" }\n"),
            ["no node named `nobody`"]
        );
    }

    #[test]
    fn stages() {
        let stage = |n: u32, seg: &str| {
            format!("[[walkthrough.stage]]\nn = {n}\ntitle = \"s\"\nsegment = [{seg}]\n")
        };
        let ok = "{ conn = \"control\" }";
        assert_eq!(
            plus(&format!("{}{}", stage(1, ok), stage(2, ok))),
            Vec::<String>::new()
        );
        assert_eq!(plus(&stage(2, ok)), ["expected stage 1 here, found 2"]);
        assert_eq!(
            plus(&format!("{}{}", stage(1, ok), stage(1, ok))),
            ["stage 1 appears twice"]
        );
        // Only the first break in the numbering is reported.
        assert_eq!(
            plus(&format!("{}{}{}", stage(1, ok), stage(3, ok), stage(4, ok))),
            ["expected stage 2 here, found 3"]
        );
        assert_eq!(plus(&stage(1, "")), ["stage 1 names no segments"]);
    }

    #[test]
    fn matchers() {
        let m = |body: &str| {
            plus(&format!(
                "[[walkthrough.stage]]\nn = 1\ntitle = \"s\"\nsegment = [{{ {body} }}]\n"
            ))
        };
        assert_eq!(m("conn = \"data\""), Vec::<String>::new());
        assert_eq!(
            m("conn = \"contol\""),
            ["no connection is labelled `contol`"]
        );
        assert_eq!(m("to = \"nobody\""), ["no node named `nobody`"]);
        assert_eq!(
            m("from = \"client\", to = \"client\""),
            ["`from` and `to` are both `client`"]
        );
        assert_eq!(
            m("pure_ack = true, has_payload = true"),
            ["`has_payload = true` contradicts `pure_ack = true`"]
        );
        assert_eq!(
            m("pure_ack = true, payload_contains = \"x\""),
            ["`payload_contains` contradicts `pure_ack = true`"]
        );
        assert_eq!(
            m("pure_ack = true, flags = \"PSH\""),
            ["`flags = \"PSH\"` has no ACK, but `pure_ack = true` asks for a bare ACK"]
        );
        assert_eq!(m("pure_ack = true, flags = \"ACK\""), Vec::<String>::new());
        assert_eq!(
            m("pure_ack = true, has_flags = \"RST\""),
            ["`has_flags = \"RST\"` contradicts `pure_ack = true`"]
        );
        assert_eq!(
            m("pure_ack = false, payload = \"USER\""),
            Vec::<String>::new()
        );
        assert_eq!(
            m("flags = \"SYN,ACK\", has_flags = \"SYN\""),
            Vec::<String>::new()
        );
        assert_eq!(
            m("flags = \"ACK\", has_flags = \"FIN\""),
            ["`has_flags = \"FIN\"` contradicts `flags = \"ACK\"`"]
        );
        assert_eq!(
            m("has_payload = false, payload = \"220\""),
            ["`payload` contradicts `has_payload = false`"]
        );
        assert_eq!(m("nth = 0"), ["`nth` counts from 1"]);
        assert_eq!(m("acks = \"  \""), ["`acks` is empty"]);
        assert_eq!(m("acks = \"FIN\", nth = 2"), Vec::<String>::new());
    }
}
