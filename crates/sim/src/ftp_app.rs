//! The FTP sessions of `netstep-ftp` as applications on simulated hosts.
//!
//! Each action a session asks for becomes one socket call, in order, so a
//! write and a following close are two calls and TCP may send them as two
//! segments, as a real program's `send()` then `close()` would. Writes
//! larger than the socket's send buffer are kept here and handed over as
//! the buffer drains; the session hears `Writable` once its whole write
//! has been taken.
//!
//! Leaves out: more than one FTP server per host.

use crate::tcphost::{App, AppIo, SockEvent};
use netstep_ftp::{
    ClientAction, ClientConfig, ClientSession, ConnectError, DataConnId, DataEvent, DataPortSource,
    FileContent, FtpEvent, LsCommand, ServerAction, ServerConfig, ServerSession, TypedLine, User,
    Vfs,
};
use netstep_scenario as sc;
use netstep_tcp::{CloseReason, ConnId, ListenerId};
use netstep_trace::AppEvent;
use netstep_wire::{Instant, Ipv4Addr};
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddrV4;
use std::sync::Arc;

/// The Unix time of virtual time zero: 2008-10-28, the seed's era.
const EPOCH_UNIX: i64 = 1_225_188_000;

/// A stable 64-bit seed for generated file content, from its path.
pub fn content_seed(path: &str) -> u64 {
    path.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Builds a file system from a scenario's files and directories.
pub fn vfs_from(files: &[sc::FtpFile], dirs: &[sc::FtpDir]) -> Vfs {
    let mut vfs = Vfs::new(EPOCH_UNIX);
    for d in dirs {
        // Validation has checked the paths; a failure here would be a bug
        // there, and the directory is then simply missing.
        let _ = vfs.create_dir_all(d.path.get_ref(), d.mtime.unwrap_or(EPOCH_UNIX));
    }
    for f in files {
        let path = f.path.get_ref();
        let content = match (&f.text, f.size) {
            (Some(t), _) => FileContent::bytes(t.as_bytes().to_vec()),
            (None, Some(n)) => FileContent::generated(n, content_seed(path)),
            (None, None) => FileContent::bytes(Vec::new()),
        };
        let _ = vfs.insert_file(path, content, f.mtime.unwrap_or(EPOCH_UNIX));
    }
    vfs
}

/// Maps an FTP event to what the trace records.
fn app_event(e: &FtpEvent) -> AppEvent {
    match e {
        FtpEvent::CommandReceived { line } => AppEvent::Command {
            text: line.clone(),
            sent: false,
        },
        FtpEvent::CommandSent { command } => AppEvent::Command {
            text: command.to_string(),
            sent: true,
        },
        FtpEvent::ReplySent { reply } => AppEvent::Reply {
            code: reply.code.get(),
            text: reply.wire_lines().join("\n"),
            sent: true,
        },
        FtpEvent::ReplyReceived { reply } => AppEvent::Reply {
            code: reply.code.get(),
            text: reply.wire_lines().join("\n"),
            sent: false,
        },
        FtpEvent::Typed { text, .. } => AppEvent::Typed { line: text.clone() },
        FtpEvent::TransferCompleted { verb, bytes, .. } => AppEvent::Transfer {
            name: verb.to_string(),
            bytes: *bytes,
        },
        other => AppEvent::Note {
            text: other.to_string(),
        },
    }
}

/// A data socket of one session: listening, connecting or connected, with
/// bytes that did not fit in the send buffer yet.
#[derive(Debug, Default)]
struct DataSock {
    listener: Option<ListenerId>,
    conn: Option<ConnId>,
    connected: bool,
    pending: VecDeque<u8>,
    close_when_drained: bool,
    /// The session waits for `Writable` after a write that did not fit.
    owe_writable: bool,
    closed_by_us: bool,
}

impl DataSock {
    /// `CloseData`: stop listening, or FIN once the queued bytes are out.
    fn close(&mut self, io: &mut AppIo<'_, '_>) {
        if let Some(l) = self.listener.take() {
            io.unlisten(l);
        }
        self.close_when_drained = true;
        drain(io, self);
    }

    /// `AbortData`: stop listening, or reset the connection.
    fn abort(&mut self, io: &mut AppIo<'_, '_>) {
        if let Some(l) = self.listener.take() {
            io.unlisten(l);
        }
        if let Some(c) = self.conn {
            io.abort(c);
        }
        self.pending.clear();
    }

    /// `SendData`: true when the session may be told `Writable` at once;
    /// otherwise it is told when the socket has taken everything.
    fn send(&mut self, io: &mut AppIo<'_, '_>, bytes: &[u8]) -> bool {
        let all = write(io, self, bytes);
        if !all {
            self.owe_writable = true;
        }
        all
    }

    /// The socket has room again: true when the session is owed `Writable`.
    fn on_writable(&mut self, io: &mut AppIo<'_, '_>) -> bool {
        if drain(io, self) && self.owe_writable {
            self.owe_writable = false;
            return true;
        }
        false
    }

    /// The session's word for how the connection ended.
    fn closed_event(&self, reason: CloseReason) -> DataEvent {
        match (self.connected, reason) {
            (false, CloseReason::Refused) => DataEvent::ConnectFailed(ConnectError::Refused),
            (false, _) => DataEvent::ConnectFailed(ConnectError::TimedOut),
            (true, CloseReason::Normal) => DataEvent::Closed,
            (true, _) => DataEvent::Reset,
        }
    }
}

/// Sends what fits of `d.pending`; closes when drained if asked to.
/// Returns true when the pending bytes are all handed over.
fn drain(io: &mut AppIo<'_, '_>, d: &mut DataSock) -> bool {
    let Some(conn) = d.conn else {
        return d.pending.is_empty();
    };
    while !d.pending.is_empty() {
        let (a, _) = d.pending.as_slices();
        let n = io.send(conn, a);
        if n == 0 {
            return false;
        }
        d.pending.drain(..n);
    }
    if d.close_when_drained && !d.closed_by_us {
        d.closed_by_us = true;
        io.close(conn);
    }
    true
}

/// Writes `bytes` as one socket call; what does not fit waits.
fn write(io: &mut AppIo<'_, '_>, d: &mut DataSock, bytes: &[u8]) -> bool {
    if d.pending.is_empty()
        && let Some(conn) = d.conn
    {
        let n = io.send(conn, bytes);
        d.pending.extend(&bytes[n..]);
        return d.pending.is_empty();
    }
    d.pending.extend(bytes);
    drain(io, d)
}

/// The server program: listens on the control port and runs one
/// [`ServerSession`] per accepted connection over a shared file system.
pub struct FtpServerApp {
    config: Arc<ServerConfig>,
    port: u16,
    nodelay: bool,
    vfs: Vfs,
    listener: Option<ListenerId>,
    sessions: BTreeMap<ConnId, ServerSlot>,
    /// Data conns and listeners back to (control conn, data id).
    data_conn: BTreeMap<ConnId, (ConnId, DataConnId)>,
    data_listener: BTreeMap<ListenerId, (ConnId, DataConnId)>,
    /// Every session's deadline, earliest first, and how many sessions
    /// have not ended: a server with thousands of sessions answers
    /// `poll_timeout` and `finished` without visiting them all.
    timers: std::collections::BTreeSet<(Instant, ConnId)>,
    running: usize,
}

struct ServerSlot {
    session: ServerSession,
    data: BTreeMap<DataConnId, DataSock>,
    control_closed: bool,
    /// The session's deadline and whether it has ended, as of the last
    /// call into it (mirrored in `FtpServerApp::timers` and `running`).
    deadline: Option<Instant>,
    ended: bool,
}

impl std::fmt::Debug for FtpServerApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FtpServerApp")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl FtpServerApp {
    pub fn new(spec: &sc::FtpServerSpec, _addr: Ipv4Addr) -> Self {
        let mut delays = BTreeMap::new();
        let mut default_delay = netstep_wire::Duration::ZERO;
        for (verb, d) in &spec.delays {
            if verb.eq_ignore_ascii_case("default") {
                default_delay = *d;
            } else if let Ok(v) = verb.parse() {
                delays.insert(v, *d);
            }
        }
        let data_port = match spec.data_port {
            sc::DataPortSetting::Default => {
                DataPortSource::Fixed(spec.port.saturating_sub(1).max(1))
            }
            sc::DataPortSetting::Fixed(p) => DataPortSource::Fixed(p),
            sc::DataPortSetting::Ephemeral => DataPortSource::Ephemeral,
        };
        let config = ServerConfig {
            greeting: spec.greeting.clone(),
            users: spec
                .users
                .iter()
                .map(|u| User::new(&u.name, &u.password))
                .collect(),
            anonymous: spec.anonymous,
            data_port,
            passive_ports: (spec.passive_ports[0], spec.passive_ports[1]),
            delays,
            default_delay,
            allow_foreign_port: spec.allow_foreign_port,
            epoch_unix: EPOCH_UNIX,
            ..ServerConfig::default()
        };
        FtpServerApp {
            config: Arc::new(config),
            port: spec.port,
            nodelay: spec.nodelay,
            vfs: vfs_from(&spec.files, &spec.dirs),
            listener: None,
            sessions: BTreeMap::new(),
            data_conn: BTreeMap::new(),
            data_listener: BTreeMap::new(),
            timers: Default::default(),
            running: 0,
        }
    }

    /// Carries out every action the session of `ctl` has queued, then
    /// brings its deadline and end state up to date. Every call into a
    /// session is followed by this.
    fn pump(&mut self, now: Instant, ctl: ConnId, io: &mut AppIo<'_, '_>) {
        self.pump_actions(now, ctl, io);
        self.refresh(ctl);
    }

    fn refresh(&mut self, ctl: ConnId) {
        let Some(slot) = self.sessions.get_mut(&ctl) else {
            return;
        };
        let deadline = slot.session.poll_timeout();
        if deadline != slot.deadline {
            if let Some(old) = slot.deadline {
                self.timers.remove(&(old, ctl));
            }
            if let Some(new) = deadline {
                self.timers.insert((new, ctl));
            }
            slot.deadline = deadline;
        }
        let ended = slot.session.is_ended();
        if ended != slot.ended {
            slot.ended = ended;
            if ended {
                self.running -= 1;
            } else {
                self.running += 1;
            }
        }
    }

    fn pump_actions(&mut self, now: Instant, ctl: ConnId, io: &mut AppIo<'_, '_>) {
        let Some(slot) = self.sessions.get_mut(&ctl) else {
            return;
        };
        while let Some(a) = slot.session.poll_action() {
            match a {
                ServerAction::SendControl(bytes) => {
                    io.send(ctl, &bytes);
                }
                ServerAction::CloseControl => io.close(ctl),
                ServerAction::ConnectData { id, from_port, to } => {
                    let d = slot.data.entry(id).or_default();
                    match io.connect(to, from_port, "data") {
                        Ok(c) => {
                            d.conn = Some(c);
                            self.data_conn.insert(c, (ctl, id));
                        }
                        Err(_) => slot.session.handle_data_event(
                            now,
                            id,
                            DataEvent::ConnectFailed(ConnectError::Unreachable),
                            &mut self.vfs,
                        ),
                    }
                }
                ServerAction::ListenData {
                    id,
                    ports: (lo, hi),
                } => {
                    // The lowest free port of the range, like vsftpd with
                    // a sequential pasv range.
                    let got = (lo..=hi).find_map(|p| io.listen(p, "data").ok());
                    match got {
                        Some((l, port)) => {
                            slot.data.entry(id).or_default().listener = Some(l);
                            self.data_listener.insert(l, (ctl, id));
                            slot.session.handle_data_event(
                                now,
                                id,
                                DataEvent::Listening { port },
                                &mut self.vfs,
                            );
                        }
                        None => slot.session.handle_data_event(
                            now,
                            id,
                            DataEvent::ListenFailed,
                            &mut self.vfs,
                        ),
                    }
                }
                ServerAction::SendData { id, bytes } => {
                    if slot.data.entry(id).or_default().send(io, &bytes) {
                        slot.session
                            .handle_data_event(now, id, DataEvent::Writable, &mut self.vfs);
                    }
                }
                ServerAction::CloseData { id } => {
                    if let Some(d) = slot.data.get_mut(&id) {
                        d.close(io);
                    }
                }
                ServerAction::AbortData { id } => {
                    if let Some(d) = slot.data.get_mut(&id) {
                        d.abort(io);
                    }
                }
                ServerAction::Event(e) => io.note("ftp-server", app_event(&e)),
            }
        }
    }

    fn data_event(&mut self, now: Instant, conn: ConnId, ev: DataEvent, io: &mut AppIo<'_, '_>) {
        if let Some(&(ctl, id)) = self.data_conn.get(&conn) {
            if let Some(slot) = self.sessions.get_mut(&ctl) {
                slot.session.handle_data_event(now, id, ev, &mut self.vfs);
            }
            self.pump(now, ctl, io);
        }
    }
}

