//! The measurements themselves, as run in a child process: each returns
//! the fields of its `RESULT` line.

use crate::{Opts, Value};
use netstep_sim::bulk::{BulkReceiver, BulkSender};
use netstep_sim::tcphost::TcpHost;
use netstep_sim::{LinkParams, NetworkBuilder, RunLimits};
use netstep_tcp::Profile;
use netstep_trace::{Fate, NodeInfo, NodeKind, ScenarioInfo, Text, Trace};
use netstep_wire::{Duration, Instant, Ipv4Addr};
use std::net::SocketAddrV4;
use std::time::Instant as Wall;

pub type Fields = Vec<(String, Value)>;

fn num(k: &str, v: f64) -> (String, Value) {
    (k.to_string(), Value::Num(v))
}

fn text(k: &str, v: &str) -> (String, Value) {
    (k.to_string(), Value::Text(v.to_string()))
}

pub fn run_child(cmd: &str, o: &Opts) -> Result<Fields, String> {
    match cmd {
        "bulk" | "bulk-lossy" => bulk(o),
        "many-clients" => crate::many::many_clients(o),
        "walkthrough" => walkthrough(o),
        "player" => player(o),
        other => Err(format!("unknown benchmark `{other}`")),
    }
}

/// Peak resident set size of this process in MiB (`VmHWM`).
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Bytes the trace holds per segment for the player: the heap bytes of the
/// segment store (every field of every segment, the sender's variables
/// included, with its block offsets and any block not yet encoded) over
/// the number of segments. Application streams are counted apart
/// (`stream_mib`); a generated stream holds no bytes.
pub fn trace_bytes_per_segment(t: &Trace) -> f64 {
    t.segments.heap_bytes() as f64 / t.segments.len().max(1) as f64
}

pub fn stream_bytes(t: &Trace) -> usize {
    t.streams.iter().map(|s| s.bytes.capacity()).sum()
}

const A: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const B: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

fn host_info(name: &str, a: Ipv4Addr) -> NodeInfo {
    NodeInfo {
        name: name.into(),
        kind: NodeKind::Host,
        addrs: vec![a],
        tcp: None,
    }
}

/// One TCP connection moving `--mib` MiB from a to b over one link: 10
/// Gbit/s, 50 us each way, `--loss` each way. Both hosts run the
/// `classic-windows` profile: MSS 1460, a 64240-byte window without
/// scaling or timestamps, an ACK every second segment; the nearest of our
/// profiles to the smoltcp anchor (MSS 1460, 64 KiB buffers, no options,
/// one ACK per two segments in its per-packet mode).
fn bulk(o: &Opts) -> Result<Fields, String> {
    let len = o.mib << 20;
    let mut nb = NetworkBuilder::new(ScenarioInfo {
        name: "bench-bulk".into(),
        title: Text::default(),
        description: Text::default(),
        seed: o.seed,
    });
    let p = Profile::classic_windows();
    let mut ha = TcpHost::new(A, p.clone());
    let mut hb = TcpHost::new(B, p);
    ha.add_app(Box::new(BulkSender::new(SocketAddrV4::new(B, 5001), len)));
    let (rb, report) = BulkReceiver::new(5001);
    hb.add_app(Box::new(rb));
    let a = nb.host(host_info("a", A), Box::new(ha));
    let b = nb.host(host_info("b", B), Box::new(hb));
    let link = LinkParams {
        delay: Duration::from_micros(50),
        bits_per_sec: 10_000_000_000,
        queue: 1000,
        loss: o.loss,
        ..LinkParams::default()
    };
    nb.link(a, b, link, link);
    let net = nb.build();
    // Setup, not transfer: the pattern table is built once per process.
    std::hint::black_box(netstep_trace::pattern::byte(0));
    let t0 = Wall::now();
    let trace = net.run(RunLimits {
        time: Instant::from_millis(u64::MAX / 2_000_000),
        events: u64::MAX,
    });
    let wall = t0.elapsed().as_secs_f64();
    let r = report.borrow().clone();
    if r.received != len || r.first_mismatch.is_some() || !r.eof {
        return Err(format!(
            "transfer incomplete: {} of {len} bytes, first mismatch {:?}, eof {}",
            r.received, r.first_mismatch, r.eof
        ));
    }
    let segs = trace.segments.len() as f64;
    let resent: u64 = trace
        .segments
        .iter()
        .filter(|s| s.retransmission.is_some())
        .map(|s| u64::from(s.payload_len))
        .sum();
    let dropped = trace
        .segments
        .iter()
        .filter(|s| matches!(s.fate, Fate::Dropped { .. }))
        .count();
    let done = r.done_at.unwrap_or(trace.end_time);
    let name = if o.loss > 0.0 { "bulk-lossy" } else { "bulk" };
    Ok(vec![
        text("name", name),
        num("mib", o.mib as f64),
        num("loss", o.loss),
        num("mb_s", len as f64 / 1e6 / wall),
        num("segs_s", segs / wall),
        num("segments", segs),
        num("wall_s", wall),
        num("trace_bytes_per_seg", trace_bytes_per_segment(&trace)),
        num("stream_mib", stream_bytes(&trace) as f64 / 1048576.0),
        num("resent_bytes", resent as f64),
        num("dropped", dropped as f64),
        // How much of the payload reached the reader by reference to the
        // pattern's table rather than copied (see netstep_wire::pattern).
        num(
            "by_reference_pct",
            100.0 * r.by_reference as f64 / len as f64,
        ),
        num("sim_s", (done - Instant::ZERO).as_nanos() as f64 / 1e9),
        num("rss_mib", peak_rss_mib()),
    ])
}

