//! Entry points for fuzz targets and property tests.
//!
//! Each function takes arbitrary bytes, drives one parser or one session
//! with them, and panics only if an invariant breaks (a parse that does
//! not round-trip, a reply that is not a reply, a path that escapes the
//! tree). Panics from the code under test are of course findings too.
//! A `cargo fuzz` target is one line:
//!
//! ```ignore
//! fuzz_target!(|data: &[u8]| netstep_ftp::fuzz::command_line(data));
//! ```

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;

use netstep_wire::{Duration, Instant};

use crate::client::{ClientAction, ClientConfig, ClientSession, TypedLine};
use crate::codec::{
    Command, ExtendedAddr, HostPort, LineDecoder, Reply, ReplyDecoder, parse_epsv_reply,
    parse_pasv_reply,
};
use crate::conn::{ConnectError, DataConnId, DataEvent};
use crate::server::{ServerAction, ServerConfig, ServerSession, User};
use crate::vfs::{FileContent, Node, Vfs};

/// One command line: parsing never panics, and what parses encodes to a
/// line that parses to the same command.
pub fn command_line(data: &[u8]) {
    if let Ok(cmd) = Command::parse(data) {
        let wire = cmd.encode();
        assert!(wire.ends_with(b"\r\n"));
        assert_eq!(
            wire.iter().filter(|&&b| b == b'\n').count(),
            1,
            "{cmd:?} encodes to more than one line"
        );
        assert_eq!(
            Command::parse(&wire).as_ref(),
            Ok(&cmd),
            "{cmd:?} does not round-trip"
        );
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(hp) = HostPort::parse(text) {
            assert_eq!(HostPort::parse(&hp.to_string()), Ok(hp));
        }
        if let Ok(a) = ExtendedAddr::parse(text) {
            assert_eq!(ExtendedAddr::parse(&a.to_string()), Ok(a));
        }
        let _ = parse_pasv_reply(text);
        let _ = parse_epsv_reply(text);
    }
}

/// A reply stream, cut at `data[0]`: decoding in two pieces gives what
/// decoding at once gives, and each reply re-encodes to bytes that decode
/// to it again.
pub fn reply_stream(data: &[u8]) {
    let (cut, stream) = match data.split_first() {
        Some((c, rest)) => (usize::from(*c).min(rest.len()), rest),
        None => return,
    };
    let mut whole = ReplyDecoder::new();
    whole.push(stream);
    let mut split = ReplyDecoder::new();
    split.push(&stream[..cut]);
    split.push(&stream[cut..]);
    let a: Vec<_> = std::iter::from_fn(|| whole.next_reply()).collect();
    let b: Vec<_> = std::iter::from_fn(|| split.next_reply()).collect();
    assert_eq!(a, b);
    for r in a.into_iter().flatten() {
        let again = Reply::parse(&r.encode());
        assert_eq!(again.map(|x| x.encode()), Ok(r.encode()));
    }
    let mut lines = LineDecoder::default();
    lines.push(stream);
    while lines.next_line().is_some() {}
}

/// Every node name in the tree is a plain name: nothing was created with
/// `.`, `..`, `/` or an empty name, so nothing can point outside.
pub fn assert_tree_sane(vfs: &Vfs) {
    fn walk(n: &Node, depth: usize) {
        assert!(depth <= 70, "tree deeper than any path may go");
        if let Some(children) = n.children() {
            for (name, child) in children {
                assert!(
                    !name.is_empty()
                        && name != "."
                        && name != ".."
                        && !name.contains('/')
                        && !name.contains('\0'),
                    "bad node name {name:?}"
                );
                walk(child, depth + 1);
            }
        }
    }
    walk(vfs.root(), 0);
}

const SERVER_LINES: &[&str] = &[
    "USER student",
    "PASS netstep",
    "USER anonymous",
    "PASS x",
    "CWD ..",
    "CWD /../../etc",
    "CDUP",
    "PWD",
    "MKD ../../a",
    "MKD a/b",
    "RMD ..",
    "RMD /",
    "DELE /",
    "DELE a",
    "RNFR a",
    "RNTO ../../../b",
    "RNFR /",
    "RNTO /b/c",
    "RETR ../../f",
    "STOR ../x",
    "STOR a",
    "APPE a",
    "STOU",
    "STOU a",
    "LIST -la ../..",
    "NLST *",
    "MLSD ..",
    "MLST /",
    "PORT 10,0,0,1,200,1",
    "PORT 10,0,0,2,0,21",
    "PORT 1,2,3",
    "EPRT |1|10.0.0.1|5000|",
    "PASV",
    "EPSV",
    "EPSV ALL",
    "ABOR",
    "REST 3",
    "TYPE I",
    "TYPE A",
    "SIZE f",
    "MDTM f",
    "SITE CHMOD 777 f",
    "STAT",
    "STAT ..",
    "HELP",
    "FEAT",
    "OPTS UTF8 ON",
    "NOOP",
    "QUIT",
];