impl App for FtpServerApp {
    fn name(&self) -> &str {
        "ftp-server"
    }

    fn start(&mut self, _now: Instant, io: &mut AppIo<'_, '_>) {
        self.listener = io.listen(self.port, "control").ok().map(|(l, _)| l);
    }

    fn on_event(&mut self, now: Instant, ev: SockEvent<'_>, io: &mut AppIo<'_, '_>) {
        match ev {
            SockEvent::Accepted {
                listener,
                conn,
                peer,
            } if Some(listener) == self.listener => {
                if self.nodelay {
                    io.set_nodelay(conn, true);
                }
                let local = SocketAddrV4::new(io.local_addr(), self.port);
                let session = ServerSession::new(self.config.clone(), now, peer, local);
                self.sessions.insert(
                    conn,
                    ServerSlot {
                        session,
                        data: BTreeMap::new(),
                        control_closed: false,
                        deadline: None,
                        ended: false,
                    },
                );
                self.running += 1;
                self.pump(now, conn, io);
            }
            SockEvent::Accepted {
                listener,
                conn,
                peer,
            } => {
                if let Some((ctl, id)) = self.data_listener.remove(&listener) {
                    io.unlisten(listener);
                    self.data_conn.insert(conn, (ctl, id));
                    if let Some(slot) = self.sessions.get_mut(&ctl) {
                        let d = slot.data.entry(id).or_default();
                        d.listener = None;
                        d.conn = Some(conn);
                        d.connected = true;
                    }
                    self.data_event(now, conn, DataEvent::Connected { peer }, io);
                }
            }
            SockEvent::Connected { conn } => {
                let peer = self
                    .data_conn
                    .get(&conn)
                    .and_then(|(ctl, id)| self.sessions.get(ctl)?.data.get(id))
                    .map(|_| ());
                if peer.is_some()
                    && let Some(&(ctl, id)) = self.data_conn.get(&conn)
                {
                    let remote = self.sessions[&ctl].session.peer();
                    if let Some(d) = self
                        .sessions
                        .get_mut(&ctl)
                        .and_then(|s| s.data.get_mut(&id))
                    {
                        d.connected = true;
                    }
                    // The session only needs to know it is up; `peer` is the
                    // client's address it connected to.
                    self.data_event(now, conn, DataEvent::Connected { peer: remote }, io);
                }
            }
            SockEvent::Received { conn, bytes } => {
                if self.sessions.contains_key(&conn) {
                    if let Some(slot) = self.sessions.get_mut(&conn) {
                        slot.session.handle_control_data(now, bytes, &mut self.vfs);
                    }
                    self.pump(now, conn, io);
                } else {
                    self.data_event(now, conn, DataEvent::Received(bytes.to_vec()), io);
                }
            }
            SockEvent::PeerClosed { conn } => {
                if let Some(slot) = self.sessions.get_mut(&conn) {
                    if !slot.control_closed {
                        slot.control_closed = true;
                        slot.session.handle_control_closed(now, &mut self.vfs);
                    }
                    self.pump(now, conn, io);
                } else {
                    self.data_event(now, conn, DataEvent::PeerClosed, io);
                }
            }
            SockEvent::AllAcked { conn } => {
                let ours = self
                    .data_conn
                    .get(&conn)
                    .and_then(|(ctl, id)| self.sessions.get(ctl)?.data.get(id))
                    .is_some_and(|d| d.closed_by_us);
                if ours {
                    self.data_event(now, conn, DataEvent::FinAcked, io);
                }
            }
            SockEvent::Writable { conn } => {
                if let Some(&(ctl, id)) = self.data_conn.get(&conn)
                    && let Some(d) = self
                        .sessions
                        .get_mut(&ctl)
                        .and_then(|s| s.data.get_mut(&id))
                    && d.on_writable(io)
                {
                    self.data_event(now, conn, DataEvent::Writable, io);
                }
            }
            SockEvent::Closed { conn, reason } => {
                if let Some(mut slot) = self.sessions.remove(&conn) {
                    if let Some(d) = slot.deadline {
                        self.timers.remove(&(d, conn));
                    }
                    if !slot.ended {
                        self.running -= 1;
                    }
                    if !slot.control_closed {
                        slot.session.handle_control_closed(now, &mut self.vfs);
                    }
                    // Nothing more can be sent for this session.
                    while slot.session.poll_action().is_some() {}
                } else if let Some((ctl, id)) = self.data_conn.remove(&conn) {
                    if let Some(slot) = self.sessions.get_mut(&ctl) {
                        let ev = slot
                            .data
                            .remove(&id)
                            .unwrap_or_default()
                            .closed_event(reason);
                        slot.session.handle_data_event(now, id, ev, &mut self.vfs);
                    }
                    self.pump(now, ctl, io);
                }
            }
        }
    }

