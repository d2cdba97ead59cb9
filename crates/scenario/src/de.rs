//! From text to [`ScenarioFile`]: TOML syntax, then serde, with every error
//! turned into a [`Problem`] a teacher can act on (serde's "invalid type:
//! string \"5\", expected u32" becomes "expected a whole number from 0 to
//! 4294967295, found the string \"5\"" with the hint "numbers are written
//! without quotes").
//!
//! serde stops at the first error, so when the whole file fails this module
//! deserialises each top-level table and each element of each array of
//! tables on its own, to report one mistake per element rather than one per
//! file. Leaves out: more than one mistake inside the same element, and
//! more than the first TOML syntax error (the ones after it are mostly
//! echoes of it).

use crate::diagnostic::Problem;
use crate::model::{
    FaultSpec, FirewallSpec, FtpClientSpec, FtpServerSpec, HostSpec, LinkSpec, Meta, NatSpec,
    RouterSpec, ScenarioFile, StageSpec, WalkthroughSpec,
};
use crate::suggest;
use crate::tree::{Node, TableName};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

/// The top-level keys of a scenario file, as serde names them.
const TOP_LEVEL: &[&str] = &[
    "scenario",
    "host",
    "router",
    "nat",
    "firewall",
    "link",
    "ftp_server",
    "ftp_client",
    "fault",
    "walkthrough",
];

/// Parses TOML syntax: the document, or its first syntax error.
pub(crate) fn parse_toml(text: &str) -> Result<Spanned<DeTable<'_>>, Problem> {
    let (table, errors) = DeTable::parse_recoverable(text);
    match errors
        .into_iter()
        .min_by_key(|e| e.span().map_or(0, |s| s.start))
    {
        None => Ok(table),
        Some(e) => Err(syntax_problem(text, &e)),
    }
}

/// Deserialises the document, collecting one problem per top-level table
/// and per array element when it fails.
pub(crate) fn deserialize(
    root: &Spanned<DeTable<'_>>,
    tree: &Node,
) -> Result<ScenarioFile, Vec<Problem>> {
    let first = match ScenarioFile::deserialize(toml::de::Deserializer::from(root.clone())) {
        Ok(file) => return Ok(file),
        Err(e) => e,
    };
    let mut problems = Vec::new();
    for (key, value) in root.get_ref().iter() {
        match key.get_ref().as_ref() {
            "scenario" => one::<Meta>(value, tree, &mut problems),
            "host" => each::<HostSpec>(value, tree, &mut problems),
            "router" => each::<RouterSpec>(value, tree, &mut problems),
            "nat" => each::<NatSpec>(value, tree, &mut problems),
            "firewall" => each::<FirewallSpec>(value, tree, &mut problems),
            "link" => each::<LinkSpec>(value, tree, &mut problems),
            "ftp_server" => each::<FtpServerSpec>(value, tree, &mut problems),
            "ftp_client" => each::<FtpClientSpec>(value, tree, &mut problems),
            "fault" => each::<FaultSpec>(value, tree, &mut problems),
            "walkthrough" => walkthrough(value, tree, &mut problems),
            other => problems.push(unknown_key(other, TOP_LEVEL, key.span(), tree)),
        }
    }
    // Whatever the per-part pass could not see (an unknown top-level key,
    // a missing [scenario]) is the whole-file error.
    let whole = translate(&first, tree);
    if !problems.iter().any(|p| p.place == whole.place) {
        problems.push(whole);
    }
    if !root.get_ref().keys().any(|k| k.get_ref() == "scenario") {
        problems.retain(|p| !p.message.contains("[scenario]"));
        problems.push(
            Problem::at(0..0, "the file has no [scenario] table").hint(
                "start the file with [scenario] and its `name` and `title` (see `netstep new`)",
            ),
        );
    }
    Err(problems)
}

fn one<T: DeserializeOwned>(value: &Spanned<DeValue<'_>>, tree: &Node, out: &mut Vec<Problem>) {
    if let Err(e) = T::deserialize(ValueDeserializer::from(value.clone())) {
        out.push(translate(&e, tree));
    }
}

fn each<T: DeserializeOwned>(value: &Spanned<DeValue<'_>>, tree: &Node, out: &mut Vec<Problem>) {
    match value.get_ref() {
        DeValue::Array(items) => {
            for item in items.iter() {
                one::<T>(item, tree, out);
            }
        }
        DeValue::Table(_) => one::<T>(value, tree, out),
        _ => one::<Vec<T>>(value, tree, out),
    }
}

