//! `--set PATH=VALUE`: a what-if without editing the file.
//!
//! PATH is dotted. A segment that meets an array of tables picks an element
//! by its `name` or `host` value (`host.server.tcp.delayed_ack`) or a
//! stage's number (`walkthrough.stage.5.title`), else by its 0-based index
//! (`host.1.addr`), or, when the array has exactly one element, may be left
//! out (`ftp_server.delays.USER`). VALUE is read as a
//! TOML value when it is one (`0`, `true`, `"x"`, `[1, 2]`) and as a string
//! otherwise (`300ms`, `off`).
//!
//! Overrides are applied with `toml_edit` to the text before it is parsed,
//! so the rest of the file keeps its layout and every later check reports
//! against it as usual; the stretches of text an override wrote are
//! remembered as `Region`s, so that a mistake in them is reported against
//! the `--set` argument instead of a line the person never wrote. Keys that
//! do not exist yet are created (`tcp = { delayed_ack = "0s" }`) when the
//! scenario schema knows them. Leaves out: creating array elements, and
//! paths with quoted segments containing dots.

use crate::diagnostic::{Label, Place, Problem, Region};
use crate::suggest;
use crate::tree::{Node, Seg, TableName};
use serde_json::Value as Json;
use std::fmt;
use std::ops::Range;
use toml_edit::{ArrayOfTables, DocumentMut, InlineTable, Item, TableLike, Value};

/// One `--set PATH=VALUE` (or `--seed N`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetOverride {
    path: Vec<String>,
    value: String,
    /// How the argument is shown in diagnostics, and where PATH and VALUE are in it.
    label: String,
    path_range: Range<usize>,
    value_range: Range<usize>,
}

impl SetOverride {
    /// Reads `PATH=VALUE` as given to `--set`.
    pub fn parse(arg: &str) -> Result<SetOverride, crate::ScenarioError> {
        let label = format!("--set {arg}");
        let fail = |range: Range<usize>, message: &str, hint: &str| {
            let source = crate::diagnostic::Source {
                origin: "",
                original: "",
                labels: vec![Label {
                    text: label.clone(),
                    path: 6..label.len(),
                    value: label.len()..label.len(),
                }],
                regions: Vec::new(),
                edited: String::new(),
            };
            source.error(vec![Problem {
                place: Place::Set { index: 0, range },
                message: message.to_string(),
                hint: Some(hint.to_string()),
                related: None,
            }])
        };
        let Some((path, value)) = arg.split_once('=') else {
            return Err(fail(
                6..label.len(),
                "expected PATH=VALUE",
                "for example `--set host.client.tcp.delayed_ack=0s`",
            ));
        };
        let path_text = path.trim();
        if path_text.is_empty() {
            return Err(fail(
                6..6,
                "the path before `=` is empty",
                "for example `--set scenario.seed=7`",
            ));
        }
        let mut offset = 6;
        let mut segments = Vec::new();
        for seg in path.split('.') {
            let t = seg.trim();
            if t.is_empty() {
                return Err(fail(
                    offset..offset + seg.len().max(1),
                    "empty segment in the path",
                    "segments are separated by single dots: `host.client.addr`",
                ));
            }
            segments.push(t.to_string());
            offset += seg.len() + 1;
        }
        let value_start = 6 + path.len() + 1;
        Ok(SetOverride {
            path: segments,
            value: value.to_string(),
            path_range: 6..6 + path.len(),
            value_range: value_start..label.len(),
            label,
        })
    }

    /// `--seed N`: sets `scenario.seed`.
    pub fn seed(n: u64) -> SetOverride {
        let label = format!("--seed {n}");
        SetOverride {
            path: vec!["scenario".into(), "seed".into()],
            value: n.to_string(),
            path_range: 0..6,
            value_range: 7..label.len(),
            label,
        }
    }

    /// The dotted path.
    pub fn path(&self) -> String {
        self.path.join(".")
    }

    /// The value as written.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// `--set PATH=VALUE` or `--seed N`: how diagnostics name it.
    pub fn label(&self) -> &str {
        &self.label
    }

    pub(crate) fn diagnostic_label(&self) -> Label {
        Label {
            text: self.label.clone(),
            path: self.path_range.clone(),
            value: self.value_range.clone(),
        }
    }

