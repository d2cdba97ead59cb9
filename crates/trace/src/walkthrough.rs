//! Walkthroughs and the annotator: which numbered stage each segment of a
//! run belongs to, and why a stage that was expected did not occur.
//!
//! A stage names its segments with [`Matcher`]s. The annotator takes the
//! stages in order and, for each matcher, the first segment (in order of
//! sending) that matches and has no stage yet. Retransmissions and link
//! duplicates never get a stage unless a matcher asks for them: they repeat
//! a stage, they do not make one.
//!
//! Leaves out: stages that span a time window without naming segments, and
//! partial stages (a stage occurred only when every one of its matchers
//! found its segment; the segments that were found are still reported).

use crate::matcher::{Matcher, first_ack_of, named_peer_segment};
use crate::model::{Segment, Text, Trace};
use serde::{Deserialize, Serialize};

/// The numbered story a scenario tells about its run.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Walkthrough {
    /// Credit for the story, shown in the player and the exports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Text>,
    #[serde(default, rename = "stage")]
    pub stages: Vec<Stage>,
}

/// One numbered step of the story.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// The stage number, counting up from 1 without gaps.
    pub n: u32,
    pub title: Text,
    #[serde(default)]
    pub text: Text,
    /// The segments that make this stage, one matcher each.
    #[serde(rename = "segment")]
    pub segments: Vec<Matcher>,
}

/// Why a segment has no stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unstaged {
    Retransmission,
    Duplicate,
    NotPartOfTheWalkthrough,
}

impl Unstaged {
    pub fn text(self) -> Text {
        match self {
            Unstaged::Retransmission => Text::new("retransmission", "重传"),
            Unstaged::Duplicate => Text::new("duplicate made by the link", "链路复制的重复报文段"),
            Unstaged::NotPartOfTheWalkthrough => {
                Text::new("not part of the walkthrough", "不属于讲解步骤")
            }
        }
    }
}

/// The outcome for one stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageResult {
    pub n: u32,
    pub title: Text,
    pub text: Text,
    pub occurred: bool,
    /// Indexes (0-based) of the segments found for this stage, in the
    /// order of its matchers.
    pub segments: Vec<u32>,
    /// Why the stage did not occur, found in the trace.
    pub why_not: Option<Text>,
}

/// A trace's segments put on their stages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annotation {
    /// For each segment: its stage number, or why it has none.
    pub segments: Vec<Result<u32, Unstaged>>,
    pub stages: Vec<StageResult>,
    /// Stages that occurred, in number order, whose first segments were not
    /// sent in that order (empty when the story ran in order).
    pub out_of_order: Vec<u32>,
}

impl Annotation {
    /// The stage of segment `index`, if it has one.
    pub fn stage_of(&self, index: usize) -> Option<u32> {
        self.segments
            .get(index)
            .and_then(|r| r.as_ref().ok().copied())
    }
    pub fn occurred(&self) -> impl Iterator<Item = &StageResult> {
        self.stages.iter().filter(|s| s.occurred)
    }
    pub fn missing(&self) -> impl Iterator<Item = &StageResult> {
        self.stages.iter().filter(|s| !s.occurred)
    }
    /// Every stage occurred, and in order.
    pub fn complete(&self) -> bool {
        self.stages.iter().all(|s| s.occurred) && self.out_of_order.is_empty()
    }
    /// The stage result for stage number `n`.
    pub fn stage(&self, n: u32) -> Option<&StageResult> {
        self.stages.iter().find(|s| s.n == n)
    }
}

/// Puts every segment of `trace` on its stage of `walkthrough`.
pub fn annotate(trace: &Trace, walkthrough: &Walkthrough) -> Annotation {
    let n = trace.segments.len();
    let mut stage_of: Vec<Option<u32>> = vec![None; n];
    let mut stages = Vec::with_capacity(walkthrough.stages.len());
    for stage in &walkthrough.stages {
        let mut found = Vec::new();
        let mut why_not = None;
        for m in &stage.segments {
            let wants_retx = m.retransmission == Some(true);
            let pick = m.select(trace, n, |i| {
                stage_of[i].is_none()
                    && trace.segments.at(i).duplicate_of.is_none()
                    && (wants_retx || trace.segments.at(i).retransmission.is_none())
            });
            match pick {
                Some(i) => {
                    stage_of[i] = Some(stage.n);
                    found.push(i as u32);
                }
                None => {
                    if why_not.is_none() {
                        why_not = Some(explain_missing(trace, stage.n, m));
                    }
                }
            }
        }
        stages.push(StageResult {
            n: stage.n,
            title: stage.title.clone(),
            text: stage.text.clone(),
            occurred: why_not.is_none(),
            segments: found,
            why_not,
        });
    }
    let mut out_of_order = Vec::new();
    let mut last_first = None;
    for s in stages.iter().filter(|s| s.occurred) {
        let first = s.segments.iter().copied().min();
        if let (Some(prev), Some(first)) = (last_first, first)
            && first < prev
        {
            out_of_order.push(s.n);
        }
        if first.is_some() {
            last_first = first;
        }
    }
    let segments = trace
        .segments
        .iter()
        .zip(&stage_of)
        .map(|(seg, st)| match st {
            Some(n) => Ok(*n),
            None if seg.duplicate_of.is_some() => Err(Unstaged::Duplicate),
            None if seg.retransmission.is_some() => Err(Unstaged::Retransmission),
            None => Err(Unstaged::NotPartOfTheWalkthrough),
        })
        .collect();
    Annotation {
        segments,
        stages,
        out_of_order,
    }
}