/// The walkthrough, and each of its stages on its own.
fn walkthrough(value: &Spanned<DeValue<'_>>, tree: &Node, out: &mut Vec<Problem>) {
    let Err(e) = WalkthroughSpec::deserialize(ValueDeserializer::from(value.clone())) else {
        return;
    };
    let before = out.len();
    if let Some(stages) = value.get_ref().get("stage") {
        each::<StageSpec>(stages, tree, out);
    }
    if out.len() == before {
        out.push(translate(&e, tree));
    }
}

/// A serde error as a problem with a message and a hint for people.
pub(crate) fn translate(e: &toml::de::Error, tree: &Node) -> Problem {
    let span = e.span().unwrap_or(0..0);
    let msg = e.message().trim();
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        // "`x`, expected one of `a`, `b`" / "`x`, expected `a` or `b`" /
        // "`x`, there are no fields"
        let (word, expected) = split_expected(rest);
        let names: Vec<&str> = expected.iter().map(String::as_str).collect();
        return unknown_key(&word, &names, span, tree);
    }
    if let Some(rest) = msg.strip_prefix("missing field ") {
        return missing_key(rest, span, tree);
    }
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        let (word, expected) = split_expected(rest);
        let hint = suggest::hint(
            &word,
            &expected.iter().map(String::as_str).collect::<Vec<_>>(),
            "use one of",
        );
        return Problem::at(span, format!("unknown value `{word}`")).maybe_hint(hint);
    }
    if let Some(rest) = msg.strip_prefix("invalid type: ") {
        return invalid_type(rest, span);
    }
    if let Some(rest) = msg.strip_prefix("invalid value: ") {
        return invalid_value(rest, span);
    }
    if let Some(rest) = msg.strip_prefix("invalid length ") {
        // "invalid length 3, expected an array of length 2"
        let (n, exp) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return Problem::at(
            span,
            format!("expected {}, found {n} values", plain_expected(exp)),
        );
    }
    custom(msg, span)
}

/// Messages written in this crate, in `wire` or in `trace` say
/// "what is wrong: what to do"; the second half becomes the hint.
fn custom(msg: &str, span: Range<usize>) -> Problem {
    match msg.split_once(": ") {
        Some((m, h)) if !h.is_empty() => Problem::at(span, m).hint(h),
        // "`abc` is not a number followed by a unit (like `250ms` or `1.5s`)"
        _ => match msg.strip_suffix(')').and_then(|m| m.split_once(" (like ")) {
            Some((m, like)) => Problem::at(span, m).hint(format!("write it like {like}")),
            None => Problem::at(span, msg),
        },
    }
}

/// Key `word` at `span` is not one of `names`.
fn unknown_key(word: &str, names: &[&str], span: Range<usize>, tree: &Node) -> Problem {
    let place = match tree.table_of_key(&span) {
        Some((path, _)) if path.is_empty() => "at the top level".to_string(),
        Some((path, _)) => format!("in {}", TableName(&path)),
        None => String::new(),
    };
    let message = format!("unknown key `{word}` {place}")
        .trim_end()
        .to_string();
    let hint = match suggest::nearest(word, names.iter().copied()) {
        // With few keys, the list says more than a guess.
        Some(n) if names.len() <= 4 => Some(format!(
            "did you mean `{n}`? the keys allowed here are {}",
            suggest::list(names)
        )),
        Some(n) => Some(format!("did you mean `{n}`?")),
        None if names.is_empty() => Some("this table takes no keys".into()),
        None => Some(format!(
            "the keys allowed here are {}",
            suggest::list(names)
        )),
    };
    Problem::at(span, message).maybe_hint(hint)
}

