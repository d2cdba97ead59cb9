//! The JSON export: a contract other tools and tests read.
//!
//! Kept fields (never removed or renamed): top-level `scenario`, `seed`,
//! `segments`, `stages`; per segment `index` (1-based, in order of
//! sending), `time_ns`, `conn`, `src`, `dst`, `flags`, `seq`, `ack`,
//! `rel_seq`, `rel_ack`, `len`, `payload`, `fate`, `retransmission`,
//! `stage`; per stage `n`, `occurred`, `segments` (1-based indexes),
//! `title`, `why_not`. Everything else may grow. The full trace (for
//! `netstep play --trace`) is under `trace`.

use crate::model::{Fate, Lang, Retransmission, SegCause, Text, Trace};
use crate::walkthrough::{Annotation, Unstaged, Walkthrough};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Export<'a> {
    pub format: &'static str,
    pub scenario: &'a str,
    pub title: &'a Text,
    pub seed: u64,
    pub lang: Lang,
    pub end_time_ns: u64,
    pub segments: Vec<SegmentJson<'a>>,
    pub stages: Vec<StageJson<'a>>,
    /// The whole recorded run and its walkthrough: enough to replay it in
    /// the player on another machine.
    pub trace: &'a Trace,
    pub walkthrough: &'a Walkthrough,
}

#[derive(Debug, Serialize)]
pub struct SegmentJson<'a> {
    pub index: u32,
    pub time_ns: u64,
    pub conn: &'a str,
    pub from: &'a str,
    pub to: Option<&'a str>,
    pub src: String,
    pub dst: String,
    pub flags: Vec<&'static str>,
    pub seq: u32,
    pub ack: Option<u32>,
    pub rel_seq: Option<u32>,
    pub rel_ack: Option<u32>,
    pub len: u32,
    pub window: u16,
    pub payload: Option<&'a str>,
    pub fate: &'static str,
    pub fate_time_ns: Option<u64>,
    pub drop_reason: Option<crate::model::DropReason>,
    pub retransmission: bool,
    pub retransmission_of: Option<u32>,
    pub duplicate_of: Option<u32>,
    pub cause: SegCause,
    pub stage: Option<u32>,
    pub unstaged: Option<Unstaged>,
}

#[derive(Debug, Serialize)]
pub struct StageJson<'a> {
    pub n: u32,
    pub occurred: bool,
    pub segments: Vec<u32>,
    pub title: &'a Text,
    pub text: &'a Text,
    pub why_not: Option<&'a str>,
    pub why_not_text: Option<&'a Text>,
}

/// Builds the export value for `trace` as annotated.
pub fn export<'a>(
    trace: &'a Trace,
    walkthrough: &'a Walkthrough,
    ann: &'a Annotation,
    lang: Lang,
) -> Export<'a> {
    let segments = trace
        .segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let payload = trace.payload(s);
            let (fate, fate_time_ns, drop_reason) = match s.fate {
                Fate::Delivered { at } => ("delivered", Some(at.as_nanos()), None),
                Fate::Dropped { at, reason, .. } => ("dropped", Some(at.as_nanos()), Some(reason)),
                Fate::InFlight => ("in-flight", None, None),
            };
            let staged = ann.segments.get(i).copied();
            SegmentJson {
                index: i as u32 + 1,
                time_ns: s.time.as_nanos(),
                conn: trace.conn_label(s),
                from: trace.node_name(s.from),
                to: s.to.map(|n| trace.node_name(n)),
                src: s.src.to_string(),
                dst: s.dst.to_string(),
                flags: s.flags.names(),
                seq: s.seq.get(),
                ack: s.ack.map(|a| a.get()),
                rel_seq: trace.rel_seq(s),
                rel_ack: trace.rel_ack(s),
                len: s.payload_len,
                window: s.window,
                payload: if payload.is_empty() {
                    None
                } else {
                    std::str::from_utf8(payload).ok()
                },
                fate,
                fate_time_ns,
                drop_reason,
                retransmission: s.retransmission.is_some(),
                retransmission_of: s
                    .retransmission
                    .and_then(|Retransmission { of_segment, .. }| of_segment)
                    .map(|i| i + 1),
                duplicate_of: s.duplicate_of.map(|i| i + 1),
                cause: s.cause,
                stage: staged.and_then(|r| r.ok()),
                unstaged: staged.and_then(|r| r.err()),
            }
        })
        .collect();
    let stages = ann
        .stages
        .iter()
        .map(|st| StageJson {
            n: st.n,
            occurred: st.occurred,
            segments: st.segments.iter().map(|i| i + 1).collect(),
            title: &st.title,
            text: &st.text,
            why_not: st.why_not.as_ref().map(|t| t.get(lang)),
            why_not_text: st.why_not.as_ref(),
        })
        .collect();
    Export {
        format: "netstep-run/1",
        scenario: &trace.scenario.name,
        title: &trace.scenario.title,
        seed: trace.scenario.seed,
        lang,
        end_time_ns: trace.end_time.as_nanos(),
        segments,
        stages,
        trace,
        walkthrough,
    }
}

/// The export as pretty-printed JSON text, ending in a newline.
pub fn to_string(trace: &Trace, walkthrough: &Walkthrough, ann: &Annotation, lang: Lang) -> String {
    let mut s = serde_json::to_string_pretty(&export(trace, walkthrough, ann, lang))
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// Reads back the trace and walkthrough of a JSON export (or a bare
/// trace, which has no walkthrough), for `netstep play --trace FILE.json`.
pub fn read_trace(text: &str) -> Result<(Trace, Walkthrough), serde_json::Error> {
    let mut value: serde_json::Value = serde_json::from_str(text)?;
    match value.get_mut("trace").map(serde_json::Value::take) {
        Some(trace) => {
            let trace = serde_json::from_value(trace)?;
            let walkthrough = match value.get_mut("walkthrough").map(serde_json::Value::take) {
                Some(w) => serde_json::from_value(w)?,
                None => Walkthrough::default(),
            };
            Ok((trace, walkthrough))
        }
        None => Ok((serde_json::from_value(value)?, Walkthrough::default())),
    }
}
