//! The annotated ladder as plain text, for `netstep trace` and `check`.

use netstep_trace::{Annotation, AppEvent, EventKind, Fate, Lang, Trace, Unstaged};
use std::fmt::Write as _;

/// Renders the run one segment per line, then the stages that did not
/// occur and why. With `color`, control and data connections get their own
/// colours and drops are red (ANSI SGR codes, as every terminal supports).
pub fn ladder(trace: &Trace, ann: &Annotation, lang: Lang, color: bool, absolute: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {} (seed {})",
        trace.scenario.name,
        trace.scenario.title.get(lang),
        trace.scenario.seed
    );
    let _ = writeln!(
        out,
        "{:>4}  {:>11}  {:>5}  {:<7}  {:<22}  {:<9}  {:>10}  {:>10}  {:>5}  payload",
        "#", "time", "stage", "conn", "from → to", "flags", "seq", "ack", "len"
    );
    for (i, s) in trace.segments.iter().enumerate() {
        let stage = match ann.segments.get(i) {
            Some(Ok(n)) => format!("[{n}]"),
            Some(Err(Unstaged::Retransmission)) => "retx".into(),
            Some(Err(Unstaged::Duplicate)) => "dup".into(),
            _ => "-".into(),
        };
        let (seq, ack) = if absolute {
            (Some(s.seq.get()), s.ack.map(|a| a.get()))
        } else {
            (trace.rel_seq(s), trace.rel_ack(s))
        };
        let dir = format!(
            "{}:{} → {}:{}",
            trace.node_name(s.from),
            s.src.port(),
            s.to.map_or("?", |n| trace.node_name(n)),
            s.dst.port()
        );
        let payload = short_payload(trace.payload(s));
        let fate = match s.fate {
            Fate::Dropped { reason, node, .. } => paint(
                "31",
                &format!("  ✕ dropped at {} ({reason:?})", trace.node_name(node)),
            ),
            Fate::InFlight => "  (in flight at end)".into(),
            Fate::Delivered { .. } => String::new(),
        };
        let label = trace.conn_label(s);
        let line = format!(
            "{:>4}  {:>11}  {:>5}  {:<7}  {:<22}  {:<9}  {:>10}  {:>10}  {:>5}  {}{}",
            i + 1,
            s.time.to_string(),
            stage,
            label,
            dir,
            s.flags.names().join(","),
            seq.map_or("-".into(), |v| v.to_string()),
            ack.map_or("-".into(), |v| v.to_string()),
            s.payload_len,
            payload,
            fate
        );
        let code = match label {
            "control" => "36",
            "data" => "33",
            _ => "0",
        };
        let _ = writeln!(out, "{}", paint(code, &line));
    }
    let total = ann.stages.len();
    let occurred = ann.occurred().count();
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{} segments; {occurred} of {total} stages occurred{}",
        trace.segments.len(),
        if ann.out_of_order.is_empty() {
            String::new()
        } else {
            format!(
                "; out of order: {}",
                ann.out_of_order
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    for st in ann.missing() {
        if let Some(w) = &st.why_not {
            let _ = writeln!(out, "  {}", paint("35", w.get(lang)));
        }
    }
    out
}

/// A payload as one short printable line: `USER student\r\n` becomes
/// `"USER student\r\n"`, long or binary payloads are cut.
pub fn short_payload(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return String::new();
    }
    let text: String = bytes
        .iter()
        .take(40)
        .flat_map(|&b| std::ascii::escape_default(b).map(char::from))
        .collect();
    if bytes.len() > 40 {
        format!("\"{text}…\"")
    } else {
        format!("\"{text}\"")
    }
}

/// What the users saw on their screens: every line a client program
/// printed, with the virtual time it appeared and the host it ran on.
pub fn transcript(trace: &Trace) -> String {
    let mut out = String::new();
    let clients: std::collections::BTreeSet<u32> = trace
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::App {
                node,
                what: AppEvent::Transcript { .. },
                ..
            } => Some(*node),
            _ => None,
        })
        .collect();
    for e in &trace.events {
        if let EventKind::App {
            node,
            what: AppEvent::Transcript { line },
            ..
        } = &e.kind
        {
            let who = if clients.len() > 1 {
                format!("{}: ", trace.node_name(*node))
            } else {
                String::new()
            };
            let _ = writeln!(out, "{:>11}  {who}{line}", e.time.to_string());
        }
    }
    out
}
