//! many-clients: one FTP server and `--clients` users, each on a machine
//! of their own, who log in, list the directory and fetch a 10 KiB file (in binary mode),
//! starting 1 ms apart.
//!
//! What a real deployment looks like: a public FTP server behind one
//! uplink, its users on their own machines across the Internet. So each
//! client is a host of its own (its own TCP, its own ephemeral ports, its
//! own access link of 20 Mbit/s and 10 ms) hanging off one router, and the
//! server sits behind a 1 Gbit/s, 1 ms link to that router. Clients use
//! passive mode and `LIST`, as today's clients behind NATs and firewalls
//! do; both sides run the `linux` profile. The network is built in code
//! (a scenario file with ten thousand hosts would spend its time in
//! validation, which is not what this measures); the server's and the
//! clients' settings come from a small scenario parsed once, so they are
//! exactly what a scenario file would give.

use crate::Value;
use crate::measure::{Fields, peak_rss_mib, stream_bytes, trace_bytes_per_segment};
use netstep_sim::build::host_profile;
use netstep_sim::ftp_app::{FtpClientApp, FtpServerApp};
use netstep_sim::tcphost::TcpHost;
use netstep_sim::{LinkParams, NetworkBuilder, RunLimits};
use netstep_trace::{AppEvent, EventKind, NodeInfo, NodeKind, ScenarioInfo, Text};
use netstep_wire::{Duration, Instant, Ipv4Addr};
use std::time::Instant as Wall;

const FILE_BYTES: u64 = 10 * 1024;

const TEMPLATE: &str = r#"
[scenario]
name = "many-clients"
title = { en = "Many FTP clients" }
description = { en = "One server, many users: login, ls, get." }
seed = 1
time_limit = "3600s"

[[host]]
name = "server"
addr = "198.51.100.10"
profile = "linux"

[[host]]
name = "client"
addr = "10.0.0.2"
profile = "linux"

[[link]]
a = "client"
b = "server"
delay = "10ms"
bandwidth = "20Mbit"

[ftp_server]
host = "server"
greeting = "220 (vsFTPd 3.0.3)"
nodelay = true
passive_ports = [50000, 59999]

[[ftp_server.user]]
name = "student"
password = "netstep"

[[ftp_server.file]]
path = "/file.bin"
size = 10240

[[ftp_client]]
host = "client"
server = "198.51.100.10"
mode = "passive"
ls = "LIST"
reaction = "1ms"
typed = [
  { line = "student", think = "500ms" },
  { line = "netstep", think = "500ms" },
  { line = "ls", think = "500ms" },
  { line = "binary", think = "500ms" },
  { line = "get file.bin", think = "500ms" },
  { line = "quit", think = "500ms" },
]
"#;

fn client_addr(i: u32) -> Ipv4Addr {
    // 10.0.0.2 onwards, one address per client.
    Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 0, 0, 2)) + i)
}

pub fn many_clients(o: &crate::Opts) -> Result<Fields, String> {
    let t_build = Wall::now();
    let sc =
        netstep_scenario::parse(TEMPLATE, "many-clients.toml", &[]).map_err(|e| e.to_string())?;
    let f = &sc.file;
    let server_addr: Ipv4Addr = f.hosts[0].addr.get_ref().parse().map_err(|_| "addr")?;
    let mut nb = NetworkBuilder::new(ScenarioInfo {
        name: "many-clients".into(),
        title: Text::new("Many FTP clients", ""),
        description: Text::default(),
        seed: o.seed,
    });
    let info = |name: String, a: Ipv4Addr| NodeInfo {
        name,
        kind: NodeKind::Host,
        addrs: vec![a],
        tcp: None,
    };
    let mut server = TcpHost::new(server_addr, host_profile(&f.hosts[0]));
    server.add_app(Box::new(FtpServerApp::new(&f.ftp_servers[0], server_addr)));
    let server_id = nb.host(info("server".into(), server_addr), Box::new(server));
    let router = nb.router(
        NodeInfo {
            name: "isp".into(),
            kind: NodeKind::Router,
            addrs: vec![Ipv4Addr::new(198, 51, 100, 1)],
            tcp: None,
        },
        None,
    );
    let uplink = LinkParams {
        delay: Duration::from_millis(1),
        bits_per_sec: 1_000_000_000,
        queue: 10_000,
        ..LinkParams::default()
    };
    nb.link(server_id, router, uplink, uplink);
    let access = LinkParams {
        delay: Duration::from_millis(10),
        bits_per_sec: 20_000_000,
        queue: 100,
        ..LinkParams::default()
    };
    let client_profile = host_profile(&f.hosts[1]);
    let mut spec = f.ftp_clients[0].clone();
    let mut clients = Vec::with_capacity(o.clients as usize);
    for i in 0..o.clients {
        let a = client_addr(i);
        spec.start = Some(Duration::from_millis(u64::from(i)));
        let mut h = TcpHost::new(a, client_profile.clone());
        h.add_app(Box::new(FtpClientApp::new(&spec, a, server_addr)));
        let id = nb.host(info(format!("c{i}"), a), Box::new(h));
        nb.link(id, router, access, access);
        clients.push(id);
    }
    let net = nb.build();
    let build_s = t_build.elapsed().as_secs_f64();
    let t0 = Wall::now();
    let trace = net.run(RunLimits {
        time: Instant::ZERO + Duration::from_secs(3600),
        events: u64::MAX,
    });
    let wall = t0.elapsed().as_secs_f64();
    // Every client saw both transfers complete, the file at full size.
    let mut got = vec![(0u32, 0u32); o.clients as usize];
    let first = clients.first().copied().unwrap_or(0);
    for e in &trace.events {
        if let EventKind::App {
            node,
            app,
            what: AppEvent::Transfer { bytes, .. },
        } = &e.kind
            && app == "ftp-client"
            && let Some(g) = node
                .checked_sub(first)
                .and_then(|k| got.get_mut(k as usize))
        {
            if *bytes == FILE_BYTES {
                g.1 += 1;
            } else {
                g.0 += 1;
            }
        }
    }
    let incomplete = got.iter().filter(|&&(ls, get)| ls != 1 || get != 1).count();
    if incomplete > 0 {
        return Err(format!(
            "{incomplete} of {} clients did not complete ls and get (end: {:?} at {})",
            o.clients, trace.end_reason, trace.end_time
        ));
    }
    let segs = trace.segments.len() as f64;
    Ok(vec![
        (String::from("name"), Value::Text("many-clients".into())),
        (String::from("clients"), Value::Num(f64::from(o.clients))),
        (String::from("wall_s"), Value::Num(wall)),
        (String::from("build_s"), Value::Num(build_s)),
        (String::from("segments"), Value::Num(segs)),
        (String::from("segs_s"), Value::Num(segs / wall)),
        (
            String::from("events"),
            Value::Num(trace.events.len() as f64),
        ),
        (
            String::from("sim_s"),
            Value::Num((trace.end_time - Instant::ZERO).as_nanos() as f64 / 1e9),
        ),
        (
            String::from("trace_bytes_per_seg"),
            Value::Num(trace_bytes_per_segment(&trace)),
        ),
        (
            String::from("stream_mib"),
            Value::Num(stream_bytes(&trace) as f64 / 1048576.0),
        ),
        (String::from("rss_mib"), Value::Num(peak_rss_mib())),
    ])
}