fn missing_key(rest: &str, span: Range<usize>, tree: &Node) -> Problem {
    let key = rest.trim_matches('`');
    let table = match tree.path_of_value(&span) {
        Some(path) if !path.is_empty() => TableName(&path).to_string(),
        _ if key == "scenario" => {
            return Problem::at(0..0, "the file has no [scenario] table").hint(
                "start the file with [scenario] and its `name` and `title` (see `netstep new`)",
            );
        }
        _ => "this table".to_string(),
    };
    let example = match key {
        "name" => "name = \"client\"",
        "addr" => "addr = \"192.168.1.10\"",
        "public_addr" => "public_addr = \"203.0.113.1\"",
        "title" => "title = \"...\"",
        "a" => "a = \"client\"",
        "b" => "b = \"server\"",
        "host" => "host = \"server\"",
        "server" => "server = \"server\" (a host name or address)",
        "inside" => "inside = \"lan-host\"",
        "n" => "n = 1",
        "segment" => "segment = [{ ... }]",
        "action" => "action = \"drop\"",
        "match" => "match = { ... }",
        "verdict" => "verdict = \"allow\"",
        "line" => "line = \"ls\"",
        "password" => "password = \"...\"",
        "path" => "path = \"/readme.txt\"",
        "en" => "en = \"...\"",
        _ => "",
    };
    let hint = if example.is_empty() {
        format!("add `{key} = ...`")
    } else {
        format!("add `{example}`")
    };
    Problem::at(span, format!("{table} is missing `{key}`")).hint(hint)
}

/// Splits "`word`, expected one of `a`, `b`" into the word and the names.
fn split_expected(rest: &str) -> (String, Vec<String>) {
    let mut ticks = rest.split('`');
    ticks.next();
    let word = ticks.next().unwrap_or_default().to_string();
    let tail = rest.split_once(", expected").map_or("", |(_, t)| t);
    let names = tail
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    (word, names)
}

fn invalid_type(rest: &str, span: Range<usize>) -> Problem {
    let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
    let found_plain = plain_found(found);
    let exp = plain_expected(expected);
    let message = format!("expected {exp}, found {found_plain}");
    let numeric = is_numeric(expected);
    let quoted_number = found
        .strip_prefix("string ")
        .is_some_and(|s| s.trim_matches('"').trim().parse::<f64>().is_ok());
    let hint = if quoted_number && numeric {
        Some("numbers are written without quotes".to_string())
    } else if numeric {
        Some("write a number, without quotes".to_string())
    } else if found.starts_with("string") && expected == "a boolean" {
        Some("write `true` or `false`, without quotes".to_string())
    } else if expected == "a string" && !found.starts_with("map") && !found.starts_with("sequence")
    {
        Some("put the value in quotes".to_string())
    } else {
        None
    };
    Problem::at(span, message).maybe_hint(hint)
}

fn invalid_value(rest: &str, span: Range<usize>) -> Problem {
    let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
    if is_numeric(expected) && found.starts_with("integer") {
        let n = found.trim_start_matches("integer").trim().trim_matches('`');
        return Problem::at(
            span,
            format!("{n} is out of range: expected {}", plain_expected(expected)),
        );
    }
    Problem::at(
        span,
        format!(
            "expected {}, found {}",
            plain_expected(expected),
            plain_found(found)
        ),
    )
}

fn is_numeric(expected: &str) -> bool {
    matches!(
        expected,
        "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "f32" | "f64"
    )
}

fn plain_expected(expected: &str) -> String {
    match expected {
        "u8" => "a whole number from 0 to 255".into(),
        "u16" => "a whole number from 0 to 65535".into(),
        "u32" => "a whole number from 0 to 4294967295".into(),
        "u64" => "a whole number (0 or more)".into(),
        "i8" => "a whole number from -128 to 127".into(),
        "i16" | "i32" | "i64" => "a whole number".into(),
        "f32" | "f64" => "a number".into(),
        "a boolean" => "`true` or `false`".into(),
        "a string" => "a string".into(),
        "a sequence" => "an array `[...]`".into(),
        "a map" => "a table".into(),
        e if e.starts_with("struct ") => "a table".into(),
        e if e.starts_with("an array of length ") => {
            format!(
                "an array of {} values",
                e.trim_start_matches("an array of length ")
            )
        }
        e => e.to_string(),
    }
}

fn plain_found(found: &str) -> String {
    let quoted = |s: &str| s.trim().trim_matches('`').to_string();
    if let Some(v) = found.strip_prefix("string ") {
        format!("the string {v}")
    } else if let Some(v) = found.strip_prefix("integer ") {
        format!("the number {}", quoted(v))
    } else if let Some(v) = found.strip_prefix("floating point ") {
        format!("the number {}", quoted(v))
    } else if let Some(v) = found.strip_prefix("boolean ") {
        format!("`{}`", quoted(v))
    } else {
        match found {
            "sequence" => "an array".into(),
            "map" => "a table".into(),
            f => f.to_string(),
        }
    }
}

