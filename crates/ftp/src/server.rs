//! The FTP server: one [`ServerSession`] per accepted control connection.
//!
//! The session is a sans-IO state machine in the style of vsftpd 2.0.5
//! (the server of the seed's era): it reads command lines, waits out a
//! configurable processing delay per verb, answers in vsftpd's words, and
//! asks the host for data connections. It never reads a clock or touches
//! a socket: the host passes time and bytes in and carries out the
//! [`ServerAction`]s that come out.
//!
//! # Driving a session
//!
//! 1. The host accepts a TCP connection on port 21 and calls
//!    [`ServerSession::new`]; the greeting is queued.
//! 2. After every `handle_*` call, take actions with
//!    [`poll_action`](ServerSession::poll_action) until `None`, in order,
//!    then ask [`poll_timeout`](ServerSession::poll_timeout) and call
//!    [`handle_timeout`](ServerSession::handle_timeout) at that time.
//! 3. Control bytes go to `handle_control_data`; the peer's FIN or RST on
//!    the control connection to `handle_control_closed`; everything about
//!    data connections to `handle_data_event` with the id from the action
//!    that created it.
//!
//! # Notes for the host
//!
//! - Treat each `SendControl`/`SendData` as a `write()` whose bytes TCP may
//!   send at once, and a following `CloseControl`/`CloseData` as a separate
//!   `close()`. That is what a kernel does, and it is why the `221` and the
//!   server's FIN are two segments in the walkthrough (stages 28, 29), as
//!   are the listing and the data FIN (17, 18).
//! - `ConnectData { from_port: Some(20), .. }` binds the server's port 20
//!   for every active transfer (as vsftpd does with `SO_REUSEADDR`); the
//!   four-tuples differ because the client's port does.
//! - Files bigger than `data_chunk` go out in pieces: report
//!   [`DataEvent::Writable`] after each `SendData` once the socket has room,
//!   or the transfer waits.
//!
//! # Rules coded here
//!
//! - Commands are handled one at a time, in order (RFC 959 5.4: the
//!   server-PI sends one reply per command, in sequence). Each waits its
//!   verb's delay, counted from when the server turned to it.
//! - Login (RFC 959 4.1.1): `USER` then `PASS`; before login only `USER`,
//!   `PASS`, `QUIT`, `FEAT` and `OPTS` are accepted (the rest get 530).
//! - Active mode (RFC 959 3.2, 5.2): the server connects from its port 20
//!   (L-1; configurable, or ephemeral) to the address of `PORT`/`EPRT`.
//!   An address other than the client's own, or a port below 1024, is
//!   refused unless FTP bounce is allowed (RFC 2577 3).
//! - Passive mode (RFC 959 4.1.2 `PASV`, RFC 2428 `EPSV`): the host picks
//!   a free port from the configured range and reports it; the reply
//!   follows. A connection from an address other than the client's is
//!   refused at the transfer (vsftpd's "Security: Bad IP connecting.").
//! - Transfers: `150` once the data connection is up, the data, the
//!   sender closes the data connection (the server for LIST/NLST/MLSD/RETR,
//!   the client for STOR/APPE/STOU: end of file is the close, RFC 959
//!   3.4 stream mode), and `226` only once the server's FIN has been
//!   acknowledged, as in real captures.
//! - `ABOR` during a transfer is taken at once (RFC 959 4.1.3): the data
//!   connection is reset, `426` then `226`.
//!
//! Leaves out: TLS (RFC 4217), IPv6 data connections (EPRT with protocol
//! 2 gets 522), MODE B/C and STRU R/P (504), REIN and SMNT (502), ASCII
//! REST, per-user permissions beyond "anonymous may not write", bandwidth
//! limits, and the data-connection stall timeout.

use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::sync::Arc;

use netstep_wire::{Duration, Instant};

use crate::ascii::{FromWire, ToWire};
use crate::codec::{
    Command, CommandError, EprtError, EpsvArg, FileStructure, FormatControl, LineDecoder, Reply,
    TransferMode, TypeCode, Verb, split_line,
};
use crate::conn::{DataConnId, DataEvent, FtpEvent};
use crate::listing::{self, ListStyle};
use crate::vfs::{FileContent, UnixTime, Vfs, VfsPath};

/// An account the server accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub password: String,
    /// The directory the session starts in (a chrooted home: the user
    /// still sees the whole Vfs, this only sets the first working
    /// directory).
    pub home: String,
}

impl User {
    pub fn new(name: &str, password: &str) -> Self {
        User {
            name: name.to_string(),
            password: password.to_string(),
            home: "/".into(),
        }
    }
}

/// The port active-mode data connections come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataPortSource {
    /// A fixed port: RFC 959 5.2's default is L-1, port 20 for a server on 21.
    Fixed(u16),
    /// Whatever ephemeral port the host gives (NetBSD-ftpd did this).
    Ephemeral,
}

impl Default for DataPortSource {
    fn default() -> Self {
        DataPortSource::Fixed(20)
    }
}

/// How the server behaves; shared by all its sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The greeting line, with or without its code: `220 (vsFTPd 2.0.5)`.
    /// Lines separated by `\n` make a multi-line greeting.
    pub greeting: String,
    /// Time from accepting the connection to sending the greeting.
    pub greeting_delay: Duration,
    pub users: Vec<User>,
    /// Accept `anonymous` or `ftp` with any password.
    pub anonymous: bool,
    /// The first working directory of anonymous sessions.
    pub anonymous_home: String,
    /// Allow STOR, MKD, DELE, ... at all (vsftpd's `write_enable`).
    pub write_enable: bool,
    /// Allow them to anonymous users too.
    pub anonymous_write: bool,
    pub port_enable: bool,
    pub passive_enable: bool,
    /// Where active-mode connections come from.
    pub data_port: DataPortSource,
    /// The inclusive range passive ports are taken from.
    pub passive_ports: (u16, u16),
    /// The address announced in `227` replies; the control connection's
    /// local address if `None` (vsftpd's `pasv_address`).
    pub passive_address: Option<Ipv4Addr>,
    /// Processing time before the reply, by verb.
    pub delays: BTreeMap<Verb, Duration>,
    /// Processing time for verbs not in `delays` (and for lines that name
    /// no verb).
    pub default_delay: Duration,
    /// Let PORT/EPRT name another host or a port below 1024 (FTP bounce).
    pub allow_foreign_port: bool,
    pub list_style: ListStyle,
    /// Convert line ends in `TYPE A` transfers of files (RFC 959
    /// 3.1.1.1). vsftpd leaves this off by default; RFC 959 says on.
    pub ascii_transfers: bool,
    /// The Unix time at `Instant::ZERO`: "now" for `LIST` dates and the
    /// modification time of uploads.
    pub epoch_unix: UnixTime,
    /// Close the session after this long without a command ("421 Timeout.").
    pub idle_timeout: Option<Duration>,
    /// How long a passive listener waits for the client's connection
    /// after the transfer command.
    pub accept_timeout: Duration,
    /// Disconnect after this many failed logins.
    pub max_login_failures: u32,
    /// Longest command line.
    pub max_line: usize,
    /// Largest piece of file handed to the host in one `SendData`.
    pub data_chunk: usize,
    /// Largest upload kept (552 beyond it).
    pub max_upload: u64,
    /// Permission bits removed from new files and directories.
    pub umask: u16,
}

impl Default for ServerConfig {
    /// vsftpd 2.0.5 as a distribution shipped it: port 20, no processing
    /// delays (the scenario sets them), 300 s idle timeout.
    fn default() -> Self {
        ServerConfig {
            greeting: "220 (vsFTPd 2.0.5)".into(),
            greeting_delay: Duration::ZERO,
            users: Vec::new(),
            anonymous: false,
            anonymous_home: "/".into(),
            write_enable: true,
            anonymous_write: false,
            port_enable: true,
            passive_enable: true,
            data_port: DataPortSource::Fixed(20),
            passive_ports: (50000, 50100),
            passive_address: None,
            delays: BTreeMap::new(),
            default_delay: Duration::ZERO,
            allow_foreign_port: false,
            list_style: ListStyle::Unix,
            ascii_transfers: true,
            epoch_unix: 1_225_188_000, // 2008-10-28 10:00:00 UTC
            idle_timeout: Some(Duration::from_secs(300)),
            accept_timeout: Duration::from_secs(60),
            max_login_failures: 3,
            max_line: LineDecoder::DEFAULT_MAX_LINE,
            data_chunk: 64 * 1024,
            max_upload: 64 * 1024 * 1024,
            umask: 0o022,
        }
    }
}