fn data_event(selector: u8, extra: &[u8]) -> DataEvent {
    let peer = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1 + selector % 2), 20);
    match selector % 11 {
        0 => DataEvent::Listening {
            port: 50000 + u16::from(selector),
        },
        1 => DataEvent::ListenFailed,
        2 => DataEvent::Connected { peer },
        3 => DataEvent::ConnectFailed(ConnectError::Refused),
        4 => DataEvent::Received(extra.to_vec()),
        5 => DataEvent::Writable,
        6 => DataEvent::PeerClosed,
        7 => DataEvent::FinAcked,
        8 => DataEvent::Closed,
        9 => DataEvent::Reset,
        _ => DataEvent::Received(Vec::new()),
    }
}

/// A server session driven by `data` read as a little program: each step
/// is a known command line (often a hostile one), raw bytes, a data event
/// or a jump in time. Every control write must be whole replies; the tree
/// must stay sane; the session must not panic. Returns how many replies of
/// each code went out, so tests can check the programs reach deep states.
pub fn server_session(data: &[u8]) -> BTreeMap<u16, usize> {
    let mut seen = BTreeMap::new();
    let mut delays = BTreeMap::new();
    delays.insert(crate::codec::Verb::User, Duration::from_millis(250));
    let config = Arc::new(ServerConfig {
        users: vec![User::new("student", "netstep")],
        anonymous: true,
        delays,
        data_chunk: 7,
        ..ServerConfig::default()
    });
    let mut vfs = Vfs::new(0);
    let _ = vfs.insert_file("/f", FileContent::bytes(b"x\ny\n".to_vec()), 0);
    let _ = vfs.insert_file("/d/g", FileContent::generated(100, 1), 0);
    let mut now = Instant::ZERO;
    let mut s = ServerSession::new(
        config,
        now,
        SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 40000),
        SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 9), 21),
    );
    // Most programs start logged in, so that they get past the 530s.
    let mut i = 0;
    if data.first().is_some_and(|b| b % 4 != 0) {
        s.handle_control_data(now, b"USER student\r\nPASS netstep\r\n", &mut vfs);
        now += Duration::from_secs(1);
        s.handle_timeout(now, &mut vfs);
        i = 1;
    }
    let mut last_id = DataConnId(1);
    let mut steps = 0;
    while i < data.len() && steps < 400 {
        steps += 1;
        let op = data[i];
        let arg = data.get(i + 1).copied().unwrap_or(0);
        let rest = &data[(i + 2).min(data.len())..];
        let take = usize::from(arg % 32).min(rest.len());
        match op % 5 {
            0 | 1 => {
                let line = SERVER_LINES[usize::from(arg) % SERVER_LINES.len()];
                s.handle_control_data(now, format!("{line}\r\n").as_bytes(), &mut vfs);
                i += 2;
            }
            2 => {
                s.handle_control_data(now, &rest[..take], &mut vfs);
                i += 2 + take;
            }
            3 => {
                // Mostly about the connection the session asked for last.
                let id = if arg % 4 != 0 {
                    last_id
                } else {
                    DataConnId(u32::from(arg % 16) / 4 + 1)
                };
                s.handle_data_event(now, id, data_event(arg / 4, &rest[..take]), &mut vfs);
                i += 2 + take;
            }
            _ => {
                now += Duration::from_millis(u64::from(arg) * 50);
                if let Some(t) = s.poll_timeout()
                    && t <= now
                {
                    s.handle_timeout(now, &mut vfs);
                }
                i += 2;
            }
        }
        while let Some(a) = s.poll_action() {
            if let ServerAction::ConnectData { id, .. } | ServerAction::ListenData { id, .. } = a {
                last_id = id;
            }
            if let ServerAction::SendControl(bytes) = a {
                let mut d = ReplyDecoder::new();
                d.push(&bytes);
                let mut n = 0;
                while let Some(r) = d.next_reply() {
                    match r {
                        Ok(r) => *seen.entry(r.code.get()).or_insert(0) += 1,
                        Err(e) => panic!("not a reply ({e}): {bytes:?}"),
                    }
                    n += 1;
                }
                assert_eq!(n, 1, "not one reply: {bytes:?}");
                assert!(d.is_idle(), "half a reply: {bytes:?}");
            }
        }
        assert_tree_sane(&vfs);
    }
    seen
}

