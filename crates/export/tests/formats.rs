//! The text formats (Markdown, Mermaid, SVG) and the pcapng writer on two
//! runs: the bundled walkthrough (golden snapshots) and a small hand-built
//! run whose payloads hold every character a format must escape.

mod common;

use common::{BINARY, NASTY, active_ftp, assert_mermaid_safe, fixture, table_cells};
use netstep_export::{CapturePoint, ExportError, Format, markdown, mermaid, pcapng, render, svg};
use netstep_trace::{Annotation, Lang, Trace};

// ---------------------------------------------------------------------
// Golden outputs of the walkthrough.

#[test]
fn active_ftp_markdown_en() {
    let (trace, ann) = active_ftp();
    insta::assert_snapshot!(markdown(&trace, &ann, Lang::En).unwrap());
}

#[test]
fn active_ftp_markdown_zh() {
    let (trace, ann) = active_ftp();
    insta::assert_snapshot!(markdown(&trace, &ann, Lang::Zh).unwrap());
}

#[test]
fn active_ftp_mermaid_en() {
    let (trace, ann) = active_ftp();
    insta::assert_snapshot!(mermaid(&trace, &ann, Lang::En).unwrap());
}

#[test]
fn fixture_svg() {
    let (trace, ann) = fixture();
    insta::assert_snapshot!(svg(&trace, &ann, Lang::En).unwrap());
}

// ---------------------------------------------------------------------
// Markdown.

#[test]
fn markdown_table_has_one_row_per_segment_and_every_column() {
    for (trace, ann) in [active_ftp(), fixture()] {
        for lang in [Lang::En, Lang::Zh] {
            let md = markdown(&trace, &ann, lang).unwrap();
            let rows = table_cells(&md);
            assert_eq!(rows.len(), trace.segments.len() + 1, "{md}");
            for (i, r) in rows.iter().enumerate() {
                assert_eq!(r.len(), 11, "row {i}: {r:?}");
                if i > 0 {
                    assert_eq!(r[0], i.to_string());
                }
            }
        }
    }
}