    /// The byte range of path segment `i` in the label.
    fn segment_range(&self, i: usize) -> Range<usize> {
        let mut start = self.path_range.start;
        if self.label.starts_with("--seed") {
            return self.path_range.clone();
        }
        let raw = &self.label[self.path_range.clone()];
        for (j, seg) in raw.split('.').enumerate() {
            if j == i {
                return start..start + seg.len();
            }
            start += seg.len() + 1;
        }
        self.path_range.clone()
    }

    /// VALUE as a TOML value: itself if it parses as one, else a string.
    fn toml_value(&self) -> Value {
        let mut v = self
            .value
            .trim()
            .parse::<Value>()
            .unwrap_or_else(|_| Value::from(self.value.as_str()));
        v.decor_mut().clear();
        v
    }
}

impl fmt::Display for SetOverride {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.path(), self.value)
    }
}

impl std::str::FromStr for SetOverride {
    type Err = crate::ScenarioError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SetOverride::parse(s)
    }
}

/// The text with every override applied, and where each one wrote.
#[derive(Debug)]
pub(crate) struct Applied {
    pub text: String,
    pub regions: Vec<Region>,
}

/// Applies `sets` in order to `original`. Problems are placed either on an
/// override (a path that names nothing) or on the text (which only happens
/// when `toml_edit` refuses a text that `toml` accepted).
pub(crate) fn apply(original: &str, sets: &[SetOverride]) -> Result<Applied, Vec<Problem>> {
    let mut text = original.to_string();
    let mut regions: Vec<Region> = Vec::new();
    let mut problems = Vec::new();
    if sets.is_empty() {
        return Ok(Applied { text, regions });
    }
    let schema: Json = serde_json::from_str(&crate::schema::json_schema()).unwrap_or(Json::Null);
    for (index, set) in sets.iter().enumerate() {
        let mut doc = match text.parse::<DocumentMut>() {
            Ok(doc) => doc,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                problems.push(Problem::at(span, e.message().trim().to_string()));
                return Err(problems);
            }
        };
        let mut walk = Walk {
            set,
            index,
            schema: &schema,
            trail: Vec::new(),
            schema_at: vec![&schema],
        };
        let created = match walk.set_in(Slot::of_table(doc.as_table_mut()), 0, set.toml_value()) {
            Ok(created) => created,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        let new_text = doc.to_string();
        let region = region_of(&text, &new_text, &walk.trail, created, index, &regions);
        // Earlier regions: keep those before, shift those after, grow the
        // one that holds this edit, and drop those this edit overwrote.
        let before = region.before.clone();
        let delta = new_text.len() as isize - text.len() as isize;
        let shift = |x: usize| (x as isize + delta).max(0) as usize;
        let adjust = |r: &Range<usize>| -> Option<Range<usize>> {
            if r.end <= before.start {
                Some(r.clone())
            } else if r.start >= before.end {
                Some(shift(r.start)..shift(r.end))
            } else if r.start <= before.start && before.end <= r.end {
                Some(r.start..shift(r.end).max(r.start))
            } else {
                None
            }
        };
        regions.retain_mut(|r| match adjust(&r.edited) {
            Some(edited) => {
                r.edited = edited;
                // A value this edit overwrote part of now spans what replaced it.
                r.value = adjust(&r.value).unwrap_or_else(|| r.edited.clone());
                true
            }
            None => false,
        });
        regions.push(region.region);
        text = new_text;
    }
    if problems.is_empty() {
        Ok(Applied { text, regions })
    } else {
        Err(problems)
    }
}

struct NewRegion {
    region: Region,
    /// What the region replaced, in the text before this edit.
    before: Range<usize>,
}