const CLIENT_LINES: &[&str] = &[
    "student",
    "netstep",
    "ls",
    "dir",
    "get f",
    "get ../../x y",
    "put f",
    "put nosuch",
    "cd ..",
    "pwd",
    "mkdir a",
    "rename a b",
    "delete a",
    "ascii",
    "binary",
    "passive",
    "epsv",
    "quote NOOP",
    "quote",
    "user a b",
    "open 10.0.0.9",
    "close",
    "bogus",
    "",
    "\"quoted word\" x",
    "quit",
];

const REPLIES: &[&str] = &[
    "220 ready",
    "331 pw",
    "230 ok",
    "530 no",
    "200 ok",
    "150 go",
    "226 done",
    "227 Entering Passive Mode (10,0,0,9,4,1).",
    "229 (|||5000|)",
    "227 garbage",
    "350 more",
    "250 ok",
    "425 no",
    "421 bye",
    "221 bye",
    "211-a\r\n b\r\n211 c",
    "x",
];

/// A client session with a script taken from `data` and replies and
/// events also taken from `data`. Control writes must be single CRLF lines;
/// the session must not panic. Returns how many commands of each verb
/// (first word) went out.
pub fn client_session(data: &[u8]) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    let (script_len, data) = match data.split_first() {
        Some((n, rest)) => (usize::from(*n % 12), rest),
        None => return seen,
    };
    let script: Vec<TypedLine> = data
        .iter()
        .take(script_len)
        .map(|b| {
            TypedLine::after(
                CLIENT_LINES[usize::from(*b) % CLIENT_LINES.len()],
                Duration::from_millis(10),
            )
        })
        .collect();
    let data = &data[script_len.min(data.len())..];
    let mut local = Vfs::new(0);
    let _ = local.insert_file("/f", FileContent::bytes(b"abc\n".to_vec()), 0);
    let config = ClientConfig {
        connect_to: Some(SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 9), 21)),
        local_files: local,
        data_chunk: 3,
        ..ClientConfig::default()
    };
    let mut now = Instant::ZERO;
    let mut c = ClientSession::new(config, script, now);
    let local_addr = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 40000);
    let mut last_id = DataConnId(1);
    let peer = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 9), 21);
    let mut i = 0;
    let mut steps = 0;
    while i < data.len() && steps < 400 {
        steps += 1;
        let op = data[i];
        let arg = data.get(i + 1).copied().unwrap_or(0);
        let rest = &data[(i + 2).min(data.len())..];
        let take = usize::from(arg % 32).min(rest.len());
        match op % 7 {
            0 => {
                c.handle_control_connected(now, local_addr, peer);
                i += 2;
            }
            1 | 2 => {
                let r = REPLIES[usize::from(arg) % REPLIES.len()];
                c.handle_control_data(now, format!("{r}\r\n").as_bytes());
                i += 2;
            }
            3 => {
                c.handle_control_data(now, &rest[..take]);
                i += 2 + take;
            }
            4 => {
                let id = if arg % 4 != 0 {
                    last_id
                } else {
                    DataConnId(u32::from(arg % 16) / 4 + 1)
                };
                c.handle_data_event(now, id, data_event(arg / 4, &rest[..take]));
                i += 2 + take;
            }
            5 => {
                if arg % 8 == 0 {
                    c.handle_control_closed(now);
                } else if arg % 8 == 1 {
                    c.handle_control_connect_failed(now, ConnectError::TimedOut);
                }
                i += 2;
            }
            _ => {
                now += Duration::from_millis(u64::from(arg));
                for _ in 0..64 {
                    match c.poll_timeout() {
                        Some(t) if t <= now => c.handle_timeout(t),
                        _ => break,
                    }
                }
                i += 2;
            }
        }
        while let Some(a) = c.poll_action() {
            if let ClientAction::ListenData { id } | ClientAction::ConnectData { id, .. } = a {
                last_id = id;
            }
            if let ClientAction::SendControl(bytes) = a {
                assert!(bytes.ends_with(b"\r\n"), "{bytes:?}");
                let body = &bytes[..bytes.len() - 2];
                assert!(
                    !body.contains(&b'\r') && !body.contains(&b'\n'),
                    "{bytes:?}"
                );
                let word = String::from_utf8_lossy(body)
                    .split(' ')
                    .next()
                    .unwrap_or("")
                    .to_string();
                *seen.entry(word).or_insert(0) += 1;
            }
        }
        if c.is_finished() {
            break;
        }
    }
    seen
}
