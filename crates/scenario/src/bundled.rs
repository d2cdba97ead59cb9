//! The scenarios that ship inside the binary, and how a command-line
//! argument picks a scenario: a file if one exists at that path, else a
//! bundled scenario by name.
//!
//! Leaves out: searching directories for scenarios; a path is a path.

use crate::ScenarioError;
use crate::suggest;
use std::path::Path;

/// A scenario compiled into the binary from `scenarios/NAME.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bundled {
    /// The name to ask for it by (`active-ftp`).
    pub name: &'static str,
    /// Its file name, which diagnostics use as its origin (`active-ftp.toml`).
    pub file_name: &'static str,
    pub text: &'static str,
}

/// Lists the bundled scenarios: adding one is adding its name here (and its
/// file in `scenarios/`). The first is the default.
macro_rules! bundled {
    ($($name:literal),* $(,)?) => {
        /// Every bundled scenario, the default (`netstep play` with no
        /// argument) first.
        pub const BUNDLED: &[Bundled] = &[$(
            Bundled {
                name: $name,
                file_name: concat!($name, ".toml"),
                text: include_str!(concat!("../../../scenarios/", $name, ".toml")),
            }
        ),*];
    };
}

bundled![
    "active-ftp",
    "passive-ftp",
    "two-transfers",
    "nat-breaks-active",
    "firewall-blocks-active",
    "lossy-download",
    "port-bounce",
];

/// The bundled scenario called `name` (with or without `.toml`).
pub fn bundled(name: &str) -> Option<&'static Bundled> {
    let name = name.strip_suffix(".toml").unwrap_or(name);
    BUNDLED.iter().find(|b| b.name == name)
}

/// The scenario an argument names: `(origin, text)` of the file at that
/// path if there is one, else of the bundled scenario of that name.
pub fn resolve(arg: &str) -> Result<(String, String), ScenarioError> {
    let path = Path::new(arg);
    if path.is_file() {
        let text = read(path)?;
        return Ok((arg.to_string(), text));
    }
    if let Some(b) = bundled(arg) {
        return Ok((b.file_name.to_string(), b.text.to_string()));
    }
    let names: Vec<&str> = BUNDLED.iter().map(|b| b.name).collect();
    let stem = arg.strip_suffix(".toml").unwrap_or(arg);
    let looks_like_path = arg.contains(['/', '\\']) || arg.ends_with(".toml");
    let message = if looks_like_path {
        format!("no such file, and no bundled scenario called `{stem}`")
    } else {
        format!("no file or bundled scenario called `{arg}`")
    };
    let mut hint = match suggest::nearest(stem, names.iter().copied()) {
        Some(n) => format!("did you mean `{n}`? "),
        None => String::new(),
    };
    if names.is_empty() {
        hint.push_str("there are no bundled scenarios");
    } else {
        hint.push_str(&format!(
            "the bundled scenarios are {}",
            suggest::list(&names)
        ));
    }
    Err(ScenarioError::general(arg, message, Some(hint)))
}

/// Reads a scenario file, as a diagnostic if it cannot be read.
pub(crate) fn read(path: &Path) -> Result<String, ScenarioError> {
    let origin = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        let hint = match e.kind() {
            std::io::ErrorKind::NotFound => {
                Some("check the path, or name a bundled scenario".to_string())
            }
            std::io::ErrorKind::PermissionDenied => {
                Some("check the file's permissions".to_string())
            }
            _ => None,
        };
        ScenarioError::general(&origin, format!("cannot read the file: {e}"), hint)
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        ScenarioError::general(
            &origin,
            format!("the file is not UTF-8 text (byte {at} is not)"),
            Some("save it as UTF-8 (every editor can)".to_string()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_scenario_validates() {
        for b in BUNDLED {
            crate::parse(b.text, b.file_name, &[]).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    #[test]
    fn every_file_in_scenarios_is_bundled() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if let Some(stem) = name.strip_suffix(".toml") {
                assert!(
                    bundled(stem).is_some(),
                    "scenarios/{name} is not in BUNDLED"
                );
            }
        }
    }

    #[test]
    fn resolves_bundled_names_and_suggests_the_nearest() {
        let (origin, text) = resolve("active-ftp").unwrap();
        assert_eq!(origin, "active-ftp.toml");
        assert!(text.contains("[scenario]"));
        assert!(resolve("active-ftp.toml").is_ok());
        let e = resolve("activ-ftp").unwrap_err();
        // The hint lists every bundled scenario, the default first.
        let names: Vec<String> = BUNDLED.iter().map(|b| format!("`{}`", b.name)).collect();
        let list = match names.as_slice() {
            [one] => one.clone(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
            [] => unreachable!("there is always the default scenario"),
        };
        assert_eq!(
            e.to_string(),
            format!(
                "activ-ftp: error: no file or bundled scenario called `activ-ftp`\n  = hint: did you mean `active-ftp`? the bundled scenarios are {list}\n"
            )
        );
        let e = resolve("labs/missing.toml").unwrap_err();
        assert!(e.to_string().contains("no such file"));
    }
}
