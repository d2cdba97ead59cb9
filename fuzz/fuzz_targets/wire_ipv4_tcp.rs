//! `parse_ipv4_tcp` on arbitrary bytes must not panic; whatever parses must
//! survive `emit_ipv4_tcp` and parse again to the same values (with the
//! TCP options as emit lays them out, see `TcpOptions::as_emitted`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use netstep_wire::{Ipv4Repr, TcpRepr, emit_ipv4_tcp, parse_ipv4_tcp};

fuzz_target!(|data: &[u8]| {
    for verify in [false, true] {
        let Ok((ip, tcp)) = parse_ipv4_tcp(data, verify) else {
            continue;
        };
        let mut buf = vec![0u8; 65_535];
        let n = emit_ipv4_tcp(&ip, &tcp, &mut buf);
        assert!(n >= 40, "a packet that parsed must fit again");
        let (ip2, tcp2) = parse_ipv4_tcp(&buf[..n], true).expect("our own output parses");
        assert_eq!(
            ip2,
            Ipv4Repr {
                payload_len: tcp.buffer_len(),
                ..ip
            }
        );
        assert_eq!(
            tcp2,
            TcpRepr {
                options: tcp.options.as_emitted(),
                ..tcp
            }
        );
    }
});
