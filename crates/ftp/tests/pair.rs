//! A client and a server session joined by a toy network: a fixed one-way
//! latency, connections that open in one and a half round trips and close
//! with FINs, no loss. It is not TCP (the simulator provides that); it is
//! enough to check that the two machines talk each other through whole
//! sessions and move files byte for byte, and to show the host side of the
//! interface in a page.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;

use netstep_ftp::ascii::LineEnding;
use netstep_ftp::client::{ClientAction, ClientConfig, ClientSession, TypedLine};
use netstep_ftp::codec::Verb;
use netstep_ftp::conn::{ConnectError, DataConnId, DataEvent, FtpEvent};
use netstep_ftp::server::{ServerAction, ServerConfig, ServerSession, User};
use netstep_ftp::vfs::{FileContent, Vfs, VfsPath};
use netstep_wire::{Duration, Instant};

const CLIENT: Ipv4Addr = Ipv4Addr::new(192, 168, 120, 168);
const SERVER: Ipv4Addr = Ipv4Addr::new(192, 168, 120, 240);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Side {
    Client,
    Server,
}

#[derive(Debug, Clone)]
enum Ev {
    ServerAccept,
    ClientConnected,
    ToServer(Vec<u8>),
    ToClient(Vec<u8>),
    ServerCtlClosed,
    ClientCtlClosed,
    Data(Side, DataConnId, DataEvent),
}

#[derive(Debug, Clone, Copy)]
struct Conn {
    a: (Side, DataConnId, SocketAddrV4),
    b: (Side, DataConnId, SocketAddrV4),
}

struct Net {
    now: Instant,
    latency: Duration,
    queue: BTreeMap<(Instant, u64), Ev>,
    seq: u64,
    client: ClientSession,
    server: Option<ServerSession>,
    server_config: Arc<ServerConfig>,
    vfs: Vfs,
    listeners: BTreeMap<u16, (Side, DataConnId)>,
    conns: Vec<Conn>,
    next_client_port: u16,
    next_server_ephemeral: u16,
    /// (time, side, what) for everything visible.
    log: Vec<(Instant, Side, String)>,
    transcript: Vec<String>,
    finished: bool,
}

impl Net {
    fn new(
        server_config: ServerConfig,
        vfs: Vfs,
        client_config: ClientConfig,
        script: Vec<TypedLine>,
    ) -> Self {
        let client = ClientSession::new(client_config, script, Instant::ZERO);
        let mut n = Net {
            now: Instant::ZERO,
            latency: Duration::from_micros(100),
            queue: BTreeMap::new(),
            seq: 0,
            client,
            server: None,
            server_config: Arc::new(server_config),
            vfs,
            listeners: BTreeMap::new(),
            conns: Vec::new(),
            next_client_port: 51300,
            next_server_ephemeral: 40000,
            log: Vec::new(),
            transcript: Vec::new(),
            finished: false,
        };
        n.drain();
        n
    }

    fn at(&mut self, delay: Duration, ev: Ev) {
        self.seq += 1;
        self.queue.insert((self.now + delay, self.seq), ev);
    }

    fn one_way(&self, k: u64) -> Duration {
        self.latency.saturating_mul(k)
    }

    fn addr(side: Side, port: u16) -> SocketAddrV4 {
        match side {
            Side::Client => SocketAddrV4::new(CLIENT, port),
            Side::Server => SocketAddrV4::new(SERVER, port),
        }
    }

    fn peer_of(&self, side: Side, id: DataConnId) -> Option<(Side, DataConnId, SocketAddrV4)> {
        self.conns.iter().find_map(|c| {
            if (c.a.0, c.a.1) == (side, id) {
                Some(c.b)
            } else if (c.b.0, c.b.1) == (side, id) {
                Some(c.a)
            } else {
                None
            }
        })
    }

    /// A connect from (side, id, from) to `to`: the acceptor learns of it
    /// after 1.5 round trips, the connector after one.
    fn connect(&mut self, side: Side, id: DataConnId, from: SocketAddrV4, to: SocketAddrV4) {
        match self.listeners.get(&to.port()).copied() {
            Some((lside, lid)) if lside != side => {
                self.listeners.remove(&to.port());
                self.conns.push(Conn {
                    a: (side, id, from),
                    b: (lside, lid, to),
                });
                self.at(
                    self.one_way(2),
                    Ev::Data(side, id, DataEvent::Connected { peer: to }),
                );
                self.at(
                    self.one_way(3),
                    Ev::Data(lside, lid, DataEvent::Connected { peer: from }),
                );
            }
            _ => self.at(
                self.one_way(2),
                Ev::Data(side, id, DataEvent::ConnectFailed(ConnectError::Refused)),
            ),
        }
    }

