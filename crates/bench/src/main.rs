//! `netstep-bench`: the simulator's benchmarks, one `RESULT` line each.
//!
//! ```text
//! netstep-bench bulk [--mib N] [--loss P] [--runs K]
//! netstep-bench bulk-lossy [--mib N] [--runs K]     # bulk with --loss 0.01
//! netstep-bench many-clients [--clients N] [--runs K]
//! netstep-bench walkthrough [--runs K]
//! netstep-bench player [--segments N] [--runs K]
//! netstep-bench all [--runs K]
//! netstep-bench versus --anchors PATH [--mib N] [--runs K] [--anchor-delay-us D]
//!                       [--anchor-no-verify]
//! ```
//!
//! `versus` measures bulk against the smoltcp anchor of `shared/anchors`
//! (`PATH` is its built binary), alternating one run of each, so that both
//! see the same moments of a noisy machine: it prints each pair's ratio
//! and the median ratio. The anchor's link has no delay unless
//! `--anchor-delay-us` gives one; bulk's link has 50 µs each way, so
//! `--anchor-delay-us 50` compares the two with the same window of
//! packets in flight. `--anchor-no-verify` runs the anchor without its
//! applications' copy of the pattern into the socket and check of every
//! byte received (its `--no-verify`): bulk's pattern travels by reference
//! and is checked by identity, so this compares the two with neither
//! application copying.
//!
//! Every run of a measurement is a child process (this binary again, with
//! `--child --seed K`), so each run starts from a fresh heap and its peak
//! RSS (`VmHWM`) is its own; the parent prints one line per measurement
//! whose figures are the medians over the runs:
//!
//! ```text
//! RESULT name=bulk runs=5 mib=256 loss=0 mb_s=... segs_s=... ...
//! ```
//!
//! and, on stderr, each figure's `median [min .. max]`. Wall-clock figures
//! are only comparable within one session on one machine.

mod many;
mod measure;

use std::collections::BTreeMap;
use std::process::{Command, ExitCode};

/// Options shared by every subcommand; each uses the ones it needs.
#[derive(Debug, Clone)]
pub struct Opts {
    pub mib: u64,
    pub loss: f64,
    pub clients: u32,
    pub segments: usize,
    pub runs: u32,
    pub seed: u64,
    pub child: bool,
    /// `versus`: the anchors harness's binary.
    pub anchors: Option<String>,
    /// `versus`: the anchor's one-way link delay (its `--delay-us`).
    pub anchor_delay_us: u64,
    /// `versus`: the anchor's applications neither fill nor check the
    /// bytes (its `--no-verify`).
    pub anchor_no_verify: bool,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            mib: 256,
            loss: 0.0,
            clients: 10_000,
            segments: 1_000_000,
            runs: 5,
            seed: 1,
            child: false,
            anchors: None,
            anchor_delay_us: 0,
            anchor_no_verify: false,
        }
    }
}

const USAGE: &str = "usage: netstep-bench <bulk|bulk-lossy|many-clients|walkthrough|player|all> \
[--mib N] [--loss P] [--clients N] [--segments N] [--runs K]
       netstep-bench versus --anchors PATH [--mib N] [--runs K] [--anchor-delay-us D]
                            [--anchor-no-verify]";