impl ServerConfig {
    /// The processing delay for `verb`.
    pub fn delay_for(&self, verb: Option<Verb>) -> Duration {
        verb.and_then(|v| self.delays.get(&v).copied())
            .unwrap_or(self.default_delay)
    }

    /// The greeting as a reply (code 220 unless the text names one).
    pub fn greeting_reply(&self) -> Reply {
        let g = self.greeting.as_str();
        let b = g.as_bytes();
        if b.len() >= 3
            && b[..3].iter().all(u8::is_ascii_digit)
            && matches!(b.get(3), None | Some(b' ' | b'-'))
        {
            let code =
                u16::from(b[0] - b'0') * 100 + u16::from(b[1] - b'0') * 10 + u16::from(b[2] - b'0');
            if (100..=599).contains(&code) {
                // "220-line1\n220 line2" or "220 text": drop codes on each line.
                let lines: Vec<String> = g
                    .split('\n')
                    .map(|l| {
                        let l = l.strip_suffix('\r').unwrap_or(l);
                        let lb = l.as_bytes();
                        if lb.len() >= 3
                            && lb[..3] == b[..3]
                            && matches!(lb.get(3), None | Some(b' ' | b'-'))
                        {
                            l.get(4..).unwrap_or("").to_string()
                        } else {
                            l.to_string()
                        }
                    })
                    .collect();
                return Reply::multi(code, &lines);
            }
        }
        Reply::new(220, g)
    }
}