    fn data_action(&mut self, side: Side, id: DataConnId, what: &str, bytes: Option<Vec<u8>>) {
        match what {
            "send" => {
                if let Some((pside, pid, _)) = self.peer_of(side, id) {
                    self.at(
                        self.one_way(1),
                        Ev::Data(pside, pid, DataEvent::Received(bytes.unwrap_or_default())),
                    );
                    self.at(Duration::ZERO, Ev::Data(side, id, DataEvent::Writable));
                }
            }
            "close" | "abort" => {
                if self.listeners.iter().any(|(_, v)| *v == (side, id)) {
                    self.listeners.retain(|_, v| *v != (side, id));
                    return;
                }
                if let Some((pside, pid, _)) = self.peer_of(side, id) {
                    if what == "close" {
                        self.at(self.one_way(1), Ev::Data(pside, pid, DataEvent::PeerClosed));
                        self.at(self.one_way(2), Ev::Data(side, id, DataEvent::FinAcked));
                    } else {
                        self.at(self.one_way(1), Ev::Data(pside, pid, DataEvent::Reset));
                    }
                }
            }
            _ => unreachable!(),
        }
    }

    fn drain(&mut self) {
        for _ in 0..10_000 {
            let mut progressed = false;
            while let Some(a) = self.client.poll_action() {
                progressed = true;
                let side = Side::Client;
                match a {
                    ClientAction::ConnectControl { to } => {
                        assert_eq!(to, SocketAddrV4::new(SERVER, 21));
                        self.at(self.one_way(2), Ev::ClientConnected);
                        self.at(self.one_way(3), Ev::ServerAccept);
                    }
                    ClientAction::SendControl(b) => {
                        self.log.push((
                            self.now,
                            side,
                            String::from_utf8_lossy(&b).trim_end().to_string(),
                        ));
                        self.at(self.one_way(1), Ev::ToServer(b));
                    }
                    ClientAction::CloseControl => {
                        self.log.push((self.now, side, "FIN control".into()));
                        self.at(self.one_way(1), Ev::ServerCtlClosed);
                    }
                    ClientAction::ListenData { id } => {
                        let port = self.next_client_port;
                        self.next_client_port += 1;
                        self.listeners.insert(port, (side, id));
                        // The result of a system call: at once.
                        self.client
                            .handle_data_event(self.now, id, DataEvent::Listening { port });
                    }
                    ClientAction::ConnectData { id, to } => {
                        let from = Net::addr(side, self.next_client_port);
                        self.next_client_port += 1;
                        self.connect(side, id, from, to);
                    }
                    ClientAction::SendData { id, bytes } => {
                        self.data_action(side, id, "send", Some(bytes))
                    }
                    ClientAction::CloseData { id } => {
                        self.log.push((self.now, side, format!("FIN {id}")));
                        self.data_action(side, id, "close", None)
                    }
                    ClientAction::AbortData { id } => self.data_action(side, id, "abort", None),
                    ClientAction::Transcript(t) => self.transcript.push(t),
                    ClientAction::LocalFileWritten { .. } | ClientAction::Event(_) => {}
                    ClientAction::Finished => self.finished = true,
                }
            }
            if let Some(server) = self.server.as_mut() {
                let mut acts = Vec::new();
                while let Some(a) = server.poll_action() {
                    acts.push(a);
                }
                for a in acts {
                    progressed = true;
                    let side = Side::Server;
                    match a {
                        ServerAction::SendControl(b) => {
                            self.log.push((
                                self.now,
                                side,
                                String::from_utf8_lossy(&b).trim_end().to_string(),
                            ));
                            self.at(self.one_way(1), Ev::ToClient(b));
                        }
                        ServerAction::CloseControl => {
                            self.log.push((self.now, side, "FIN control".into()));
                            self.at(self.one_way(1), Ev::ClientCtlClosed);
                        }
                        ServerAction::ConnectData { id, from_port, to } => {
                            let port = from_port.unwrap_or_else(|| {
                                self.next_server_ephemeral += 1;
                                self.next_server_ephemeral
                            });
                            self.log.push((
                                self.now,
                                side,
                                format!("SYN {id} from {port} to {to}"),
                            ));
                            self.connect(side, id, Net::addr(side, port), to);
                        }
                        ServerAction::ListenData { id, ports } => {
                            let port =
                                (ports.0..=ports.1).find(|p| !self.listeners.contains_key(p));
                            let ev = match port {
                                Some(p) => {
                                    self.listeners.insert(p, (side, id));
                                    DataEvent::Listening { port: p }
                                }
                                None => DataEvent::ListenFailed,
                            };
                            self.at(Duration::ZERO, Ev::Data(side, id, ev));
                        }
                        ServerAction::SendData { id, bytes } => {
                            self.data_action(side, id, "send", Some(bytes))
                        }
                        ServerAction::CloseData { id } => {
                            self.log.push((self.now, side, format!("FIN {id}")));
                            self.data_action(side, id, "close", None)
                        }
                        ServerAction::AbortData { id } => self.data_action(side, id, "abort", None),
                        ServerAction::Event(FtpEvent::TransferCompleted {
                            verb, bytes, ..
                        }) => {
                            self.log
                                .push((self.now, side, format!("{verb} done {bytes}")));
                        }
                        ServerAction::Event(_) => {}
                    }
                }
            }
            if !progressed {
                return;
            }
        }
        panic!("actions never stopped");
    }