    fn on_timeout(&mut self, now: Instant, io: &mut AppIo<'_, '_>) {
        // The sessions due, in the order of their control connections.
        let mut due: Vec<ConnId> = self
            .timers
            .iter()
            .take_while(|(t, _)| *t <= now)
            .map(|&(_, c)| c)
            .collect();
        due.sort_unstable();
        debug_assert_eq!(
            due,
            self.sessions
                .iter()
                .filter(|(_, s)| s.session.poll_timeout().is_some_and(|t| t <= now))
                .map(|(c, _)| *c)
                .collect::<Vec<_>>()
        );
        for ctl in due {
            if let Some(slot) = self.sessions.get_mut(&ctl) {
                slot.session.handle_timeout(now, &mut self.vfs);
            }
            self.pump(now, ctl, io);
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        debug_assert_eq!(
            self.timers.first().map(|&(t, _)| t),
            self.sessions
                .values()
                .filter_map(|s| s.session.poll_timeout())
                .min()
        );
        self.timers.first().map(|&(t, _)| t)
    }

    fn finished(&self) -> bool {
        // A server never exits; it is idle when no session is running.
        debug_assert_eq!(
            self.running == 0,
            self.sessions.values().all(|s| s.session.is_ended())
        );
        self.running == 0
    }
}

/// The client program with its user.
pub struct FtpClientApp {
    session: ClientSession,
    start: Instant,
    started: bool,
    control: Option<ConnId>,
    control_up: bool,
    data: BTreeMap<DataConnId, DataSock>,
    data_conn: BTreeMap<ConnId, DataConnId>,
    data_listener: BTreeMap<ListenerId, DataConnId>,
    finished: bool,
}

impl std::fmt::Debug for FtpClientApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FtpClientApp").finish_non_exhaustive()
    }
}

