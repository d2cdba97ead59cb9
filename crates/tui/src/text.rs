//! Text measured in terminal cells: wrapping that breaks Chinese between
//! any two characters and English only at spaces, truncation with an
//! ellipsis, and the two-language helper the widgets use.
//!
//! Widths come from `unicode-width` (East Asian Wide characters take two
//! cells). Leaves out: hyphenation, bidirectional text, and grapheme
//! clusters beyond what `unicode-width` counts (nothing netstep prints
//! needs them).

use netstep_trace::Lang;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Cells that `s` takes on screen.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `en` or `zh`, for the player's own words (the trace's texts carry both
/// languages in [`netstep_trace::Text`]).
pub fn tr(lang: Lang, en: &'static str, zh: &'static str) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

/// At most `max` cells of `s`, ending in `…` when something was cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > max - 1 {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// Characters that must not begin a line (closing punctuation), and ones
/// that must not end one (opening punctuation): the usual line-breaking
/// rules for Chinese, which keep `。` and `）` with the word before them.
fn closes(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '、'
            | '；'
            | '：'
            | '！'
            | '？'
            | '）'
            | '」'
            | '』'
            | '》'
            | '】'
            | '…'
            | ','
            | '.'
            | ';'
            | ':'
            | '!'
            | '?'
            | ')'
            | ']'
    )
}
fn opens(c: char) -> bool {
    matches!(c, '（' | '「' | '『' | '《' | '【' | '(' | '[')
}
/// A character after which (and before which) a line may break without a
/// space: the wide characters of Chinese, Japanese and Korean.
fn breaks_around(c: char) -> bool {
    c.width() == Some(2)
}

/// Splits `text` into lines of at most `max` cells. Paragraph breaks
/// (`\n`) are kept; a word longer than a line is cut where it must be.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    for para in text.split('\n') {
        wrap_paragraph(para, max, &mut lines);
    }
    lines
}

/// Breaks one paragraph into atoms (an English word, or one Chinese
/// character with any punctuation glued to it, or a run of spaces) and
/// fills lines greedily.
fn wrap_paragraph(para: &str, max: usize, lines: &mut Vec<String>) {
    let mut atoms: Vec<(String, bool)> = Vec::new(); // (text, is_space)
    let mut cur = String::new();
    let mut pending_open = String::new();
    let flush = |cur: &mut String, atoms: &mut Vec<(String, bool)>| {
        if !cur.is_empty() {
            atoms.push((std::mem::take(cur), false));
        }
    };
    for c in para.chars() {
        if c == ' ' {
            flush(&mut cur, &mut atoms);
            if !pending_open.is_empty() {
                atoms.push((std::mem::take(&mut pending_open), false));
            }
            // A run of spaces is one atom: kept inside a line (it may align
            // columns), dropped where the line breaks.
            match atoms.last_mut() {
                Some((run, true)) => run.push(' '),
                _ => atoms.push((" ".into(), true)),
            }
        } else if closes(c) {
            // Glue to what came before, even across a finished atom.
            if cur.is_empty() {
                if let Some((last, false)) = atoms.last_mut() {
                    last.push(c);
                } else {
                    cur.push(c);
                }
            } else {
                cur.push(c);
            }
            if breaks_around(c) {
                flush(&mut cur, &mut atoms);
            }
        } else if opens(c) {
            flush(&mut cur, &mut atoms);
            pending_open.push(c);
        } else if breaks_around(c) {
            flush(&mut cur, &mut atoms);
            cur.push_str(&std::mem::take(&mut pending_open));
            cur.push(c);
            flush(&mut cur, &mut atoms);
        } else {
            if !pending_open.is_empty() {
                if cur.is_empty() {
                    cur.push_str(&std::mem::take(&mut pending_open));
                } else {
                    flush(&mut cur, &mut atoms);
                    cur.push_str(&std::mem::take(&mut pending_open));
                }
            }
            // A Latin word right after a Chinese character starts its own
            // atom (the flush above already did that), and stays whole.
            cur.push(c);
        }
    }
    flush(&mut cur, &mut atoms);
    if !pending_open.is_empty() {
        atoms.push((pending_open, false));
    }

    let mut line = String::new();
    let mut line_w = 0;
    let mut space = 0;
    let start = lines.len();
    for (atom, is_space) in atoms {
        if is_space {
            space = if line_w > 0 { atom.len() } else { 0 };
            continue;
        }
        let w = width(&atom);
        let need = w + space;
        if line_w + need <= max {
            line.push_str(&" ".repeat(space));
            line.push_str(&atom);
            line_w += need;
        } else if w <= max {
            lines.push(std::mem::take(&mut line));
            line.push_str(&atom);
            line_w = w;
        } else {
            // Longer than a line: cut it, filling the current line first.
            if space > 0 && line_w + space < max {
                line.push_str(&" ".repeat(space));
                line_w += space;
            }
            for c in atom.chars() {
                let cw = c.width().unwrap_or(0);
                if line_w + cw > max {
                    lines.push(std::mem::take(&mut line));
                    line_w = 0;
                }
                line.push(c);
                line_w += cw;
            }
        }
        space = 0;
    }
    if !line.is_empty() || lines.len() == start {
        lines.push(line);
    }
}