    fn step(&mut self) -> bool {
        let next_ev = self.queue.keys().next().map(|(t, _)| *t);
        let timers = [
            self.client.poll_timeout(),
            self.server.as_ref().and_then(ServerSession::poll_timeout),
        ];
        let next_timer = timers.iter().flatten().min().copied();
        match (next_ev, next_timer) {
            (Some(e), t) if t.is_none_or(|t| e <= t) => {
                let Some(((t, _), ev)) = self.queue.pop_first() else {
                    return false;
                };
                self.now = t;
                self.dispatch(ev);
            }
            (_, Some(t)) => {
                self.now = t;
                self.client.handle_timeout(t);
                if let Some(s) = self.server.as_mut() {
                    s.handle_timeout(t, &mut self.vfs);
                }
            }
            _ => return false,
        }
        self.drain();
        true
    }

    fn dispatch(&mut self, ev: Ev) {
        let now = self.now;
        match ev {
            Ev::ServerAccept => {
                self.server = Some(ServerSession::new(
                    self.server_config.clone(),
                    now,
                    SocketAddrV4::new(CLIENT, 51299),
                    SocketAddrV4::new(SERVER, 21),
                ));
            }
            Ev::ClientConnected => self.client.handle_control_connected(
                now,
                SocketAddrV4::new(CLIENT, 51299),
                SocketAddrV4::new(SERVER, 21),
            ),
            Ev::ToServer(b) => {
                if let Some(s) = self.server.as_mut() {
                    s.handle_control_data(now, &b, &mut self.vfs);
                }
            }
            Ev::ToClient(b) => self.client.handle_control_data(now, &b),
            Ev::ServerCtlClosed => {
                if let Some(s) = self.server.as_mut() {
                    s.handle_control_closed(now, &mut self.vfs);
                }
            }
            Ev::ClientCtlClosed => self.client.handle_control_closed(now),
            Ev::Data(Side::Client, id, ev) => self.client.handle_data_event(now, id, ev),
            Ev::Data(Side::Server, id, ev) => {
                if let Some(s) = self.server.as_mut() {
                    s.handle_data_event(now, id, ev, &mut self.vfs);
                }
            }
        }
    }

    fn run(&mut self) {
        for _ in 0..1_000_000 {
            if !self.step() {
                return;
            }
            if self.now > Instant::from_millis(600_000) {
                panic!("ran past 600 s");
            }
        }
        panic!("did not settle");
    }
}

fn server_config() -> ServerConfig {
    let mut delays = BTreeMap::new();
    delays.insert(Verb::User, Duration::from_millis(250));
    delays.insert(Verb::Pass, Duration::from_millis(400));
    delays.insert(Verb::Port, Duration::from_millis(300));
    ServerConfig {
        users: vec![User::new("student", "netstep")],
        delays,
        idle_timeout: None,
        ..ServerConfig::default()
    }
}

