//! The JSON Schema of the scenario file, for editors: Taplo and Even Better
//! TOML read a JSON Schema for a TOML file and then complete keys, show the
//! doc comments as hover help and flag wrong types while the teacher types.
//!
//! The schema describes shapes only (types, key names, patterns). Leaves
//! out everything the validator checks across values (that a link names an
//! existing node, that stage numbers count up): editors cannot check those,
//! and `netstep check` reports them with their place.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use std::borrow::Cow;

/// The JSON Schema (draft-07, which every TOML editor plug-in reads) of
/// [`crate::ScenarioFile`], pretty-printed.
pub fn json_schema() -> String {
    let generator = schemars::generate::SchemaSettings::draft07()
        .for_deserialize()
        .into_generator();
    let schema = generator.into_root_schema_for::<crate::ScenarioFile>();
    // A `Schema` is a JSON value, so printing it cannot fail; fall back to
    // the compact form rather than panic if that ever changes.
    serde_json::to_string_pretty(&schema).unwrap_or_else(|_| schema.as_value().to_string())
}

/// Defines a string-valued schema type with a description, a pattern and
/// examples: the model's fields that are strings in the file but parsed
/// values in Rust say `#[schemars(with = "...")]` one of these.
macro_rules! string_schema {
    ($(#[$doc:meta])* $name:ident, $desc:expr, $pattern:expr, [$($ex:expr),*]) => {
        $(#[$doc])*
        pub(crate) struct $name;
        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({
                    "type": "string",
                    "description": $desc,
                    "pattern": $pattern,
                    "examples": [$($ex),*]
                })
            }
        }
    };
}

string_schema!(
    /// A duration as people write it.
    DurationText,
    "A duration: a number and a unit (ns, us, ms, s, min), like \"250ms\" or \"1.5s\"; \"0\" needs no unit.",
    "^\\s*(0+|[0-9]*\\.?[0-9]+\\s*(ns|us|µs|ms|s|min))\\s*$",
    ["200ms", "2s", "100us"]
);

string_schema!(
    /// A node or scenario name.
    NameText,
    "A name: lower-case letters, digits and dashes, like \"client\" or \"router-1\".",
    "^[a-z0-9][a-z0-9-]*$",
    ["client", "server"]
);

string_schema!(
    /// An IPv4 address.
    AddrText,
    "An IPv4 address in dotted-decimal form, like \"192.168.120.168\".",
    "^[0-9]{1,3}(\\.[0-9]{1,3}){3}$",
    ["192.168.120.168"]
);

string_schema!(
    /// A bit rate.
    BandwidthText,
    "A bit rate: a number and a unit (bit, kbit, Mbit, Gbit), like \"100Mbit\" or \"56kbit\".",
    "^\\s*[0-9]*\\.?[0-9]+\\s*([kKmMgG]?(bit|bps))\\s*$",
    ["100Mbit", "10Mbit", "56kbit"]
);

/// A TCP profile name.
pub(crate) struct ProfileText;
impl JsonSchema for ProfileText {
    fn schema_name() -> Cow<'static, str> {
        "ProfileText".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A TCP profile preset.",
            "enum": crate::validate::PROFILES
        })
    }
}

/// `delayed_ack`: a duration or "off".
pub(crate) struct DelayedAckText;
impl JsonSchema for DelayedAckText {
    fn schema_name() -> Cow<'static, str> {
        "DelayedAckText".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let duration = g.subschema_for::<DurationText>();
        json_schema!({
            "description": "The delayed-ACK timer (like \"200ms\"), or \"off\" to acknowledge every segment at once.",
            "anyOf": [duration, { "const": "off" }, { "const": false }]
        })
    }
}

/// `data_port`: a port, "default" or "ephemeral".
pub(crate) struct DataPortText;
impl JsonSchema for DataPortText {
    fn schema_name() -> Cow<'static, str> {
        "DataPortText".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A port number (1-65535), \"default\" (RFC 959's L-1: 20 for a server on 21) or \"ephemeral\".",
            "anyOf": [
                { "type": "integer", "minimum": 1, "maximum": 65535 },
                { "enum": ["default", "ephemeral"] }
            ]
        })
    }
}

/// A text in one language (a string) or two (a table).
pub(crate) struct TextSchema;
impl JsonSchema for TextSchema {
    fn schema_name() -> Cow<'static, str> {
        "TextOrString".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let text = g.subschema_for::<netstep_trace::Text>();
        json_schema!({
            "description": "A text: a string (English), or { en = \"...\", zh = \"...\" }.",
            "anyOf": [{ "type": "string" }, text]
        })
    }
}

/// A list of tables that may be written as one table when there is one.
pub(crate) struct OneOrMany<T>(std::marker::PhantomData<T>);
impl<T: JsonSchema> JsonSchema for OneOrMany<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("OneOrMany_{}", T::schema_name()).into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let item = g.subschema_for::<T>();
        json_schema!({
            "anyOf": [
                { "type": "array", "items": item },
                item
            ]
        })
    }
}

/// A typed line: a string or a table.
pub(crate) struct TypedLineSchema;
impl JsonSchema for TypedLineSchema {
    fn schema_name() -> Cow<'static, str> {
        "TypedLineOrString".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let full = g.subschema_for::<crate::TypedLine>();
        json_schema!({
            "description": "A line the user types: \"ls\", or { line = \"ls\", think = \"3s\" }.",
            "anyOf": [{ "type": "string" }, full]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_json_and_names_every_top_level_key() {
        let text = json_schema();
        let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let props = v["properties"].as_object().expect("top-level properties");
        for key in [
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
        ] {
            assert!(props.contains_key(key), "schema lacks `{key}`");
        }
        assert_eq!(v["additionalProperties"], serde_json::Value::Bool(false));
        // Doc comments become descriptions.
        assert!(text.contains("Every random choice of the run comes from this seed."));
        // The link keys are spelt out, not flattened away.
        let link = &v["definitions"]["LinkSpec"]["properties"];
        assert!(link.get("delay").is_some() && link.get("a_to_b").is_some());
    }
}