/// Where override `index` wrote in `after`: the new value (and any key it
/// created), widened to cover whatever else `toml_edit` changed.
fn region_of(
    before: &str,
    after: &str,
    trail: &[Seg],
    created: Option<usize>,
    index: usize,
    regions: &[Region],
) -> NewRegion {
    let prefix = before
        .bytes()
        .zip(after.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let max_suffix = before.len().min(after.len()) - prefix;
    let suffix = before
        .bytes()
        .rev()
        .zip(after.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    let mut edited = prefix..after.len() - suffix;
    // Blank space the diff happened to take in (a new line's newline) is
    // not part of what the override wrote.
    let bytes = after.as_bytes();
    while edited.start < edited.end && bytes[edited.start].is_ascii_whitespace() {
        edited.start += 1;
    }
    while edited.end > edited.start && bytes[edited.end - 1].is_ascii_whitespace() {
        edited.end -= 1;
    }
    let mut value = edited.clone();
    if let Ok(root) = toml::de::DeTable::parse(after) {
        let tree = Node::from_table(&root);
        if tree.get(trail).is_some() {
            value = tree.value_span(trail);
            let from = match created {
                Some(k) => tree.key_span(&trail[..=k]).start,
                None => value.start,
            };
            let to = match created {
                Some(k) => tree.value_span(&trail[..=k]).end.max(value.end),
                None => value.end,
            };
            edited = if edited.is_empty() {
                from..to
            } else {
                edited.start.min(from)..edited.end.max(to)
            };
        }
    }
    let delta = after.len() as isize - before.len() as isize;
    let before_range =
        edited.start..((edited.end as isize - delta).max(edited.start as isize) as usize);
    // What that stretch of the previous text came from in the file.
    let source = crate::diagnostic::Source {
        origin: "",
        original: "",
        labels: Vec::new(),
        regions: regions.to_vec(),
        edited: String::new(),
    };
    let original =
        source.to_original(before_range.start, false)..source.to_original(before_range.end, true);
    NewRegion {
        region: Region {
            set: index,
            edited,
            original,
            value,
        },
        before: before_range,
    }
}

/// A place in the document being edited.
enum Slot<'a> {
    Table(&'a mut dyn TableLike),
    Tables(&'a mut ArrayOfTables),
    Array(&'a mut toml_edit::Array),
    Scalar(&'static str),
}

impl<'a> Slot<'a> {
    fn of_table(t: &'a mut toml_edit::Table) -> Slot<'a> {
        Slot::Table(t)
    }
    fn of_item(item: &'a mut Item) -> Slot<'a> {
        match item {
            Item::Table(t) => Slot::Table(t),
            Item::ArrayOfTables(a) => Slot::Tables(a),
            Item::Value(v) => Slot::of_value(v),
            Item::None => Slot::Scalar("empty"),
        }
    }
    fn of_value(v: &'a mut Value) -> Slot<'a> {
        match v {
            Value::InlineTable(t) => Slot::Table(t),
            Value::Array(a) => Slot::Array(a),
            Value::String(_) => Slot::Scalar("a string"),
            Value::Integer(_) => Slot::Scalar("a number"),
            Value::Float(_) => Slot::Scalar("a number"),
            Value::Boolean(_) => Slot::Scalar("a boolean"),
            Value::Datetime(_) => Slot::Scalar("a date"),
        }
    }
}

struct Walk<'s> {
    set: &'s SetOverride,
    index: usize,
    schema: &'s Json,
    /// The concrete path taken so far (keys and element indexes).
    trail: Vec<Seg>,
    /// The schema of each step of `trail` (for checking keys to create).
    schema_at: Vec<&'s Json>,
}

impl<'s> Walk<'s> {
    fn problem(&self, seg: usize, message: String, hint: Option<String>) -> Problem {
        Problem {
            place: Place::Set {
                index: self.index,
                range: self.set.segment_range(seg),
            },
            message,
            hint,
            related: None,
        }
    }

    fn here(&self) -> String {
        TableName(&self.trail).to_string()
    }

    /// The array the walk is at, named like its elements (`[[host]]`).
    fn here_array(&self) -> String {
        let mut p = self.trail.clone();
        p.push(Seg::Index(0));
        TableName(&p).to_string()
    }

    /// Sets path segments `i..` below `slot` to `value`; returns the index in
    /// `trail` of the first key it had to create, if any.
    fn set_in(&mut self, slot: Slot<'_>, i: usize, value: Value) -> Result<Option<usize>, Problem> {
        let segs = &self.set.path;
        let seg = segs[i].as_str();
        let last = i + 1 == segs.len();
        match slot {
            Slot::Table(t) => {
                let child_schema = self.schema_for_key(seg);
                if let Some(item) = t.get_mut(seg) {
                    self.trail.push(Seg::Key(seg.to_string()));
                    self.schema_at.push(child_schema.unwrap_or(&Json::Null));
                    if last {
                        replace_item(item, value);
                        return Ok(None);
                    }
                    return self.set_in(Slot::of_item(item), i + 1, value);
                }
                // Keys that are not there yet: create them if the format has them.
                let created = self.trail.len();
                for (k, key) in segs.iter().enumerate().skip(i) {
                    if let Err(known) = self.check_key(key) {
                        let hint = suggest::hint(
                            key,
                            &known.iter().map(String::as_str).collect::<Vec<_>>(),
                            "the keys there are",
                        );
                        return Err(self.problem(
                            k,
                            format!("`{key}` is not a key of {}", self.here()),
                            hint,
                        ));
                    }
                    let below = self.schema_for_key(key).unwrap_or(&Json::Null);
                    self.schema_at.push(below);
                    self.trail.push(Seg::Key(key.clone()));
                }
                self.trail.truncate(created + 1);
                let mut nested = value;
                for k in segs[i + 1..].iter().rev() {
                    let mut t = InlineTable::new();
                    t.insert(k, nested);
                    nested = Value::InlineTable(t);
                }
                for k in &segs[i + 1..] {
                    self.trail.push(Seg::Key(k.clone()));
                }
                t.insert(seg, Item::Value(nested));
                Ok(Some(created))
            }
            Slot::Tables(a) => {
                let names: Vec<Option<String>> = a.iter().map(|t| element_name(t)).collect();
                let (j, consumed) = self.pick(i, &names)?;
                self.trail.push(Seg::Index(j));
                self.push_items_schema();
                let next = if consumed { i + 1 } else { i };
                if next == segs.len() {
                    return Err(self.problem(
                        i,
                        format!(
                            "`{}` names a whole {} entry, not a value",
                            self.set.path(),
                            self.here()
                        ),
                        Some("add the key to set, like `.addr` or `.tcp.delayed_ack`".into()),
                    ));
                }
                let Some(t) = a.get_mut(j) else {
                    return Err(self.problem(i, "no such entry".into(), None));
                };
                self.set_in(Slot::Table(t), next, value)
            }
            Slot::Array(arr) => {
                let names: Vec<Option<String>> = arr
                    .iter()
                    .map(|v| v.as_inline_table().and_then(|t| element_name(t)))
                    .collect();
                let (j, consumed) = self.pick(i, &names)?;
                self.trail.push(Seg::Index(j));
                self.push_items_schema();
                let next = if consumed { i + 1 } else { i };
                let Some(v) = arr.get_mut(j) else {
                    return Err(self.problem(i, "no such element".into(), None));
                };
                if next == segs.len() {
                    replace_value(v, value);
                    return Ok(None);
                }
                self.set_in(Slot::of_value(v), next, value)
            }
            Slot::Scalar(kind) => Err(self.problem(
                i,
                format!(
                    "`{}` is {kind}, so `{seg}` cannot name anything inside it",
                    self.set.path[..i].join(".")
                ),
                None,
            )),
        }
    }

    /// Which element of an array segment `i` names, and whether it used the
    /// segment up (a name or an index) or skipped it (a single element).
    fn pick(&self, i: usize, names: &[Option<String>]) -> Result<(usize, bool), Problem> {
        let seg = self.set.path[i].as_str();
        if let Some(j) = names.iter().position(|n| n.as_deref() == Some(seg)) {
            return Ok((j, true));
        }
        if let Ok(j) = seg.parse::<usize>() {
            if j < names.len() {
                return Ok((j, true));
            }
            return Err(self.problem(
                i,
                format!(
                    "index {j} is out of range: {} has {} {}",
                    self.here_array(),
                    names.len(),
                    if names.len() == 1 { "entry" } else { "entries" }
                ),
                Some(describe_entries(names)),
            ));
        }
        if names.len() == 1 {
            return Ok((0, false));
        }
        let known: Vec<&str> = names.iter().flatten().map(String::as_str).collect();
        let hint = match suggest::nearest(seg, known.iter().copied()) {
            Some(n) => format!("did you mean `{n}`? ({})", describe_entries(names)),
            None => describe_entries(names),
        };
        Err(self.problem(
            i,
            format!("`{seg}` names no entry of {}", self.here_array()),
            Some(hint),
        ))
    }

    /// The schema of `key` in the table the walk is at, if known.
    fn schema_for_key(&self, key: &str) -> Option<&'s Json> {
        let at = self.schema_at.last().copied()?;
        for s in alternatives(self.schema, at) {
            if let Some(p) = s.get("properties").and_then(|p| p.get(key)) {
                return Some(p);
            }
            if let Some(p @ Json::Object(_)) = s.get("additionalProperties") {
                return Some(p);
            }
        }
        None
    }

    /// Ok if the schema lets the table the walk is at have `key` (or does
    /// not know); otherwise the keys it does allow.
    fn check_key(&self, key: &str) -> Result<(), Vec<String>> {
        let Some(at) = self.schema_at.last().copied() else {
            return Ok(());
        };
        let mut known = Vec::new();
        let mut is_table = false;
        for s in alternatives(self.schema, at) {
            if let Some(Json::Object(props)) = s.get("properties") {
                is_table = true;
                if props.contains_key(key) {
                    return Ok(());
                }
                known.extend(props.keys().cloned());
            }
            match s.get("additionalProperties") {
                Some(Json::Object(_)) | Some(Json::Bool(true)) => return Ok(()),
                Some(_) => is_table = true,
                None => {}
            }
        }
        if is_table { Err(known) } else { Ok(()) }
    }

    fn push_items_schema(&mut self) {
        let at = self.schema_at.last().copied().unwrap_or(&Json::Null);
        let items = alternatives(self.schema, at)
            .into_iter()
            .find_map(|s| s.get("items"))
            .unwrap_or(&Json::Null);
        self.schema_at.push(items);
    }
}

/// A schema with its `$ref`s followed and its `anyOf`/`oneOf`/`allOf`
/// branches spread out.
fn alternatives<'a>(root: &'a Json, s: &'a Json) -> Vec<&'a Json> {
    let mut out = Vec::new();
    let mut stack = vec![s];
    let mut steps = 0;
    while let Some(s) = stack.pop() {
        steps += 1;
        if steps > 64 {
            break;
        }
        if let Some(Json::String(r)) = s.get("$ref") {
            let name = r.rsplit('/').next().unwrap_or_default();
            if let Some(d) = root.get("definitions").and_then(|d| d.get(name)) {
                stack.push(d);
            }
            continue;
        }
        for key in ["anyOf", "oneOf", "allOf"] {
            if let Some(Json::Array(branches)) = s.get(key) {
                stack.extend(branches.iter());
            }
        }
        out.push(s);
    }
    out
}

/// "it has 2 entries: 0 or `client`, 1 or `server`"
fn describe_entries(names: &[Option<String>]) -> String {
    let list: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(j, n)| match n {
            Some(n) => format!("{j} or `{n}`"),
            None => j.to_string(),
        })
        .collect();
    format!(
        "name an entry by index or name: {}",
        if list.is_empty() {
            "there are none".into()
        } else {
            list.join(", ")
        }
    )
}

/// An element's `name`, or else its `host` (FTP servers and clients), or
/// else its stage number `n` (so `walkthrough.stage.5` is stage 5, not the
/// sixth element).
fn element_name(t: &dyn TableLike) -> Option<String> {
    ["name", "host"]
        .iter()
        .find_map(|k| t.get(k).and_then(Item::as_str).map(str::to_string))
        .or_else(|| t.get("n").and_then(Item::as_integer).map(|n| n.to_string()))
}

/// Replaces a value in place, keeping the spaces and comment around it.
fn replace_item(item: &mut Item, mut value: Value) {
    if let Item::Value(old) = item {
        *value.decor_mut() = old.decor().clone();
    }
    *item = Item::Value(value);
}

fn replace_value(old: &mut Value, mut value: Value) {
    *value.decor_mut() = old.decor().clone();
    *old = value;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(arg: &str) -> SetOverride {
        SetOverride::parse(arg).unwrap()
    }

    const TEXT: &str = "[scenario]\nname = \"t\" # the name\nseed = 1\n\n[[host]]\nname = \"client\"\n\n[[host]]\nname = \"server\"\n[host.tcp]\nmss = 536\n\n[[ftp_server]]\nhost = \"server\"\n";

    fn applied(args: &[&str]) -> Result<Applied, Vec<Problem>> {
        let sets: Vec<_> = args.iter().map(|a| set(a)).collect();
        apply(TEXT, &sets)
    }

    #[test]
    fn parses_path_and_value() {
        let s = set("ftp_server.delays.USER=0s");
        assert_eq!(s.path(), "ftp_server.delays.USER");
        assert_eq!(s.value(), "0s");
        assert_eq!(s.label(), "--set ftp_server.delays.USER=0s");
        assert!(SetOverride::parse("novalue").is_err());
        assert!(SetOverride::parse("a..b=1").is_err());
        assert!(SetOverride::parse("=1").is_err());
    }

    #[test]
    fn replaces_in_place_keeping_comments() {
        let a = applied(&["scenario.name=x"]).unwrap();
        assert!(a.text.contains("name = \"x\" # the name\n"), "{}", a.text);
        let a = applied(&["scenario.seed=42"]).unwrap();
        assert!(a.text.contains("seed = 42\n"));
        assert_eq!(SetOverride::seed(42).label(), "--seed 42");
    }

    #[test]
    fn picks_elements_by_name_index_or_the_only_one() {
        let a = applied(&["host.server.tcp.mss=1460"]).unwrap();
        assert!(a.text.contains("mss = 1460"));
        let a = applied(&["host.0.addr=10.0.0.1"]).unwrap();
        assert!(
            a.text.contains("name = \"client\"\naddr = \"10.0.0.1\""),
            "{}",
            a.text
        );
        let a = applied(&["ftp_server.delays.USER=300ms"]).unwrap();
        assert!(
            a.text.contains("delays = { USER = \"300ms\" }"),
            "{}",
            a.text
        );
        let r = &a.regions[0];
        assert_eq!(&a.text[r.edited.clone()], "delays = { USER = \"300ms\" }");
        assert_eq!(&a.text[r.value.clone()], "\"300ms\"");
    }

    #[test]
    fn stages_are_picked_by_their_number() {
        let text = "[[walkthrough.stage]]\nn = 1\ntitle = \"a\"\n[[walkthrough.stage]]\nn = 2\ntitle = \"b\"\n";
        let a = apply(text, &[set("walkthrough.stage.2.title=B")]).unwrap();
        assert!(a.text.contains("n = 2\ntitle = \"B\""), "{}", a.text);
    }

    #[test]
    fn paths_that_name_nothing_say_what_is_there() {
        let p = applied(&["host.servr.tcp.mss=1"]).unwrap_err();
        assert_eq!(p[0].message, "`servr` names no entry of [[host]]");
        assert_eq!(
            p[0].hint.as_deref(),
            Some(
                "did you mean `server`? (name an entry by index or name: 0 or `client`, 1 or `server`)"
            )
        );
        let p = applied(&["host.2.addr=1"]).unwrap_err();
        assert_eq!(
            p[0].message,
            "index 2 is out of range: [[host]] has 2 entries"
        );
        let p = applied(&["host.server.tpc.mss=1"]).unwrap_err();
        assert_eq!(p[0].message, "`tpc` is not a key of [[host]]");
        assert_eq!(p[0].hint.as_deref(), Some("did you mean `tcp`?"));
        assert_eq!(
            p[0].place,
            Place::Set {
                index: 0,
                range: 18..21
            }
        );
        let p = applied(&["scenario.seed.x=1"]).unwrap_err();
        assert_eq!(
            p[0].message,
            "`scenario.seed` is a number, so `x` cannot name anything inside it"
        );
        let p = applied(&["host.1=1"]).unwrap_err();
        assert!(p[0].message.contains("names a whole [[host]] entry"));
    }

    #[test]
    fn later_regions_shift_and_nested_ones_stay() {
        let a = applied(&[
            "host.server.tcp.mss=1460",
            "scenario.name=\"a-much-longer-name\"",
        ])
        .unwrap();
        for r in &a.regions {
            assert!(a.text.get(r.edited.clone()).is_some());
        }
        assert_eq!(&a.text[a.regions[0].value.clone()], "1460");
        assert_eq!(
            &a.text[a.regions[1].value.clone()],
            "\"a-much-longer-name\""
        );
        let a = applied(&["ftp_server.delays.USER=1s", "ftp_server.delays.PASS=2s"]).unwrap();
        assert_eq!(&a.text[a.regions[0].value.clone()], "\"1s\"");
        assert_eq!(&a.text[a.regions[1].value.clone()], "\"2s\"");
    }
}
