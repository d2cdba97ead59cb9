//! Whatever a person types, the parser answers with a scenario or with
//! diagnostics that point into what they typed; it never panics.

use netstep_scenario::{SetOverride, parse, starter};
use proptest::prelude::*;

/// Every diagnostic names a line of `text` (or an override) and says something.
fn check_placed(text: &str, e: &netstep_scenario::ScenarioError) -> Result<(), TestCaseError> {
    prop_assert!(!e.diagnostics.is_empty());
    let lines: Vec<&str> = text.split('\n').map(|l| l.trim_end_matches('\r')).collect();
    for d in &e.diagnostics {
        prop_assert!(!d.message.is_empty());
        if d.line > 0 {
            prop_assert!(d.line <= lines.len(), "line {} of {}", d.line, lines.len());
            prop_assert_eq!(d.line_text.as_str(), lines[d.line - 1]);
            prop_assert!(d.col >= 1 && d.col <= d.line_text.chars().count() + 1);
        }
        // Rendering never panics either.
        let _ = d.to_string();
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        if let Err(e) = parse(&text, "x.toml", &[]) {
            check_placed(&text, &e)?;
        }
    }

    #[test]
    fn toml_shaped_text_never_panics(text in "([a-z_\\[\\]\\.=\" 0-9{},\n]|主|\t){0,200}") {
        if let Err(e) = parse(&text, "x.toml", &[]) {
            check_placed(&text, &e)?;
        }
    }

    /// One character of a valid scenario deleted, replaced or inserted.
    #[test]
    fn edits_of_a_valid_scenario_never_panic(at in any::<prop::sample::Index>(), c in any::<char>(), op in 0..3u8) {
        let mut chars: Vec<char> = starter("lab").chars().collect();
        let i = at.index(chars.len());
        match op {
            0 => { chars.remove(i); }
            1 => chars[i] = c,
            _ => chars.insert(i, c),
        }
        let text: String = chars.into_iter().collect();
        if let Err(e) = parse(&text, "x.toml", &[]) {
            check_placed(&text, &e)?;
        }
    }

    #[test]
    fn arbitrary_overrides_never_panic(
        path in "[a-z_]{1,10}(\\.([a-z_]{1,12}|[0-9]|USER)){0,4}",
        value in "[a-z0-9\\[\\]\", .]{0,12}",
    ) {
        let text = starter("lab");
        if let Ok(set) = SetOverride::parse(&format!("{path}={value}"))
            && let Err(e) = parse(&text, "x.toml", &[set])
        {
            check_placed(&text, &e)?;
        }
    }

    #[test]
    fn arbitrary_override_arguments_never_panic(arg in any::<String>()) {
        if let Ok(set) = SetOverride::parse(&arg) {
            let _ = parse(&starter("lab"), "x.toml", &[set]);
        }
    }
}
