//! What `/` finds: segments whose payload contains the typed text (ASCII
//! letters in any case), or, when the text names TCP flags (`FIN`,
//! `SYN,ACK`), segments carrying those flags.
//!
//! Leaves out: regular expressions and searching decoded fields (a search
//! for `51300` finds the port only where it is written in a payload).

use netstep_trace::{FlagSet, Segment, Trace};
use netstep_wire::TcpFlags;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    needle: Vec<u8>,
    flags: Option<TcpFlags>,
}

impl Query {
    pub fn new(text: &str) -> Query {
        Query {
            needle: text.as_bytes().to_ascii_lowercase(),
            flags: FlagSet::parse(text).ok().map(|f| f.0),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.needle.is_empty()
    }

    pub fn matches(&self, trace: &Trace, seg: &Segment) -> bool {
        if self.needle.is_empty() {
            return false;
        }
        if let Some(f) = self.flags
            && seg.flags.contains(f)
        {
            return true;
        }
        contains_ignore_ascii_case(trace.payload(seg), &self.needle)
    }
}

fn contains_ignore_ascii_case(hay: &[u8], needle_lower: &[u8]) -> bool {
    if needle_lower.len() > hay.len() {
        return false;
    }
    hay.windows(needle_lower.len()).any(|w| {
        w.iter()
            .zip(needle_lower)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    #[test]
    fn payloads_match_in_any_case_and_flags_by_name() {
        let (t, _) = fixture::walkthrough_run();
        let hits = |q: &str| -> Vec<usize> {
            let q = Query::new(q);
            (0..t.segments.len())
                .filter(|&i| q.matches(&t, &t.segments.at(i)))
                .collect()
        };
        assert_eq!(hits("user"), vec![5]);
        assert_eq!(
            hits("PORT"),
            vec![13, 15],
            "the PORT command and the 200 reply"
        );
        assert_eq!(hits("syn"), vec![0, 1, 17, 18]);
        assert_eq!(hits("FIN").len(), 4);
        assert!(hits("nothing like this").is_empty());
        assert!(hits("").is_empty());
    }
}
