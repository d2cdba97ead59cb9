//! Literal client exchanges, without TCP: typed lines and reply bytes in,
//! commands, connection requests and the printed transcript out.

use std::net::{Ipv4Addr, SocketAddrV4};

use netstep_ftp::ascii::LineEnding;
use netstep_ftp::client::{ClientAction, ClientConfig, ClientSession, LsCommand, TypedLine};
use netstep_ftp::codec::Verb;
use netstep_ftp::conn::{ConnectError, DataConnId, DataEvent, FtpEvent};
use netstep_ftp::vfs::{FileContent, Vfs, VfsPath};
use netstep_wire::{Duration, Instant};

const CLIENT: Ipv4Addr = Ipv4Addr::new(192, 168, 120, 168);
const SERVER: Ipv4Addr = Ipv4Addr::new(192, 168, 120, 240);

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

fn us(n: u64) -> Instant {
    Instant::from_micros(n)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum A {
    Connect(SocketAddrV4),
    Ctl(String),
    CloseCtl,
    Listen(u32),
    ConnectData(u32, SocketAddrV4),
    Data(u32, Vec<u8>),
    CloseData(u32),
    Abort(u32),
    Print(String),
    Wrote(String, Vec<u8>),
    Finished,
}

struct Harness {
    c: ClientSession,
    events: Vec<FtpEvent>,
    /// Every action with the time it came out.
    log: Vec<(Instant, A)>,
}

fn server_addr() -> SocketAddrV4 {
    SocketAddrV4::new(SERVER, 21)
}

fn seed_config() -> ClientConfig {
    ClientConfig {
        connect_to: Some(server_addr()),
        ..ClientConfig::default()
    }
}

impl Harness {
    fn new(config: ClientConfig, script: Vec<TypedLine>) -> Self {
        let c = ClientSession::new(config, script, ms(0));
        let mut h = Harness {
            c,
            events: Vec::new(),
            log: Vec::new(),
        };
        h.drain(ms(0));
        h
    }

    fn drain(&mut self, t: Instant) -> Vec<A> {
        let mut out = Vec::new();
        while let Some(a) = self.c.poll_action() {
            let a = match a {
                ClientAction::ConnectControl { to } => A::Connect(to),
                ClientAction::SendControl(b) => A::Ctl(String::from_utf8(b).unwrap()),
                ClientAction::CloseControl => A::CloseCtl,
                ClientAction::ListenData { id } => A::Listen(id.0),
                ClientAction::ConnectData { id, to } => A::ConnectData(id.0, to),
                ClientAction::SendData { id, bytes } => A::Data(id.0, bytes),
                ClientAction::CloseData { id } => A::CloseData(id.0),
                ClientAction::AbortData { id } => A::Abort(id.0),
                ClientAction::Transcript(s) => A::Print(s),
                ClientAction::LocalFileWritten { path, bytes } => A::Wrote(path, bytes),
                ClientAction::Finished => A::Finished,
                ClientAction::Event(e) => {
                    self.events.push(e);
                    continue;
                }
            };
            self.log.push((t, a.clone()));
            out.push(a);
        }
        out
    }

    /// Runs timers up to `t`; returns what came out.
    fn run_until(&mut self, t: Instant) -> Vec<A> {
        let mut out = Vec::new();
        for _ in 0..1000 {
            match self.c.poll_timeout() {
                Some(d) if d <= t => {
                    self.c.handle_timeout(d);
                    out.extend(self.drain(d));
                }
                _ => break,
            }
        }
        out
    }

    fn connected(&mut self, t: Instant) -> Vec<A> {
        self.c
            .handle_control_connected(t, SocketAddrV4::new(CLIENT, 51299), server_addr());
        self.drain(t)
    }

    fn reply(&mut self, t: Instant, text: &str) -> Vec<A> {
        self.c
            .handle_control_data(t, format!("{text}\r\n").as_bytes());
        self.drain(t)
    }

    fn data(&mut self, t: Instant, id: u32, ev: DataEvent) -> Vec<A> {
        self.c.handle_data_event(t, DataConnId(id), ev);
        self.drain(t)
    }

    fn transcript(&self) -> Vec<String> {
        self.log
            .iter()
            .filter_map(|(_, a)| match a {
                A::Print(s) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }

    fn sent_commands(&self) -> Vec<(Instant, String)> {
        self.log
            .iter()
            .filter_map(|(t, a)| match a {
                A::Ctl(s) => Some((*t, s.trim_end().to_string())),
                _ => None,
            })
            .collect()
    }

    /// Connect, greet, log in as student/netstep (typed with the default
    /// 2 s think time); returns a time by which the `ftp>` prompt is up.
    fn login(&mut self) -> Instant {
        let reaction = Duration::from_millis(1);
        let think = Duration::from_secs(2);
        self.connected(ms(1));
        self.reply(ms(1), "220 (vsFTPd 2.0.5)");
        let t = ms(1) + reaction + think;
        self.run_until(t);
        self.reply(t, "331 Please specify the password.");
        let t = t + reaction + think;
        self.run_until(t);
        self.reply(t, "230 Login successful.");
        self.run_until(t + reaction);
        assert!(self.c.is_logged_in());
        t + reaction
    }
}

fn ctl(s: &str) -> A {
    A::Ctl(format!("{s}\r\n"))
}

fn p(s: &str) -> A {
    A::Print(s.to_string())
}

fn walkthrough_script() -> Vec<TypedLine> {
    vec![
        TypedLine::after("student", Duration::from_secs(3)),
        TypedLine::after("netstep", Duration::from_millis(2500)),
        TypedLine::after("ls", Duration::from_secs(4)),
        TypedLine::after("pwd", Duration::from_secs(3)),
        TypedLine::after("quit", Duration::from_secs(2)),
    ]
}

#[test]
fn the_walkthrough_client_types_thinks_and_reacts_at_the_right_times() {
    let mut h = Harness::new(seed_config(), walkthrough_script());
    assert_eq!(h.log, vec![(ms(0), A::Connect(server_addr()))]);

    // The handshake completes at 0.3 ms; the program notices 1 ms later.
    assert_eq!(h.connected(us(300)), vec![]);
    assert_eq!(
        h.run_until(us(1300)),
        vec![p("Connected to 192.168.120.240.")]
    );
    // The greeting at 0.6 ms is read at 1.6 ms; the user prompt appears then.
    assert_eq!(h.reply(us(600), "220 (vsFTPd 2.0.5)"), vec![]);
    assert_eq!(h.run_until(us(1600)), vec![p("220 (vsFTPd 2.0.5)")]);
    // The user needs 3 s.
    assert_eq!(h.c.poll_timeout(), Some(us(3_001_600)));
    assert_eq!(
        h.run_until(us(3_001_600)),
        vec![
            p("User (192.168.120.240:(none)): student"),
            ctl("USER student")
        ]
    );
    h.reply(ms(3252), "331 Please specify the password.");
    assert_eq!(
        h.run_until(ms(3253)),
        vec![p("331 Please specify the password.")]
    );
    assert_eq!(
        h.run_until(ms(5753)),
        vec![p("Password:"), ctl("PASS netstep")]
    );
    h.reply(ms(6155), "230 Login successful.");
    assert_eq!(h.run_until(ms(6156)), vec![p("230 Login successful.")]);
    assert!(h.c.is_logged_in());

    // `ls` after 4 s: the program asks the host for a port first.
    assert_eq!(h.run_until(ms(10_156)), vec![p("ftp> ls"), A::Listen(1)]);
    // The host's allocator gives N+1; PORT goes out at once.
    assert_eq!(
        h.data(ms(10_156), 1, DataEvent::Listening { port: 51300 }),
        vec![ctl("PORT 192,168,120,168,200,100")]
    );
    assert!(h.events.contains(&FtpEvent::DataAddress {
        verb: Verb::Port,
        addr: SocketAddrV4::new(CLIENT, 51300),
        explanation: "192,168,120,168,200,100 = 192.168.120.168 port 200*256+100 = 51300".into(),
    }));
    // 200 arrives; NLST follows after only the program's reaction time.
    h.reply(
        ms(10_457),
        "200 PORT command successful. Consider using PASV.",
    );
    assert_eq!(
        h.run_until(ms(10_458)),
        vec![
            p("200 PORT command successful. Consider using PASV."),
            ctl("NLST")
        ]
    );
    // The server connects, says 150, sends, closes; then 226.
    h.data(
        ms(10_459),
        1,
        DataEvent::Connected {
            peer: SocketAddrV4::new(SERVER, 20),
        },
    );
    h.reply(ms(10_460), "150 Here comes the directory listing.");
    h.data(
        ms(10_460),
        1,
        DataEvent::Received(b"notes.txt\r\nreadme.txt\r\n".to_vec()),
    );
    h.data(ms(10_460), 1, DataEvent::PeerClosed);
    assert_eq!(
        h.run_until(ms(10_461)),
        vec![
            p("150 Here comes the directory listing."),
            p("notes.txt"),
            p("readme.txt")
        ]
    );
    // Only with both the data's end and the 226 does the client close its side.
    h.reply(ms(10_461), "226 Directory send OK.");
    assert_eq!(
        h.run_until(ms(10_462)),
        vec![
            p("226 Directory send OK."),
            A::CloseData(1),
            p("ftp: 23 bytes received in 0.00Seconds 23000.00Kbytes/sec."),
        ]
    );
    // pwd after 3 s, quit 2 s after the 257.
    assert_eq!(h.run_until(ms(13_462)), vec![p("ftp> pwd"), ctl("PWD")]);
    h.reply(ms(13_463), "257 \"/\"");
    assert_eq!(h.run_until(ms(13_464)), vec![p("257 \"/\"")]);
    assert_eq!(h.run_until(ms(15_464)), vec![p("ftp> quit"), ctl("QUIT")]);
    // 221 and the server's FIN arrive together; the program reads the 221
    // 1 ms later and only then closes: its TCP has ACKed the FIN before.
    h.reply(ms(15_465), "221 Goodbye.");
    h.c.handle_control_closed(ms(15_465));
    assert_eq!(h.drain(ms(15_465)), vec![]);
    assert_eq!(h.c.poll_timeout(), Some(ms(15_466)));
    assert_eq!(
        h.run_until(ms(15_466)),
        vec![p("221 Goodbye."), A::CloseCtl, A::Finished]
    );
    assert!(h.c.is_finished());
    assert_eq!(h.c.poll_timeout(), None);

    assert_eq!(
        h.transcript(),
        [
            "Connected to 192.168.120.240.",
            "220 (vsFTPd 2.0.5)",
            "User (192.168.120.240:(none)): student",
            "331 Please specify the password.",
            "Password:",
            "230 Login successful.",
            "ftp> ls",
            "200 PORT command successful. Consider using PASV.",
            "150 Here comes the directory listing.",
            "notes.txt",
            "readme.txt",
            "226 Directory send OK.",
            "ftp: 23 bytes received in 0.00Seconds 23000.00Kbytes/sec.",
            "ftp> pwd",
            "257 \"/\"",
            "ftp> quit",
            "221 Goodbye.",
        ]
    );
    assert!(h.events.contains(&FtpEvent::Typed {
        prompt: "Password:".into(),
        text: "netstep".into()
    }));
    // Typed commands go out a think time after their prompt; NLST goes out
    // 1 ms (the reaction) after the 200 arrived.
    assert_eq!(
        h.sent_commands(),
        [
            (us(3_001_600), "USER student".to_string()),
            (ms(5753), "PASS netstep".to_string()),
            (ms(10_156), "PORT 192,168,120,168,200,100".to_string()),
            (ms(10_458), "NLST".to_string()),
            (ms(13_462), "PWD".to_string()),
            (ms(15_464), "QUIT".to_string()),
        ]
    );
}

#[test]
fn two_transfers_ask_for_two_ports() {
    let script = vec![TypedLine::new("ls"), TypedLine::new("dir")];
    let mut h = Harness::new(
        seed_config(),
        [
            vec![TypedLine::new("student"), TypedLine::new("netstep")],
            script,
        ]
        .concat(),
    );
    let t = h.login();
    let t = t + Duration::from_secs(2);
    assert_eq!(h.run_until(t), vec![p("ftp> ls"), A::Listen(1)]);
    assert_eq!(
        h.data(t, 1, DataEvent::Listening { port: 51300 }),
        vec![ctl("PORT 192,168,120,168,200,100")]
    );
    h.reply(t, "200 PORT command successful. Consider using PASV.");
    h.run_until(t + Duration::from_millis(1));
    h.data(
        t,
        1,
        DataEvent::Connected {
            peer: SocketAddrV4::new(SERVER, 20),
        },
    );
    h.reply(t, "150 Here comes the directory listing.");
    h.data(t, 1, DataEvent::PeerClosed);
    h.reply(t, "226 Directory send OK.");
    let out = h.run_until(t + Duration::from_millis(1));
    assert!(out.contains(&A::CloseData(1)), "{out:?}");
    // `dir` sends LIST, on a new port (the host's next: N+2).
    let t = t + Duration::from_millis(1) + Duration::from_secs(2);
    assert_eq!(h.run_until(t), vec![p("ftp> dir"), A::Listen(2)]);
    assert_eq!(
        h.data(t, 2, DataEvent::Listening { port: 51301 }),
        vec![ctl("PORT 192,168,120,168,200,101")]
    );
    h.reply(t, "200 PORT command successful. Consider using PASV.");
    assert_eq!(
        h.run_until(t + Duration::from_millis(1)),
        vec![
            p("200 PORT command successful. Consider using PASV."),
            ctl("LIST")
        ]
    );
    // A late event from the first data connection changes nothing.
    assert_eq!(h.data(t, 1, DataEvent::Closed), vec![]);
}

#[test]
fn ls_can_send_list_like_netkit_ftp() {
    let config = ClientConfig {
        ls_sends: LsCommand::List,
        program_reaction: Duration::ZERO,
        ..seed_config()
    };
    let mut h = Harness::new(
        config,
        vec![
            TypedLine::new("student"),
            TypedLine::new("netstep"),
            TypedLine::new("ls pub"),
        ],
    );
    let t = h.login() + Duration::from_secs(2);
    h.run_until(t);
    h.data(t, 1, DataEvent::Listening { port: 40000 });
    assert_eq!(
        h.reply(t, "200 PORT command successful. Consider using PASV."),
        vec![
            p("200 PORT command successful. Consider using PASV."),
            ctl("LIST pub")
        ]
    );
}

#[test]
fn get_writes_the_local_file_byte_for_byte() {
    let mut h = Harness::new(
        seed_config(),
        vec![
            TypedLine::new("student"),
            TypedLine::new("netstep"),
            TypedLine::new("binary"),
            TypedLine::new("get data.bin copy.bin"),
        ],
    );
    let t = h.login() + Duration::from_secs(2);
    assert_eq!(h.run_until(t), vec![p("ftp> binary"), ctl("TYPE I")]);
    h.reply(t, "200 Switching to Binary mode.");
    let t = t + Duration::from_millis(1) + Duration::from_secs(2);
    assert_eq!(
        h.run_until(t),
        vec![
            p("200 Switching to Binary mode."),
            p("ftp> get data.bin copy.bin"),
            A::Listen(1)
        ]
    );
    h.data(t, 1, DataEvent::Listening { port: 40000 });
    h.reply(t, "200 PORT command successful. Consider using PASV.");
    assert_eq!(
        h.run_until(t + Duration::from_millis(1)).last(),
        Some(&ctl("RETR data.bin"))
    );
    let body: Vec<u8> = (0..3000u32).map(|i| (i % 256) as u8).collect();
    h.data(
        t,
        1,
        DataEvent::Connected {
            peer: SocketAddrV4::new(SERVER, 20),
        },
    );
    h.reply(
        t,
        "150 Opening BINARY mode data connection for data.bin (3000 bytes).",
    );
    for c in body.chunks(1460) {
        h.data(t, 1, DataEvent::Received(c.to_vec()));
    }
    h.data(t, 1, DataEvent::PeerClosed);
    h.reply(t, "226 File send OK.");
    let out = h.run_until(t + Duration::from_millis(5));
    assert_eq!(
        out,
        vec![
            p("150 Opening BINARY mode data connection for data.bin (3000 bytes)."),
            p("226 File send OK."),
            A::CloseData(1),
            A::Wrote("/copy.bin".into(), body.clone()),
            p("ftp: 3000 bytes received in 0.00Seconds 3000000.00Kbytes/sec."),
        ]
    );
    assert_eq!(
        h.c.local_files()
            .file(&VfsPath::parse("/copy.bin").unwrap())
            .unwrap()
            .read(0, 5000),
        body
    );
}

#[test]
fn an_ascii_get_on_a_unix_client_turns_crlf_into_lf() {
    let config = ClientConfig {
        local_line_ending: LineEnding::Lf,
        program_reaction: Duration::ZERO,
        ..seed_config()
    };
    let mut h = Harness::new(
        config,
        vec![
            TypedLine::new("student"),
            TypedLine::new("netstep"),
            TypedLine::new("get t.txt"),
        ],
    );
    let t = h.login() + Duration::from_secs(2);
    h.run_until(t);
    h.data(t, 1, DataEvent::Listening { port: 40000 });
    h.reply(t, "200 PORT command successful. Consider using PASV.");
    h.data(
        t,
        1,
        DataEvent::Connected {
            peer: SocketAddrV4::new(SERVER, 20),
        },
    );
    h.reply(
        t,
        "150 Opening ASCII mode data connection for t.txt (6 bytes).",
    );
    h.data(t, 1, DataEvent::Received(b"a\r\nb\r".to_vec()));
    h.data(t, 1, DataEvent::Received(b"\n".to_vec()));
    h.data(t, 1, DataEvent::PeerClosed);
    let out = h.reply(t, "226 File send OK.");
    assert!(
        out.contains(&A::Wrote("/t.txt".into(), b"a\nb\n".to_vec())),
        "{out:?}"
    );
}

#[test]
fn put_sends_the_local_file_then_closes_first() {
    let mut local = Vfs::default();
    let body: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    local
        .insert_file("/up.bin", FileContent::bytes(body.clone()), 0)
        .unwrap();
    let config = ClientConfig {
        local_files: local,
        program_reaction: Duration::ZERO,
        data_chunk: 65_536,
        ..seed_config()
    };
    let mut h = Harness::new(
        config,
        vec![
            TypedLine::new("student"),
            TypedLine::new("netstep"),
            TypedLine::new("put up.bin remote.bin"),
            TypedLine::new("put missing.bin"),
        ],
    );
    let t = h.login() + Duration::from_secs(2);
    assert_eq!(
        h.run_until(t),
        vec![p("ftp> put up.bin remote.bin"), A::Listen(1)]
    );
    h.data(t, 1, DataEvent::Listening { port: 40000 });
    assert_eq!(
        h.reply(t, "200 PORT command successful. Consider using PASV."),
        vec![
            p("200 PORT command successful. Consider using PASV."),
            ctl("STOR remote.bin")
        ]
    );
    // Connected first, nothing sent before the 150.
    assert_eq!(
        h.data(
            t,
            1,
            DataEvent::Connected {
                peer: SocketAddrV4::new(SERVER, 20)
            }
        ),
        vec![]
    );
    let out = h.reply(t, "150 Ok to send data.");
    assert_eq!(
        out,
        vec![
            p("150 Ok to send data."),
            A::Data(1, body[..65_536].to_vec())
        ]
    );
    // The clock runs from the 150 to the last piece handed to the socket.
    let t2 = t + Duration::from_millis(20);
    assert_eq!(
        h.data(t2, 1, DataEvent::Writable),
        vec![A::Data(1, body[65_536..].to_vec()), A::CloseData(1)]
    );
    // The server's FIN and 226 end it.
    assert_eq!(h.data(t2, 1, DataEvent::PeerClosed), vec![]);
    assert_eq!(
        h.reply(t2, "226 File receive OK."),
        vec![
            p("226 File receive OK."),
            p("ftp: 100000 bytes sent in 0.02Seconds 5000.00Kbytes/sec.")
        ]
    );
    let t3 = t2 + Duration::from_secs(2);
    assert_eq!(
        h.run_until(t3),
        vec![p("ftp> put missing.bin"), p("missing.bin: File not found")]
    );
}

#[test]
fn passive_mode_connects_to_the_227_address_and_epsv_to_the_229_port() {
    let config = ClientConfig {
        passive: true,
        program_reaction: Duration::ZERO,
        ..seed_config()
    };
    let mut h = Harness::new(
        config,
        vec![
            TypedLine::new("student"),
            TypedLine::new("netstep"),
            TypedLine::new("ls"),
            TypedLine::new("epsv"),
            TypedLine::new("dir"),
        ],
    );
    let t = h.login() + Duration::from_secs(2);
    assert_eq!(h.run_until(t), vec![p("ftp> ls"), ctl("PASV")]);
    let pasv_to = SocketAddrV4::new(SERVER, 50000);
    assert_eq!(
        h.reply(t, "227 Entering Passive Mode (192,168,120,240,195,80)."),
        vec![
            p("227 Entering Passive Mode (192,168,120,240,195,80)."),
            A::ConnectData(1, pasv_to)
        ]
    );
    assert_eq!(
        h.data(t, 1, DataEvent::Connected { peer: pasv_to }),
        vec![ctl("NLST")]
    );
    h.reply(t, "150 Here comes the directory listing.");
    h.data(t, 1, DataEvent::Received(b"a\r\n".to_vec()));
    h.data(t, 1, DataEvent::PeerClosed);
    let out = h.reply(t, "226 Directory send OK.");
    assert!(out.contains(&A::CloseData(1)));
    let t = t + Duration::from_secs(2);
    assert_eq!(
        h.run_until(t),
        vec![p("ftp> epsv"), p("EPSV/EPRT on IPv4 on.")]
    );
    let t = t + Duration::from_secs(2);
    assert_eq!(h.run_until(t), vec![p("ftp> dir"), ctl("EPSV")]);
    assert_eq!(
        h.reply(t, "229 Entering Extended Passive Mode (|||50001|)"),
        vec![
            p("229 Entering Extended Passive Mode (|||50001|)"),
            A::ConnectData(2, SocketAddrV4::new(SERVER, 50001))
        ]
    );
    // The connection fails: the transfer ends, the prompt returns.
    assert_eq!(
        h.data(t, 2, DataEvent::ConnectFailed(ConnectError::Refused)),
        vec![p("> ftp: connect :Connection refused")]
    );
}

#[test]
fn active_mode_with_eprt() {
    let config = ClientConfig {
        extended: true,
        program_reaction: Duration::ZERO,
        ..seed_config()
    };
    let mut h = Harness::new(
        config,
        vec![
            TypedLine::new("student"),
            TypedLine::new("netstep"),
            TypedLine::new("ls"),
        ],
    );
    let t = h.login() + Duration::from_secs(2);
    h.run_until(t);
    assert_eq!(
        h.data(t, 1, DataEvent::Listening { port: 51300 }),
        vec![ctl("EPRT |1|192.168.120.168|51300|")]
    );
    // A refused EPRT stops the listener and returns to the prompt.
    assert_eq!(
        h.reply(t, "500 Illegal EPRT command."),
        vec![p("500 Illegal EPRT command."), A::CloseData(1)]
    );
}

#[test]
fn a_failed_transfer_stops_the_listener() {
    let config = ClientConfig {
        program_reaction: Duration::ZERO,
        ..seed_config()
    };
    let mut h = Harness::new(
        config,
        vec![
            TypedLine::new("student"),
            TypedLine::new("netstep"),
            TypedLine::new("get nosuch"),
        ],
    );
    let t = h.login() + Duration::from_secs(2);
    h.run_until(t);
    h.data(t, 1, DataEvent::Listening { port: 40000 });
    h.reply(t, "200 PORT command successful. Consider using PASV.");
    assert_eq!(
        h.reply(t, "550 Failed to open file."),
        vec![p("550 Failed to open file."), A::CloseData(1)]
    );
    assert!(
        h.c.local_files()
            .get(&VfsPath::parse("/nosuch").unwrap())
            .is_none()
    );
}

#[test]
fn starting_at_the_ftp_prompt_with_open_and_local_commands() {
    let config = ClientConfig {
        program_reaction: Duration::ZERO,
        ..ClientConfig::default()
    };
    let mut h = Harness::new(
        config,
        vec![
            TypedLine::new("pwd"),
            TypedLine::new("frobnicate"),
            TypedLine::new("passive"),
            TypedLine::new("open 192.168.120.240"),
            TypedLine::new("student"),
            TypedLine::new("wrong"),
            TypedLine::new("user student netstep"),
            TypedLine::new("rename a b"),
            TypedLine::new("quote SITE HELP"),
            TypedLine::new("close"),
            TypedLine::new("bye"),
        ],
    );
    assert_eq!(
        h.run_until(ms(2000)),
        vec![p("ftp> pwd"), p("Not connected.")]
    );
    assert_eq!(
        h.run_until(ms(4000)),
        vec![p("ftp> frobnicate"), p("Invalid command.")]
    );
    assert_eq!(
        h.run_until(ms(6000)),
        vec![p("ftp> passive"), p("Passive mode on.")]
    );
    assert_eq!(
        h.run_until(ms(8000)),
        vec![p("ftp> open 192.168.120.240"), A::Connect(server_addr())]
    );
    h.connected(ms(8001));
    h.reply(ms(8002), "220 (vsFTPd 2.0.5)");
    assert_eq!(
        h.run_until(ms(10_002)),
        vec![
            p("User (192.168.120.240:(none)): student"),
            ctl("USER student")
        ]
    );
    h.reply(ms(10_003), "331 Please specify the password.");
    assert_eq!(
        h.run_until(ms(12_003)),
        vec![p("Password:"), ctl("PASS wrong")]
    );
    assert_eq!(
        h.reply(ms(12_004), "530 Login incorrect."),
        vec![p("530 Login incorrect."), p("Login failed.")]
    );
    assert!(h.events.contains(&FtpEvent::LoginFailed {
        user: "student".into()
    }));
    // `user` with the password on the line sends both by itself.
    assert_eq!(
        h.run_until(ms(14_004)),
        vec![p("ftp> user student netstep"), ctl("USER student")]
    );
    assert_eq!(
        h.reply(ms(14_005), "331 Please specify the password."),
        vec![p("331 Please specify the password."), ctl("PASS netstep")]
    );
    h.reply(ms(14_006), "230 Login successful.");
    assert_eq!(
        h.run_until(ms(16_006)),
        vec![p("ftp> rename a b"), ctl("RNFR a")]
    );
    assert_eq!(
        h.reply(ms(16_007), "350 Ready for RNTO."),
        vec![p("350 Ready for RNTO."), ctl("RNTO b")]
    );
    h.reply(ms(16_008), "250 Rename successful.");
    assert_eq!(
        h.run_until(ms(18_008)),
        vec![p("ftp> quote SITE HELP"), ctl("SITE HELP")]
    );
    h.reply(ms(18_009), "214 CHMOD UMASK HELP");
    assert_eq!(h.run_until(ms(20_009)), vec![p("ftp> close"), ctl("QUIT")]);
    assert_eq!(
        h.reply(ms(20_010), "221 Goodbye."),
        vec![p("221 Goodbye."), A::CloseCtl]
    );
    assert!(!h.c.is_finished());
    assert_eq!(h.run_until(ms(22_010)), vec![p("ftp> bye"), A::Finished]);
    assert!(h.c.is_finished());
}

#[test]
fn a_refused_connection_and_a_server_that_goes_away() {
    let config = ClientConfig {
        program_reaction: Duration::ZERO,
        ..seed_config()
    };
    let mut h = Harness::new(config.clone(), vec![TypedLine::new("quit")]);
    h.c.handle_control_connect_failed(ms(3000), ConnectError::TimedOut);
    assert_eq!(
        h.drain(ms(3000)),
        vec![p("> ftp: connect :Connection timed out")]
    );
    assert_eq!(h.run_until(ms(5000)), vec![p("ftp> quit"), A::Finished]);

    let mut h = Harness::new(
        config,
        vec![
            TypedLine::new("student"),
            TypedLine::new("netstep"),
            TypedLine::new("pwd"),
        ],
    );
    let t = h.login();
    let mut out = h.reply(t, "421 Timeout.");
    h.c.handle_control_closed(t);
    out.extend(h.drain(t));
    assert_eq!(
        out,
        vec![
            p("421 Timeout."),
            A::CloseCtl,
            p("Connection closed by remote host.")
        ]
    );
    assert_eq!(
        h.run_until(t + Duration::from_secs(2)),
        vec![p("ftp> pwd"), p("Not connected.")]
    );
    assert!(h.events.contains(&FtpEvent::ScriptEnded));
}

#[test]
fn replies_split_anywhere_and_multi_line_replies_are_read_whole() {
    let config = ClientConfig {
        program_reaction: Duration::ZERO,
        ..seed_config()
    };
    let mut h = Harness::new(config, vec![TypedLine::new("student")]);
    h.connected(ms(1));
    for piece in [
        &b"220-Welcome\r"[..],
        b"\n to the lab\r\n2",
        b"20 ready\r\n",
    ] {
        h.c.handle_control_data(ms(2), piece);
    }
    assert_eq!(
        h.drain(ms(2)),
        vec![p("220-Welcome"), p(" to the lab"), p("220 ready")]
    );
    assert_eq!(h.c.poll_timeout(), Some(ms(2002)));
}
