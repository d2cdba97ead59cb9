//! Any payload survives every text format: the Markdown table keeps its
//! shape and shows each byte, Mermaid gets no character it would misread,
//! the SVG stays well-formed XML.

mod common;

use common::{assert_mermaid_safe, fixture_with, table_cells};
use netstep_export::{markdown, mermaid, svg};
use netstep_trace::Lang;
use proptest::prelude::*;

/// Reads back the Markdown's spelling of a payload: `\r`, `\n`, `\t`,
/// `\\` and `\xNN`.
fn unescape(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            Some('r') => out.push(b'\r'),
            Some('n') => out.push(b'\n'),
            Some('t') => out.push(b'\t'),
            Some('\\') => out.push(b'\\'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push(u8::from_str_radix(&hex, 16).unwrap());
            }
            other => panic!("unknown escape \\{other:?} in {s}"),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn any_ascii_payload_reads_back_from_the_markdown_table(
        payload in proptest::collection::vec(0u8..128, 1..60)
    ) {
        let (trace, ann) = fixture_with(&payload);
        let md = markdown(&trace, &ann, Lang::En).unwrap();
        let rows = table_cells(&md);
        prop_assert_eq!(rows.len(), trace.segments.len() + 1);
        for r in &rows {
            prop_assert_eq!(r.len(), 11, "{:?}", r);
        }
        prop_assert_eq!(unescape(&rows[4][9]), payload);
    }

    #[test]
    fn any_payload_is_safe_in_mermaid_and_svg(
        payload in proptest::collection::vec(any::<u8>(), 1..120)
    ) {
        let (trace, ann) = fixture_with(&payload);
        for lang in [Lang::En, Lang::Zh] {
            assert_mermaid_safe(&mermaid(&trace, &ann, lang).unwrap());
            let text = svg(&trace, &ann, lang).unwrap();
            let doc = roxmltree::Document::parse(&text);
            prop_assert!(doc.is_ok(), "{:?}", doc.err());
        }
    }
}
