//! Fuzz target: `netstep_ftp::fuzz::reply_stream` on arbitrary bytes. The function
//! itself asserts the invariants (no panic, parsed values re-encode, the
//! virtual file system stays inside its root).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = netstep_ftp::fuzz::reply_stream(data);
});
