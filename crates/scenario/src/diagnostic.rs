//! Mistakes with their place, rendered the way rustc renders them:
//!
//! ```text
//! lab.toml:12:1: error: unknown key `delayed_ak` in [host.tcp]
//!    |
//! 12 | delayed_ak = "200ms"
//!    | ^^^^^^^^^^
//!    = hint: did you mean `delayed_ack`?
//! ```
//!
//! Everything inside the crate reports a `Problem` against the text that
//! was actually parsed (the file with every `--set` applied); `Source`
//! turns it into a [`Diagnostic`] against what the person wrote: a line of
//! the file, or the `--set` argument whose value the mistake lies in.
//!
//! Leaves out: colour (the CLI may add it), notes pointing at a second
//! place (the hint names the line instead), and more than one line of
//! source per mistake.

use std::fmt;
use std::ops::Range;
use unicode_width::UnicodeWidthStr;

/// One mistake in a scenario, with its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file (as named on the command line), or the `--set PATH=VALUE`
    /// argument the mistake lies in.
    pub origin: String,
    /// 1-based line in the file; 0 when the place is not a line of the
    /// file (a `--set` argument, or a file that could not be read).
    pub line: usize,
    /// 1-based column, in characters, of the start of `span` in `line_text`.
    pub col: usize,
    /// Byte range of the mistake: in the file's text, or, for a `--set`
    /// argument, in `line_text`.
    pub span: Range<usize>,
    pub message: String,
    pub hint: Option<String>,
    /// The line the caret is drawn under (empty: no snippet).
    pub line_text: String,
}

/// Why a scenario was refused: one or more [`Diagnostic`]s, sorted by place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    pub diagnostics: Vec<Diagnostic>,
}

impl std::error::Error for ScenarioError {}

impl ScenarioError {
    /// A mistake with no place in any text (a file that cannot be read, a
    /// scenario name that names nothing).
    pub fn general(origin: &str, message: impl Into<String>, hint: Option<String>) -> Self {
        ScenarioError {
            diagnostics: vec![Diagnostic {
                origin: origin.to_string(),
                line: 0,
                col: 0,
                span: 0..0,
                message: message.into(),
                hint,
                line_text: String::new(),
            }],
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Diagnostic {
    /// Renders the mistake as lines, each ending in a newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            writeln!(
                f,
                "{}:{}:{}: error: {}",
                self.origin, self.line, self.col, self.message
            )?;
        } else {
            writeln!(f, "{}: error: {}", self.origin, self.message)?;
        }
        let number = if self.line > 0 {
            self.line.to_string()
        } else {
            String::new()
        };
        let gutter = " ".repeat(number.len().max(1));
        if !self.line_text.is_empty() {
            // The caret starts at `col` and is as long as the span, cut
            // at the end of the line.
            let start = self
                .line_text
                .char_indices()
                .nth(self.col.saturating_sub(1))
                .map_or(self.line_text.len(), |(i, _)| i);
            let end = floor_boundary(&self.line_text, start + self.span.len());
            let pad = width(&self.line_text[..start]);
            let carets = width(&self.line_text[start..end]).max(1);
            writeln!(f, "{gutter} |")?;
            writeln!(
                f,
                "{number:>w$} | {}",
                expand_tabs(&self.line_text),
                w = gutter.len()
            )?;
            writeln!(f, "{gutter} | {}{}", " ".repeat(pad), "^".repeat(carets))?;
        }
        if let Some(hint) = &self.hint {
            writeln!(f, "{gutter} = hint: {hint}")?;
        }
        Ok(())
    }
}

/// Tabs are drawn as four spaces so that carets line up with them.
fn expand_tabs(s: &str) -> String {
    s.replace('\t', "    ")
}