/// Median of `f` over `n` calls, in microseconds; fewer calls (at least
/// five) when they take more than half a second in all, as in a debug build.
fn time_us(n: usize, mut f: impl FnMut()) -> f64 {
    let start = Wall::now();
    let mut v: Vec<f64> = Vec::with_capacity(n);
    while v.len() < n.max(1) && (v.len() < 5 || start.elapsed().as_secs_f64() < 0.5) {
        let t = Wall::now();
        f();
        v.push(t.elapsed().as_secs_f64() * 1e6);
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn load_default() -> Result<netstep_scenario::Scenario, String> {
    let (origin, text) = netstep_scenario::resolve("active-ftp").map_err(|e| e.to_string())?;
    netstep_scenario::parse(&text, &origin, &[]).map_err(|e| e.to_string())
}

/// The default scenario: parse it, simulate and annotate it, open the
/// player on it and draw the first frame (200x60), all in this process.
fn walkthrough(_o: &Opts) -> Result<Fields, String> {
    let iters = 200;
    let parse_us = time_us(iters, || {
        std::hint::black_box(load_default().ok());
    });
    let scenario = load_default()?;
    let sim_us = time_us(iters, || {
        std::hint::black_box(netstep_sim::run_scenario(&scenario));
    });
    let walkthrough = scenario.walkthrough();
    let trace = netstep_sim::run_scenario(&scenario);
    let annotate_us = time_us(iters, || {
        std::hint::black_box(netstep_trace::annotate(&trace, &walkthrough));
    });
    let sim_annotate_us = time_us(iters, || {
        let t = netstep_sim::run_scenario(&scenario);
        std::hint::black_box(netstep_trace::annotate(&t, &walkthrough));
    });
    let ann = netstep_trace::annotate(&trace, &walkthrough);
    let first_frame_us = time_us(iters, || {
        let mut app = netstep_tui::App::new(
            trace.clone(),
            ann.clone(),
            netstep_tui::PlayOptions::default(),
        );
        std::hint::black_box(netstep_tui::bench_support::render_once(&mut app, 200, 60));
    });
    Ok(vec![
        text("name", "walkthrough"),
        num("segments", trace.segments.len() as f64),
        num("parse_us", parse_us),
        num("sim_us", sim_us),
        num("annotate_us", annotate_us),
        num("sim_annotate_us", sim_annotate_us),
        num("first_frame_us", first_frame_us),
        num("total_us", parse_us + sim_annotate_us + first_frame_us),
        num("rss_mib", peak_rss_mib()),
    ])
}

/// The player on a huge trace (`--segments`, the walkthrough session
/// repeated): opening it (index building plus the first frame) and a
/// frame at 200x60 after a step, and after a jump across the trace.
fn player(o: &Opts) -> Result<Fields, String> {
    use netstep_tui::{Action, App, PlayOptions, bench_support::render_once};
    let t = Wall::now();
    let (trace, ann) = netstep_tui::fixture::huge_run(o.segments);
    let build_s = t.elapsed().as_secs_f64();
    let n = trace.segments.len();
    let t = Wall::now();
    let mut app = App::new(trace, ann, PlayOptions::default());
    render_once(&mut app, 200, 60);
    let open_ms = t.elapsed().as_secs_f64() * 1e3;
    let frame_us = time_us(1000, || {
        app.apply(Action::Next);
        std::hint::black_box(render_once(&mut app, 200, 60));
    });
    let stride = (n / 1000).max(1);
    let mut i = 0;
    let jump_us = time_us(1000, || {
        i = (i + stride) % n.max(1);
        app.apply(Action::Select(i));
        std::hint::black_box(render_once(&mut app, 200, 60));
    });
    Ok(vec![
        text("name", "player"),
        num("segments", n as f64),
        num("build_s", build_s),
        num("open_ms", open_ms),
        num("frame_us", frame_us),
        num("jump_frame_us", jump_us),
        num("rss_mib", peak_rss_mib()),
    ])
}
