//! "Did you mean ...?": the nearest known word to a misspelt one.
//!
//! Edit distance with adjacent transpositions (optimal string alignment), so
//! `dealy` is one edit from `delay`. A word a few characters long written
//! with no close match gets no suggestion rather than a random one; the
//! caller then lists what is valid instead. Kept here rather than taken from
//! `strsim` because it is twenty lines and the crate needs nothing else.

/// The candidate closest to `word`, if it is close enough to be what the
/// person meant: a case-insensitive match, or at most one edit per four
/// characters (plus one).
pub(crate) fn nearest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let limit = 1 + word.chars().count() / 4;
    candidates
        .into_iter()
        .filter(|c| !c.is_empty() && *c != word)
        .map(|c| {
            let d = if c.to_lowercase() == lower {
                0
            } else {
                distance(&lower, &c.to_lowercase())
            };
            (d, c)
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Optimal string alignment distance, in characters.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows: two back (for transpositions), one back, and this one.
    let mut prev2 = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// "did you mean `x`?", or "use one of: a, b, c" when nothing is close.
pub(crate) fn hint(word: &str, candidates: &[&str], what: &str) -> Option<String> {
    if let Some(n) = nearest(word, candidates.iter().copied()) {
        return Some(format!("did you mean `{n}`?"));
    }
    if candidates.is_empty() {
        return None;
    }
    Some(format!("{what}: {}", list(candidates)))
}

/// `a`, `b` and `c`.
pub(crate) fn list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!("{} and {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("delay", "dealy"), 1);
        assert_eq!(distance("delayed_ak", "delayed_ack"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
    }

    #[test]
    fn nearest_is_close_or_nothing() {
        let keys = ["delayed_ack", "ack_every", "mss", "window"];
        assert_eq!(nearest("delayed_ak", keys), Some("delayed_ack"));
        assert_eq!(nearest("delay_ack", keys), Some("delayed_ack"));
        assert_eq!(nearest("MSS", keys), Some("mss"));
        assert_eq!(nearest("colour", keys), None);
    }

    #[test]
    fn lists_read_as_prose() {
        assert_eq!(list(&["a"]), "`a`");
        assert_eq!(list(&["a", "b", "c"]), "`a`, `b` and `c`");
    }
}