/// Terminal columns `s` takes (CJK characters take two).
fn width(s: &str) -> usize {
    UnicodeWidthStr::width(expand_tabs(s).as_str())
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Where a [`Problem`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Place {
    /// A byte range of the text that was parsed (the file with every
    /// `--set` applied).
    Text(Range<usize>),
    /// A byte range of `--set` argument number `index`'s label (`--set PATH=VALUE`).
    Set { index: usize, range: Range<usize> },
}

/// A mistake found inside the crate, before it is placed for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub place: Place,
    pub message: String,
    /// May say `{line}`: the line of `related`, filled in once the text is
    /// mapped back to the file.
    pub hint: Option<String>,
    /// A second place the hint refers to ("already defined at {line}").
    pub related: Option<Range<usize>>,
}

impl Problem {
    pub fn at(span: Range<usize>, message: impl Into<String>) -> Self {
        Problem {
            place: Place::Text(span),
            message: message.into(),
            hint: None,
            related: None,
        }
    }
    /// Names `span` in the hint as `{line}`.
    pub fn related(mut self, span: Range<usize>) -> Self {
        self.related = Some(span);
        self
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    pub fn maybe_hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }
}

/// A stretch of the parsed text that a `--set` argument wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Region {
    /// Which `--set`.
    pub set: usize,
    /// Where it is in the parsed text.
    pub edited: Range<usize>,
    /// What it replaced in the file (empty where it inserted).
    pub original: Range<usize>,
    /// The value itself, within `edited` (the rest is a key it created).
    pub value: Range<usize>,
}

/// The texts a problem can point into, and how they relate.
#[derive(Debug)]
pub(crate) struct Source<'a> {
    pub origin: &'a str,
    pub original: &'a str,
    /// `--set PATH=VALUE` (or `--seed N`) for each override, and the byte
    /// ranges of PATH and VALUE in it.
    pub labels: Vec<Label>,
    pub regions: Vec<Region>,
    /// The text that was parsed (empty until the overrides are applied).
    pub edited: String,
}

/// How a `--set` argument is shown in a diagnostic.
#[derive(Debug, Clone)]
pub(crate) struct Label {
    pub text: String,
    pub path: Range<usize>,
    pub value: Range<usize>,
}

impl Source<'_> {
    /// Places every problem and sorts them: the file's in order of place,
    /// then the `--set` arguments' in the order they were given.
    pub fn error(&self, problems: Vec<Problem>) -> ScenarioError {
        let mut diagnostics: Vec<(u8, usize, usize, Diagnostic)> = problems
            .into_iter()
            .map(|p| self.place(p))
            .map(|(key, d)| (key.0, key.1, key.2, d))
            .collect();
        diagnostics.sort_by_key(|a| (a.0, a.1, a.2));
        diagnostics.dedup_by(|a, b| a.3 == b.3);
        ScenarioError {
            diagnostics: diagnostics.into_iter().map(|t| t.3).collect(),
        }
    }

    /// The diagnostic for `p` and a key that sorts it.
    fn place(&self, mut p: Problem) -> ((u8, usize, usize), Diagnostic) {
        if let (Some(hint), Some(rel)) = (&p.hint, &p.related) {
            let line = match self.region_containing(rel) {
                Some(r) => format!("`{}`", self.labels[r.set].text),
                None => {
                    let at = self.to_original(rel.start, false).min(self.original.len());
                    format!("line {}", self.original[..at].matches('\n').count() + 1)
                }
            };
            p.hint = Some(hint.replace("{line}", &line));
        }
        match p.place {
            Place::Text(span) => {
                if let Some(r) = self.region_containing(&span) {
                    let label = &self.labels[r.set];
                    let range = if overlaps(&span, &r.value) {
                        label.value.clone()
                    } else {
                        self.path_segment(label, &span)
                    };
                    let d = self.set_diagnostic(r.set, range, p.message, p.hint);
                    ((1, r.set, d.span.start), d)
                } else {
                    let start = self.to_original(span.start, false);
                    let end = self.to_original(span.end, true).max(start);
                    let d =
                        file_diagnostic(self.origin, self.original, start..end, p.message, p.hint);
                    ((0, start, 0), d)
                }
            }
            Place::Set { index, range } => {
                let d = self.set_diagnostic(index, range, p.message, p.hint);
                ((1, index, d.span.start), d)
            }
        }
    }

    fn set_diagnostic(
        &self,
        index: usize,
        range: Range<usize>,
        message: String,
        hint: Option<String>,
    ) -> Diagnostic {
        let label = &self.labels[index];
        let start = floor_boundary(&label.text, range.start);
        Diagnostic {
            origin: label.text.clone(),
            line: 0,
            col: label.text[..start].chars().count() + 1,
            span: start..range.end.max(start).min(label.text.len()),
            message,
            hint,
            line_text: label.text.clone(),
        }
    }

    /// Where in a label's PATH a key the override created is: the segment
    /// spelt like the key at `span`, or else the whole path.
    fn path_segment(&self, label: &Label, span: &Range<usize>) -> Range<usize> {
        let word = self
            .edited
            .get(span.clone())
            .unwrap_or_default()
            .trim_matches(['"', '\'']);
        let path = &label.text[label.path.clone()];
        let mut start = label.path.start;
        let mut found = None;
        for seg in path.split('.') {
            if !word.is_empty() && seg == word {
                found = Some(start..start + seg.len());
            }
            start += seg.len() + 1;
        }
        found.unwrap_or_else(|| label.path.clone())
    }

    /// The innermost region that holds the whole of `span`.
    fn region_containing(&self, span: &Range<usize>) -> Option<&Region> {
        self.regions
            .iter()
            .filter(|r| {
                r.edited.start <= span.start
                    && span.end <= r.edited.end
                    && span.start < r.edited.end
            })
            .min_by_key(|r| r.edited.len())
    }

    /// The file offset that parsed-text offset `x` came from. Offsets
    /// inside a region map to its start (or, for the end of a span, its end).
    pub fn to_original(&self, x: usize, is_end: bool) -> usize {
        let outer: Vec<&Region> = self
            .regions
            .iter()
            .filter(|r| {
                !self.regions.iter().any(|o| {
                    !std::ptr::eq(*r, o)
                        && o.edited.start <= r.edited.start
                        && r.edited.end <= o.edited.end
                        && o.edited != r.edited
                })
            })
            .collect();
        let mut shift: isize = 0;
        for r in &outer {
            if r.edited.start < x && x < r.edited.end {
                return if is_end {
                    r.original.end
                } else {
                    r.original.start
                };
            }
            if r.edited.end <= x {
                shift += r.edited.len() as isize - r.original.len() as isize;
            }
        }
        (x as isize - shift).max(0) as usize
    }
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end || (a.is_empty() && b.contains(&a.start))
}