impl FtpClientApp {
    pub fn new(spec: &sc::FtpClientSpec, _addr: Ipv4Addr, server: Ipv4Addr) -> Self {
        let config = ClientConfig {
            connect_to: Some(SocketAddrV4::new(server, spec.port)),
            passive: spec.mode != sc::FtpMode::Active,
            extended: spec.mode == sc::FtpMode::Epsv,
            ls_sends: spec.ls.parse().unwrap_or(LsCommand::Nlst),
            think: spec.think,
            program_reaction: spec.reaction,
            local_files: vfs_from(&spec.files, &[]),
            epoch_unix: EPOCH_UNIX,
            ..ClientConfig::default()
        };
        let script = spec
            .typed
            .iter()
            .map(|t| TypedLine {
                line: t.line.clone(),
                think: t.think,
            })
            .collect();
        let start = Instant::ZERO + spec.start.unwrap_or_default();
        FtpClientApp {
            session: ClientSession::new(config, script, start),
            start,
            started: false,
            control: None,
            control_up: false,
            data: BTreeMap::new(),
            data_conn: BTreeMap::new(),
            data_listener: BTreeMap::new(),
            finished: false,
        }
    }

    /// The client's local files (downloads land here).
    pub fn local_files(&self) -> &Vfs {
        self.session.local_files()
    }