/// Wraps `text` to `max` cells keeping its leading spaces on the first
/// line and indenting the following lines by `indent`: the shape of a
/// list item or a field's value.
pub fn wrap_hanging(text: &str, max: usize, indent: usize) -> Vec<String> {
    let body = text.trim_start_matches(' ');
    let lead = text.len() - body.len();
    let first_w = max.saturating_sub(lead).max(1);
    let rest_w = max.saturating_sub(indent).max(1);
    // Wrap at the narrower width so every line fits wherever it lands.
    let lines = wrap(body, first_w.min(rest_w));
    lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let pad = if i == 0 { lead } else { indent };
            format!("{}{l}", " ".repeat(pad))
        })
        .collect()
}

/// Bytes as a reader sees them in a protocol line: printable ASCII as is,
/// CR and LF as `\r` `\n`, anything else as `\xNN`.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// The first line of a payload, for a ladder label: UTF-8 where it is,
/// control characters dropped, `…` when more lines follow.
pub fn first_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.split('\n');
    let first: String = lines
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let more = lines.any(|l| !l.trim().is_empty());
    if more { format!("{first}…") } else { first }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_wraps_at_spaces() {
        let lines = wrap(
            "The server answers at once, so its ACK rides on the reply.",
            20,
        );
        assert_eq!(
            lines,
            vec![
                "The server answers",
                "at once, so its ACK",
                "rides on the reply."
            ]
        );
        assert!(lines.iter().all(|l| width(l) <= 20));
    }

    #[test]
    fn chinese_wraps_between_characters_and_counts_two_cells() {
        let text = "服务器作答所需时间超过延迟确认时间，定时器先到期。";
        let lines = wrap(text, 10);
        assert!(lines.iter().all(|l| width(l) <= 10), "{lines:?}");
        assert_eq!(lines.concat(), text);
        // Closing punctuation never starts a line.
        assert!(
            lines
                .iter()
                .all(|l| !l.starts_with('，') && !l.starts_with('。'))
        );
    }

    #[test]
    fn mixed_text_keeps_latin_words_whole() {
        let text = "客户端在控制连接上用 USER 命令发送用户名。";
        let lines = wrap(text, 12);
        assert!(lines.iter().all(|l| width(l) <= 12), "{lines:?}");
        assert!(lines.iter().any(|l| l.contains("USER")));
    }

    #[test]
    fn long_words_are_cut_and_empty_text_gives_one_line() {
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 10), vec![""]);
        assert_eq!(wrap("a\n\nb", 10), vec!["a", "", "b"]);
    }

    #[test]
    fn hanging_indent_keeps_the_first_lines_lead() {
        let lines = wrap_hanging("  5  The server acknowledges USER at once", 20, 5);
        assert_eq!(lines[0], "  5  The server");
        assert!(lines[1].starts_with("     ") && !lines[1].starts_with("      "));
        assert!(lines.iter().all(|l| width(l) <= 20), "{lines:?}");
    }

    #[test]
    fn truncation_respects_wide_characters() {
        assert_eq!(truncate("hello world", 8), "hello w…");
        assert_eq!(truncate("主动模式", 5), "主动…");
        assert_eq!(truncate("short", 10), "short");
        assert!(width(&truncate("主动模式下FTP", 6)) <= 6);
    }

    #[test]
    fn payload_text_is_escaped_or_shortened() {
        assert_eq!(escape_bytes(b"USER student\r\n"), "USER student\\r\\n");
        assert_eq!(escape_bytes(&[0xff]), "\\xff");
        assert_eq!(first_line(b"220 (vsFTPd 2.0.5)\r\n"), "220 (vsFTPd 2.0.5)");
        assert_eq!(first_line(b"notes.txt\r\nreadme.txt\r\n"), "notes.txt…");
    }
}