fn server_vfs() -> Vfs {
    let mut v = Vfs::new(1_222_300_800);
    v.insert_file(
        "/readme.txt",
        FileContent::bytes(b"Welcome to the netstep FTP server.\n".to_vec()),
        1_222_300_800,
    )
    .unwrap();
    v.insert_file(
        "/notes.txt",
        FileContent::bytes(b"Active mode: the server connects from port 20.\n".to_vec()),
        1_222_387_200,
    )
    .unwrap();
    v
}

fn client_config() -> ClientConfig {
    ClientConfig {
        connect_to: Some(SocketAddrV4::new(SERVER, 21)),
        ..ClientConfig::default()
    }
}

fn lines(l: &[&str]) -> Vec<TypedLine> {
    l.iter().map(|s| TypedLine::new(s)).collect()
}

#[test]
fn the_walkthrough_session_end_to_end() {
    let script = vec![
        TypedLine::after("student", Duration::from_secs(3)),
        TypedLine::after("netstep", Duration::from_millis(2500)),
        TypedLine::after("ls", Duration::from_secs(4)),
        TypedLine::after("pwd", Duration::from_secs(3)),
        TypedLine::after("quit", Duration::from_secs(2)),
    ];
    let mut net = Net::new(
        server_config(),
        server_vfs(),
        client_config(),
        script.clone(),
    );
    net.run();
    assert!(net.finished);
    assert!(net.server.as_ref().unwrap().is_ended());
    assert_eq!(
        net.transcript,
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
    // The order of things on the wire, the walkthrough's stages 12 to 32.
    let order: Vec<String> = net
        .log
        .iter()
        .map(|(_, side, what)| format!("{side:?}: {what}"))
        .collect();
    let from_port = order.iter().position(|l| l.contains("PORT 192")).unwrap();
    assert_eq!(
        order[from_port..],
        [
            "Client: PORT 192,168,120,168,200,100",
            "Server: 200 PORT command successful. Consider using PASV.",
            "Client: NLST",
            "Server: SYN data#1 from 20 to 192.168.120.168:51300",
            "Server: 150 Here comes the directory listing.",
            "Server: FIN data#1",
            "Server: NLST done 23",
            "Server: 226 Directory send OK.",
            "Client: FIN data#1",
            "Client: PWD",
            "Server: 257 \"/\"",
            "Client: QUIT",
            "Server: 221 Goodbye.",
            "Server: FIN control",
            "Client: FIN control",
        ]
    );
    // Timing: the 200 comes 300 ms after PORT; NLST 0.1 ms (arrival) + 1 ms
    // (the program's reaction) after the 200 left the server.
    let t = |what: &str| {
        net.log
            .iter()
            .find(|(_, _, w)| w.starts_with(what))
            .unwrap()
            .0
    };
    assert_eq!(
        t("200 PORT").saturating_since(t("PORT 192")),
        Duration::from_micros(300_100)
    );
    assert_eq!(
        t("NLST").saturating_since(t("200 PORT")),
        Duration::from_micros(1_100)
    );
    // 226 after the client's ACK of the data FIN (one round trip here).
    assert_eq!(
        t("226").saturating_since(t("FIN data#1")),
        Duration::from_micros(200)
    );
    // The client closes its data side 1 ms after reading the 226.
    let client_fin = net
        .log
        .iter()
        .find(|(_, s, w)| *s == Side::Client && w == "FIN data#1")
        .unwrap()
        .0;
    assert_eq!(
        client_fin.saturating_since(t("226")),
        Duration::from_micros(1_100)
    );

    // A run is a function of its inputs.
    let mut again = Net::new(server_config(), server_vfs(), client_config(), script);
    again.run();
    assert_eq!(again.log, net.log);
    assert_eq!(again.transcript, net.transcript);
}

#[test]
fn get_and_put_move_exact_bytes_in_both_types_and_modes() {
    let binary: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut vfs = server_vfs();
    vfs.insert_file("/pub/blob.bin", FileContent::bytes(binary.clone()), 0)
        .unwrap();
    vfs.insert_file("/pub/big.txt", FileContent::generated(150_000, 9), 0)
        .unwrap();
    let mut local = Vfs::default();
    local
        .insert_file("/mine.bin", FileContent::bytes(binary.clone()), 0)
        .unwrap();
    local
        .insert_file("/unix.txt", FileContent::bytes(b"l1\nl2\n".to_vec()), 0)
        .unwrap();
    let server = ServerConfig {
        data_chunk: 32 * 1024,
        ..server_config()
    };
    let client = ClientConfig {
        local_files: local,
        local_line_ending: LineEnding::Lf,
        data_chunk: 20_000,
        ..client_config()
    };
    let script = lines(&[
        "student",
        "netstep",
        "cd pub",
        "binary",
        "get blob.bin",
        "put mine.bin up.bin",
        "passive",
        "get blob.bin blob2.bin",
        "ascii",
        "get big.txt",
        "put unix.txt",
        "binary",
        "epsv",
        "put mine.bin up2.bin",
        "quit",
    ]);
    let mut net = Net::new(server, vfs, client, script);
    net.run();
    assert!(net.finished, "{:#?}", net.transcript);
    let local = net.client.local_files();
    let f = |v: &Vfs, p: &str| {
        v.file(&VfsPath::parse(p).unwrap())
            .unwrap()
            .read(0, 1 << 20)
    };
    assert_eq!(f(local, "/blob.bin"), binary);
    assert_eq!(f(local, "/blob2.bin"), binary);
    // ASCII: the server sent CRLF, this Unix-style client stored LF again.
    assert_eq!(
        f(local, "/big.txt"),
        FileContent::generated(150_000, 9).read(0, 1 << 20)
    );
    assert_eq!(f(&net.vfs, "/pub/up.bin"), binary);
    assert_eq!(f(&net.vfs, "/pub/up2.bin"), binary);
    assert_eq!(f(&net.vfs, "/pub/unix.txt"), b"l1\nl2\n");
    // Downloads arrive in one instant here; uploads wait for `Writable`
    // and the program's 1 ms reaction between pieces.
    assert!(net.transcript.contains(
        &"ftp: 300000 bytes received in 0.00Seconds 300000000.00Kbytes/sec.".to_string()
    ));
    assert!(
        net.transcript
            .contains(&"ftp: 300000 bytes sent in 0.01Seconds 21428.57Kbytes/sec.".to_string())
    );
    assert!(
        net.transcript
            .contains(&"ftp: 8 bytes sent in 0.00Seconds 8000.00Kbytes/sec.".to_string())
    );
    let pasv = net
        .log
        .iter()
        .filter(|(_, _, w)| w.starts_with("227 Entering Passive Mode"))
        .count();
    let epsv = net
        .log
        .iter()
        .filter(|(_, _, w)| w.starts_with("229 Entering Extended Passive Mode"))
        .count();
    assert_eq!((pasv, epsv), (3, 1));
}

#[test]
fn bad_input_from_a_person_and_a_session_that_goes_on() {
    let script = lines(&[
        "student",
        "netstep",
        "quote PORT 10,0,0,1,0,21",
        "quote RETR /../../etc/passwd",
        "get ../../../etc/passwd",
        "cd ../../..",
        "pwd",
        "quote HELO",
        "mkdir new",
        "rename readme.txt new/readme.txt",
        "ls new",
        "delete notes.txt",
        "quit",
    ]);
    let mut net = Net::new(server_config(), server_vfs(), client_config(), script);
    net.run();
    assert!(net.finished);
    let t = &net.transcript;
    for expected in [
        "500 Illegal PORT command.",
        "425 Use PORT or PASV first.",
        "550 Failed to open file.",
        "250 Directory successfully changed.",
        "257 \"/\"",
        "500 Unknown command.",
        "257 \"/new\" created",
        "250 Rename successful.",
        "new/readme.txt",
        "250 Delete operation successful.",
        "221 Goodbye.",
    ] {
        assert!(
            t.contains(&expected.to_string()),
            "missing {expected:?} in {t:#?}"
        );
    }
    assert!(
        net.vfs
            .get(&VfsPath::parse("/new/readme.txt").unwrap())
            .is_some()
    );
    assert!(
        net.vfs
            .get(&VfsPath::parse("/notes.txt").unwrap())
            .is_none()
    );
}