/// A TOML syntax error: toml's "what, expected what" becomes a message and
/// a hint, and the two mistakes people make most get their own words.
fn syntax_problem(text: &str, e: &toml::de::Error) -> Problem {
    let span = e.span().unwrap_or(0..0);
    let msg = e.message().trim();
    let snippet = text.get(span.clone()).unwrap_or_default();
    if msg.starts_with("string values must be quoted") {
        return Problem::at(span, "text values need quotes").hint(format!("write \"{snippet}\""));
    }
    if msg == "duplicate key" {
        let line_start = text[..span.start.min(text.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let in_header = text[line_start..].trim_start().starts_with('[');
        return if in_header {
            Problem::at(span, format!("table `{snippet}` is defined twice")).hint(
                "use [[...]] (double brackets) for a list of tables, such as [[host]] and [[link]]",
            )
        } else {
            Problem::at(span, format!("`{snippet}` is set twice in the same table"))
                .hint("a key may appear only once per table: remove one of them")
        };
    }
    match msg.split_once(", expected ") {
        Some((m, "nothing")) => Problem::at(span, m).hint("remove it"),
        // A single token: say where it goes.
        Some((m, exp))
            if exp.starts_with('`') && exp.ends_with('`') && exp.matches('`').count() == 2 =>
        {
            Problem::at(span, m).hint(format!("add {exp} here"))
        }
        Some((m, exp)) => Problem::at(span, m).hint(format!("expected {exp}")),
        None => Problem::at(span, msg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<Problem> {
        let root = parse_toml(text).map_err(|p| vec![p]);
        match root {
            Err(p) => p,
            Ok(root) => {
                let tree = Node::from_table(&root);
                deserialize(&root, &tree).err().unwrap_or_default()
            }
        }
    }

    const HEAD: &str = "[scenario]\nname = \"t\"\ntitle = \"T\"\n";

    #[test]
    fn unknown_keys_name_their_table_and_the_nearest_key() {
        let text = format!(
            "{HEAD}[[host]]\nname = \"a\"\naddr = \"10.0.0.1\"\n[host.tcp]\ndelayed_ak = \"1ms\"\n"
        );
        let p = problems(&text);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].message, "unknown key `delayed_ak` in [host.tcp]");
        assert_eq!(p[0].hint.as_deref(), Some("did you mean `delayed_ack`?"));
    }

    #[test]
    fn one_problem_per_element() {
        let text = format!(
            "{HEAD}[[host]]\nname = \"a\"\n[[host]]\nname = \"b\"\naddr = 5\n[[link]]\na = \"a\"\nb = \"b\"\nqueue = \"5\"\n"
        );
        let p = problems(&text);
        let msgs: Vec<_> = p.iter().map(|p| p.message.as_str()).collect();
        assert!(msgs.contains(&"[[host]] is missing `addr`"), "{msgs:?}");
        assert!(
            msgs.contains(&"expected a string, found the number 5"),
            "{msgs:?}"
        );
        assert!(
            msgs.contains(&"expected a whole number from 0 to 4294967295, found the string \"5\""),
            "{msgs:?}"
        );
    }

    #[test]
    fn link_keys_keep_their_place() {
        let text = format!("{HEAD}[[link]]\na = \"a\"\nb = \"b\"\ndelay = \"250\"\n");
        let p = problems(&text);
        assert_eq!(p.len(), 1);
        let Problem {
            place,
            message,
            hint,
            ..
        } = &p[0];
        assert_eq!(message, "`250` has no unit");
        assert!(hint.as_deref().unwrap().contains("`250ms`"));
        let crate::diagnostic::Place::Text(span) = place else {
            panic!()
        };
        assert_eq!(&text[span.clone()], "\"250\"");
    }

    #[test]
    fn every_unknown_top_level_key_is_reported() {
        let p = problems(&format!(
            "{HEAD}[[hosts]]\nname = \"a\"\n[[links]]\na = \"a\"\n"
        ));
        let msgs: Vec<_> = p.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "unknown key `hosts` at the top level",
                "unknown key `links` at the top level"
            ]
        );
    }

    #[test]
    fn a_missing_scenario_table_is_named() {
        let p = problems("[[host]]\nname = \"a\"\naddr = \"10.0.0.1\"\n");
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].message, "the file has no [scenario] table");
    }

    #[test]
    fn syntax_errors_say_what_to_write() {
        let p = problems("profile = linux\n");
        assert_eq!(p[0].message, "text values need quotes");
        assert_eq!(p[0].hint.as_deref(), Some("write \"linux\""));
    }
}
