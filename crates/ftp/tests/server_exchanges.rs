//! Literal server exchanges, without TCP: command bytes in, actions out.
//!
//! Each test plays the host: it feeds control bytes and data-connection
//! events at chosen virtual times and checks the exact actions, in order.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;

use netstep_ftp::codec::Verb;
use netstep_ftp::conn::{ConnectError, DataConnId, DataEvent, FtpEvent};
use netstep_ftp::server::{DataPortSource, ServerAction, ServerConfig, ServerSession, User};
use netstep_ftp::vfs::{FileContent, Vfs, VfsPath};
use netstep_wire::{Duration, Instant};

const CLIENT: Ipv4Addr = Ipv4Addr::new(192, 168, 120, 168);
const SERVER: Ipv4Addr = Ipv4Addr::new(192, 168, 120, 240);

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

/// What the host sees, simplified for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
enum A {
    Ctl(String),
    CloseCtl,
    Connect(u32, Option<u16>, SocketAddrV4),
    Listen(u32, (u16, u16)),
    Data(u32, Vec<u8>),
    CloseData(u32),
    Abort(u32),
}

struct Harness {
    s: ServerSession,
    vfs: Vfs,
    events: Vec<FtpEvent>,
}

fn walkthrough_config() -> ServerConfig {
    let mut delays = BTreeMap::new();
    delays.insert(Verb::User, Duration::from_millis(250));
    delays.insert(Verb::Pass, Duration::from_millis(400));
    delays.insert(Verb::Port, Duration::from_millis(300));
    ServerConfig {
        users: vec![User::new("student", "netstep")],
        delays,
        ..ServerConfig::default()
    }
}

