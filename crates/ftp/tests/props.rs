//! Property tests: arbitrary input never panics a decoder or a session,
//! and what the codecs produce they read back.

use netstep_ftp::codec::{
    Command, HostPort, LineDecoder, Reply, ReplyDecoder, Verb, parse_pasv_reply,
};
use netstep_ftp::fuzz;
use netstep_ftp::vfs::VfsPath;
use proptest::prelude::*;
use std::net::Ipv4Addr;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic_the_command_parser(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        fuzz::command_line(&bytes);
    }

    #[test]
    fn command_lines_from_real_verbs_round_trip(
        verb in proptest::sample::select(Verb::ALL),
        lower in any::<bool>(),
        arg in proptest::option::of("[ -~]{0,40}"),
    ) {
        let word = if lower { verb.as_str().to_ascii_lowercase() } else { verb.as_str().to_string() };
        let line = match &arg {
            Some(a) => format!("{word} {a}"),
            None => word,
        };
        fuzz::command_line(line.as_bytes());
        if let Ok(c) = Command::parse(line.as_bytes()) {
            prop_assert_eq!(c.verb(), verb);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_reply_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        fuzz::reply_stream(&bytes);
    }

    #[test]
    fn replies_round_trip_through_the_wire(
        code in 100u16..600,
        lines in proptest::collection::vec("[ -~]{0,30}", 1..6),
    ) {
        let r = Reply::multi(code, &lines);
        let back = Reply::parse(&r.encode()).unwrap();
        prop_assert_eq!(back.code, r.code);
        prop_assert_eq!(back.encode(), r.encode());
        prop_assert_eq!(back.lines.len(), r.lines.len());
    }

    #[test]
    fn a_stream_cut_anywhere_decodes_the_same(
        stream in "([1-5][0-9][0-9]( |-)[ -~]{0,20}\r\n){0,8}",
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let bytes = stream.as_bytes();
        let mut whole = ReplyDecoder::new();
        whole.push(bytes);
        let mut pieces = ReplyDecoder::new();
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        points.sort_unstable();
        let mut at = 0;
        for p in points {
            pieces.push(&bytes[at..p]);
            at = p;
        }
        pieces.push(&bytes[at..]);
        let a: Vec<_> = std::iter::from_fn(|| whole.next_reply()).collect();
        let b: Vec<_> = std::iter::from_fn(|| pieces.next_reply()).collect();
        prop_assert_eq!(a, b);

        let mut l1 = LineDecoder::default();
        l1.push(bytes);
        let mut l2 = LineDecoder::default();
        for chunk in bytes.chunks(3) {
            l2.push(chunk);
        }
        let a: Vec<_> = std::iter::from_fn(|| l1.next_line()).collect();
        let b: Vec<_> = std::iter::from_fn(|| l2.next_line()).collect();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn host_ports_round_trip_and_explain_themselves(ip in any::<[u8; 4]>(), port in any::<u16>()) {
        let hp = HostPort::new(Ipv4Addr::from(ip), port);
        prop_assert_eq!(HostPort::parse(&hp.to_string()), Ok(hp));
        let explained = hp.explain();
        let expected_tail = format!("= {port}");
        prop_assert!(explained.ends_with(&expected_tail));
        let reply = format!("Entering Passive Mode ({hp}).");
        prop_assert_eq!(parse_pasv_reply(&reply), Some(hp));
    }

    #[test]
    fn resolved_paths_are_always_normal(cwd in "(/[a-z.]{1,3}){0,4}", arg in "[a-z./]{0,30}") {
        let base = VfsPath::parse(&cwd).unwrap();
        let p = base.resolve(&arg).unwrap();
        for c in p.components() {
            prop_assert!(!c.is_empty() && c != "." && c != ".." && !c.contains('/'));
        }
        // Normal paths resolve to themselves.
        prop_assert_eq!(VfsPath::parse(&p.to_string()).unwrap(), p);
    }

    #[test]
    fn arbitrary_programs_never_panic_the_server(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        fuzz::server_session(&bytes);
    }

    #[test]
    fn arbitrary_programs_never_panic_the_client(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        fuzz::client_session(&bytes);
    }
}

/// A fixed pseudo-random stream, so this check does not depend on
/// proptest's own generator.
fn programs(n: usize, len: usize) -> impl Iterator<Item = Vec<u8>> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    (0..n).map(move |_| {
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect()
    })
}

/// The session programs above are only worth running if they reach the
/// deep states: logged in, transfers started and finished, passive ports.
#[test]
fn random_programs_reach_transfers_on_both_sides() {
    let mut server = std::collections::BTreeMap::new();
    for p in programs(300, 600) {
        for (code, n) in fuzz::server_session(&p) {
            *server.entry(code).or_insert(0) += n;
        }
    }
    for code in [
        230, 150, 226, 227, 229, 257, 350, 425, 426, 500, 501, 530, 550,
    ] {
        assert!(
            server.get(&code).copied().unwrap_or(0) > 0,
            "server never replied {code}: {server:?}"
        );
    }
    let mut client = std::collections::BTreeMap::new();
    for p in programs(300, 600) {
        for (verb, n) in fuzz::client_session(&p) {
            *client.entry(verb).or_insert(0) += n;
        }
    }
    for verb in [
        "USER", "PASS", "PORT", "PASV", "NLST", "LIST", "RETR", "STOR", "RNFR", "QUIT",
    ] {
        assert!(
            client.get(verb).copied().unwrap_or(0) > 0,
            "client never sent {verb}: {client:?}"
        );
    }
}
