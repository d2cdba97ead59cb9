//! The Mermaid export: the ladder as a `sequenceDiagram`, which GitHub,
//! GitLab and mdBook (with mdbook-mermaid) draw from a fenced
//! ```` ```mermaid ```` block.
//!
//! - Participants are the hosts, with their addresses, and the middleboxes
//!   a segment was seen at, between the client and the server.
//! - One arrow per segment, labelled `[stage] FLAGS seq=.. ack=.. len=..
//!   payload-start`. Solid arrows belong to the first connection (the FTP
//!   control connection), dotted ones to every other (the data
//!   connections). A lost segment ends in a cross (`-x`, `--x`).
//! - The segments of one stage sit in a tinted `rect` block headed by a
//!   note with the stage's number and title; the tint alternates so that
//!   neighbouring stages stand apart.
//! - A NAT's rewrite is noted the first time it maps each connection and
//!   direction, and whenever its FTP helper rewrites a command.
//!
//! Mermaid reads `;` as the end of a statement and `#` as the start of an
//! entity code, and sanitises `<`, `>` and `&` as HTML, so every text is
//! written with Mermaid's entity codes for those (`#59;`, `#35;`, `#lt;`,
//! ...). The output is checked with Mermaid's own parser when it is
//! available (see the crate's tests).
//!
//! Leaves out: timing (arrows are in order of sending and Mermaid draws
//! them level), TCP options, and Mermaid configuration (themes are the
//! reader's).

use crate::ladder::{Journeys, Row, participants, rows, stage_groups};
use crate::{ExportError, check, words};
use netstep_trace::{Annotation, Lang, Trace};
use std::collections::BTreeSet;
use std::fmt::Write;

/// Payload characters on an arrow before it is cut with `…`.
const PREVIEW_CHARS: usize = 28;

/// Two light tints for alternate stages.
const TINTS: [&str; 2] = ["rgba(66, 133, 244, 0.10)", "rgba(251, 188, 4, 0.14)"];

/// The run as a Mermaid sequence diagram, texts in `lang`.
pub fn mermaid(trace: &Trace, ann: &Annotation, lang: Lang) -> Result<String, ExportError> {
    check(trace, ann)?;
    let rows = rows(trace, ann);
    let parts = participants(trace, &rows);
    let id = |node: u32| -> String {
        match parts.iter().position(|&p| p == node) {
            Some(i) => format!("p{i}"),
            None => format!("n{node}"),
        }
    };
    let mut out = String::from("sequenceDiagram\n");
    let title = trace.scenario.title.get(lang);
    if !title.is_empty() {
        let _ = writeln!(out, "    title {}", escape(title));
    }
    let _ = writeln!(
        out,
        "    %% netstep: scenario {}, seed {}. {}",
        comment(&trace.scenario.name),
        trace.scenario.seed,
        words::pick(
            lang,
            "Solid arrows: the first (control) connection. Dotted: the others (data). x: lost.",
            "实线：第一条（控制）连接；虚线：其他（数据）连接；x：丢失。"
        )
    );
    for &p in &parts {
        let node = &trace.nodes[p as usize];
        let addrs: Vec<String> = node.addrs.iter().map(ToString::to_string).collect();
        let label = if addrs.is_empty() {
            escape(&node.name)
        } else {
            format!("{}<br/>{}", escape(&node.name), escape(&addrs.join(", ")))
        };
        let _ = writeln!(out, "    participant {} as {label}", id(p));
    }
    let first_label = trace.conns.first().map(|c| c.label.as_str());
    let span = match (parts.first(), parts.last()) {
        (Some(&a), Some(&b)) if a != b => format!("{},{}", id(a), id(b)),
        (Some(&a), _) => id(a),
        _ => String::new(),
    };
    let journeys = Journeys::of(trace);
    let groups = stage_groups(&rows);
    let mut noted_maps = BTreeSet::new();
    let mut g = 0;
    for (i, r) in rows.iter().enumerate() {
        if let Some(group) = groups.get(g)
            && group.first == i
        {
            let n = group.stage;
            // The tint follows the stage number, so a stage shown in two
            // places keeps its colour.
            let _ = writeln!(out, "    rect {}", TINTS[n as usize % TINTS.len()]);
            let title = ann.stage(n).map_or("", |s| s.title.get(lang));
            let again = if group.continued {
                words::pick(lang, " (continued)", "（续）")
            } else {
                ""
            };
            if !span.is_empty() {
                let _ = writeln!(
                    out,
                    "    Note over {span}: {}",
                    escape(&format!("{n}. {title}{again}"))
                );
            }
        }
        arrow(&mut out, trace, r, first_label, &id, lang);
        for rw in journeys.rewrites.get(r.index).into_iter().flatten() {
            let key = (rw.node, r.seg.conn, r.seg.dir);
            if noted_maps.insert(key) || rw.note.contains("FTP helper") {
                let _ = writeln!(out, "    Note over {}: {}", id(rw.node), escape(rw.note));
            }
        }
        if let Some(group) = groups.get(g)
            && group.last == i
        {
            out.push_str("    end\n");
            g += 1;
        }
    }
    Ok(out)
}

fn arrow(
    out: &mut String,
    trace: &Trace,
    r: &Row<'_>,
    first_label: Option<&str>,
    id: &dyn Fn(u32) -> String,
    lang: Lang,
) {
    let dotted = first_label.is_some_and(|l| trace.conn_label(r.seg) != l);
    let head = match (dotted, r.lost.is_some()) {
        (false, false) => "->>",
        (true, false) => "-->>",
        (false, true) => "-x",
        (true, true) => "--x",
    };
    let from = r.seg.from;
    let to = r.to.unwrap_or(from);
    let mut label = r.label(trace, PREVIEW_CHARS);
    if let Some(lost) = r.lost_note(trace, lang) {
        label.push_str(" ✕ ");
        label.push_str(&lost);
    }
    let _ = writeln!(out, "    {}{head}{}: {}", id(from), id(to), escape(&label));
}

/// `s` as Mermaid message or note text: one line, with entity codes for
/// the characters Mermaid's grammar or its HTML sanitiser would take.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            ';' => out.push_str("#59;"),
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '%' => out.push_str("#37;"),
            '\r' | '\n' | '\t' => out.push(' '),
            c if c.is_control() => out.push('·'),
            c => out.push(c),
        }
    }
    out
}

/// Text for a `%%` comment line: one line, nothing Mermaid could read as
/// a directive.
fn comment(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\r' | '\n' | '{' | '}' => ' ',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_uses_entity_codes() {
        assert_eq!(escape("a;b#c"), "a#59;b#35;c");
        assert_eq!(escape("<\"&\">"), "#lt;#quot;#amp;#quot;#gt;");
        assert_eq!(escape("100%\r\n"), "100#37;  ");
    }
}