#[test]
fn markdown_shows_payloads_whole_and_safe() {
    let (trace, ann) = fixture();
    let md = markdown(&trace, &ann, Lang::En).unwrap();
    let rows = table_cells(&md);
    // Every byte visible: `\r\n` spelt out, the backslash doubled, the
    // pipe and the backticks intact once GFM has read the cell.
    assert_eq!(rows[4][9], r#"a|b`c``d;e#f<g>"h&i%j'k\\l\r\n"#);
    assert_eq!(rows[5][9], r"\xff\x00x\x1b");
    assert_eq!(rows[4][2], "2");
    assert_eq!(rows[4][3], "client → server");
    assert_eq!((rows[4][6].as_str(), rows[4][7].as_str()), ("1", "1"));
    assert_eq!(rows[4][8], NASTY.len().to_string());
    assert!(
        rows[5][10].contains("lost at client: random loss"),
        "{:?}",
        rows[5]
    );
    assert_eq!(rows[6][2], "–");
    assert!(
        rows[6][10].contains("retransmission; repeats 5"),
        "{:?}",
        rows[6]
    );
    // Relative numbers: the ACK after the retransmission covers both
    // payloads.
    assert_eq!(
        rows[7][7],
        (1 + NASTY.len() + BINARY.len()).to_string(),
        "{:?}",
        rows[7]
    );
    // The stage that did not occur, with its reason.
    assert!(md.contains("## Stages that did not occur\n\n### 4. Never\n\nstage 4 did not occur"));
}

#[test]
fn markdown_headers_are_translated() {
    let (trace, ann) = fixture();
    let md = markdown(&trace, &ann, Lang::Zh).unwrap();
    let rows = table_cells(&md);
    assert_eq!(rows[0][0], "序号");
    assert_eq!(rows[0][9], "载荷");
    assert!(md.contains("## 步骤\n"));
    assert!(md.contains("## 未出现的步骤\n"));
    assert!(rows[5][10].contains("在 client 丢失"), "{:?}", rows[5]);
}

// ---------------------------------------------------------------------
// Mermaid.

#[test]
fn mermaid_has_one_arrow_per_segment_and_escapes_everything() {
    for (trace, ann) in [active_ftp(), fixture()] {
        for lang in [Lang::En, Lang::Zh] {
            let text = mermaid(&trace, &ann, lang).unwrap();
            assert!(text.starts_with("sequenceDiagram\n"));
            let arrows: Vec<&str> = text
                .lines()
                .filter(|l| {
                    let l = l.trim_start();
                    l.starts_with('p') && l.contains(": [")
                })
                .collect();
            assert_eq!(arrows.len(), trace.segments.len(), "{text}");
            let opens = text
                .lines()
                .filter(|l| l.trim_start().starts_with("rect "))
                .count();
            let ends = text.lines().filter(|l| l.trim() == "end").count();
            assert_eq!(opens, ends);
            assert_mermaid_safe(&text);
        }
    }
}

#[test]
fn mermaid_marks_lost_segments_and_data_connections() {
    let (trace, ann) = fixture();
    let text = mermaid(&trace, &ann, Lang::En).unwrap();
    assert!(
        text.contains(
            "    p0-xp1: [3] PSH,ACK seq=28 ack=1 len=4 \u{fffd}·x· ✕ lost at client: random loss on the link\n"
        ),
        "{text}"
    );
    assert!(text.contains("p0->>p1: [2] PSH,ACK seq=1 ack=1 len=27 a|b`c``d#59;e#35;f#lt;g#gt;#quot;h#amp;i#37;j'k\\l\n"), "{text}");
    let (trace, ann) = active_ftp();
    let text = mermaid(&trace, &ann, Lang::En).unwrap();
    // The data connection is dotted, the control connection solid.
    assert!(text.contains("p1-->>p0: [16] SYN seq=0 len=0\n"), "{text}");
    assert!(text.contains("p0->>p1: [1] SYN seq=0 len=0\n"), "{text}");
}

/// Mermaid's own parser, when a folder with the `mermaid` and `jsdom` npm
/// packages is named by `NETSTEP_MERMAID_DIR` (for example after
/// `npm install --prefix /tmp/mm mermaid@11 jsdom`).
#[test]
fn mermaid_parses_with_mermaid_itself() {
    let Some(dir) = std::env::var_os("NETSTEP_MERMAID_DIR") else {
        println!(
            "skipped: set NETSTEP_MERMAID_DIR to a folder where `npm install mermaid@11 jsdom` was run"
        );
        return;
    };
    let out = std::env::temp_dir().join(format!("netstep-mermaid-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let mut files = Vec::new();
    for (name, (trace, ann)) in [("active-ftp", active_ftp()), ("fixture", fixture())] {
        for lang in [Lang::En, Lang::Zh] {
            let f = out.join(format!("{name}-{lang:?}.mmd"));
            std::fs::write(&f, mermaid(&trace, &ann, lang).unwrap()).unwrap();
            files.push(f);
        }
    }
    const SCRIPT: &str = r#"
import { JSDOM } from 'jsdom';
import { readFileSync } from 'fs';
const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });
let bad = 0;
for (const f of process.argv.slice(1)) {
  try { await mermaid.parse(readFileSync(f, 'utf8')); console.log('ok ' + f); }
  catch (e) { bad++; console.log('FAIL ' + f + ': ' + (e.message || e)); }
}
process.exit(bad ? 1 : 0);
"#;
    let result = std::process::Command::new("node")
        .current_dir(&dir)
        .args(["--input-type=module", "-e", SCRIPT])
        .args(&files)
        .output()
        .expect("node runs");
    let _ = std::fs::remove_dir_all(&out);
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(
        result.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert_eq!(stdout.lines().filter(|l| l.starts_with("ok ")).count(), 4);
}

// ---------------------------------------------------------------------
// SVG.

#[test]
fn svg_is_well_formed_with_one_arrow_per_segment() {
    for (trace, ann) in [active_ftp(), fixture()] {
        for lang in [Lang::En, Lang::Zh] {
            let text = svg(&trace, &ann, lang).unwrap();
            let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            let root = doc.root_element();
            assert_eq!(root.tag_name().name(), "svg");
            let w: i64 = root.attribute("width").unwrap().parse().unwrap();
            let h: i64 = root.attribute("height").unwrap().parse().unwrap();
            assert!(w > 800 && h > 400, "{w}x{h}");
            let segs = root
                .descendants()
                .find(|n| n.attribute("id") == Some("segments"))
                .unwrap();
            let groups: Vec<_> = segs
                .children()
                .filter(|n| n.is_element() && n.tag_name().name() == "g")
                .collect();
            assert_eq!(groups.len(), trace.segments.len());
            // Every coordinate lies on the picture.
            for n in root.descendants().filter(|n| n.is_element()) {
                for a in ["x", "y", "x1", "x2", "y1", "y2", "cx", "cy"] {
                    if let Some(v) = n.attribute(a) {
                        let v: i64 = v.parse().unwrap();
                        let lim = if a.starts_with('x') || a == "cx" {
                            w
                        } else {
                            h
                        };
                        assert!((0..=lim).contains(&v), "{a}={v} outside {w}x{h}");
                    }
                }
            }
            // Stage numbers in the gutter: one disc per stage group.
            let discs = root
                .descendants()
                .filter(|n| n.has_tag_name("circle"))
                .count();
            assert!(discs >= ann.occurred().count());
        }
    }
}

#[test]
fn svg_labels_keep_the_payload_and_mark_the_loss() {
    let (trace, ann) = fixture();
    let text = svg(&trace, &ann, Lang::En).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let label = |id: &str| -> String {
        let g = doc
            .descendants()
            .find(|n| n.attribute("id") == Some(id))
            .unwrap();
        g.descendants()
            .find(|n| n.has_tag_name("text"))
            .and_then(|t| t.text())
            .unwrap_or_default()
            .to_string()
    };
    // XML escaping round-trips: the reader gets the characters back.
    assert_eq!(
        label("seg4"),
        "[2] PSH,ACK seq=1 ack=1 len=27 a|b`c``d;e#f<g>\"h&i%j'…"
    );
    assert!(label("seg5").ends_with("(lost)"), "{}", label("seg5"));
    let seg5 = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("seg5"))
        .unwrap();
    assert!(
        seg5.descendants()
            .any(|n| n.has_tag_name("path") && n.attribute("stroke") == Some("#dc2626")),
        "a red cross where it was lost"
    );
    assert_eq!(
        doc.descendants()
            .find(|n| n.has_tag_name("title"))
            .and_then(|n| n.text()),
        Some("Escapes & <losses>")
    );
}

// ---------------------------------------------------------------------
// pcapng on the hand-built run (the bundled scenarios are checked with
// tshark in the workspace's tests/export.rs).

#[test]
fn pcapng_holds_what_each_point_saw() {
    let (trace, ann) = fixture();
    let seen = |at| {
        let bytes = pcapng(&trace, &ann, at, Lang::En).unwrap();
        let cap = netstep_wire::read_capture(&bytes).unwrap();
        cap.packets
            .iter()
            .map(|p| {
                let c = p.comment.clone().unwrap_or_default();
                let n: usize = c
                    .split("; segment ")
                    .nth(1)
                    .and_then(|r| r.split(';').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("no segment number in {c:?}"));
                let ip = p.ipv4_payload().unwrap();
                let (_, tcp) = netstep_wire::parse_ipv4_tcp(ip, true).unwrap();
                let seg = &trace.segments.at(n - 1);
                assert_eq!(tcp.seq_number, seg.seq);
                assert_eq!(tcp.ack_number, seg.ack);
                assert_eq!(tcp.wire_flags(), seg.flags);
                assert_eq!(tcp.payload, trace.payload(seg));
                assert_eq!(tcp.options, seg.options);
                n
            })
            .collect::<Vec<_>>()
    };
    // The client sent 1, 3, 4, 5 (lost on the link, but sent), 6 and
    // received 2 and 7; the server never saw 5.
    assert_eq!(seen(CapturePoint::Client), [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(seen(CapturePoint::Server), [1, 2, 3, 4, 6, 7]);
    assert_eq!(seen(CapturePoint::Wire), [1, 2, 3, 4, 5, 6, 7]);
}

#[test]
fn pcapng_comments_give_stage_segment_and_reason() {
    let (trace, ann) = fixture();
    let comments = |lang, at| -> Vec<String> {
        let bytes = pcapng(&trace, &ann, at, lang).unwrap();
        netstep_wire::read_capture(&bytes)
            .unwrap()
            .packets
            .into_iter()
            .map(|p| p.comment.unwrap_or_default())
            .collect()
    };
    let en = comments(Lang::En, CapturePoint::Client);
    assert_eq!(en[0], "stage 1: Handshake; segment 1");
    assert_eq!(
        en[4],
        "stage 3: Binary, lost; segment 5; application data; lost at client: random loss on the link"
    );
    assert_eq!(
        en[5],
        "retransmission; segment 6; retransmission timer expired (RTO #1), repeats segment 5"
    );
    assert_eq!(
        en[6],
        "not part of the walkthrough; segment 7; delayed-ACK timer fired"
    );
    let zh = comments(Lang::Zh, CapturePoint::Server);
    assert_eq!(zh[0], "第 1 步：步骤 1；第 1 个报文段");
    assert!(
        zh[4].starts_with("重传；第 6 个报文段；重传定时器超时"),
        "{}",
        zh[4]
    );
}

// ---------------------------------------------------------------------
// Every format: determinism and errors.

#[test]
fn the_same_run_gives_the_same_bytes() {
    for f in Format::ALL {
        for at in CapturePoint::ALL {
            let (t1, a1) = active_ftp();
            let (t2, a2) = active_ftp();
            assert_eq!(
                render(f, &t1, &a1, at, Lang::Zh).unwrap(),
                render(f, &t2, &a2, at, Lang::Zh).unwrap(),
                "{f} at {at}"
            );
        }
    }
}

#[test]
fn an_empty_or_mismatched_run_is_an_error_not_a_panic() {
    let (trace, ann) = fixture();
    let empty = Trace {
        segments: Default::default(),
        ..trace.clone()
    };
    let empty_ann = Annotation {
        segments: Default::default(),
        ..ann.clone()
    };
    for f in Format::ALL {
        let e = render(f, &empty, &empty_ann, CapturePoint::Client, Lang::En).unwrap_err();
        assert!(matches!(e, ExportError::EmptyTrace), "{f}: {e}");
        let e = render(f, &trace, &empty_ann, CapturePoint::Client, Lang::En).unwrap_err();
        assert!(
            matches!(
                e,
                ExportError::AnnotationMismatch {
                    segments: 7,
                    annotated: 0
                }
            ),
            "{f}: {e}"
        );
    }
    // A capture at a host needs the connection that says who it is.
    let no_conns = Trace {
        conns: Vec::new(),
        ..trace.clone()
    };
    let e = pcapng(&no_conns, &ann, CapturePoint::Server, Lang::En).unwrap_err();
    assert!(matches!(e, ExportError::NoConnection), "{e}");
    // A payload the stream does not hold.
    let mut short = trace.clone();
    short.streams[0].bytes.truncate(3);
    let e = pcapng(&short, &ann, CapturePoint::Wire, Lang::En).unwrap_err();
    assert!(
        matches!(e, ExportError::MissingPayload { segment: 4 }),
        "{e}"
    );
}