fn walkthrough_vfs() -> Vfs {
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

impl Harness {
    fn new(config: ServerConfig, vfs: Vfs) -> Self {
        let s = ServerSession::new(
            Arc::new(config),
            ms(0),
            SocketAddrV4::new(CLIENT, 51299),
            SocketAddrV4::new(SERVER, 21),
        );
        Harness {
            s,
            vfs,
            events: Vec::new(),
        }
    }

    fn drain(&mut self) -> Vec<A> {
        let mut out = Vec::new();
        while let Some(a) = self.s.poll_action() {
            out.push(match a {
                ServerAction::SendControl(b) => A::Ctl(String::from_utf8(b).unwrap()),
                ServerAction::CloseControl => A::CloseCtl,
                ServerAction::ConnectData { id, from_port, to } => A::Connect(id.0, from_port, to),
                ServerAction::ListenData { id, ports } => A::Listen(id.0, ports),
                ServerAction::SendData { id, bytes } => A::Data(id.0, bytes),
                ServerAction::CloseData { id } => A::CloseData(id.0),
                ServerAction::AbortData { id } => A::Abort(id.0),
                ServerAction::Event(e) => {
                    self.events.push(e);
                    continue;
                }
            });
        }
        out
    }

    fn cmd(&mut self, t: Instant, line: &str) -> Vec<A> {
        self.s
            .handle_control_data(t, format!("{line}\r\n").as_bytes(), &mut self.vfs);
        self.drain()
    }

    fn raw(&mut self, t: Instant, bytes: &[u8]) -> Vec<A> {
        self.s.handle_control_data(t, bytes, &mut self.vfs);
        self.drain()
    }

    fn data(&mut self, t: Instant, id: u32, ev: DataEvent) -> Vec<A> {
        self.s
            .handle_data_event(t, DataConnId(id), ev, &mut self.vfs);
        self.drain()
    }

    /// Runs timers up to `t` (inclusive).
    fn run_until(&mut self, t: Instant) -> Vec<A> {
        let mut out = Vec::new();
        for _ in 0..100 {
            match self.s.poll_timeout() {
                Some(d) if d <= t => {
                    self.s.handle_timeout(d, &mut self.vfs);
                    out.extend(self.drain());
                }
                _ => break,
            }
        }
        out
    }

    /// Sends a command at `t` and runs its delay out: the replies.
    fn exchange(&mut self, t: Instant, line: &str) -> Vec<A> {
        let mut out = self.cmd(t, line);
        out.extend(self.run_until(t + Duration::from_secs(10)));
        out
    }

    fn login(&mut self) {
        self.drain();
        assert_eq!(
            self.exchange(ms(0), "USER student"),
            vec![ctl("331 Please specify the password.")]
        );
        assert_eq!(
            self.exchange(ms(0), "PASS netstep"),
            vec![ctl("230 Login successful.")]
        );
    }
}

fn ctl(s: &str) -> A {
    A::Ctl(format!("{s}\r\n"))
}

fn client_port(p: u16) -> SocketAddrV4 {
    SocketAddrV4::new(CLIENT, p)
}

#[test]
fn the_walkthrough_session_gives_the_walkthrough_replies_at_the_walkthrough_times() {
    let mut h = Harness::new(walkthrough_config(), walkthrough_vfs());
    // Stage 2: the greeting at once.
    assert_eq!(h.drain(), vec![ctl("220 (vsFTPd 2.0.5)")]);

    // Stages 4-6: USER at 3 s, 331 after the 250 ms delay, not before.
    assert_eq!(h.cmd(ms(3000), "USER student"), vec![]);
    assert_eq!(h.s.poll_timeout(), Some(ms(3250)));
    assert_eq!(h.run_until(ms(3249)), vec![]);
    assert_eq!(
        h.run_until(ms(3250)),
        vec![ctl("331 Please specify the password.")]
    );

    // Stages 8-10: PASS, 400 ms.
    assert_eq!(h.cmd(ms(5800), "PASS netstep"), vec![]);
    assert_eq!(h.s.poll_timeout(), Some(ms(6200)));
    assert_eq!(h.run_until(ms(6200)), vec![ctl("230 Login successful.")]);

    // Stages 12-14: PORT, 300 ms.
    assert_eq!(h.cmd(ms(10_000), "PORT 192,168,120,168,200,100"), vec![]);
    assert_eq!(
        h.run_until(ms(10_300)),
        vec![ctl("200 PORT command successful. Consider using PASV.")]
    );
    assert!(h.events.contains(&FtpEvent::DataAddress {
        verb: Verb::Port,
        addr: client_port(51300),
        explanation: "192,168,120,168,200,100 = 192.168.120.168 port 200*256+100 = 51300".into(),
    }));

    // Stage 15-16: NLST (no delay): the server connects from port 20 at once.
    assert_eq!(
        h.cmd(ms(10_301), "NLST"),
        vec![A::Connect(1, Some(20), client_port(51300))]
    );
    // Stage 17-18: connected: 150, the listing, FIN. No 226 yet.
    assert_eq!(
        h.data(
            ms(10_302),
            1,
            DataEvent::Connected {
                peer: client_port(51300)
            }
        ),
        vec![
            ctl("150 Here comes the directory listing."),
            A::Data(1, b"notes.txt\r\nreadme.txt\r\n".to_vec()),
            A::CloseData(1),
        ]
    );
    assert_eq!(h.s.poll_timeout(), None);
    // Stage 19-20: the client ACKs the FIN; only then the 226.
    assert_eq!(
        h.data(ms(10_303), 1, DataEvent::FinAcked),
        vec![ctl("226 Directory send OK.")]
    );
    // The rest of the close is not the server's business any more.
    assert_eq!(h.data(ms(10_304), 1, DataEvent::PeerClosed), vec![]);
    assert_eq!(h.data(ms(10_305), 1, DataEvent::Closed), vec![]);

    // Stages 24-25: PWD answered at once.
    assert_eq!(h.cmd(ms(13_000), "PWD"), vec![ctl("257 \"/\"")]);
    // Stages 27-29: QUIT: 221 then the server closes.
    assert_eq!(
        h.cmd(ms(15_000), "QUIT"),
        vec![ctl("221 Goodbye."), A::CloseCtl]
    );
    assert!(h.s.is_ended());
    assert_eq!(h.s.poll_timeout(), None);

    let sent: Vec<String> = h
        .events
        .iter()
        .filter_map(|e| match e {
            FtpEvent::CommandReceived { line } => Some(line.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        sent,
        [
            "USER student",
            "PASS netstep",
            "PORT 192,168,120,168,200,100",
            "NLST",
            "PWD",
            "QUIT"
        ]
    );
    assert!(h.events.contains(&FtpEvent::TransferCompleted {
        id: DataConnId(1),
        verb: Verb::Nlst,
        bytes: 23
    }));
}

#[test]
fn a_server_that_answers_user_at_once_replies_in_the_same_call() {
    let mut cfg = walkthrough_config();
    cfg.delays.remove(&Verb::User);
    let mut h = Harness::new(cfg, walkthrough_vfs());
    h.drain();
    assert_eq!(
        h.cmd(ms(1000), "USER student"),
        vec![ctl("331 Please specify the password.")]
    );
}

#[test]
fn commands_split_across_segments_or_pipelined_are_answered_in_order() {
    let mut cfg = walkthrough_config();
    cfg.delays.clear();
    let mut h = Harness::new(cfg, walkthrough_vfs());
    h.drain();
    assert_eq!(h.raw(ms(1), b"US"), vec![]);
    assert_eq!(h.raw(ms(2), b"ER student\r"), vec![]);
    assert_eq!(
        h.raw(ms(3), b"\nPASS netstep\r\nPWD\r\nSYST\r\n"),
        vec![
            ctl("331 Please specify the password."),
            ctl("230 Login successful."),
            ctl("257 \"/\""),
            ctl("215 UNIX Type: L8"),
        ]
    );
}

#[test]
fn delays_queue_behind_each_other() {
    let mut cfg = walkthrough_config();
    cfg.delays.insert(Verb::Noop, Duration::from_millis(100));
    let mut h = Harness::new(cfg, walkthrough_vfs());
    h.login();
    // Two NOOPs in one segment: the second starts when the first is answered.
    assert_eq!(h.raw(ms(1000), b"NOOP\r\nNOOP\r\n"), vec![]);
    assert_eq!(h.s.poll_timeout(), Some(ms(1100)));
    assert_eq!(h.run_until(ms(1100)), vec![ctl("200 NOOP ok.")]);
    assert_eq!(h.s.poll_timeout(), Some(ms(1200)));
    assert_eq!(h.run_until(ms(1200)), vec![ctl("200 NOOP ok.")]);
}

#[test]
fn login_rules() {
    let mut h = Harness::new(walkthrough_config(), walkthrough_vfs());
    h.drain();
    assert_eq!(
        h.exchange(ms(0), "PASS x"),
        vec![ctl("503 Login with USER first.")]
    );
    assert_eq!(
        h.exchange(ms(0), "PWD"),
        vec![ctl("530 Please login with USER and PASS.")]
    );
    assert_eq!(
        h.exchange(ms(0), "BOGUS"),
        vec![ctl("530 Please login with USER and PASS.")]
    );
    assert_eq!(
        h.exchange(ms(0), "PORT 1,2,3"),
        vec![ctl("530 Please login with USER and PASS.")]
    );
    assert_eq!(
        h.exchange(ms(0), "USER student"),
        vec![ctl("331 Please specify the password.")]
    );
    assert_eq!(
        h.exchange(ms(0), "PASS wrong"),
        vec![ctl("530 Login incorrect.")]
    );
    assert!(h.events.contains(&FtpEvent::LoginFailed {
        user: "student".into()
    }));
    assert_eq!(
        h.exchange(ms(0), "USER nobody"),
        vec![ctl("331 Please specify the password.")]
    );
    assert_eq!(
        h.exchange(ms(0), "PASS netstep"),
        vec![ctl("530 Login incorrect.")]
    );
    // The third failure ends the session (vsftpd's max_login_fails = 3).
    assert_eq!(
        h.exchange(ms(0), "USER student"),
        vec![ctl("331 Please specify the password.")]
    );
    assert_eq!(
        h.exchange(ms(0), "PASS nope"),
        vec![ctl("530 Login incorrect."), A::CloseCtl]
    );
    assert!(h.s.is_ended());
    assert_eq!(h.exchange(ms(0), "USER student"), vec![]);
}

#[test]
fn anonymous_login_and_its_limits() {
    let mut cfg = ServerConfig {
        anonymous: true,
        ..ServerConfig::default()
    };
    cfg.users.clear();
    let mut h = Harness::new(cfg, walkthrough_vfs());
    h.drain();
    assert_eq!(
        h.exchange(ms(0), "USER anonymous"),
        vec![ctl("331 Please specify the password.")]
    );
    assert_eq!(
        h.exchange(ms(0), "PASS guest@example.com"),
        vec![ctl("230 Login successful.")]
    );
    assert_eq!(
        h.exchange(ms(0), "MKD new"),
        vec![ctl("550 Create directory operation failed.")]
    );
    assert_eq!(
        h.exchange(ms(0), "DELE readme.txt"),
        vec![ctl("550 Delete operation failed.")]
    );
    assert_eq!(
        h.exchange(ms(0), "PORT 192,168,120,168,4,1"),
        vec![ctl("200 PORT command successful. Consider using PASV.")]
    );
    assert_eq!(
        h.exchange(ms(0), "STOR x"),
        vec![ctl("550 Permission denied.")]
    );
    assert_eq!(
        h.exchange(ms(0), "USER other"),
        vec![ctl("530 Can't change to another user.")]
    );
    assert_eq!(
        h.exchange(ms(0), "PASS again"),
        vec![ctl("230 Already logged in.")]
    );
}

#[test]
fn error_replies_follow_rfc_959_4_2_and_the_session_goes_on() {
    let mut h = Harness::new(walkthrough_config(), walkthrough_vfs());
    h.login();
    for (line, reply) in [
        ("HELO", "500 Unknown command."),
        ("", "500 Unknown command."),
        ("RETR", "501 Syntax error in parameters or arguments."),
        ("REST abc", "501 Syntax error in parameters or arguments."),
        ("TYPE X", "504 Unrecognised TYPE command."),
        ("TYPE E", "504 Unrecognised TYPE command."),
        ("MODE B", "504 Bad MODE command."),
        ("MODE Q", "504 Bad MODE command."),
        ("STRU R", "504 Bad STRU command."),
        ("SMNT /x", "502 SMNT not implemented."),
        ("REIN", "502 REIN not implemented."),
        ("PORT 1,2,3,4,5", "500 Illegal PORT command."),
        ("PORT 192,168,120,168,300,1", "500 Illegal PORT command."),
        ("EPRT |3|x|1|", "522 Bad network protocol."),
        ("EPRT |2|::1|5000|", "522 Bad network protocol."),
        ("EPRT nonsense", "500 Bad EPRT command."),
        ("RETR nosuch.txt", "425 Use PORT or PASV first."),
        ("NLST", "425 Use PORT or PASV first."),
        ("CWD nosuch", "550 Failed to change directory."),
        ("CWD readme.txt", "550 Failed to change directory."),
        ("SIZE nosuch", "550 Could not get file size."),
        ("MDTM nosuch", "550 Could not get file modification time."),
        ("RNTO x", "503 RNFR required first."),
        ("RNFR nosuch", "550 RNFR command failed."),
        ("RMD nosuch", "550 Remove directory operation failed."),
        ("DELE nosuch", "550 Delete operation failed."),
        ("ABOR", "225 No transfer to ABOR."),
        ("OPTS FOO", "501 Option not understood."),
        ("SITE FOO", "500 Unknown SITE command."),
    ] {
        assert_eq!(h.exchange(ms(0), line), vec![ctl(reply)], "{line}");
    }
    // Bytes that are not text, a NUL in a name, and a Telnet negotiation
    // (IAC DONT 0) that disappears before the line is read.
    assert_eq!(
        h.raw(ms(0), b"RETR \xc3\x28\r\n"),
        vec![ctl("501 Invalid characters in command.")]
    );
    assert_eq!(
        h.raw(ms(0), b"RETR a\x00b\r\n"),
        vec![ctl("501 Invalid characters in command.")]
    );
    assert_eq!(
        h.raw(ms(0), b"\xff\xfe\x00garbage\r\n"),
        vec![ctl("500 Unknown command.")]
    );
    assert_eq!(h.exchange(ms(0), "NOOP"), vec![ctl("200 NOOP ok.")]);
}

#[test]
fn an_overlong_line_gets_a_500_and_the_next_command_works() {
    let mut h = Harness::new(walkthrough_config(), walkthrough_vfs());
    h.login();
    let long = format!("RETR {}\r\nNOOP\r\n", "a".repeat(10_000));
    assert_eq!(
        h.raw(ms(0), long.as_bytes()),
        vec![ctl("500 Command line too long."), ctl("200 NOOP ok.")]
    );
}

#[test]
fn port_naming_another_host_is_refused_unless_bounce_is_allowed() {
    let mut h = Harness::new(walkthrough_config(), walkthrough_vfs());
    h.login();
    // FTP bounce (RFC 2577): a PORT naming a third host, or a privileged port.
    assert_eq!(
        h.exchange(ms(0), "PORT 10,0,0,7,0,25"),
        vec![ctl("500 Illegal PORT command.")]
    );
    assert_eq!(
        h.exchange(ms(0), "PORT 192,168,120,168,0,25"),
        vec![ctl("500 Illegal PORT command.")]
    );
    assert_eq!(
        h.exchange(ms(0), "EPRT |1|10.0.0.7|6000|"),
        vec![ctl("500 Illegal EPRT command.")]
    );
    assert_eq!(
        h.exchange(ms(0), "NLST"),
        vec![ctl("425 Use PORT or PASV first.")]
    );

    let mut cfg = walkthrough_config();
    cfg.allow_foreign_port = true;
    cfg.delays.clear();
    let mut h = Harness::new(cfg, walkthrough_vfs());
    h.login();
    assert_eq!(
        h.exchange(ms(0), "PORT 10,0,0,7,0,25"),
        vec![ctl("200 PORT command successful. Consider using PASV.")]
    );
    assert_eq!(
        h.exchange(ms(0), "NLST"),
        vec![A::Connect(
            1,
            Some(20),
            SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 7), 25)
        )]
    );
}

#[test]
fn path_escapes_stay_inside_the_vfs() {
    let mut v = walkthrough_vfs();
    v.create_dir_all("/pub/deep", 0).unwrap();
    let mut h = Harness::new(walkthrough_config(), v);
    h.login();
    assert_eq!(
        h.exchange(ms(0), "CWD pub/deep"),
        vec![ctl("250 Directory successfully changed.")]
    );
    assert_eq!(
        h.exchange(ms(0), "CWD ../../../../.."),
        vec![ctl("250 Directory successfully changed.")]
    );
    assert_eq!(h.exchange(ms(0), "PWD"), vec![ctl("257 \"/\"")]);
    assert_eq!(
        h.exchange(ms(0), "CWD /etc"),
        vec![ctl("550 Failed to change directory.")]
    );
    assert_eq!(
        h.exchange(ms(0), "SIZE ../../etc/passwd"),
        vec![ctl("550 Could not get file size.")]
    );
    assert_eq!(
        h.exchange(ms(0), "SIZE ../../readme.txt"),
        vec![ctl("213 36")]
    );
    assert_eq!(
        h.exchange(ms(0), "MKD ../../../x"),
        vec![ctl("257 \"/x\" created")]
    );
    assert_eq!(
        h.exchange(ms(0), "RMD .."),
        vec![ctl("550 Remove directory operation failed.")]
    );
    assert_eq!(
        h.exchange(ms(0), "RNFR /"),
        vec![ctl("550 RNFR command failed.")]
    );
    assert_eq!(
        h.exchange(ms(0), "RNFR /pub"),
        vec![ctl("350 Ready for RNTO.")]
    );
    assert_eq!(
        h.exchange(ms(0), "RNTO /pub/deep/pub"),
        vec![ctl("550 Rename failed.")]
    );
    assert!(h.vfs.get(&VfsPath::parse("/x").unwrap()).is_some());
    assert!(h.vfs.get(&VfsPath::parse("/pub/deep").unwrap()).is_some());
}

#[test]
fn directory_and_file_commands_change_the_vfs() {
    let mut h = Harness::new(walkthrough_config(), walkthrough_vfs());
    h.login();
    assert_eq!(
        h.exchange(ms(0), "MKD docs"),
        vec![ctl("257 \"/docs\" created")]
    );
    assert_eq!(
        h.exchange(ms(0), "MKD docs"),
        vec![ctl("550 Create directory operation failed.")]
    );
    assert_eq!(
        h.exchange(ms(0), "XCWD docs"),
        vec![ctl("250 Directory successfully changed.")]
    );
    assert_eq!(h.exchange(ms(0), "XPWD"), vec![ctl("257 \"/docs\"")]);
    assert_eq!(
        h.exchange(ms(0), "CDUP"),
        vec![ctl("250 Directory successfully changed.")]
    );
    assert_eq!(
        h.exchange(ms(0), "RNFR readme.txt"),
        vec![ctl("350 Ready for RNTO.")]
    );
    assert_eq!(
        h.exchange(ms(0), "RNTO docs/read.me"),
        vec![ctl("250 Rename successful.")]
    );
    assert_eq!(
        h.exchange(ms(0), "RNFR notes.txt"),
        vec![ctl("350 Ready for RNTO.")]
    );
    // RFC 959 4.1.3: RNTO must follow RNFR at once.
    assert_eq!(h.exchange(ms(0), "NOOP"), vec![ctl("200 NOOP ok.")]);
    assert_eq!(
        h.exchange(ms(0), "RNTO x"),
        vec![ctl("503 RNFR required first.")]
    );
    assert_eq!(
        h.exchange(ms(0), "RMD docs"),
        vec![ctl("550 Remove directory operation failed.")]
    );
    assert_eq!(
        h.exchange(ms(0), "DELE docs/read.me"),
        vec![ctl("250 Delete operation successful.")]
    );
    assert_eq!(
        h.exchange(ms(0), "RMD docs"),
        vec![ctl("250 Remove directory operation successful.")]
    );
    assert_eq!(
        h.exchange(ms(0), "MDTM notes.txt"),
        vec![ctl("213 20080926000000")]
    );
    // RFC 3659 4: SIZE is the size in the current TYPE (one CR added per LF in ASCII).
    assert_eq!(h.exchange(ms(0), "SIZE notes.txt"), vec![ctl("213 48")]);
    assert_eq!(
        h.exchange(ms(0), "TYPE I"),
        vec![ctl("200 Switching to Binary mode.")]
    );
    assert_eq!(h.exchange(ms(0), "SIZE notes.txt"), vec![ctl("213 47")]);
    assert_eq!(
        h.exchange(ms(0), "TYPE L 8"),
        vec![ctl("200 Switching to Binary mode.")]
    );
    assert_eq!(
        h.exchange(ms(0), "TYPE a"),
        vec![ctl("200 Switching to ASCII mode.")]
    );
    assert_eq!(h.exchange(ms(0), "MODE S"), vec![ctl("200 Mode set to S.")]);
    assert_eq!(
        h.exchange(ms(0), "STRU F"),
        vec![ctl("200 Structure set to F.")]
    );
    assert_eq!(
        h.exchange(ms(0), "REST 100"),
        vec![ctl("350 Restart position accepted (100).")]
    );
    assert_eq!(
        h.exchange(ms(0), "ALLO 100"),
        vec![ctl("202 ALLO command ignored.")]
    );
    assert_eq!(
        h.exchange(ms(0), "ACCT x"),
        vec![ctl("202 ACCT command superfluous.")]
    );
    assert_eq!(
        h.exchange(ms(0), "OPTS UTF8 ON"),
        vec![ctl("200 Always in UTF8 mode.")]
    );
    assert_eq!(
        h.exchange(ms(0), "SITE CHMOD 600 notes.txt"),
        vec![ctl("200 SITE CHMOD command ok.")]
    );
    assert_eq!(
        h.vfs
            .get(&VfsPath::parse("/notes.txt").unwrap())
            .unwrap()
            .mode,
        0o600
    );
    assert_eq!(
        h.exchange(ms(0), "SITE UMASK 077"),
        vec![ctl("200 UMASK set to 0077")]
    );
    assert_eq!(
        h.exchange(ms(0), "MLST notes.txt"),
        vec![A::Ctl(
            "250-Listing notes.txt\r\n type=file;size=47;modify=20080926000000;perm=adfwr; /notes.txt\r\n250 End\r\n".into()
        )]
    );
}

#[test]
fn multi_line_replies_for_feat_help_stat() {
    let mut h = Harness::new(walkthrough_config(), walkthrough_vfs());
    h.drain();
    // FEAT works before login (RFC 2389 3).
    assert_eq!(
        h.exchange(ms(0), "FEAT"),
        vec![A::Ctl(
            "211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n MLST type*;size*;modify*;perm*;\r\n PASV\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n211 End\r\n"
                .into()
        )]
    );
    h.login();
    let help = h.exchange(ms(0), "HELP");
    let A::Ctl(help) = &help[0] else { panic!() };
    assert!(help.starts_with("214-The following commands are recognized.\r\n"));
    assert!(help.ends_with("\r\n214 Help OK.\r\n"));
    let stat = h.exchange(ms(0), "STAT");
    let A::Ctl(stat) = &stat[0] else { panic!() };
    assert!(stat.starts_with("211-FTP server status:\r\n"));
    assert!(stat.contains("Logged in as student"));
    assert!(stat.ends_with("211 End of status\r\n"));
    let stat = h.exchange(ms(0), "STAT /");
    let A::Ctl(stat) = &stat[0] else { panic!() };
    assert!(stat.starts_with("213-Status follows:\r\n-rw-r--r--    1 ftp      ftp            47 Sep 26 00:00 notes.txt\r\n"), "{stat}");
}

fn active_transfer(h: &mut Harness, cmd: &str, port: u16) -> Vec<A> {
    let (p1, p2) = (port >> 8, port & 0xff);
    assert_eq!(
        h.exchange(ms(0), &format!("PORT 192,168,120,168,{p1},{p2}")),
        vec![ctl("200 PORT command successful. Consider using PASV.")]
    );
    let mut out = h.exchange(ms(0), cmd);
    if let Some(A::Connect(id, ..)) = out.first().cloned() {
        out.extend(h.data(
            ms(0),
            id,
            DataEvent::Connected {
                peer: client_port(port),
            },
        ));
    }
    out
}

#[test]
fn retr_sends_the_exact_bytes_and_waits_for_the_fin_ack() {
    let mut v = walkthrough_vfs();
    let payload: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    v.insert_file("/bin.dat", FileContent::bytes(payload.clone()), 0)
        .unwrap();
    let mut h = Harness::new(walkthrough_config(), v);
    h.login();
    h.exchange(ms(0), "TYPE I");
    assert_eq!(
        active_transfer(&mut h, "RETR bin.dat", 50001),
        vec![
            A::Connect(1, Some(20), client_port(50001)),
            ctl("150 Opening BINARY mode data connection for bin.dat (1000 bytes)."),
            A::Data(1, payload),
            A::CloseData(1),
        ]
    );
    assert_eq!(
        h.data(ms(1), 1, DataEvent::FinAcked),
        vec![ctl("226 File send OK.")]
    );
    // A second transfer needs a new PORT and gets a new id.
    assert_eq!(
        h.exchange(ms(2), "RETR bin.dat"),
        vec![ctl("425 Use PORT or PASV first.")]
    );
    let second = active_transfer(&mut h, "RETR nosuch", 50002);
    assert_eq!(second, vec![ctl("550 Failed to open file.")]);
    let third = active_transfer(&mut h, "NLST", 50003);
    assert_eq!(third[0], A::Connect(2, Some(20), client_port(50003)));
}

#[test]
fn type_a_retr_turns_lf_into_crlf() {
    let mut v = walkthrough_vfs();
    v.insert_file("/t.txt", FileContent::bytes(b"a\nb\r\nc\n".to_vec()), 0)
        .unwrap();
    let mut h = Harness::new(walkthrough_config(), v);
    h.login();
    let out = active_transfer(&mut h, "RETR t.txt", 50001);
    assert_eq!(
        out[1],
        ctl("150 Opening ASCII mode data connection for t.txt (7 bytes).")
    );
    assert_eq!(out[2], A::Data(1, b"a\r\nb\r\nc\r\n".to_vec()));
    assert_eq!(
        h.data(ms(1), 1, DataEvent::FinAcked),
        vec![ctl("226 File send OK.")]
    );
    assert_eq!(
        h.exchange(ms(0), "REST 3"),
        vec![ctl("350 Restart position accepted (3).")]
    );
    assert_eq!(
        active_transfer(&mut h, "RETR t.txt", 50002),
        vec![ctl("550 No support for resume of ASCII transfer.")]
    );
}

#[test]
fn stor_receives_the_upload_and_the_client_closes_first() {
    let mut h = Harness::new(walkthrough_config(), walkthrough_vfs());
    h.login();
    h.exchange(ms(0), "TYPE I");
    assert_eq!(
        active_transfer(&mut h, "STOR up.bin", 50001),
        vec![
            A::Connect(1, Some(20), client_port(50001)),
            ctl("150 Ok to send data.")
        ]
    );
    let body: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
    for chunk in body.chunks(1460) {
        assert_eq!(
            h.data(ms(1), 1, DataEvent::Received(chunk.to_vec())),
            vec![]
        );
    }
    // The client's FIN ends the file; the server stores it and closes.
    assert_eq!(
        h.data(ms(2), 1, DataEvent::PeerClosed),
        vec![A::CloseData(1)]
    );
    assert_eq!(
        h.data(ms(3), 1, DataEvent::FinAcked),
        vec![ctl("226 File receive OK.")]
    );
    let stored = h.vfs.file(&VfsPath::parse("/up.bin").unwrap()).unwrap();
    assert_eq!(stored.read(0, 10_000), body);
    let node = h.vfs.get(&VfsPath::parse("/up.bin").unwrap()).unwrap();
    assert_eq!(node.mode, 0o644);
    assert_eq!(node.mtime, 1_225_188_000);

    // APPE adds; STOU picks a fresh name.
    active_transfer(&mut h, "APPE up.bin", 50002);
    h.data(ms(4), 2, DataEvent::Received(b"tail".to_vec()));
    h.data(ms(4), 2, DataEvent::PeerClosed);
    assert_eq!(
        h.data(ms(4), 2, DataEvent::FinAcked),
        vec![ctl("226 File receive OK.")]
    );
    assert_eq!(
        h.vfs
            .file(&VfsPath::parse("/up.bin").unwrap())
            .unwrap()
            .len(),
        5004
    );
    let out = active_transfer(&mut h, "STOU up.bin", 50003);
    assert_eq!(out[1], ctl("150 FILE: up.bin.1"));
    h.data(ms(5), 3, DataEvent::PeerClosed);
    assert_eq!(
        h.data(ms(5), 3, DataEvent::FinAcked),
        vec![ctl("226 Transfer complete.")]
    );
    assert!(h.vfs.get(&VfsPath::parse("/up.bin.1").unwrap()).is_some());
    // Cannot store over a directory or into a missing one.
    h.exchange(ms(6), "MKD d");
    assert_eq!(
        active_transfer(&mut h, "STOR d", 50004),
        vec![ctl("553 Could not create file.")]
    );
    assert_eq!(
        active_transfer(&mut h, "STOR nodir/x", 50005),
        vec![ctl("553 Could not create file.")]
    );
}

#[test]
fn type_a_stor_turns_crlf_into_lf_even_across_segments() {
    let mut h = Harness::new(walkthrough_config(), walkthrough_vfs());
    h.login();
    active_transfer(&mut h, "STOR t.txt", 50001);
    h.data(ms(1), 1, DataEvent::Received(b"one\r".to_vec()));
    h.data(ms(1), 1, DataEvent::Received(b"\ntwo\r\n".to_vec()));
    h.data(ms(2), 1, DataEvent::PeerClosed);
    h.data(ms(3), 1, DataEvent::FinAcked);
    assert_eq!(
        h.vfs
            .file(&VfsPath::parse("/t.txt").unwrap())
            .unwrap()
            .read(0, 100),
        b"one\ntwo\n"
    );
}

#[test]
fn a_failed_active_connection_gives_425() {
    let mut h = Harness::new(walkthrough_config(), walkthrough_vfs());
    h.login();
    h.exchange(ms(0), "PORT 192,168,120,168,200,100");
    assert_eq!(
        h.exchange(ms(0), "NLST"),
        vec![A::Connect(1, Some(20), client_port(51300))]
    );
    assert_eq!(
        h.data(ms(3000), 1, DataEvent::ConnectFailed(ConnectError::Refused)),
        vec![ctl("425 Failed to establish connection.")]
    );
    assert_eq!(h.exchange(ms(3001), "NOOP"), vec![ctl("200 NOOP ok.")]);
}

#[test]
fn the_data_port_can_be_ephemeral() {
    let mut cfg = walkthrough_config();
    cfg.data_port = DataPortSource::Ephemeral;
    let mut h = Harness::new(cfg, walkthrough_vfs());
    h.login();
    h.exchange(ms(0), "PORT 192,168,120,168,200,100");
    assert_eq!(
        h.exchange(ms(0), "LIST"),
        vec![A::Connect(1, None, client_port(51300))]
    );
}

#[test]
fn passive_mode_listens_then_replies_227_and_sends_on_accept() {
    let mut h = Harness::new(walkthrough_config(), walkthrough_vfs());
    h.login();
    assert_eq!(
        h.exchange(ms(0), "PASV"),
        vec![A::Listen(1, (50000, 50100))]
    );
    assert_eq!(
        h.data(ms(0), 1, DataEvent::Listening { port: 50000 }),
        vec![ctl("227 Entering Passive Mode (192,168,120,240,195,80).")]
    );
    // The client connects before it sends the command.
    assert_eq!(
        h.data(
            ms(1),
            1,
            DataEvent::Connected {
                peer: client_port(40000)
            }
        ),
        vec![]
    );
    assert_eq!(
        h.exchange(ms(2), "NLST"),
        vec![
            ctl("150 Here comes the directory listing."),
            A::Data(1, b"notes.txt\r\nreadme.txt\r\n".to_vec()),
            A::CloseData(1),
        ]
    );
    assert_eq!(
        h.data(ms(3), 1, DataEvent::FinAcked),
        vec![ctl("226 Directory send OK.")]
    );

    // EPSV, and a command that comes before the connection.
    assert_eq!(
        h.exchange(ms(4), "EPSV"),
        vec![A::Listen(2, (50000, 50100))]
    );
    assert_eq!(
        h.data(ms(4), 2, DataEvent::Listening { port: 50001 }),
        vec![ctl("229 Entering Extended Passive Mode (|||50001|)")]
    );
    assert_eq!(h.exchange(ms(5), "RETR readme.txt"), vec![]);
    assert_eq!(h.s.poll_timeout(), Some(ms(5) + Duration::from_secs(60)));
    let out = h.data(
        ms(6),
        2,
        DataEvent::Connected {
            peer: client_port(40001),
        },
    );
    assert_eq!(
        out[0],
        ctl("150 Opening ASCII mode data connection for readme.txt (35 bytes).")
    );

    // A connection from a stranger is refused at the transfer.
    h.data(ms(7), 2, DataEvent::FinAcked);
    h.exchange(ms(8), "PASV");
    h.data(ms(8), 3, DataEvent::Listening { port: 50002 });
    assert_eq!(
        h.data(
            ms(9),
            3,
            DataEvent::Connected {
                peer: SocketAddrV4::new(Ipv4Addr::new(6, 6, 6, 6), 1)
            }
        ),
        vec![A::Abort(3)]
    );
    assert_eq!(
        h.exchange(ms(10), "NLST"),
        vec![ctl("425 Security: Bad IP connecting.")]
    );

    // Nobody connects: 425 after the accept timeout.
    h.exchange(ms(11), "PASV");
    h.data(ms(11), 4, DataEvent::Listening { port: 50003 });
    assert_eq!(h.exchange(ms(12), "LIST"), vec![]);
    assert_eq!(
        h.run_until(ms(12) + Duration::from_secs(60)),
        vec![A::Abort(4), ctl("425 Failed to establish connection.")]
    );
}

#[test]
fn passive_listen_failure_and_epsv_all() {
    let mut h = Harness::new(walkthrough_config(), walkthrough_vfs());
    h.login();
    h.exchange(ms(0), "PASV");
    assert_eq!(
        h.data(ms(0), 1, DataEvent::ListenFailed),
        vec![
            A::Abort(1),
            ctl("425 Could not listen for passive connection.")
        ]
    );
    assert_eq!(
        h.exchange(ms(0), "EPSV 2"),
        vec![ctl("522 Bad network protocol.")]
    );
    assert_eq!(h.exchange(ms(0), "EPSV ALL"), vec![ctl("200 EPSV ALL ok.")]);
    assert_eq!(
        h.exchange(ms(0), "PASV"),
        vec![ctl("500 PASV not allowed after EPSV ALL.")]
    );
    assert_eq!(
        h.exchange(ms(0), "PORT 192,168,120,168,4,1"),
        vec![ctl("500 PORT not allowed after EPSV ALL.")]
    );
}

#[test]
fn large_files_go_in_pieces_paced_by_writable() {
    let mut v = walkthrough_vfs();
    v.insert_file("/big", FileContent::generated(200_000, 1), 0)
        .unwrap();
    let cfg = ServerConfig {
        data_chunk: 65_536,
        ..walkthrough_config()
    };
    let mut h = Harness::new(cfg, v);
    h.login();
    h.exchange(ms(0), "TYPE I");
    let out = active_transfer(&mut h, "RETR big", 50001);
    assert_eq!(out.len(), 3);
    let mut got = match &out[2] {
        A::Data(1, b) => b.clone(),
        other => panic!("{other:?}"),
    };
    for _ in 0..10 {
        let out = h.data(ms(1), 1, DataEvent::Writable);
        let mut done = false;
        for a in out {
            match a {
                A::Data(1, b) => got.extend(b),
                A::CloseData(1) => done = true,
                other => panic!("{other:?}"),
            }
        }
        if done {
            break;
        }
    }
    assert_eq!(got, FileContent::generated(200_000, 1).read(0, 200_000));
    assert_eq!(
        h.data(ms(2), 1, DataEvent::FinAcked),
        vec![ctl("226 File send OK.")]
    );
}

#[test]
fn abor_during_a_transfer_resets_the_data_connection() {
    let mut v = walkthrough_vfs();
    v.insert_file("/big", FileContent::generated(200_000, 1), 0)
        .unwrap();
    let mut h = Harness::new(walkthrough_config(), v);
    h.login();
    active_transfer(&mut h, "RETR big", 50001);
    // IAC IP, IAC DM (Synch), then ABOR: taken at once, not queued.
    let mut abor = vec![255, 244, 255, 242];
    abor.extend_from_slice(b"ABOR\r\n");
    assert_eq!(
        h.raw(ms(5), &abor),
        vec![
            A::Abort(1),
            ctl("426 Failure writing network stream."),
            ctl("226 ABOR successful."),
        ]
    );
    assert_eq!(h.data(ms(6), 1, DataEvent::Writable), vec![]);
    assert_eq!(h.exchange(ms(7), "NOOP"), vec![ctl("200 NOOP ok.")]);
}

#[test]
fn a_lost_data_connection_gives_426_and_keeps_what_was_uploaded() {
    let mut h = Harness::new(walkthrough_config(), walkthrough_vfs());
    h.login();
    active_transfer(&mut h, "STOR part", 50001);
    h.data(ms(1), 1, DataEvent::Received(b"half".to_vec()));
    assert_eq!(
        h.data(ms(2), 1, DataEvent::Reset),
        vec![ctl("426 Failure reading network stream.")]
    );
    assert_eq!(
        h.vfs
            .file(&VfsPath::parse("/part").unwrap())
            .unwrap()
            .read(0, 10),
        b"half"
    );
}

#[test]
fn commands_wait_while_a_transfer_runs() {
    let mut h = Harness::new(walkthrough_config(), walkthrough_vfs());
    h.login();
    h.exchange(ms(0), "PORT 192,168,120,168,200,100");
    h.exchange(ms(0), "NLST");
    assert_eq!(h.exchange(ms(1), "PWD"), vec![]);
    let out = h.data(
        ms(2),
        1,
        DataEvent::Connected {
            peer: client_port(51300),
        },
    );
    assert_eq!(out.len(), 3);
    assert_eq!(
        h.data(ms(3), 1, DataEvent::FinAcked),
        vec![ctl("226 Directory send OK."), ctl("257 \"/\"")]
    );
}

#[test]
fn the_client_going_away_ends_the_session() {
    let mut h = Harness::new(walkthrough_config(), walkthrough_vfs());
    h.login();
    h.exchange(ms(0), "PORT 192,168,120,168,200,100");
    h.exchange(ms(0), "NLST");
    h.data(
        ms(1),
        1,
        DataEvent::Connected {
            peer: client_port(51300),
        },
    );
    h.s.handle_control_closed(ms(2), &mut h.vfs);
    assert_eq!(h.drain(), vec![A::Abort(1), A::CloseCtl]);
    assert!(h.s.is_ended());
}

#[test]
fn an_idle_session_times_out_with_421() {
    let mut h = Harness::new(walkthrough_config(), walkthrough_vfs());
    h.login();
    // The last activity was the 230, 400 ms after PASS.
    assert_eq!(h.s.poll_timeout(), Some(ms(300_400)));
    assert_eq!(h.run_until(ms(300_399)), vec![]);
    assert_eq!(
        h.run_until(ms(300_400)),
        vec![ctl("421 Timeout."), A::CloseCtl]
    );
}

#[test]
fn listings_in_unix_dos_and_mlsd_form() {
    let mut v = walkthrough_vfs();
    v.create_dir_all("/pub", 1_225_000_000).unwrap();
    v.insert_file("/.hidden", FileContent::bytes(b"x".to_vec()), 0)
        .unwrap();
    let mut h = Harness::new(walkthrough_config(), v.clone());
    h.login();
    let out = active_transfer(&mut h, "LIST", 50001);
    assert_eq!(
        out[2],
        A::Data(
            1,
            concat!(
                "-rw-r--r--    1 ftp      ftp            47 Sep 26 00:00 notes.txt\r\n",
                "drwxr-xr-x    2 ftp      ftp          4096 Oct 26 05:46 pub\r\n",
                "-rw-r--r--    1 ftp      ftp            35 Sep 25 00:00 readme.txt\r\n",
            )
            .as_bytes()
            .to_vec()
        )
    );
    h.data(ms(1), 1, DataEvent::FinAcked);
    let out = active_transfer(&mut h, "NLST -a *.txt", 50002);
    assert_eq!(out[2], A::Data(2, b"notes.txt\r\nreadme.txt\r\n".to_vec()));
    h.data(ms(1), 2, DataEvent::FinAcked);
    let out = active_transfer(&mut h, "NLST -a", 50003);
    assert_eq!(
        out[2],
        A::Data(3, b".hidden\r\nnotes.txt\r\npub\r\nreadme.txt\r\n".to_vec())
    );
    h.data(ms(1), 3, DataEvent::FinAcked);
    let out = active_transfer(&mut h, "MLSD", 50004);
    assert_eq!(
        out[2],
        A::Data(
            4,
            concat!(
                "type=file;size=47;modify=20080926000000;perm=adfwr; notes.txt\r\n",
                "type=dir;modify=20081026054640;perm=cdfmpel; pub\r\n",
                "type=file;size=35;modify=20080925000000;perm=adfwr; readme.txt\r\n",
            )
            .as_bytes()
            .to_vec()
        )
    );
    h.data(ms(1), 4, DataEvent::FinAcked);
    assert_eq!(
        active_transfer(&mut h, "MLSD readme.txt", 50005),
        vec![ctl("501 Not a directory.")]
    );
    // A missing directory: vsftpd sends an empty listing and says so in the 226.
    let out = active_transfer(&mut h, "LIST nosuch", 50006);
    assert_eq!(out[2], A::CloseData(5));
    assert_eq!(
        h.data(ms(1), 5, DataEvent::FinAcked),
        vec![ctl("226 Transfer done (but failed to open directory).")]
    );

    let cfg = ServerConfig {
        list_style: netstep_ftp::listing::ListStyle::Dos,
        ..walkthrough_config()
    };
    let mut h = Harness::new(cfg, v);
    h.login();
    let out = active_transfer(&mut h, "LIST", 50001);
    assert_eq!(
        out[2],
        A::Data(
            1,
            concat!(
                "09-26-08  12:00AM                   47 notes.txt\r\n",
                "10-26-08  05:46AM       <DIR>          pub\r\n",
                "09-25-08  12:00AM                   35 readme.txt\r\n",
            )
            .as_bytes()
            .to_vec()
        )
    );
}

#[test]
fn a_greeting_can_be_delayed_and_multi_line() {
    let cfg = ServerConfig {
        greeting: "220-Welcome\n220 ready".into(),
        greeting_delay: Duration::from_millis(4),
        ..ServerConfig::default()
    };
    let mut h = Harness::new(cfg, Vfs::default());
    assert_eq!(h.drain(), vec![]);
    // Commands that come early wait for the greeting.
    assert_eq!(h.cmd(ms(1), "NOOP"), vec![]);
    assert_eq!(
        h.run_until(ms(4)),
        vec![
            A::Ctl("220-Welcome\r\n220 ready\r\n".into()),
            ctl("530 Please login with USER and PASS.")
        ]
    );
}