/// What the server session asks the host to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerAction {
    /// Write these bytes to the control connection.
    SendControl(Vec<u8>),
    /// Close the control connection (FIN after any bytes already written).
    CloseControl,
    /// Open a data connection from the control connection's local address,
    /// from `from_port` (`None`: an ephemeral port), to `to`. Report the
    /// outcome as `Connected` or `ConnectFailed` with this `id`.
    ConnectData {
        id: DataConnId,
        from_port: Option<u16>,
        to: SocketAddrV4,
    },
    /// Listen on a free port in `ports` (inclusive) on the control
    /// connection's local address; report `Listening { port }` or
    /// `ListenFailed`, later `Connected` for the one accepted connection
    /// (then stop listening). Pick deterministically: the lowest free port,
    /// or one drawn from the simulator's seeded RNG.
    ListenData { id: DataConnId, ports: (u16, u16) },
    /// Write these bytes to data connection `id`. Report `Writable` when
    /// the socket can take more.
    SendData { id: DataConnId, bytes: Vec<u8> },
    /// Close data connection `id` in order (FIN after the data), or stop
    /// listening if it was never accepted. Report `FinAcked` when the FIN is
    /// acknowledged.
    CloseData { id: DataConnId },
    /// Reset data connection `id` (RST), or stop listening.
    AbortData { id: DataConnId },
    /// For the trace.
    Event(FtpEvent),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Login {
    None,
    User(String),
    LoggedIn { user: String, anonymous: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PassiveConn {
    /// Listening (or about to), nobody connected yet.
    Waiting,
    /// Connected from the client's address.
    Accepted,
    /// Connected from another address; reset.
    BadPeer,
    /// The accepted connection died before it was used.
    Gone,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum DataSetup {
    None,
    Active(SocketAddrV4),
    Passive {
        id: DataConnId,
        conn: PassiveConn,
        /// Bytes a client sent before the server asked for them (a STOR
        /// client that starts writing on connect).
        early: Vec<u8>,
        early_eof: bool,
    },
}

#[derive(Debug, Clone)]
enum Source {
    Bytes(Vec<u8>),
    File(FileContent),
}

impl Source {
    fn len(&self) -> u64 {
        match self {
            Source::Bytes(b) => b.len() as u64,
            Source::File(c) => c.len(),
        }
    }

    fn read(&self, offset: u64, len: usize) -> Vec<u8> {
        match self {
            Source::Bytes(b) => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX).min(b.len());
                let end = start.saturating_add(len).min(b.len());
                b[start..end].to_vec()
            }
            Source::File(c) => c.read(offset, len),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StoreMode {
    /// STOR/STOU: replace, keeping the first `rest` bytes of the old file.
    Replace {
        rest: u64,
    },
    Append,
}

#[derive(Debug, Clone)]
enum Work {
    Send {
        source: Source,
        offset: u64,
        to_wire: Option<ToWire>,
        waiting: bool,
    },
    Receive {
        target: VfsPath,
        mode: StoreMode,
        buf: Vec<u8>,
        from_wire: Option<FromWire>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Active mode: waiting for our connect to complete.
    Connecting,
    /// Passive mode: waiting for the client to connect, until the deadline.
    AwaitAccept { deadline: Instant },
    /// Data moving.
    Moving,
    /// We closed; waiting for our FIN to be acknowledged before the final reply.
    AwaitFinAck,
}

#[derive(Debug, Clone)]
struct Transfer {
    id: DataConnId,
    verb: Verb,
    /// The argument as the client gave it, for the 150 text and events.
    shown: String,
    size: Option<u64>,
    phase: Phase,
    work: Work,
    opening: Reply,
    done: Reply,
    bytes: u64,
}

#[derive(Debug, Clone)]
enum Busy {
    /// The greeting goes out at `due`.
    Greeting {
        due: Instant,
    },
    /// Ready for the next command.
    Idle,
    /// Waiting out the processing delay of `line`.
    Delaying {
        due: Instant,
        line: Queued,
    },
    /// PASV/EPSV asked the host for a listening port.
    AwaitListen {
        id: DataConnId,
        verb: Verb,
    },
    Transfer(Box<Transfer>),
    /// The session is over.
    Ended,
}

/// One control connection's worth of FTP server; see the module docs.
#[derive(Debug, Clone)]
pub struct ServerSession {
    config: Arc<ServerConfig>,
    peer: SocketAddrV4,
    local: SocketAddrV4,
    decoder: LineDecoder,
    queue: VecDeque<Queued>,
    /// Lines the decoder dropped that have been reported.
    dropped_reported: u64,
    busy: Busy,
    login: Login,
    login_failures: u32,
    cwd: VfsPath,
    ascii: bool,
    data: DataSetup,
    rest: u64,
    rnfr: Option<VfsPath>,
    epsv_all: bool,
    umask: u16,
    next_id: u32,
    last_activity: Instant,
    actions: VecDeque<ServerAction>,
}

/// Most command lines waiting behind the one being handled.
const MAX_QUEUE: usize = 256;

impl ServerSession {
    /// A session for a control connection just accepted at `now` from
    /// `peer` on the server's address `local`. The greeting is queued (at
    /// once, or after `greeting_delay`).
    pub fn new(
        config: Arc<ServerConfig>,
        now: Instant,
        peer: SocketAddrV4,
        local: SocketAddrV4,
    ) -> Self {
        let decoder = LineDecoder::new(config.max_line, true);
        let umask = config.umask;
        let mut s = ServerSession {
            busy: Busy::Greeting {
                due: now + config.greeting_delay,
            },
            config,
            peer,
            local,
            decoder,
            queue: VecDeque::new(),
            dropped_reported: 0,
            login: Login::None,
            login_failures: 0,
            cwd: VfsPath::root(),
            ascii: true,
            data: DataSetup::None,
            rest: 0,
            rnfr: None,
            epsv_all: false,
            umask,
            next_id: 1,
            last_activity: now,
            actions: VecDeque::new(),
        };
        s.advance_without_vfs(now);
        s
    }

    // ----- getters -----

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    pub fn peer(&self) -> SocketAddrV4 {
        self.peer
    }

    pub fn local(&self) -> SocketAddrV4 {
        self.local
    }

    /// The working directory.
    pub fn cwd(&self) -> &VfsPath {
        &self.cwd
    }

    /// The logged-in user, if any.
    pub fn user(&self) -> Option<&str> {
        match &self.login {
            Login::LoggedIn { user, .. } => Some(user),
            _ => None,
        }
    }

    /// True once the session has ended (QUIT, timeout, peer gone).
    pub fn is_ended(&self) -> bool {
        matches!(self.busy, Busy::Ended)
    }

    // ----- input -----

    /// Bytes arrived on the control connection.
    pub fn handle_control_data(&mut self, now: Instant, bytes: &[u8], vfs: &mut Vfs) {
        if self.is_ended() {
            return;
        }
        self.decoder.push(bytes);
        while let Some(line) = self.decoder.next_line() {
            self.last_activity = now;
            match line {
                Err(e) => {
                    self.event(FtpEvent::InputDiscarded {
                        reason: e.to_string(),
                    });
                    // A reply for the dropped line keeps replies and commands paired.
                    self.enqueue(Queued::TooLong);
                }
                Ok(line) => {
                    self.event(FtpEvent::CommandReceived {
                        line: String::from_utf8_lossy(&line).into_owned(),
                    });
                    let is_abor = matches!(Command::parse(&line), Ok(Command::Abor));
                    if is_abor && matches!(self.busy, Busy::Transfer(_)) {
                        self.abort_transfer(now, vfs);
                    } else {
                        self.enqueue(Queued::Line(line));
                    }
                }
            }
        }
        let dropped = self.decoder.dropped();
        if dropped > self.dropped_reported {
            let n = dropped - self.dropped_reported;
            self.dropped_reported = dropped;
            self.event(FtpEvent::InputDiscarded {
                reason: format!("{n} command lines dropped: too many in one segment"),
            });
        }
        self.advance(now, vfs);
    }

    fn enqueue(&mut self, line: Queued) {
        if self.queue.len() >= MAX_QUEUE {
            self.event(FtpEvent::InputDiscarded {
                reason: "command dropped: too many waiting".into(),
            });
            return;
        }
        self.queue.push_back(line);
    }

    /// The peer closed (FIN) or reset the control connection: the session
    /// ends, any data connection is reset, our side of the control
    /// connection is closed.
    pub fn handle_control_closed(&mut self, now: Instant, vfs: &mut Vfs) {
        if self.is_ended() {
            return;
        }
        if let Busy::Transfer(t) = &mut self.busy {
            let id = t.id;
            let verb = t.verb;
            self.save_partial(now, vfs);
            self.push(ServerAction::AbortData { id });
            self.event(FtpEvent::TransferFailed {
                id,
                verb,
                reason: "control connection closed".into(),
            });
        }
        self.end("the client closed the control connection");
    }

    /// Something happened on data connection (or listener) `id`.
    pub fn handle_data_event(
        &mut self,
        now: Instant,
        id: DataConnId,
        ev: DataEvent,
        vfs: &mut Vfs,
    ) {
        if self.is_ended() {
            return;
        }
        // PASV/EPSV waiting for the host's port.
        if let Busy::AwaitListen { id: want, verb } = self.busy
            && want == id
        {
            match ev {
                DataEvent::Listening { port } => {
                    let ip = self.config.passive_address.unwrap_or(*self.local.ip());
                    let addr = SocketAddrV4::new(ip, port);
                    self.data = DataSetup::Passive {
                        id,
                        conn: PassiveConn::Waiting,
                        early: Vec::new(),
                        early_eof: false,
                    };
                    self.event(FtpEvent::data_address(verb, addr));
                    if verb == Verb::Epsv {
                        self.reply(
                            now,
                            229,
                            &format!("Entering Extended Passive Mode (|||{port}|)"),
                        );
                    } else {
                        let hp = crate::codec::HostPort::from(addr);
                        self.reply(now, 227, &format!("Entering Passive Mode ({hp})."));
                    }
                }
                _ => {
                    self.push(ServerAction::AbortData { id });
                    self.reply(now, 425, "Could not listen for passive connection.");
                }
            }
            self.busy = Busy::Idle;
            self.advance(now, vfs);
            return;
        }

        // Events on an idle passive connection.
        if let DataSetup::Passive {
            id: pid,
            conn,
            early,
            early_eof,
        } = &mut self.data
        {
            let in_transfer = matches!(&self.busy, Busy::Transfer(t) if t.id == *pid);
            if *pid == id && !in_transfer {
                match ev {
                    DataEvent::Connected { peer } => {
                        if *peer.ip() == *self.peer.ip() || self.config.allow_foreign_port {
                            *conn = PassiveConn::Accepted;
                        } else {
                            *conn = PassiveConn::BadPeer;
                            self.actions.push_back(ServerAction::AbortData { id });
                        }
                    }
                    DataEvent::Received(b) if (early.len() as u64) < self.config.max_upload => {
                        early.extend_from_slice(&b);
                    }
                    DataEvent::PeerClosed => *early_eof = true,
                    DataEvent::Reset | DataEvent::Closed | DataEvent::ConnectFailed(_)
                        if *conn != PassiveConn::BadPeer =>
                    {
                        *conn = PassiveConn::Gone;
                    }
                    DataEvent::ListenFailed => *conn = PassiveConn::Gone,
                    _ => {}
                }
                return;
            }
        }
        let (phase, receiving) = match &self.busy {
            Busy::Transfer(t) if t.id == id => (t.phase, matches!(t.work, Work::Receive { .. })),
            _ => return,
        };
        match (phase, ev) {
            (Phase::Connecting, DataEvent::Connected { .. }) => self.begin_moving(now, vfs),
            (Phase::AwaitAccept { .. }, DataEvent::Connected { peer }) => {
                if *peer.ip() == *self.peer.ip() || self.config.allow_foreign_port {
                    self.begin_moving(now, vfs);
                } else {
                    self.push(ServerAction::AbortData { id });
                    self.fail_transfer(
                        now,
                        425,
                        "Security: Bad IP connecting.",
                        "connection from a foreign address",
                    );
                }
            }
            (
                Phase::Connecting | Phase::AwaitAccept { .. },
                DataEvent::ListenFailed
                | DataEvent::ConnectFailed(_)
                | DataEvent::Reset
                | DataEvent::Closed,
            ) => {
                self.fail_transfer(
                    now,
                    425,
                    "Failed to establish connection.",
                    "data connection failed",
                );
            }
            (Phase::Moving, DataEvent::Writable) => {
                if let Busy::Transfer(t) = &mut self.busy
                    && let Work::Send { waiting, .. } = &mut t.work
                {
                    *waiting = false;
                }
                self.pump();
            }
            (Phase::Moving, DataEvent::Received(bytes)) => self.receive(now, &bytes),
            // For a download, a client closing its half early changes nothing.
            (Phase::Moving, DataEvent::PeerClosed) if receiving => self.finish_receive(now, vfs),
            (Phase::Moving, DataEvent::Reset | DataEvent::Closed) => {
                let text = if receiving {
                    self.save_partial(now, vfs);
                    "Failure reading network stream."
                } else {
                    "Failure writing network stream."
                };
                self.fail_transfer(now, 426, text, "data connection lost");
            }
            (Phase::AwaitFinAck, DataEvent::FinAcked | DataEvent::Closed | DataEvent::Reset) => {
                self.complete_transfer(now);
            }
            _ => {}
        }
        self.advance(now, vfs);
    }

    /// Time has reached a deadline from [`poll_timeout`](Self::poll_timeout).
    pub fn handle_timeout(&mut self, now: Instant, vfs: &mut Vfs) {
        if let Busy::Transfer(t) = &self.busy
            && let Phase::AwaitAccept { deadline } = t.phase
            && now >= deadline
        {
            let id = t.id;
            self.push(ServerAction::AbortData { id });
            self.fail_transfer(
                now,
                425,
                "Failed to establish connection.",
                "no data connection in time",
            );
        }
        if let (Busy::Idle, Some(idle)) = (&self.busy, self.config.idle_timeout)
            && self.queue.is_empty()
            && now >= self.last_activity + idle
        {
            self.reply(now, 421, "Timeout.");
            self.end("idle timeout");
            return;
        }
        self.advance(now, vfs);
    }

    // ----- output -----

    /// The next thing for the host to do.
    pub fn poll_action(&mut self) -> Option<ServerAction> {
        self.actions.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.busy {
            Busy::Greeting { due } | Busy::Delaying { due, .. } => Some(*due),
            Busy::Transfer(t) => match t.phase {
                Phase::AwaitAccept { deadline } => Some(deadline),
                _ => None,
            },
            Busy::Idle if self.queue.is_empty() => {
                self.config.idle_timeout.map(|d| self.last_activity + d)
            }
            Busy::Idle => Some(self.last_activity),
            Busy::AwaitListen { .. } | Busy::Ended => None,
        }
    }

    // ----- machinery -----

    fn push(&mut self, a: ServerAction) {
        self.actions.push_back(a);
    }

    fn event(&mut self, e: FtpEvent) {
        self.actions.push_back(ServerAction::Event(e));
    }

    fn send_reply(&mut self, now: Instant, r: Reply) {
        self.last_activity = now;
        let bytes = r.encode();
        self.event(FtpEvent::ReplySent { reply: r });
        self.push(ServerAction::SendControl(bytes));
    }

    fn reply(&mut self, now: Instant, code: u16, text: &str) {
        self.send_reply(now, Reply::new(code, text));
    }

    fn new_id(&mut self) -> DataConnId {
        let id = DataConnId(self.next_id);
        self.next_id = self.next_id.saturating_add(1);
        id
    }

    fn now_unix(&self, now: Instant) -> UnixTime {
        self.config
            .epoch_unix
            .saturating_add(i64::try_from(now.as_nanos() / 1_000_000_000).unwrap_or(i64::MAX))
    }

    fn end(&mut self, reason: &str) {
        match std::mem::replace(&mut self.data, DataSetup::None) {
            DataSetup::Passive { id, .. } => self.push(ServerAction::AbortData { id }),
            DataSetup::Active(_) | DataSetup::None => {}
        }
        self.push(ServerAction::CloseControl);
        self.event(FtpEvent::SessionEnded {
            reason: reason.to_string(),
        });
        self.busy = Busy::Ended;
        self.queue.clear();
    }

    /// Used by `new`, where no Vfs is at hand: only the greeting can be due.
    fn advance_without_vfs(&mut self, now: Instant) {
        if let Busy::Greeting { due } = self.busy
            && now >= due
        {
            let g = self.config.greeting_reply();
            self.send_reply(now, g);
            self.busy = Busy::Idle;
        }
    }

    /// Runs everything that is due: the greeting, the next command, its
    /// delay. Each pass consumes a queued line or changes state, so the loop
    /// ends; the bound is a second line of defence.
    fn advance(&mut self, now: Instant, vfs: &mut Vfs) {
        for _ in 0..(MAX_QUEUE * 2 + 8) {
            match &self.busy {
                Busy::Greeting { due } => {
                    if now < *due {
                        return;
                    }
                    let g = self.config.greeting_reply();
                    self.send_reply(now, g);
                    self.busy = Busy::Idle;
                }
                Busy::Idle => {
                    let Some(line) = self.queue.pop_front() else {
                        return;
                    };
                    let verb = match &line {
                        Queued::Line(l) => verb_of(l),
                        Queued::TooLong => None,
                    };
                    let delay = self.config.delay_for(verb);
                    if delay.is_zero() {
                        self.execute(now, &line, vfs);
                    } else {
                        self.busy = Busy::Delaying {
                            due: now + delay,
                            line,
                        };
                    }
                }
                Busy::Delaying { due, .. } => {
                    if now < *due {
                        return;
                    }
                    let Busy::Delaying { line, .. } = std::mem::replace(&mut self.busy, Busy::Idle)
                    else {
                        return;
                    };
                    self.execute(now, &line, vfs);
                }
                Busy::AwaitListen { .. } | Busy::Transfer(_) | Busy::Ended => return,
            }
        }
    }

    fn may_write(&self) -> bool {
        match &self.login {
            Login::LoggedIn { anonymous, .. } => {
                self.config.write_enable && (!anonymous || self.config.anonymous_write)
            }
            _ => false,
        }
    }

    fn resolve(&self, arg: &str) -> Option<VfsPath> {
        self.cwd.resolve(arg).ok()
    }

    /// Handles one command line after its delay.
    fn execute(&mut self, now: Instant, line: &Queued, vfs: &mut Vfs) {
        self.busy = Busy::Idle;
        let line = match line {
            Queued::Line(l) => l.as_slice(),
            Queued::TooLong => {
                self.reply(now, 500, "Command line too long.");
                return;
            }
        };
        let parsed = Command::parse(line);
        let verb = match &parsed {
            Ok(c) => Some(c.verb()),
            Err(e) => e.verb().or_else(|| verb_of(line)),
        };
        // RFC 959 4.1.3: RNTO must come right after RNFR.
        if verb != Some(Verb::Rnto) {
            self.rnfr = None;
        }
        let logged_in = matches!(self.login, Login::LoggedIn { .. });
        let allowed_before_login = matches!(
            verb,
            Some(Verb::User | Verb::Pass | Verb::Quit | Verb::Feat | Verb::Opts | Verb::Acct)
        );
        if !logged_in && !allowed_before_login {
            self.reply(now, 530, "Please login with USER and PASS.");
            return;
        }
        match parsed {
            Err(e) => self.reply_error(now, &e),
            Ok(cmd) => self.command(now, cmd, vfs),
        }
    }

    /// RFC 959 4.2: 500 for what is not a command, 501 for bad arguments,
    /// 504 for a parameter the server does not implement; vsftpd's words.
    fn reply_error(&mut self, now: Instant, e: &CommandError) {
        match e {
            CommandError::Empty | CommandError::UnknownVerb(_) => {
                self.reply(now, 500, "Unknown command.")
            }
            CommandError::NotUtf8 | CommandError::ControlCharacter => {
                self.reply(now, 501, "Invalid characters in command.")
            }
            CommandError::BadPort(_) => self.reply(now, 500, "Illegal PORT command."),
            CommandError::BadEprt(EprtError::UnknownProtocol(_)) => {
                self.reply(now, 522, "Bad network protocol.")
            }
            CommandError::BadEprt(_) => self.reply(now, 500, "Bad EPRT command."),
            CommandError::MissingArgument(Verb::Type)
            | CommandError::BadArgument {
                verb: Verb::Type, ..
            } => self.reply(now, 504, "Unrecognised TYPE command."),
            CommandError::MissingArgument(Verb::Mode)
            | CommandError::BadArgument {
                verb: Verb::Mode, ..
            } => self.reply(now, 504, "Bad MODE command."),
            CommandError::MissingArgument(Verb::Stru)
            | CommandError::BadArgument {
                verb: Verb::Stru, ..
            } => self.reply(now, 504, "Bad STRU command."),
            CommandError::MissingArgument(_) | CommandError::BadArgument { .. } => {
                self.reply(now, 501, "Syntax error in parameters or arguments.")
            }
        }
    }

    fn command(&mut self, now: Instant, cmd: Command, vfs: &mut Vfs) {
        match cmd {
            Command::User(name) => self.cmd_user(now, name),
            Command::Pass(pw) => self.cmd_pass(now, &pw, vfs),
            Command::Acct(_) => self.reply(now, 202, "ACCT command superfluous."),
            Command::Quit => {
                self.reply(now, 221, "Goodbye.");
                self.end("QUIT");
            }
            Command::Cwd(arg) => self.cmd_cwd(now, &arg, vfs),
            Command::Cdup => self.cmd_cwd(now, "..", vfs),
            Command::Pwd => {
                let quoted = self.cwd.to_string().replace('"', "\"\"");
                self.reply(now, 257, &format!("\"{quoted}\""));
            }
            Command::Mkd(arg) => self.cmd_mkd(now, &arg, vfs),
            Command::Rmd(arg) => {
                let ok =
                    self.may_write() && self.resolve(&arg).is_some_and(|p| vfs.rmdir(&p).is_ok());
                self.simple_result(
                    now,
                    ok,
                    "Remove directory operation successful.",
                    "Remove directory operation failed.",
                );
            }
            Command::Dele(arg) => {
                let ok = self.may_write()
                    && self
                        .resolve(&arg)
                        .is_some_and(|p| vfs.remove_file(&p).is_ok());
                self.simple_result(
                    now,
                    ok,
                    "Delete operation successful.",
                    "Delete operation failed.",
                );
            }
            Command::Rnfr(arg) => {
                match self
                    .resolve(&arg)
                    .filter(|p| self.may_write() && !p.is_root() && vfs.get(p).is_some())
                {
                    Some(p) => {
                        self.rnfr = Some(p);
                        self.reply(now, 350, "Ready for RNTO.");
                    }
                    None => self.reply(now, 550, "RNFR command failed."),
                }
            }
            Command::Rnto(arg) => match self.rnfr.take() {
                None => self.reply(now, 503, "RNFR required first."),
                Some(from) => {
                    let ok = self.may_write()
                        && self
                            .resolve(&arg)
                            .is_some_and(|to| vfs.rename(&from, &to).is_ok());
                    self.simple_result(now, ok, "Rename successful.", "Rename failed.");
                }
            },
            Command::Rest(n) => {
                self.rest = n;
                self.reply(now, 350, &format!("Restart position accepted ({n})."));
            }
            Command::Size(arg) => match self.resolve(&arg).and_then(|p| vfs.file(&p).ok()) {
                // RFC 3659 4: the size the transfer would have in the current TYPE.
                Some(c) => {
                    let extra = if self.ascii && self.config.ascii_transfers {
                        c.bare_newlines()
                    } else {
                        0
                    };
                    self.reply(now, 213, &(c.len() + extra).to_string());
                }
                None => self.reply(now, 550, "Could not get file size."),
            },
            Command::Mdtm(arg) => {
                match self
                    .resolve(&arg)
                    .and_then(|p| vfs.get(&p).filter(|n| n.is_file()).map(|n| n.mtime))
                {
                    Some(t) => self.reply(now, 213, &listing::mdtm_stamp(t)),
                    None => self.reply(now, 550, "Could not get file modification time."),
                }
            }
            Command::Type(t) => match t {
                TypeCode::Ascii(FormatControl::NonPrint) => {
                    self.ascii = true;
                    self.reply(now, 200, "Switching to ASCII mode.");
                }
                TypeCode::Image | TypeCode::Local(8) => {
                    self.ascii = false;
                    self.reply(now, 200, "Switching to Binary mode.");
                }
                _ => self.reply(now, 504, "Unrecognised TYPE command."),
            },
            Command::Mode(m) => {
                if m == TransferMode::Stream {
                    self.reply(now, 200, "Mode set to S.");
                } else {
                    self.reply(now, 504, "Bad MODE command.");
                }
            }
            Command::Stru(s) => {
                if s == FileStructure::File {
                    self.reply(now, 200, "Structure set to F.");
                } else {
                    self.reply(now, 504, "Bad STRU command.");
                }
            }
            Command::Noop => self.reply(now, 200, "NOOP ok."),
            Command::Syst => self.reply(now, 215, "UNIX Type: L8"),
            Command::Help(_) => self.cmd_help(now),
            Command::Feat => {
                let r = Reply::multi(
                    211,
                    &[
                        "Features:",
                        " EPRT",
                        " EPSV",
                        " MDTM",
                        " MLST type*;size*;modify*;perm*;",
                        " PASV",
                        " REST STREAM",
                        " SIZE",
                        " TVFS",
                        "End",
                    ],
                );
                self.send_reply(now, r);
            }
            Command::Opts(arg) => {
                let (what, rest) = split_line(arg.trim());
                if what.eq_ignore_ascii_case("UTF8")
                    && rest.is_some_and(|r| r.trim().eq_ignore_ascii_case("ON"))
                {
                    self.reply(now, 200, "Always in UTF8 mode.");
                } else if what.eq_ignore_ascii_case("MLST") {
                    self.reply(now, 200, "MLST OPTS type;size;modify;perm;");
                } else {
                    self.reply(now, 501, "Option not understood.");
                }
            }
            Command::Stat(None) => self.cmd_stat(now),
            Command::Stat(Some(arg)) => {
                let body = self
                    .listing_lines(Verb::List, Some(&arg), vfs, now)
                    .unwrap_or_default();
                let mut lines = vec!["Status follows:".to_string()];
                lines.extend(body);
                lines.push("End of status".into());
                self.send_reply(now, Reply::multi(213, &lines));
            }
            Command::Site(arg) => self.cmd_site(now, &arg, vfs),
            Command::Allo(..) => self.reply(now, 202, "ALLO command ignored."),
            Command::Smnt(_) => self.reply(now, 502, "SMNT not implemented."),
            Command::Rein => self.reply(now, 502, "REIN not implemented."),
            Command::Abor => self.reply(now, 225, "No transfer to ABOR."),
            Command::Port(hp) => self.cmd_port(now, Verb::Port, IpAddr::V4(hp.ip), hp.port),
            Command::Eprt(a) => self.cmd_port(now, Verb::Eprt, a.addr, a.port),
            Command::Pasv => self.cmd_pasv(now, Verb::Pasv),
            Command::Epsv(Some(EpsvArg::All)) => {
                self.epsv_all = true;
                self.reply(now, 200, "EPSV ALL ok.");
            }
            Command::Epsv(Some(EpsvArg::Protocol(p))) if p != 1 => {
                self.reply(now, 522, "Bad network protocol.");
            }
            Command::Epsv(_) => self.cmd_pasv(now, Verb::Epsv),
            Command::Mlst(arg) => {
                let shown = arg.clone().unwrap_or_default();
                match self
                    .resolve(&shown)
                    .and_then(|p| vfs.get(&p).map(|n| (p, n)))
                {
                    Some((p, node)) => {
                        let facts = listing::mlsx_facts(node, self.may_write(), None);
                        let r = Reply::multi(
                            250,
                            &[
                                format!(
                                    "Listing {}",
                                    if shown.is_empty() {
                                        p.to_string()
                                    } else {
                                        shown
                                    }
                                ),
                                format!(" {facts} {p}"),
                                "End".into(),
                            ],
                        );
                        self.send_reply(now, r);
                    }
                    None => self.reply(now, 550, "Could not list: no such file or directory."),
                }
            }
            Command::List(arg) => self.start_transfer(now, Verb::List, arg, vfs),
            Command::Nlst(arg) => self.start_transfer(now, Verb::Nlst, arg, vfs),
            Command::Mlsd(arg) => self.start_transfer(now, Verb::Mlsd, arg, vfs),
            Command::Retr(arg) => self.start_transfer(now, Verb::Retr, Some(arg), vfs),
            Command::Stor(arg) => self.start_transfer(now, Verb::Stor, Some(arg), vfs),
            Command::Appe(arg) => self.start_transfer(now, Verb::Appe, Some(arg), vfs),
            Command::Stou(arg) => self.start_transfer(now, Verb::Stou, arg, vfs),
        }
    }

    fn simple_result(&mut self, now: Instant, ok: bool, yes: &str, no: &str) {
        if ok {
            self.reply(now, 250, yes);
        } else {
            self.reply(now, 550, no);
        }
    }

    fn cmd_user(&mut self, now: Instant, name: String) {
        if let Login::LoggedIn { .. } = self.login {
            self.reply(now, 530, "Can't change to another user.");
            return;
        }
        // 331 whatever the name: the server does not tell who exists.
        self.login = Login::User(name);
        self.reply(now, 331, "Please specify the password.");
    }

    fn cmd_pass(&mut self, now: Instant, pw: &str, vfs: &Vfs) {
        let name = match &self.login {
            Login::LoggedIn { .. } => {
                self.reply(now, 230, "Already logged in.");
                return;
            }
            Login::None => {
                self.reply(now, 503, "Login with USER first.");
                return;
            }
            Login::User(name) => name.clone(),
        };
        let anonymous = self.config.anonymous
            && (name.eq_ignore_ascii_case("anonymous") || name.eq_ignore_ascii_case("ftp"));
        let home = if anonymous {
            Some(self.config.anonymous_home.clone())
        } else {
            self.config
                .users
                .iter()
                .find(|u| u.name == name && u.password == pw)
                .map(|u| u.home.clone())
        };
        match home {
            Some(home) => {
                self.cwd = VfsPath::parse(&home)
                    .ok()
                    .filter(|p| vfs.get(p).is_some_and(|n| n.is_dir()))
                    .unwrap_or_default();
                self.login = Login::LoggedIn {
                    user: name.clone(),
                    anonymous,
                };
                self.event(FtpEvent::LoggedIn {
                    user: name,
                    anonymous,
                });
                self.reply(now, 230, "Login successful.");
            }
            None => {
                self.login = Login::None;
                self.login_failures += 1;
                self.event(FtpEvent::LoginFailed { user: name });
                self.reply(now, 530, "Login incorrect.");
                if self.login_failures >= self.config.max_login_failures.max(1) {
                    self.end("too many failed logins");
                }
            }
        }
    }

    fn cmd_cwd(&mut self, now: Instant, arg: &str, vfs: &Vfs) {
        match self
            .resolve(arg)
            .filter(|p| vfs.get(p).is_some_and(|n| n.is_dir()))
        {
            Some(p) => {
                self.cwd = p;
                self.reply(now, 250, "Directory successfully changed.");
            }
            None => self.reply(now, 550, "Failed to change directory."),
        }
    }

    fn cmd_mkd(&mut self, now: Instant, arg: &str, vfs: &mut Vfs) {
        let mode = 0o777 & !self.umask;
        let t = self.now_unix(now);
        match self.resolve(arg).filter(|_| self.may_write()) {
            Some(p) if vfs.mkdir(&p, t, mode).is_ok() => {
                let quoted = p.to_string().replace('"', "\"\"");
                self.reply(now, 257, &format!("\"{quoted}\" created"));
            }
            _ => self.reply(now, 550, "Create directory operation failed."),
        }
    }

    fn cmd_help(&mut self, now: Instant) {
        let mut lines = vec!["The following commands are recognized.".to_string()];
        let mut names: Vec<&str> = Verb::ALL.iter().map(|v| v.as_str()).collect();
        names.extend(["XCUP", "XCWD", "XMKD", "XPWD", "XRMD"]);
        for row in names.chunks(14) {
            let mut l = String::new();
            for n in row {
                l.push_str(&format!(" {n:<4}"));
            }
            lines.push(l);
        }
        lines.push("Help OK.".into());
        self.send_reply(now, Reply::multi(214, &lines));
    }

    fn cmd_stat(&mut self, now: Instant) {
        let who = match &self.login {
            Login::LoggedIn { user, .. } => user.clone(),
            _ => "(nobody)".into(),
        };
        let lines = vec![
            "FTP server status:".to_string(),
            format!("     Connected to {}", self.peer.ip()),
            format!("     Logged in as {who}"),
            format!("     TYPE: {}", if self.ascii { "ASCII" } else { "BINARY" }),
            "     No session bandwidth limit".into(),
            match self.config.idle_timeout {
                Some(d) => format!(
                    "     Session timeout in seconds is {}",
                    d.as_millis() / 1000
                ),
                None => "     No session timeout".into(),
            },
            "     Control connection is plain text".into(),
            "     Data connections will be plain text".into(),
            "     netstep simulated FTP server".into(),
            "End of status".into(),
        ];
        self.send_reply(now, Reply::multi(211, &lines));
    }

    fn cmd_site(&mut self, now: Instant, arg: &str, vfs: &mut Vfs) {
        let (what, rest) = split_line(arg.trim());
        match what.to_ascii_uppercase().as_str() {
            "HELP" => self.reply(now, 214, "CHMOD UMASK HELP"),
            "UMASK" => match rest.map(str::trim) {
                None => {
                    let m = self.umask;
                    self.reply(now, 200, &format!("Your current UMASK is {m:04o}"));
                }
                Some(t) => match u16::from_str_radix(t, 8) {
                    Ok(m) if m <= 0o777 => {
                        self.umask = m;
                        self.reply(now, 200, &format!("UMASK set to {m:04o}"));
                    }
                    _ => self.reply(now, 501, "Bad UMASK value."),
                },
            },
            "CHMOD" => {
                if !self.may_write() {
                    self.reply(now, 550, "Permission denied.");
                    return;
                }
                let parsed =
                    rest.and_then(|r| r.trim_start().split_once(' '))
                        .and_then(|(m, f)| {
                            let mode = u16::from_str_radix(m, 8).ok().filter(|m| *m <= 0o7777)?;
                            Some((mode, f.to_string()))
                        });
                match parsed {
                    None => self.reply(now, 501, "SITE CHMOD needs 2 arguments."),
                    Some((mode, file)) => {
                        let ok = self
                            .resolve(&file)
                            .is_some_and(|p| vfs.set_mode(&p, mode).is_ok());
                        if ok {
                            self.reply(now, 200, "SITE CHMOD command ok.");
                        } else {
                            self.reply(now, 550, "SITE CHMOD command failed.");
                        }
                    }
                }
            }
            _ => self.reply(now, 500, "Unknown SITE command."),
        }
    }

    fn close_data_setup(&mut self) {
        if let DataSetup::Passive { id, .. } = std::mem::replace(&mut self.data, DataSetup::None) {
            self.push(ServerAction::AbortData { id });
        }
    }

    /// PORT and EPRT (RFC 959 4.1.2, RFC 2428 2).
    fn cmd_port(&mut self, now: Instant, verb: Verb, addr: IpAddr, port: u16) {
        if !self.config.port_enable {
            self.reply(now, 500, "Unknown command.");
            return;
        }
        if self.epsv_all {
            self.reply(now, 500, &format!("{verb} not allowed after EPSV ALL."));
            return;
        }
        let IpAddr::V4(ip) = addr else {
            self.reply(now, 522, "Bad network protocol.");
            return;
        };
        // RFC 2577 3: no data connections to other hosts or to privileged
        // ports, or the server becomes a port scanner (FTP bounce).
        let foreign = ip != *self.peer.ip() || port < 1024;
        if foreign && !self.config.allow_foreign_port {
            let text = if verb == Verb::Eprt {
                "Illegal EPRT command."
            } else {
                "Illegal PORT command."
            };
            self.reply(now, 500, text);
            return;
        }
        self.close_data_setup();
        let sa = SocketAddrV4::new(ip, port);
        self.data = DataSetup::Active(sa);
        self.event(FtpEvent::data_address(verb, sa));
        if verb == Verb::Eprt {
            self.reply(now, 200, "EPRT command successful. Consider using EPSV.");
        } else {
            self.reply(now, 200, "PORT command successful. Consider using PASV.");
        }
    }

    /// PASV and EPSV: the reply waits for the host's port.
    fn cmd_pasv(&mut self, now: Instant, verb: Verb) {
        if !self.config.passive_enable {
            self.reply(now, 500, "Unknown command.");
            return;
        }
        if verb == Verb::Pasv && self.epsv_all {
            self.reply(now, 500, "PASV not allowed after EPSV ALL.");
            return;
        }
        self.close_data_setup();
        let id = self.new_id();
        let (lo, hi) = self.config.passive_ports;
        self.push(ServerAction::ListenData {
            id,
            ports: (lo.min(hi), lo.max(hi)),
        });
        self.busy = Busy::AwaitListen { id, verb };
    }

    /// Lines for LIST, NLST, MLSD or STAT: `None` if the argument names
    /// nothing (vsftpd then sends an empty listing).
    fn listing_lines(
        &self,
        verb: Verb,
        arg: Option<&str>,
        vfs: &Vfs,
        now: Instant,
    ) -> Option<Vec<String>> {
        // Options such as `-la` (ls flags many clients send) are dropped;
        // `a` shows dot files.
        let mut show_all = false;
        let mut target: Option<&str> = None;
        if let Some(a) = arg {
            let a = a.trim();
            let mut rest = a;
            while let Some(stripped) = rest.strip_prefix('-') {
                let (flags, after) = stripped.split_once(' ').unwrap_or((stripped, ""));
                if flags.contains('a') {
                    show_all = true;
                }
                rest = after.trim_start();
            }
            if !rest.is_empty() {
                target = Some(rest);
            }
        }
        let now_unix = self.now_unix(now);
        let style = self.config.list_style;
        let writable = self.may_write();
        let line = |name: &str, node: &crate::vfs::Node| match verb {
            Verb::Nlst => name.to_string(),
            Verb::Mlsd => listing::mlsd_line(name, node, writable),
            _ => listing::list_line(style, name, node, now_unix),
        };
        let path = self.cwd.resolve(target.unwrap_or(".")).ok()?;
        if let Some(node) = vfs.get(&path) {
            if let Some(children) = node.children() {
                // A directory named explicitly: NLST shows names with the
                // directory as given in front (as vsftpd does).
                let prefix = match (verb, target) {
                    (Verb::Nlst, Some(t)) => format!("{}/", t.trim_end_matches('/')),
                    _ => String::new(),
                };
                return Some(
                    children
                        .iter()
                        .filter(|(n, _)| show_all || !n.starts_with('.'))
                        .map(|(n, node)| line(&format!("{prefix}{n}"), node))
                        .collect(),
                );
            }
            return Some(vec![line(target.unwrap_or_default(), node)]);
        }
        // A pattern in the last component: `ls *.txt`.
        let pattern = path.name()?;
        if !pattern.contains(['*', '?']) {
            return None;
        }
        let dir = path.parent()?;
        let shown_dir = target
            .and_then(|t| t.rsplit_once('/'))
            .map(|(d, _)| format!("{d}/"));
        let children = vfs.get(&dir)?.children()?;
        Some(
            children
                .iter()
                .filter(|(n, _)| {
                    listing::glob_match(pattern, n)
                        && (show_all || !n.starts_with('.') || pattern.starts_with('.'))
                })
                .map(|(n, node)| line(&format!("{}{n}", shown_dir.as_deref().unwrap_or("")), node))
                .collect(),
        )
    }

    fn unique_name(&self, base: &VfsPath, vfs: &Vfs) -> Option<VfsPath> {
        if vfs.get(base).is_none() {
            return Some(base.clone());
        }
        let parent = base.parent()?;
        let name = base.name()?;
        (1..10_000)
            .map(|i| parent.join(&format!("{name}.{i}")))
            .find(|p| vfs.get(p).is_none())
    }

    /// LIST, NLST, MLSD, RETR, STOR, APPE, STOU: check, prepare, and ask
    /// for the data connection.
    fn start_transfer(&mut self, now: Instant, verb: Verb, arg: Option<String>, vfs: &mut Vfs) {
        if matches!(self.data, DataSetup::None) {
            self.reply(now, 425, "Use PORT or PASV first.");
            return;
        }
        let rest = std::mem::take(&mut self.rest);
        let ascii = self.ascii && self.config.ascii_transfers;
        let shown = arg.clone().unwrap_or_default();
        let mode_word = if ascii { "ASCII" } else { "BINARY" };
        let (work, opening, done, size) = match verb {
            Verb::List | Verb::Nlst | Verb::Mlsd => {
                let lines = self.listing_lines(verb, arg.as_deref(), vfs, now);
                if verb == Verb::Mlsd {
                    let target = self.resolve(arg.as_deref().unwrap_or("."));
                    match target.as_ref().and_then(|p| vfs.get(p)) {
                        None => {
                            self.reply(now, 550, "Failed to open directory.");
                            return;
                        }
                        // RFC 3659 7.2.1: MLSD of a file is an error.
                        Some(n) if !n.is_dir() => {
                            self.reply(now, 501, "Not a directory.");
                            return;
                        }
                        Some(_) => {}
                    }
                }
                let done = if lines.is_some() {
                    Reply::new(226, "Directory send OK.")
                } else {
                    Reply::new(226, "Transfer done (but failed to open directory).")
                };
                let bytes = listing::crlf_lines(lines.unwrap_or_default());
                let size = bytes.len() as u64;
                (
                    Work::Send {
                        source: Source::Bytes(bytes),
                        offset: 0,
                        to_wire: None,
                        waiting: false,
                    },
                    Reply::new(150, "Here comes the directory listing."),
                    done,
                    Some(size),
                )
            }
            Verb::Retr => {
                let Some(content) = self
                    .resolve(&shown)
                    .and_then(|p| vfs.file(&p).ok().cloned())
                else {
                    self.reply(now, 550, "Failed to open file.");
                    return;
                };
                if ascii && rest != 0 {
                    self.reply(now, 550, "No support for resume of ASCII transfer.");
                    return;
                }
                let size = content.len();
                (
                    Work::Send {
                        source: Source::File(content),
                        offset: rest.min(size),
                        to_wire: ascii.then(ToWire::new),
                        waiting: false,
                    },
                    Reply::new(
                        150,
                        &format!(
                            "Opening {mode_word} mode data connection for {shown} ({size} bytes)."
                        ),
                    ),
                    Reply::new(226, "File send OK."),
                    Some(size),
                )
            }
            Verb::Stor | Verb::Appe | Verb::Stou => {
                if !self.may_write() {
                    self.reply(now, 550, "Permission denied.");
                    return;
                }
                let target = if verb == Verb::Stou {
                    let base = arg
                        .as_deref()
                        .filter(|a| !a.trim().is_empty())
                        .unwrap_or("file");
                    self.resolve(base).and_then(|b| self.unique_name(&b, vfs))
                } else {
                    self.resolve(&shown)
                };
                let Some(target) = target.filter(|p| vfs.can_create(p)) else {
                    self.reply(now, 553, "Could not create file.");
                    return;
                };
                let (opening, done, mode) = match verb {
                    Verb::Stou => (
                        Reply::new(150, &format!("FILE: {}", target.name().unwrap_or_default())),
                        Reply::new(226, "Transfer complete."),
                        StoreMode::Replace { rest: 0 },
                    ),
                    Verb::Appe => (
                        Reply::new(150, "Ok to send data."),
                        Reply::new(226, "File receive OK."),
                        StoreMode::Append,
                    ),
                    _ => (
                        Reply::new(150, "Ok to send data."),
                        Reply::new(226, "File receive OK."),
                        StoreMode::Replace { rest },
                    ),
                };
                (
                    Work::Receive {
                        target,
                        mode,
                        buf: Vec::new(),
                        from_wire: ascii.then(FromWire::new),
                    },
                    opening,
                    done,
                    None,
                )
            }
            _ => {
                self.reply(now, 502, "Command not implemented.");
                return;
            }
        };
        let (id, phase, ready) = match &self.data {
            DataSetup::None => return,
            DataSetup::Active(to) => {
                let to = *to;
                let id = self.new_id();
                let from_port = match self.config.data_port {
                    DataPortSource::Fixed(p) => Some(p),
                    DataPortSource::Ephemeral => None,
                };
                self.push(ServerAction::ConnectData { id, from_port, to });
                (id, Phase::Connecting, false)
            }
            DataSetup::Passive { id, conn, .. } => match conn {
                PassiveConn::Waiting => (
                    *id,
                    Phase::AwaitAccept {
                        deadline: now + self.config.accept_timeout,
                    },
                    false,
                ),
                PassiveConn::Accepted => (*id, Phase::Moving, true),
                PassiveConn::BadPeer => {
                    self.data = DataSetup::None;
                    self.reply(now, 425, "Security: Bad IP connecting.");
                    return;
                }
                PassiveConn::Gone => {
                    let id = *id;
                    self.data = DataSetup::None;
                    self.push(ServerAction::AbortData { id });
                    self.reply(now, 425, "Failed to establish connection.");
                    return;
                }
            },
        };
        self.busy = Busy::Transfer(Box::new(Transfer {
            id,
            verb,
            shown,
            size,
            phase,
            work,
            opening,
            done,
            bytes: 0,
        }));
        if ready {
            self.begin_moving(now, vfs);
        }
    }

    /// The data connection is up: 150, then data flows.
    fn begin_moving(&mut self, now: Instant, vfs: &mut Vfs) {
        let (early, early_eof) = match std::mem::replace(&mut self.data, DataSetup::None) {
            DataSetup::Passive {
                early, early_eof, ..
            } => (early, early_eof),
            _ => (Vec::new(), false),
        };
        let Busy::Transfer(t) = &mut self.busy else {
            return;
        };
        t.phase = Phase::Moving;
        let opening = t.opening.clone();
        let receiving = matches!(t.work, Work::Receive { .. });
        let started = FtpEvent::TransferStarted {
            id: t.id,
            verb: t.verb,
            path: t.shown.clone(),
            size: t.size,
        };
        self.send_reply(now, opening);
        self.event(started);
        if receiving {
            if !early.is_empty() {
                self.receive(now, &early);
            }
            if early_eof {
                self.finish_receive(now, vfs);
            }
        } else {
            self.pump();
        }
    }

    /// Hands the next piece of a download to the host; closes the data
    /// connection after the last one.
    fn pump(&mut self) {
        let chunk = self.config.data_chunk.max(1);
        let Busy::Transfer(t) = &mut self.busy else {
            return;
        };
        if t.phase != Phase::Moving {
            return;
        }
        let Work::Send {
            source,
            offset,
            to_wire,
            waiting,
        } = &mut t.work
        else {
            return;
        };
        if *waiting {
            return;
        }
        let id = t.id;
        let piece = source.read(*offset, chunk);
        *offset += piece.len() as u64;
        let finished = *offset >= source.len();
        if !piece.is_empty() {
            let bytes = match to_wire {
                Some(conv) => conv.convert(&piece),
                None => piece,
            };
            t.bytes += bytes.len() as u64;
            self.actions.push_back(ServerAction::SendData { id, bytes });
        }
        if finished {
            t.phase = Phase::AwaitFinAck;
            self.actions.push_back(ServerAction::CloseData { id });
        } else {
            *waiting = true;
        }
    }

    fn receive(&mut self, now: Instant, bytes: &[u8]) {
        let limit = self.config.max_upload;
        let Busy::Transfer(t) = &mut self.busy else {
            return;
        };
        let Work::Receive { buf, from_wire, .. } = &mut t.work else {
            return;
        };
        t.bytes += bytes.len() as u64;
        match from_wire {
            Some(conv) => buf.extend(conv.convert(bytes)),
            None => buf.extend_from_slice(bytes),
        }
        if buf.len() as u64 > limit {
            let id = t.id;
            self.push(ServerAction::AbortData { id });
            self.fail_transfer(now, 552, "Exceeded storage allocation.", "upload too large");
        }
    }

    /// Writes the upload into the Vfs. Returns false if that failed (the
    /// directory vanished meanwhile, say).
    fn store(&mut self, now: Instant, vfs: &mut Vfs) -> bool {
        let mtime = self.now_unix(now);
        let mode = 0o666 & !self.umask;
        let Busy::Transfer(t) = &mut self.busy else {
            return false;
        };
        let Work::Receive {
            target,
            mode: store,
            buf,
            from_wire,
        } = &mut t.work
        else {
            return false;
        };
        if let Some(conv) = from_wire {
            buf.extend(conv.finish());
        }
        let data = std::mem::take(buf);
        match *store {
            StoreMode::Append => vfs.append_file(target, &data, mtime, mode).is_ok(),
            StoreMode::Replace { rest } => {
                let mut whole = match (rest, vfs.file(target)) {
                    (0, _) | (_, Err(_)) => Vec::new(),
                    (r, Ok(old)) => old.read(0, usize::try_from(r).unwrap_or(usize::MAX)),
                };
                whole.extend_from_slice(&data);
                vfs.write_file(target, FileContent::bytes(whole), mtime, mode)
                    .is_ok()
            }
        }
    }

    /// The client closed its side after an upload: store, close ours, and
    /// wait for our FIN's ACK before the 226.
    fn finish_receive(&mut self, now: Instant, vfs: &mut Vfs) {
        let ok = self.store(now, vfs);
        let Busy::Transfer(t) = &mut self.busy else {
            return;
        };
        if !ok {
            t.done = Reply::new(553, "Could not create file.");
        }
        t.phase = Phase::AwaitFinAck;
        let id = t.id;
        self.push(ServerAction::CloseData { id });
    }

    /// An interrupted upload leaves what arrived, as a server writing as it
    /// reads would.
    fn save_partial(&mut self, now: Instant, vfs: &mut Vfs) {
        if matches!(&self.busy, Busy::Transfer(t) if t.phase == Phase::Moving && matches!(t.work, Work::Receive { .. }))
        {
            self.store(now, vfs);
        }
    }

    fn take_transfer(&mut self) -> Option<Box<Transfer>> {
        match std::mem::replace(&mut self.busy, Busy::Idle) {
            Busy::Transfer(t) => Some(t),
            other => {
                self.busy = other;
                None
            }
        }
    }

    fn fail_transfer(&mut self, now: Instant, code: u16, text: &str, reason: &str) {
        let Some(t) = self.take_transfer() else {
            return;
        };
        self.data = DataSetup::None;
        self.event(FtpEvent::TransferFailed {
            id: t.id,
            verb: t.verb,
            reason: reason.to_string(),
        });
        self.reply(now, code, text);
    }

    fn complete_transfer(&mut self, now: Instant) {
        let Some(t) = self.take_transfer() else {
            return;
        };
        self.data = DataSetup::None;
        let success = t.done.code.is_success();
        self.event(if success {
            FtpEvent::TransferCompleted {
                id: t.id,
                verb: t.verb,
                bytes: t.bytes,
            }
        } else {
            FtpEvent::TransferFailed {
                id: t.id,
                verb: t.verb,
                reason: t.done.text(),
            }
        });
        self.send_reply(now, t.done);
    }

    /// ABOR during a transfer (RFC 959 4.1.3): reset the data connection,
    /// 426 for the transfer, 226 for the ABOR.
    fn abort_transfer(&mut self, now: Instant, vfs: &mut Vfs) {
        let receiving =
            matches!(&self.busy, Busy::Transfer(t) if matches!(t.work, Work::Receive { .. }));
        if receiving {
            self.save_partial(now, vfs);
        }
        let Some(t) = self.take_transfer() else {
            return;
        };
        self.data = DataSetup::None;
        self.push(ServerAction::AbortData { id: t.id });
        self.event(FtpEvent::TransferFailed {
            id: t.id,
            verb: t.verb,
            reason: "aborted by ABOR".into(),
        });
        let text = if receiving {
            "Failure reading network stream."
        } else {
            "Failure writing network stream."
        };
        self.reply(now, 426, text);
        self.reply(now, 226, "ABOR successful.");
    }
}

/// A command line waiting its turn.
#[derive(Debug, Clone)]
enum Queued {
    Line(Vec<u8>),
    /// A line longer than the limit: it gets a 500 in its turn.
    TooLong,
}

/// The verb a line names, if any (for choosing its delay).
fn verb_of(line: &[u8]) -> Option<Verb> {
    let end = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
    std::str::from_utf8(&line[..end])
        .ok()
        .and_then(Verb::lookup)
}
