//! Fuzz target: a scenario file of arbitrary text must give a scenario or
//! located errors, never a panic; so must a saved run read back as JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(e) = netstep_scenario::parse(text, "fuzz.toml", &[]) {
            let _ = e.to_string();
        }
        let _ = netstep_trace::json::read_trace(text);
    }
});