/// Finds in the trace why matcher `m` of stage `n` found no segment, and
/// says it in both languages.
fn explain_missing(trace: &Trace, n: u32, m: &Matcher) -> Text {
    if let Some(t) = explain_missing_ack(trace, n, m) {
        return t;
    }
    if let Some(label) = &m.conn
        && !trace.conns.iter().any(|c| &c.label == label)
    {
        return Text::new(
            format!("stage {n} did not occur: no `{label}` connection was ever opened"),
            format!("第 {n} 步没有出现：从未建立 `{label}` 连接"),
        );
    }
    if let Some(p) = &m.payload {
        let sent = trace
            .segments
            .iter()
            .any(|s| trace.payload(s).starts_with(p.as_bytes()));
        if !sent {
            return Text::new(
                format!("stage {n} did not occur: nothing was ever sent that starts with `{p}`"),
                format!("第 {n} 步没有出现：没有任何报文段以 `{p}` 开头"),
            );
        }
    }
    let d = m.describe();
    Text::new(
        format!("stage {n} did not occur: no segment matched {d}"),
        format!("第 {n} 步没有出现：没有报文段符合条件 {d}"),
    )
}

/// The usual reason a bare ACK is missing: it rode on something else.
fn explain_missing_ack(trace: &Trace, n: u32, m: &Matcher) -> Option<Text> {
    let what = m.acks.as_deref()?;
    // Which connection and direction the ACK would travel in.
    let (conn, dir) = trace.segments.iter().find_map(|s| {
        let label_ok = m.conn.as_deref().is_none_or(|l| trace.conn_label(s) == l);
        let from_ok = m
            .from
            .as_deref()
            .is_none_or(|f| trace.node_name(s.from) == f);
        (label_ok && from_ok && s.conn.is_some()).then_some((s.conn?, s.dir))
    })?;
    let acker = m
        .from
        .as_ref()
        .map_or_else(|| "the receiver".to_string(), |f| format!("the {f}"));
    let acker_zh = m.from.clone().unwrap_or_else(|| "接收方".into());
    let Some(peer) = named_peer_segment(trace, what, conn, 1 - dir) else {
        return Some(Text::new(
            format!(
                "stage {n} did not occur: `{what}` was never sent, so there was nothing to acknowledge"
            ),
            format!("第 {n} 步没有出现：`{what}` 从未发送，因此没有需要确认的内容"),
        ));
    };
    let Some(ack) = first_ack_of(trace, what, Some(conn), dir, trace.segments.len()) else {
        return Some(Text::new(
            format!(
                "stage {n} did not occur: nothing acknowledged `{what}` (segment {}) before the run ended",
                peer + 1
            ),
            format!(
                "第 {n} 步没有出现：直到运行结束也没有报文段确认 `{what}`（第 {} 个报文段）",
                peer + 1
            ),
        ));
    };
    let a = &trace.segments.at(ack);
    let p = &trace.segments.at(peer);
    let arrived = match p.fate {
        crate::model::Fate::Delivered { at } => at,
        _ => p.time,
    };
    let waited = a.time - arrived;
    let delack = trace
        .nodes
        .get(a.from as usize)
        .and_then(|nd| nd.tcp.as_ref())
        .and_then(|t| t.delayed_ack);
    if a.is_pure_ack() {
        // The ACK exists but did not match for another reason (e.g. `nth`).
        return None;
    }
    let rode_on = describe_carrier(trace, a);
    let (why_en, why_zh) = match delack {
        Some(d) if waited < d => (
            format!(
                ", because {acker} answered {waited} after `{what}` arrived, within its delayed-ACK time ({d})"
            ),
            format!(
                "，因为{acker}在 `{what}` 到达后 {waited} 就作出了回应，未超过其延迟确认时间（{d}）"
            ),
        ),
        None => (
            format!(", because {acker} acknowledges at once (no delayed ACK)"),
            format!("，因为{acker_zh}不使用延迟确认"),
        ),
        _ => (String::new(), String::new()),
    };
    Some(Text::new(
        format!(
            "stage {n} did not occur: {acker}'s ACK of `{what}` rode on {} (segment {}){why_en}",
            rode_on.en,
            ack + 1
        ),
        format!(
            "第 {n} 步没有出现：{acker_zh}对 `{what}` 的确认捎带在{}上（第 {} 个报文段）{why_zh}",
            rode_on.zh,
            ack + 1
        ),
    ))
}

/// "its `331 ...` reply", "its FIN": what an ACK was carried by.
fn describe_carrier(trace: &Trace, seg: &Segment) -> Text {
    let payload = trace.payload(seg);
    if !payload.is_empty() {
        let line = String::from_utf8_lossy(payload);
        let first = line.lines().next().unwrap_or("").trim_end();
        let short: String = first.chars().take(24).collect();
        let ell = if first.chars().count() > 24 {
            "…"
        } else {
            ""
        };
        return Text::new(
            format!("its `{short}{ell}` segment"),
            format!("其 `{short}{ell}` 报文段"),
        );
    }
    if seg.flags.fin() {
        return Text::new("its FIN", "其 FIN 报文段");
    }
    if seg.flags.syn() {
        return Text::new("its SYN", "其 SYN 报文段");
    }
    Text::new("another segment", "另一个报文段")
}