/// A diagnostic at byte range `span` of `text`.
pub(crate) fn file_diagnostic(
    origin: &str,
    text: &str,
    span: Range<usize>,
    message: String,
    hint: Option<String>,
) -> Diagnostic {
    let start = floor_boundary(text, span.start);
    let end = floor_boundary(text, span.end.max(start));
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line_text = text[line_start..line_end].trim_end_matches('\r');
    let line = text[..start].matches('\n').count() + 1;
    let col = text[line_start..start].chars().count() + 1;
    Diagnostic {
        origin: origin.to_string(),
        line,
        col,
        span: start..end,
        message,
        hint,
        line_text: line_text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> Source<'_> {
        Source {
            origin: "lab.toml",
            original: text,
            labels: Vec::new(),
            regions: Vec::new(),
            edited: text.to_string(),
        }
    }

    #[test]
    fn renders_file_line_col_snippet_caret_and_hint() {
        let text = "[scenario]\nname = \"x\"\n\n[[host]]\ndelayed_ak = 1\n";
        let start = text.find("delayed_ak").unwrap();
        let err = source(text).error(vec![
            Problem::at(start..start + 10, "unknown key `delayed_ak` in [[host]]")
                .hint("did you mean `delayed_ack`?"),
        ]);
        assert_eq!(
            err.to_string(),
            "lab.toml:5:1: error: unknown key `delayed_ak` in [[host]]\n  |\n5 | delayed_ak = 1\n  | ^^^^^^^^^^\n  = hint: did you mean `delayed_ack`?\n"
        );
    }

    #[test]
    fn columns_count_characters_and_carets_follow_display_width() {
        let text = "title = \"主动模式\" x\n";
        let start = text.find('x').unwrap();
        let err = source(text).error(vec![Problem::at(start..start + 1, "m")]);
        let d = &err.diagnostics[0];
        assert_eq!(d.col, 16);
        // Four CJK characters are eight columns wide.
        let caret_line = err.to_string().lines().nth(3).unwrap().to_string();
        assert_eq!(caret_line, format!("  | {}^", " ".repeat(19)));
    }

    #[test]
    fn problems_sort_by_place() {
        let text = "a = 1\nb = 2\nc = 3\n";
        let err = source(text).error(vec![
            Problem::at(12..13, "third"),
            Problem::at(0..1, "first"),
            Problem::at(6..7, "second"),
        ]);
        let order: Vec<_> = err.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(order, ["first", "second", "third"]);
    }

    #[test]
    fn a_span_at_the_end_of_the_file_still_renders() {
        let text = "a = [";
        let err = source(text).error(vec![Problem::at(5..5, "unclosed")]);
        assert_eq!(err.diagnostics[0].col, 6);
        assert!(err.to_string().contains("  |      ^\n"));
    }
}
