//! The parsed document as a tree of spans: where every key and value of the
//! file is, so that a check on the deserialised model can point at the
//! exact value (`link[2].a_to_b.loss`) without every model field carrying a
//! `Spanned` wrapper, and so that a serde error's span can be named as the
//! table it lies in (`[host.tcp]`).
//!
//! Leaves out: the values themselves (the model has them).

use std::fmt;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One step of a path into the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

impl From<&str> for Seg {
    fn from(k: &str) -> Self {
        Seg::Key(k.to_string())
    }
}
impl From<&String> for Seg {
    fn from(k: &String) -> Self {
        Seg::Key(k.clone())
    }
}
impl From<usize> for Seg {
    fn from(i: usize) -> Self {
        Seg::Index(i)
    }
}

/// `tpath!["link", i, "loss"]`: a path into the document.
macro_rules! tpath {
    ($($seg:expr),* $(,)?) => {
        [$($crate::tree::Seg::from($seg)),*]
    };
}
pub(crate) use tpath;

/// A path as a person reads it: `host.tcp`; with `headers`, shaped like the
/// TOML header that opens it (`[host.tcp]`, `[[host]]`).
pub(crate) struct TableName<'a>(pub &'a [Seg]);

impl fmt::Display for TableName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&str> = self
            .0
            .iter()
            .filter_map(|s| match s {
                Seg::Key(k) => Some(k.as_str()),
                Seg::Index(_) => None,
            })
            .collect();
        if keys.is_empty() {
            return f.write_str("the top level");
        }
        if matches!(self.0.last(), Some(Seg::Index(_))) {
            write!(f, "[[{}]]", keys.join("."))
        } else {
            write!(f, "[{}]", keys.join("."))
        }
    }
}

/// A key or value of the document and its span.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub span: Range<usize>,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// Entries in order of their place in the file.
    Table(Vec<Entry>),
    Array(Vec<Node>),
    Scalar,
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub key: String,
    pub key_span: Range<usize>,
    pub value: Node,
}

impl Node {
    pub fn from_table(t: &Spanned<DeTable<'_>>) -> Node {
        Node {
            span: t.span(),
            kind: Kind::Table(entries(t.get_ref())),
        }
    }

    fn from_value(v: &Spanned<DeValue<'_>>) -> Node {
        let kind = match v.get_ref() {
            DeValue::Table(t) => Kind::Table(entries(t)),
            DeValue::Array(a) => Kind::Array(a.iter().map(Node::from_value).collect()),
            _ => Kind::Scalar,
        };
        Node {
            span: v.span(),
            kind,
        }
    }

    /// The entry for `key`, if this is a table that has it.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.kind {
            Kind::Table(es) => es.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    fn child(&self, seg: &Seg) -> Option<(&Node, Option<&Range<usize>>)> {
        match (seg, &self.kind) {
            (Seg::Key(k), Kind::Table(_)) => self.entry(k).map(|e| (&e.value, Some(&e.key_span))),
            (Seg::Index(i), Kind::Array(items)) => items.get(*i).map(|n| (n, None)),
            // A list written as a single table (`[ftp_server]`) is its own
            // element 0.
            (Seg::Index(0), Kind::Table(_)) => Some((self, None)),
            _ => None,
        }
    }

    /// The node at `path`, if the whole path exists.
    pub fn get(&self, path: &[Seg]) -> Option<&Node> {
        let mut node = self;
        for seg in path {
            node = node.child(seg)?.0;
        }
        Some(node)
    }

    /// The span of the value at `path`; where the path stops early (a key
    /// left to its default), the span of the deepest value that exists,
    /// which for a table is its header.
    pub fn value_span(&self, path: &[Seg]) -> Range<usize> {
        let mut node = self;
        for seg in path {
            match node.child(seg) {
                Some((n, _)) => node = n,
                None => break,
            }
        }
        node.span.clone()
    }

    /// The span of the last key of `path`, or of the deepest value that
    /// exists when the path stops early.
    pub fn key_span(&self, path: &[Seg]) -> Range<usize> {
        let mut node = self;
        let mut key = None;
        for seg in path {
            match node.child(seg) {
                Some((n, k)) => {
                    node = n;
                    key = k;
                }
                None => return node.span.clone(),
            }
        }
        key.cloned().unwrap_or_else(|| node.span.clone())
    }