    fn pump(&mut self, now: Instant, io: &mut AppIo<'_, '_>) {
        while let Some(a) = self.session.poll_action() {
            match a {
                ClientAction::ConnectControl { to } => match io.connect(to, None, "control") {
                    Ok(c) => self.control = Some(c),
                    Err(_) => self
                        .session
                        .handle_control_connect_failed(now, ConnectError::Unreachable),
                },
                ClientAction::SendControl(bytes) => {
                    if let Some(c) = self.control {
                        io.send(c, &bytes);
                    }
                }
                ClientAction::CloseControl => {
                    if let Some(c) = self.control {
                        io.close(c);
                    }
                }
                ClientAction::ListenData { id } => match io.listen(0, "data") {
                    Ok((l, port)) => {
                        self.data.entry(id).or_default().listener = Some(l);
                        self.data_listener.insert(l, id);
                        self.session
                            .handle_data_event(now, id, DataEvent::Listening { port });
                    }
                    Err(_) => self
                        .session
                        .handle_data_event(now, id, DataEvent::ListenFailed),
                },
                ClientAction::ConnectData { id, to } => match io.connect(to, None, "data") {
                    Ok(c) => {
                        self.data.entry(id).or_default().conn = Some(c);
                        self.data_conn.insert(c, id);
                    }
                    Err(_) => self.session.handle_data_event(
                        now,
                        id,
                        DataEvent::ConnectFailed(ConnectError::Unreachable),
                    ),
                },
                ClientAction::SendData { id, bytes } => {
                    if self.data.entry(id).or_default().send(io, &bytes) {
                        self.session.handle_data_event(now, id, DataEvent::Writable);
                    }
                }
                ClientAction::CloseData { id } => {
                    if let Some(d) = self.data.get_mut(&id) {
                        d.close(io);
                    }
                }
                ClientAction::AbortData { id } => {
                    if let Some(d) = self.data.get_mut(&id) {
                        d.abort(io);
                    }
                }
                ClientAction::Transcript(line) => {
                    io.note("ftp-client", AppEvent::Transcript { line })
                }
                ClientAction::LocalFileWritten { path, bytes } => io.note(
                    "ftp-client",
                    AppEvent::Note {
                        text: format!("saved {path} ({} bytes)", bytes.len()),
                    },
                ),
                ClientAction::Event(e) => io.note("ftp-client", app_event(&e)),
                ClientAction::Finished => self.finished = true,
            }
        }
    }

