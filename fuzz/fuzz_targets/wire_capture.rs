//! `read_capture` on arbitrary bytes must not panic, nor must unwrapping
//! and parsing the packets of whatever it reads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netstep_wire::{parse_ipv4_tcp, read_capture};

fuzz_target!(|data: &[u8]| {
    if let Ok(capture) = read_capture(data) {
        for packet in &capture.packets {
            if let Some(ip) = capture.ipv4_payload(packet) {
                let _ = parse_ipv4_tcp(ip, true);
            }
        }
    }
});