    /// The path of the table that has a key at `span`, and that key.
    pub fn table_of_key(&self, span: &Range<usize>) -> Option<(Vec<Seg>, String)> {
        let mut path = Vec::new();
        self.find(&mut path, &|n: &Node, path: &mut Vec<Seg>| {
            if let Kind::Table(es) = &n.kind {
                for e in es {
                    if &e.key_span == span {
                        path.push(Seg::Key(e.key.clone()));
                        return true;
                    }
                }
            }
            false
        })
        .then(|| {
            let key = match path.pop() {
                Some(Seg::Key(k)) => k,
                _ => String::new(),
            };
            (path, key)
        })
    }

    /// The path of the (deepest) value whose span is `span`.
    pub fn path_of_value(&self, span: &Range<usize>) -> Option<Vec<Seg>> {
        let mut best: Option<Vec<Seg>> = None;
        let mut path = Vec::new();
        self.walk(&mut path, &mut |n, p| {
            if &n.span == span {
                best = Some(p.to_vec());
            }
        });
        best
    }

    fn walk(&self, path: &mut Vec<Seg>, f: &mut dyn FnMut(&Node, &[Seg])) {
        f(self, path);
        match &self.kind {
            Kind::Table(es) => {
                for e in es {
                    path.push(Seg::Key(e.key.clone()));
                    e.value.walk(path, f);
                    path.pop();
                }
            }
            Kind::Array(items) => {
                for (i, n) in items.iter().enumerate() {
                    path.push(Seg::Index(i));
                    n.walk(path, f);
                    path.pop();
                }
            }
            Kind::Scalar => {}
        }
    }

    /// Depth-first search; on success `path` leads to the node `hit`
    /// accepted (plus whatever `hit` pushed).
    fn find(&self, path: &mut Vec<Seg>, hit: &dyn Fn(&Node, &mut Vec<Seg>) -> bool) -> bool {
        if hit(self, path) {
            return true;
        }
        match &self.kind {
            Kind::Table(es) => {
                for e in es {
                    path.push(Seg::Key(e.key.clone()));
                    if e.value.find(path, hit) {
                        return true;
                    }
                    path.pop();
                }
            }
            Kind::Array(items) => {
                for (i, n) in items.iter().enumerate() {
                    path.push(Seg::Index(i));
                    if n.find(path, hit) {
                        return true;
                    }
                    path.pop();
                }
            }
            Kind::Scalar => {}
        }
        false
    }
}

fn entries(t: &DeTable<'_>) -> Vec<Entry> {
    let mut es: Vec<Entry> = t
        .iter()
        .map(|(k, v)| Entry {
            key: k.get_ref().to_string(),
            key_span: k.span(),
            value: Node::from_value(v),
        })
        .collect();
    es.sort_by_key(|e| e.key_span.start);
    es
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> Node {
        Node::from_table(&DeTable::parse(text).unwrap())
    }

    #[test]
    fn finds_values_keys_and_falls_back_to_the_deepest_table() {
        let text = "[[host]]\nname = \"a\"\n[[host]]\nname = \"b\"\n[host.tcp]\nmss = 5\n";
        let t = tree(text);
        let span = t.value_span(&tpath!["host", 1, "tcp", "mss"]);
        assert_eq!(&text[span], "5");
        let span = t.key_span(&tpath!["host", 1, "name"]);
        assert_eq!(&text[span], "name");
        // `addr` is not there: the host's header stands in for it.
        let span = t.value_span(&tpath!["host", 0, "addr"]);
        assert_eq!(&text[span], "[[host]]");
        assert_eq!(t.value_span(&tpath!["host", 0, "addr"]).start, 0);
    }

    #[test]
    fn names_the_table_a_key_is_in() {
        let text = "[[host]]\nname = \"a\"\n[host.tcp]\nmsss = 5\n";
        let t = tree(text);
        let at = text.find("msss").unwrap();
        let (path, key) = t.table_of_key(&(at..at + 4)).unwrap();
        assert_eq!(key, "msss");
        assert_eq!(TableName(&path).to_string(), "[host.tcp]");
        assert_eq!(TableName(&tpath!["host", 0]).to_string(), "[[host]]");
    }
}