    fn data_event(&mut self, now: Instant, conn: ConnId, ev: DataEvent, io: &mut AppIo<'_, '_>) {
        if let Some(&id) = self.data_conn.get(&conn) {
            self.session.handle_data_event(now, id, ev);
            self.pump(now, io);
        }
    }
}

impl App for FtpClientApp {
    fn name(&self) -> &str {
        "ftp-client"
    }

    fn start(&mut self, now: Instant, io: &mut AppIo<'_, '_>) {
        if now >= self.start {
            self.started = true;
            self.pump(now, io);
        }
    }

    fn on_event(&mut self, now: Instant, ev: SockEvent<'_>, io: &mut AppIo<'_, '_>) {
        match ev {
            SockEvent::Connected { conn } if Some(conn) == self.control => {
                self.control_up = true;
                let snap = io.endpoints(conn);
                if let Some((local, peer)) = snap {
                    self.session.handle_control_connected(now, local, peer);
                }
                self.pump(now, io);
            }
            SockEvent::Connected { conn } => {
                if let Some(d) = self
                    .data_conn
                    .get(&conn)
                    .and_then(|id| self.data.get_mut(id))
                {
                    d.connected = true;
                }
                let peer = io.endpoints(conn).map(|(_, p)| p);
                if let Some(peer) = peer {
                    self.data_event(now, conn, DataEvent::Connected { peer }, io);
                }
            }
            SockEvent::Accepted {
                listener,
                conn,
                peer,
            } => {
                if let Some(id) = self.data_listener.remove(&listener) {
                    io.unlisten(listener);
                    self.data_conn.insert(conn, id);
                    let d = self.data.entry(id).or_default();
                    d.listener = None;
                    d.conn = Some(conn);
                    d.connected = true;
                    self.data_event(now, conn, DataEvent::Connected { peer }, io);
                }
            }
            SockEvent::Received { conn, bytes } => {
                if Some(conn) == self.control {
                    self.session.handle_control_data(now, bytes);
                    self.pump(now, io);
                } else {
                    self.data_event(now, conn, DataEvent::Received(bytes.to_vec()), io);
                }
            }
            SockEvent::PeerClosed { conn } => {
                if Some(conn) == self.control {
                    self.session.handle_control_closed(now);
                    self.pump(now, io);
                } else {
                    self.data_event(now, conn, DataEvent::PeerClosed, io);
                }
            }
            SockEvent::AllAcked { conn } => {
                let ours = self
                    .data_conn
                    .get(&conn)
                    .and_then(|id| self.data.get(id))
                    .is_some_and(|d| d.closed_by_us);
                if ours {
                    self.data_event(now, conn, DataEvent::FinAcked, io);
                }
            }
            SockEvent::Writable { conn } => {
                if let Some(&id) = self.data_conn.get(&conn)
                    && let Some(d) = self.data.get_mut(&id)
                    && d.on_writable(io)
                {
                    self.data_event(now, conn, DataEvent::Writable, io);
                }
            }
            SockEvent::Closed { conn, reason } => {
                if Some(conn) == self.control {
                    if !self.control_up {
                        let e = if reason == CloseReason::Refused {
                            ConnectError::Refused
                        } else {
                            ConnectError::TimedOut
                        };
                        self.session.handle_control_connect_failed(now, e);
                    } else {
                        self.session.handle_control_closed(now);
                    }
                    self.control = None;
                    self.pump(now, io);
                } else if let Some(id) = self.data_conn.remove(&conn) {
                    let ev = self
                        .data
                        .remove(&id)
                        .unwrap_or_default()
                        .closed_event(reason);
                    self.session.handle_data_event(now, id, ev);
                    self.pump(now, io);
                }
            }
        }
    }

    fn on_timeout(&mut self, now: Instant, io: &mut AppIo<'_, '_>) {
        if !self.started && now >= self.start {
            self.started = true;
        }
        self.session.handle_timeout(now);
        self.pump(now, io);
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if !self.started {
            return Some(self.start);
        }
        self.session.poll_timeout()
    }

    fn finished(&self) -> bool {
        self.finished || self.session.is_finished()
    }
}