fn parse(args: &[String]) -> Result<(String, Opts), String> {
    let mut it = args.iter();
    let cmd = it.next().ok_or_else(|| USAGE.to_string())?.clone();
    let mut o = Opts::default();
    if cmd == "bulk-lossy" {
        o.loss = 0.01;
    }
    while let Some(a) = it.next() {
        let mut val = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let bad = |a: &str, v: &str| format!("{a}: cannot read `{v}`");
        match a.as_str() {
            "--mib" => {
                let v = val(a)?;
                o.mib = v.parse().map_err(|_| bad(a, &v))?;
            }
            "--loss" => {
                let v = val(a)?;
                o.loss = v.parse().map_err(|_| bad(a, &v))?;
            }
            "--clients" => {
                let v = val(a)?;
                o.clients = v.parse().map_err(|_| bad(a, &v))?;
            }
            "--segments" => {
                let v = val(a)?;
                o.segments = v.parse().map_err(|_| bad(a, &v))?;
            }
            "--runs" => {
                let v = val(a)?;
                o.runs = v.parse::<u32>().map_err(|_| bad(a, &v))?.max(1);
            }
            "--seed" => {
                let v = val(a)?;
                o.seed = v.parse().map_err(|_| bad(a, &v))?;
            }
            "--child" => o.child = true,
            "--anchors" => o.anchors = Some(val(a)?),
            "--anchor-delay-us" => {
                let v = val(a)?;
                o.anchor_delay_us = v.parse().map_err(|_| bad(a, &v))?;
            }
            "--anchor-no-verify" => o.anchor_no_verify = true,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    Ok((cmd, o))
}

/// The command line that reproduces `cmd` with `o`, without `--runs`.
fn child_args(cmd: &str, o: &Opts) -> Vec<String> {
    let mut v = vec![cmd.to_string()];
    match cmd {
        "bulk" | "bulk-lossy" => {
            v.extend(["--mib".into(), o.mib.to_string()]);
            v.extend(["--loss".into(), o.loss.to_string()]);
        }
        "many-clients" => v.extend(["--clients".into(), o.clients.to_string()]),
        "player" => v.extend(["--segments".into(), o.segments.to_string()]),
        _ => {}
    }
    v
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, o) = match parse(&args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if o.child {
        return match measure::run_child(&cmd, &o) {
            Ok(fields) => {
                println!("{}", format_result(&fields));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("netstep-bench {cmd}: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let cmds: Vec<(String, Opts)> = match cmd.as_str() {
        "all" => {
            let lossy = Opts {
                loss: 0.01,
                ..o.clone()
            };
            vec![
                ("bulk".into(), o.clone()),
                ("bulk-lossy".into(), lossy),
                ("many-clients".into(), o.clone()),
                ("walkthrough".into(), o.clone()),
                ("player".into(), o.clone()),
            ]
        }
        "bulk" | "bulk-lossy" | "many-clients" | "walkthrough" | "player" => {
            vec![(cmd.clone(), o.clone())]
        }
        "versus" => {
            return match versus(&o) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("netstep-bench versus: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        other => {
            eprintln!("unknown benchmark `{other}`\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut ok = true;
    for (c, o) in cmds {
        if let Err(e) = parent(&c, &o) {
            eprintln!("netstep-bench {c}: {e}");
            ok = false;
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs `o.runs` children and prints the medians.
fn parent(cmd: &str, o: &Opts) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let args = child_args(cmd, o);
    eprintln!("# netstep-bench {} ({} runs)", args.join(" "), o.runs);
    let mut runs: Vec<Vec<(String, String)>> = Vec::new();
    for k in 1..=u64::from(o.runs) {
        let mut child = args.clone();
        child.extend(["--child".into(), "--seed".into(), k.to_string()]);
        runs.push(run_once(&exe.to_string_lossy(), &child)?);
    }
    // Keys in the first run's order; numbers become medians, text must be
    // the same in every run (it names the measurement).
    let mut fields: Vec<(String, Value)> = Vec::new();
    let mut spread: BTreeMap<String, (f64, f64, f64)> = BTreeMap::new();
    for (key, first) in &runs[0] {
        let values: Vec<&str> = runs
            .iter()
            .map(|r| {
                r.iter()
                    .find(|(k, _)| k == key)
                    .map_or("", |(_, v)| v.as_str())
            })
            .collect();
        let nums: Option<Vec<f64>> = values.iter().map(|v| v.parse::<f64>().ok()).collect();
        match nums {
            Some(mut n) if key != "name" => {
                n.sort_by(f64::total_cmp);
                let med = median(&n);
                spread.insert(key.clone(), (med, n[0], n[n.len() - 1]));
                fields.push((key.clone(), Value::Num(med)));
            }
            _ => {
                if values.iter().any(|v| v != first) {
                    return Err(format!("`{key}` differs between runs: {values:?}"));
                }
                fields.push((key.clone(), Value::Text(first.clone())));
            }
        }
        if key == "name" {
            fields.push(("runs".into(), Value::Num(f64::from(o.runs))));
        }
    }
    for (key, (med, lo, hi)) in &spread {
        if lo != hi {
            eprintln!(
                "#   {key:<24} {} [{} .. {}]",
                fmt_num(*med),
                fmt_num(*lo),
                fmt_num(*hi)
            );
        }
    }
    println!("{}", format_result(&fields));
    Ok(())
}

/// Runs `program` with `args` and returns the `key=value` pairs of the
/// `RESULT` line it prints (ours and the anchors harness print the same
/// shape).
fn run_once(program: &str, args: &[String]) -> Result<Vec<(String, String)>, String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "`{program} {}` failed ({}): {}{}",
            args.join(" "),
            out.status,
            stdout,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .ok_or_else(|| {
            format!(
                "`{program} {}` printed no RESULT line: {stdout}",
                args.join(" ")
            )
        })?;
    Ok(line
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect())
}

fn number(fields: &[(String, String)], key: &str) -> Result<f64, String> {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.parse().ok())
        .ok_or_else(|| format!("no number `{key}` in {fields:?}"))
}

/// Bulk against the smoltcp anchor's per-packet transfer of the same size,
/// one run of each in turn (seed K for both in pair K). A shared machine's
/// speed drifts within seconds; pairs taken side by side see the same
/// drift, so the median of their ratios is steadier than a ratio of two
/// medians taken a minute apart (both are printed).
fn versus(o: &Opts) -> Result<(), String> {
    let anchors = o.anchors.clone().ok_or(
        "needs --anchors PATH: the binary of shared/anchors (its README says how to build it)",
    )?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let exe = exe.to_string_lossy();
    let ours_args = child_args(
        "bulk",
        &Opts {
            loss: 0.0,
            ..o.clone()
        },
    );
    let mut anchor_args = vec![
        "tcp".to_string(),
        "--mib".into(),
        o.mib.to_string(),
        "--per-packet".into(),
    ];
    if o.anchor_delay_us > 0 {
        anchor_args.extend(["--delay-us".into(), o.anchor_delay_us.to_string()]);
    }
    if o.anchor_no_verify {
        anchor_args.push("--no-verify".into());
    }
    eprintln!(
        "# netstep-bench {} against `{anchors} {}` ({} pairs)",
        ours_args.join(" "),
        anchor_args.join(" "),
        o.runs
    );
    let (mut ours, mut theirs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for k in 1..=u64::from(o.runs) {
        let seed = k.to_string();
        let mut a = ours_args.clone();
        a.extend(["--child".into(), "--seed".into(), seed.clone()]);
        let us = number(&run_once(&exe, &a)?, "mb_s")?;
        let mut b = anchor_args.clone();
        b.extend(["--seed".into(), seed.clone()]);
        let them = number(&run_once(&anchors, &b)?, "mb_s")?;
        let ratio = if them > 0.0 { us / them } else { f64::NAN };
        eprintln!(
            "#   pair {k}: netstep {} MB/s, smoltcp {} MB/s, ratio {}",
            fmt_num(us),
            fmt_num(them),
            fmt_num(ratio)
        );
        ours.push(us);
        theirs.push(them);
        ratios.push(ratio);
    }
    for v in [&mut ours, &mut theirs, &mut ratios] {
        v.sort_by(f64::total_cmp);
    }
    let fields = vec![
        ("name".to_string(), Value::Text("versus".into())),
        ("runs".into(), Value::Num(f64::from(o.runs))),
        ("mib".into(), Value::Num(o.mib as f64)),
        (
            "anchor_delay_us".into(),
            Value::Num(o.anchor_delay_us as f64),
        ),
        (
            "anchor_verify".into(),
            Value::Num(if o.anchor_no_verify { 0.0 } else { 1.0 }),
        ),
        ("mb_s".into(), Value::Num(median(&ours))),
        ("anchor_mb_s".into(), Value::Num(median(&theirs))),
        ("ratio".into(), Value::Num(median(&ratios))),
        (
            "ratio_of_medians".into(),
            Value::Num(median(&ours) / median(&theirs)),
        ),
        ("ratio_min".into(), Value::Num(ratios[0])),
        ("ratio_max".into(), Value::Num(ratios[ratios.len() - 1])),
    ];
    println!("{}", format_result(&fields));
    Ok(())
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// A figure or a name in a `RESULT` line.
#[derive(Debug, Clone)]
pub enum Value {
    Num(f64),
    Text(String),
}

fn fmt_num(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 1.0 {
        format!("{x:.3}")
    } else {
        format!("{x:.4}")
    }
}

fn format_result(fields: &[(String, Value)]) -> String {
    let mut s = String::from("RESULT");
    for (k, v) in fields {
        s.push(' ');
        s.push_str(k);
        s.push('=');
        match v {
            Value::Num(x) => s.push_str(&fmt_num(*x)),
            Value::Text(t) => s.push_str(t),
        }
    }
    s
}
