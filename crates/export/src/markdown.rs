//! The Markdown export: the annotated ladder as a GitHub-flavoured table
//! (one row per segment), then each stage's title and text, then the
//! stages that did not occur and why. For a README, an mdBook page or an
//! issue.
//!
//! Payloads are shown whole up to [`PAYLOAD_CHARS`] characters, in a code
//! span, with `\r`, `\n` and other control bytes spelt out so a line ending
//! is visible and a table row never breaks. The stage texts are the
//! scenario author's Markdown and pass through as written.
//!
//! Leaves out: absolute sequence numbers (the table shows them relative, as
//! Wireshark does), TCP options and windows (the pcapng export has them).

use crate::ladder::{Row, payload_escaped, rows};
use crate::{ExportError, check, words};
use netstep_trace::{Annotation, Lang, Trace, Unstaged};
use std::fmt::Write;

/// Payload characters shown in a table cell before it is cut with `…`.
pub const PAYLOAD_CHARS: usize = 64;

/// The run as Markdown in `lang`.
pub fn markdown(trace: &Trace, ann: &Annotation, lang: Lang) -> Result<String, ExportError> {
    check(trace, ann)?;
    let rows = rows(trace, ann);
    let mut out = String::new();
    let title = trace.scenario.title.get(lang);
    let title = if title.is_empty() {
        trace.scenario.name.as_str()
    } else {
        title
    };
    let _ = writeln!(out, "# {title}\n");
    let total = ann.stages.len();
    let occurred = ann.occurred().count();
    let name = &trace.scenario.name;
    let seed = trace.scenario.seed;
    let segs = trace.segments.len();
    let _ = match lang {
        Lang::En => writeln!(
            out,
            "Scenario `{name}`, seed {seed}: {segs} segments; {occurred} of {total} stages occurred.\n"
        ),
        Lang::Zh => writeln!(
            out,
            "场景 `{name}`，种子 {seed}：共 {segs} 个报文段；{total} 个步骤中出现了 {occurred} 个。\n"
        ),
    };
    table(&mut out, trace, &rows, lang);
    stages(&mut out, ann, lang);
    Ok(out)
}

fn table(out: &mut String, trace: &Trace, rows: &[Row<'_>], lang: Lang) {
    let head: [&str; 11] = match lang {
        Lang::En => [
            "#",
            "Time",
            "Stage",
            "Direction",
            "Connection",
            "Flags",
            "Seq",
            "Ack",
            "Len",
            "Payload",
            "Notes",
        ],
        Lang::Zh => [
            "序号",
            "时间",
            "步骤",
            "方向",
            "连接",
            "标志",
            "序列号",
            "确认号",
            "长度",
            "载荷",
            "备注",
        ],
    };
    let _ = writeln!(out, "| {} |", head.join(" | "));
    let _ = writeln!(out, "|--:|--:|:-:|---|---|---|--:|--:|--:|---|---|");
    for r in rows {
        let seg = r.seg;
        let stage = match r.stage {
            Ok(n) => n.to_string(),
            Err(_) => "–".into(),
        };
        let to = r.dest.or(r.to).map_or("?", |n| trace.node_name(n));
        let dir = format!("{} → {}", trace.node_name(seg.from), to);
        let seq = r.rel_seq.to_string();
        let ack = r.rel_ack.map(|a| a.to_string()).unwrap_or_default();
        let payload = code_span(&payload_escaped(trace.payload(seg), PAYLOAD_CHARS));
        let mut notes = Vec::new();
        if let Err(why) = r.stage
            && why != Unstaged::NotPartOfTheWalkthrough
        {
            notes.push(words::unstaged(lang, why));
        }
        if let Some(o) = seg.retransmission.and_then(|x| x.of_segment) {
            notes.push(match lang {
                Lang::En => format!("repeats {}", o + 1),
                Lang::Zh => format!("重复第 {} 个", o + 1),
            });
        }
        if let Some(lost) = r.lost_note(trace, lang) {
            notes.push(format!("✕ {lost}"));
        }
        let notes = cell(&notes.join(words::pick(lang, "; ", "；")));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.index + 1,
            seg.time,
            stage,
            cell(&dir),
            cell(trace.conn_label(seg)),
            r.flags(),
            seq,
            ack,
            seg.payload_len,
            payload,
            notes
        );
    }
    out.push('\n');
}

fn stages(out: &mut String, ann: &Annotation, lang: Lang) {
    let _ = writeln!(out, "## {}\n", words::pick(lang, "Stages", "步骤"));
    for st in ann.occurred() {
        let _ = writeln!(out, "### {}. {}\n", st.n, st.title.get(lang));
        let text = st.text.get(lang).trim();
        if !text.is_empty() {
            let _ = writeln!(out, "{text}\n");
        }
        let list: Vec<String> = st.segments.iter().map(|i| (i + 1).to_string()).collect();
        let _ = match lang {
            Lang::En => writeln!(out, "Segments: {}\n", list.join(", ")),
            Lang::Zh => writeln!(out, "报文段：{}\n", list.join("、")),
        };
    }
    let _ = writeln!(
        out,
        "## {}\n",
        words::pick(lang, "Stages that did not occur", "未出现的步骤")
    );
    let mut none = true;
    for st in ann.missing() {
        none = false;
        let _ = writeln!(out, "### {}. {}\n", st.n, st.title.get(lang));
        if let Some(why) = &st.why_not {
            let _ = writeln!(out, "{}\n", why.get(lang));
        }
    }
    if none {
        let _ = writeln!(
            out,
            "{}\n",
            words::pick(lang, "Every stage occurred.", "所有步骤都出现了。")
        );
    }
    if !ann.out_of_order.is_empty() {
        let list: Vec<String> = ann.out_of_order.iter().map(u32::to_string).collect();
        let _ = match lang {
            Lang::En => writeln!(
                out,
                "Stages that began before an earlier-numbered stage: {}\n",
                list.join(", ")
            ),
            Lang::Zh => writeln!(out, "先于编号更小的步骤开始的步骤：{}\n", list.join("、")),
        };
    }
    // One trailing newline, not two.
    while out.ends_with("\n\n") {
        out.pop();
    }
}

/// Text for a table cell: pipes escaped, line breaks turned into spaces.
fn cell(s: &str) -> String {
    s.replace(['\r', '\n'], " ").replace('|', "\\|")
}

/// `s` as a code span that survives a GFM table: a backtick fence longer
/// than any run of backticks inside, spaces inside the fence when `s`
/// begins or ends with a backtick or a space, pipes escaped (GFM removes
/// the backslash before it parses the code span).
pub(crate) fn code_span(s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with(['`', ' ']) || s.ends_with(['`', ' ']) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", cell(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_hold_backticks_and_pipes() {
        assert_eq!(code_span("PWD\\r\\n"), "`PWD\\r\\n`");
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`x`"), "`` `x` ``");
        assert_eq!(code_span("a|b"), "`a\\|b`");
        assert_eq!(code_span(""), "");
    }
}
