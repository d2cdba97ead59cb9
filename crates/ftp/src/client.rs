//! The FTP client: the classic command-line `ftp` program and its user.
//!
//! A [`ClientSession`] is the program (Windows `ftp.exe` of the seed's era,
//! with a few BSD commands) and a person at its keyboard. The person types
//! the [`TypedLine`]s of a script, each after its think time counted from
//! when the prompt appeared; the program turns them into commands, reads
//! the replies, prints what the real program prints ([`ClientAction::Transcript`])
//! and asks the host for connections. Like the server it is sans-IO: the
//! host passes time, bytes and connection events in and carries out the
//! [`ClientAction`]s.
//!
//! # Timing
//!
//! - A typed line is handled at prompt time + think time.
//! - What the program does by itself happens without think time: it sends
//!   the data command as soon as `200` answers `PORT` (so the ACK of the
//!   200 rides on NLST, stage 15), `RNTO` after `350`, and closes the
//!   control connection once it has read the `221`.
//! - Every network input (reply bytes, connection events) is acted on
//!   `program_reaction` after it arrives: the process has to wake up. That
//!   small gap is why the client's TCP acknowledges the server's FIN before
//!   the program closes its own side (segments 35 and 36 of the ladder).
//!   Only the answer to the program's own `listen()` (`Listening`) is
//!   immediate, as a system call's result is.
//!
//! # Data connections
//!
//! Active mode: the program asks the host for a fresh listening port
//! ([`ClientAction::ListenData`]) for every transfer (classic clients bind
//! a new ephemeral port each time; RFC 959 5.2 would allow reusing the
//! control port) and announces it with `PORT h1,h2,h3,h4,p1,p2` (or
//! `EPRT`) naming the control connection's local address. Passive mode:
//! `PASV` (or `EPSV`), then a connection to the address in the reply
//! (RFC 1123 4.1.2.6: scan the `227` text for the numbers). The side that
//! sends closes the data connection first: after a download or listing
//! the client closes its side once it has both seen the data's end (the
//! server's FIN) and read the `226`; after an upload it closes as soon as
//! the file is sent, and the transfer ends with the `226`.
//!
//! Leaves out: `mget`/`mput`/`mdelete` and their prompting, `lcd`, `hash`,
//! `verbose`, command abbreviations, the prompts `ftp.exe` shows for
//! missing arguments (a usage line is printed instead), restarts, proxy
//! (three-party) transfers, and TLS.

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddrV4};

use netstep_wire::{Duration, Instant};

use crate::ascii::{FromWire, LineEnding, ToWire};
use crate::codec::{
    Command, ExtendedAddr, FormatControl, HostPort, Reply, ReplyDecoder, TypeCode, Verb,
    parse_epsv_reply, parse_pasv_reply,
};
use crate::conn::{ConnectError, DataConnId, DataEvent, FtpEvent};
use crate::vfs::{FileContent, UnixTime, Vfs, VfsPath};

/// One line the user types, and how long they think before typing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedLine {
    pub line: String,
    /// Time from the prompt to the end of typing; the client's default
    /// think time if `None`.
    pub think: Option<Duration>,
}

impl TypedLine {
    pub fn new(line: &str) -> Self {
        TypedLine {
            line: line.to_string(),
            think: None,
        }
    }

    pub fn after(line: &str, think: Duration) -> Self {
        TypedLine {
            line: line.to_string(),
            think: Some(think),
        }
    }
}

/// Which command `ls` sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LsCommand {
    /// `NLST`: Windows `ftp.exe`, the seed's client.
    #[default]
    Nlst,
    /// `LIST`: Linux netkit `ftp`.
    List,
}

impl core::str::FromStr for LsCommand {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "NLST" => Ok(LsCommand::Nlst),
            "LIST" => Ok(LsCommand::List),
            _ => Err(format!("`{s}` is not NLST or LIST")),
        }
    }
}

/// How the program behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// `ftp 192.168.120.240`: connect at start. `None`: start at the
    /// `ftp>` prompt (the script then begins with `open ...`).
    pub connect_to: Option<SocketAddrV4>,
    /// Passive mode (PASV/EPSV) instead of active (PORT/EPRT).
    pub passive: bool,
    /// Use the RFC 2428 commands: EPRT instead of PORT, EPSV instead of PASV.
    pub extended: bool,
    pub ls_sends: LsCommand,
    /// Think time for lines that give none.
    pub think: Duration,
    /// Time from an input arriving to the program acting on it.
    pub program_reaction: Duration,
    /// The local file system: `put` reads it, `get` writes it.
    pub local_files: Vfs,
    /// How local files end their lines (for `TYPE A`); CRLF on Windows.
    pub local_line_ending: LineEnding,
    /// The Unix time at `Instant::ZERO` (modification time of downloads).
    pub epoch_unix: UnixTime,
    /// Largest piece of a local file handed to the host in one `SendData`.
    pub data_chunk: usize,
    /// Largest download kept in memory.
    pub max_download: u64,
}

impl Default for ClientConfig {
    /// The seed's client: Windows `ftp.exe`, active mode, NLST for `ls`.
    fn default() -> Self {
        ClientConfig {
            connect_to: None,
            passive: false,
            extended: false,
            ls_sends: LsCommand::Nlst,
            think: Duration::from_secs(2),
            program_reaction: Duration::from_millis(1),
            local_files: Vfs::default(),
            local_line_ending: LineEnding::CrLf,
            epoch_unix: 1_225_188_000,
            data_chunk: 64 * 1024,
            max_download: 64 * 1024 * 1024,
        }
    }
}

/// What the client session asks the host to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientAction {
    /// Open the control connection from an ephemeral port; report with
    /// `handle_control_connected` or `handle_control_connect_failed`.
    ConnectControl { to: SocketAddrV4 },
    /// Write these bytes to the control connection.
    SendControl(Vec<u8>),
    /// Close the control connection (FIN).
    CloseControl,
    /// Bind a fresh ephemeral port on the control connection's local
    /// address and listen; report `Listening { port }` at once (it is the
    /// result of a system call), then `Connected` for the one accepted
    /// connection (and stop listening).
    ListenData { id: DataConnId },
    /// Connect a data connection to `to`; report `Connected`/`ConnectFailed`.
    ConnectData { id: DataConnId, to: SocketAddrV4 },
    /// Write to data connection `id`; report `Writable` when there is room again.
    SendData { id: DataConnId, bytes: Vec<u8> },
    /// Close data connection `id` (FIN), or stop listening.
    CloseData { id: DataConnId },
    /// Reset data connection `id`, or stop listening.
    AbortData { id: DataConnId },
    /// A line the program prints (or the user's input echoed after a prompt).
    Transcript(String),
    /// A download was written to the local file system.
    LocalFileWritten { path: String, bytes: Vec<u8> },
    /// For the trace.
    Event(FtpEvent),
    /// The program has exited. The host should still let TCP finish
    /// closing the control connection.
    Finished,
}

#[derive(Debug, Clone)]
enum Input {
    Connected {
        local: SocketAddrV4,
        peer: SocketAddrV4,
    },
    ConnectFailed(ConnectError),
    Bytes(Vec<u8>),
    Closed,
    Data(DataConnId, DataEvent),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PromptKind {
    Ftp,
    User,
    Password,
    Account,
}

#[derive(Debug, Clone)]
enum After {
    /// Print the reply, show the `ftp>` prompt.
    Prompt,
    /// USER's reply; the password if it was typed on the `user` line.
    User {
        user: String,
        pass: Option<String>,
    },
    Pass {
        user: String,
    },
    Acct {
        user: String,
    },
    /// RNFR's reply: RNTO follows by itself.
    Rename {
        to: String,
    },
    Type {
        ascii: bool,
    },
    /// QUIT's reply; then close, and exit if `exit`.
    Quit {
        exit: bool,
    },
}

#[derive(Debug, Clone)]
enum XKind {
    /// `ls`/`dir`: print what arrives.
    Listing,
    /// `get`: write what arrives to `local`.
    Get { local: VfsPath },
    /// `put`/`append`: send the local file.
    Put { content: FileContent },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum XStep {
    /// Active: waiting for the host's port.
    AwaitListening,
    /// Active: PORT/EPRT sent.
    AwaitPortReply,
    /// Passive: PASV/EPSV sent.
    AwaitPasvReply,
    /// Passive: connecting to the server's port.
    Connecting,
    /// The data command is out.
    Running,
}

#[derive(Debug, Clone)]
struct Xfer {
    id: DataConnId,
    kind: XKind,
    cmd: Command,
    step: XStep,
    connected: bool,
    listening: bool,
    eof: bool,
    reset: bool,
    prelim: bool,
    final_reply: Option<Reply>,
    closed: bool,
    received: Vec<u8>,
    bytes: u64,
    /// When the data started to move (the 150), and when it stopped (the
    /// data's end for a download, the last piece handed over for an
    /// upload): the span `ftp.exe` reports.
    started: Instant,
    stopped: Option<Instant>,
    /// Upload progress.
    sent: u64,
    waiting_writable: bool,
    to_wire: Option<ToWire>,
    /// A listing has been printed.
    printed: bool,
}

#[derive(Debug, Clone)]
enum Op {
    /// At a prompt, or nothing to do.
    Idle,
    Connecting {
        host: SocketAddrV4,
    },
    Greeting {
        host: SocketAddrV4,
    },
    Simple(After),
    Transfer(Box<Xfer>),
    Exited,
}

#[derive(Debug, Clone, Copy)]
enum Control {
    Closed,
    Connecting,
    Open {
        local: SocketAddrV4,
        peer: SocketAddrV4,
    },
}

/// The `ftp` program with a user at the keyboard; see the module docs.
#[derive(Debug, Clone)]
pub struct ClientSession {
    config: ClientConfig,
    script: VecDeque<TypedLine>,
    local: Vfs,
    inbox: VecDeque<(Instant, Input)>,
    actions: VecDeque<ClientAction>,
    replies: ReplyDecoder,
    control: Control,
    prompt: Option<(PromptKind, Instant)>,
    op: Op,
    ascii: bool,
    passive: bool,
    extended: bool,
    logged_in: bool,
    /// The name sent with the last USER.
    user: String,
    next_id: u32,
    script_ended: bool,
}

/// Most inputs waiting for the program to wake up.
const MAX_INBOX: usize = 4096;

impl ClientSession {
    /// Starts the program at `now`: connecting at once if the config names
    /// a server (`ftp 192.168.120.240`), else showing the `ftp>` prompt.
    pub fn new(config: ClientConfig, script: Vec<TypedLine>, now: Instant) -> Self {
        let local = config.local_files.clone();
        let mut s = ClientSession {
            passive: config.passive,
            extended: config.extended,
            config,
            script: script.into(),
            local,
            inbox: VecDeque::new(),
            actions: VecDeque::new(),
            replies: ReplyDecoder::new(),
            control: Control::Closed,
            prompt: None,
            op: Op::Idle,
            ascii: true,
            logged_in: false,
            user: String::new(),
            next_id: 1,
            script_ended: false,
        };
        match s.config.connect_to {
            Some(to) => s.open(to),
            None => s.show_prompt(now, PromptKind::Ftp),
        }
        s
    }

    // ----- getters -----

    /// The local file system, with downloads so far.
    pub fn local_files(&self) -> &Vfs {
        &self.local
    }

    /// True once the program has exited.
    pub fn is_finished(&self) -> bool {
        matches!(self.op, Op::Exited)
    }

    /// True when the user is logged in.
    pub fn is_logged_in(&self) -> bool {
        self.logged_in
    }

    /// Lines of the script not typed yet.
    pub fn remaining_script(&self) -> usize {
        self.script.len()
    }

    // ----- input -----

    /// The control connection is up (the handshake finished).
    pub fn handle_control_connected(
        &mut self,
        now: Instant,
        local: SocketAddrV4,
        peer: SocketAddrV4,
    ) {
        self.input(now, Input::Connected { local, peer });
    }

    /// The control connection could not be opened.
    pub fn handle_control_connect_failed(&mut self, now: Instant, error: ConnectError) {
        self.input(now, Input::ConnectFailed(error));
    }

    /// Bytes arrived on the control connection.
    pub fn handle_control_data(&mut self, now: Instant, bytes: &[u8]) {
        self.input(now, Input::Bytes(bytes.to_vec()));
    }

    /// The server closed (FIN) or reset the control connection.
    pub fn handle_control_closed(&mut self, now: Instant) {
        self.input(now, Input::Closed);
    }

    /// Something happened on data connection (or listener) `id`.
    pub fn handle_data_event(&mut self, now: Instant, id: DataConnId, ev: DataEvent) {
        if matches!(ev, DataEvent::Listening { .. } | DataEvent::ListenFailed) {
            // The answer to the program's own listen(): no wake-up needed.
            self.on_data(now, id, ev);
            self.handle_timeout(now);
            return;
        }
        self.input(now, Input::Data(id, ev));
    }

    fn input(&mut self, now: Instant, i: Input) {
        if self.is_finished() {
            return;
        }
        if self.inbox.len() >= MAX_INBOX {
            self.event(FtpEvent::InputDiscarded {
                reason: "too many inputs waiting for the program".into(),
            });
            return;
        }
        self.inbox
            .push_back((now + self.config.program_reaction, i));
        self.handle_timeout(now);
    }

    /// Time has reached a deadline from [`poll_timeout`](Self::poll_timeout).
    /// Everything due by `now` happens in time order, inputs before typing
    /// when both fall at the same instant; each at its own due time.
    pub fn handle_timeout(&mut self, now: Instant) {
        // Each pass consumes an input or a script line: bounded.
        for _ in 0..(MAX_INBOX + self.script.len() + 2) {
            let inbox_due = self.inbox.front().map(|(d, _)| *d);
            let prompt_due = self.prompt_due();
            match (inbox_due, prompt_due) {
                (Some(i), p) if i <= now && p.is_none_or(|p| i <= p) => {
                    let Some((due, input)) = self.inbox.pop_front() else {
                        break;
                    };
                    self.process(due, input);
                }
                (_, Some(p)) if p <= now => self.type_line(p),
                _ => break,
            }
        }
        if self.prompt.is_some() && self.script.is_empty() && !self.script_ended {
            self.script_ended = true;
            self.event(FtpEvent::ScriptEnded);
        }
    }

    // ----- output -----

    pub fn poll_action(&mut self) -> Option<ClientAction> {
        self.actions.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let inbox = self.inbox.front().map(|(d, _)| *d);
        match (inbox, self.prompt_due()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn prompt_due(&self) -> Option<Instant> {
        let (_, since) = self.prompt?;
        let line = self.script.front()?;
        Some(since + line.think.unwrap_or(self.config.think))
    }

    // ----- machinery -----

    fn push(&mut self, a: ClientAction) {
        self.actions.push_back(a);
    }

    fn event(&mut self, e: FtpEvent) {
        self.actions.push_back(ClientAction::Event(e));
    }

    fn print(&mut self, line: impl Into<String>) {
        self.actions
            .push_back(ClientAction::Transcript(line.into()));
    }

    fn print_reply(&mut self, r: &Reply) {
        for l in r.wire_lines() {
            self.print(l);
        }
    }

    fn send(&mut self, cmd: Command) {
        let bytes = cmd.encode();
        self.event(FtpEvent::CommandSent { command: cmd });
        self.push(ClientAction::SendControl(bytes));
    }

    fn new_id(&mut self) -> DataConnId {
        let id = DataConnId(self.next_id);
        self.next_id = self.next_id.saturating_add(1);
        id
    }

    fn connected(&self) -> Option<(SocketAddrV4, SocketAddrV4)> {
        match self.control {
            Control::Open { local, peer } => Some((local, peer)),
            _ => None,
        }
    }

    fn show_prompt(&mut self, now: Instant, kind: PromptKind) {
        self.op = Op::Idle;
        self.prompt = Some((kind, now));
    }

    fn prompt_text(&self, kind: PromptKind) -> String {
        match kind {
            PromptKind::Ftp => "ftp> ".into(),
            PromptKind::User => {
                let host = match self.control {
                    Control::Open { peer, .. } => peer.ip().to_string(),
                    _ => String::new(),
                };
                format!("User ({host}:(none)): ")
            }
            PromptKind::Password => "Password:".into(),
            PromptKind::Account => "Account:".into(),
        }
    }

    fn open(&mut self, to: SocketAddrV4) {
        self.control = Control::Connecting;
        self.op = Op::Connecting { host: to };
        self.push(ClientAction::ConnectControl { to });
    }

    /// The user finishes typing the next line at `now`.
    fn type_line(&mut self, now: Instant) {
        let Some((kind, _)) = self.prompt.take() else {
            return;
        };
        let Some(typed) = self.script.pop_front() else {
            self.prompt = Some((kind, now));
            return;
        };
        // One typed line is one line: nothing from a CR or LF on.
        let text = typed
            .line
            .split(['\r', '\n'])
            .next()
            .unwrap_or("")
            .to_string();
        let prompt = self.prompt_text(kind);
        // Passwords are not echoed; the event still has them (they cross
        // the wire in clear text, which the trace shows anyway).
        if kind == PromptKind::Password || kind == PromptKind::Account {
            self.print(prompt.trim_end().to_string());
        } else {
            self.print(format!("{prompt}{text}"));
        }
        self.event(FtpEvent::Typed {
            prompt: prompt.trim_end().to_string(),
            text: text.clone(),
        });
        match kind {
            PromptKind::User => {
                if self.connected().is_none() {
                    self.show_prompt(now, PromptKind::Ftp);
                    return;
                }
                let user = text.trim().to_string();
                match Command::with_argument(
                    Verb::User,
                    Some(&user).filter(|u| !u.is_empty()).map(String::as_str),
                ) {
                    Ok(cmd) => {
                        self.send(cmd);
                        self.user = user.clone();
                        self.op = Op::Simple(After::User { user, pass: None });
                    }
                    Err(_) => {
                        self.print("Login failed.");
                        self.show_prompt(now, PromptKind::Ftp);
                    }
                }
            }
            PromptKind::Password => self.send_pass(now, text),
            PromptKind::Account => {
                let user = self.user.clone();
                if self.connected().is_none() {
                    self.show_prompt(now, PromptKind::Ftp);
                    return;
                }
                self.send(Command::Acct(text));
                self.op = Op::Simple(After::Acct { user });
            }
            PromptKind::Ftp => self.command_line(now, &text),
        }
    }

    fn send_pass(&mut self, now: Instant, pass: String) {
        if self.connected().is_none() {
            self.show_prompt(now, PromptKind::Ftp);
            return;
        }
        let user = self.user.clone();
        self.send(Command::Pass(pass));
        self.op = Op::Simple(After::Pass { user });
    }

    /// A line typed at `ftp>`.
    fn command_line(&mut self, now: Instant, text: &str) {
        let words = split_words(text);
        let Some(first) = words.first() else {
            self.show_prompt(now, PromptKind::Ftp);
            return;
        };
        let name = first.to_ascii_lowercase();
        let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
        let needs_connection = !matches!(
            name.as_str(),
            "open" | "quit" | "bye" | "help" | "?" | "passive" | "epsv" | "close" | "disconnect"
        );
        let known = matches!(
            name.as_str(),
            "open"
                | "quit"
                | "bye"
                | "help"
                | "?"
                | "passive"
                | "epsv"
                | "close"
                | "disconnect"
                | "user"
                | "ls"
                | "dir"
                | "nlist"
                | "get"
                | "recv"
                | "put"
                | "send"
                | "append"
                | "cd"
                | "cdup"
                | "pwd"
                | "mkdir"
                | "rmdir"
                | "delete"
                | "rename"
                | "ascii"
                | "binary"
                | "bin"
                | "quote"
                | "literal"
                | "size"
                | "modtime"
                | "system"
                | "rhelp"
                | "remotehelp"
        );
        if !known {
            self.print("Invalid command.");
            self.show_prompt(now, PromptKind::Ftp);
            return;
        }
        if needs_connection && self.connected().is_none() {
            self.print("Not connected.");
            self.show_prompt(now, PromptKind::Ftp);
            return;
        }
        let simple = |s: &mut Self,
                      cmd: Result<Command, crate::codec::CommandError>,
                      usage: &str| match cmd {
            Ok(c) => {
                s.send(c);
                s.op = Op::Simple(After::Prompt);
            }
            Err(_) => {
                s.print(usage.to_string());
                s.show_prompt(now, PromptKind::Ftp);
            }
        };
        let arg0 = args.first().copied();
        match name.as_str() {
            "open" => self.cmd_open(now, &args),
            "quit" | "bye" | "close" | "disconnect" => {
                let exit = matches!(name.as_str(), "quit" | "bye");
                if self.connected().is_some() {
                    self.send(Command::Quit);
                    self.op = Op::Simple(After::Quit { exit });
                } else if exit {
                    self.exit();
                } else {
                    self.print("Not connected.");
                    self.show_prompt(now, PromptKind::Ftp);
                }
            }
            "help" | "?" => {
                self.print("Commands may be abbreviated.  Commands are:");
                self.print("");
                for row in HELP.chunks(5) {
                    let mut l = String::new();
                    for c in row {
                        l.push_str(&format!("{c:<16}"));
                    }
                    self.print(l.trim_end().to_string());
                }
                self.show_prompt(now, PromptKind::Ftp);
            }
            "passive" => {
                self.passive = !self.passive;
                let on = if self.passive { "on" } else { "off" };
                self.print(format!("Passive mode {on}."));
                self.show_prompt(now, PromptKind::Ftp);
            }
            "epsv" => {
                self.extended = !self.extended;
                let on = if self.extended { "on" } else { "off" };
                self.print(format!("EPSV/EPRT on IPv4 {on}."));
                self.show_prompt(now, PromptKind::Ftp);
            }
            "user" => match args.as_slice() {
                [user, rest @ ..] => {
                    let user = user.to_string();
                    self.send(Command::User(user.clone()));
                    self.user = user.clone();
                    self.op = Op::Simple(After::User {
                        user,
                        pass: rest.first().map(|p| p.to_string()),
                    });
                }
                [] => {
                    self.print("Usage: user username [password] [account]");
                    self.show_prompt(now, PromptKind::Ftp);
                }
            },
            "ls" | "dir" | "nlist" => {
                let verb = match name.as_str() {
                    "dir" => Verb::List,
                    "nlist" => Verb::Nlst,
                    _ => match self.config.ls_sends {
                        LsCommand::Nlst => Verb::Nlst,
                        LsCommand::List => Verb::List,
                    },
                };
                let arg = arg0.map(str::to_string);
                let cmd = if verb == Verb::List {
                    Command::List(arg)
                } else {
                    Command::Nlst(arg)
                };
                self.start_transfer(now, XKind::Listing, cmd);
            }
            "get" | "recv" => match args.as_slice() {
                [remote, rest @ ..] => {
                    let local_name = rest
                        .first()
                        .copied()
                        .unwrap_or_else(|| remote.rsplit('/').next().unwrap_or(remote));
                    match VfsPath::parse(local_name)
                        .ok()
                        .filter(|p| self.local.can_create(p))
                    {
                        Some(local) => self.start_transfer(
                            now,
                            XKind::Get { local },
                            Command::Retr(remote.to_string()),
                        ),
                        None => {
                            self.print(format!("Error opening local file {local_name}."));
                            self.show_prompt(now, PromptKind::Ftp);
                        }
                    }
                }
                [] => {
                    self.print("Usage: get remote-file [local-file]");
                    self.show_prompt(now, PromptKind::Ftp);
                }
            },
            "put" | "send" | "append" => match args.as_slice() {
                [local, rest @ ..] => {
                    let remote = rest
                        .first()
                        .copied()
                        .unwrap_or_else(|| local.rsplit('/').next().unwrap_or(local))
                        .to_string();
                    let content = VfsPath::parse(local)
                        .ok()
                        .and_then(|p| self.local.file(&p).ok().cloned());
                    match content {
                        Some(content) => {
                            let cmd = if name == "append" {
                                Command::Appe(remote)
                            } else {
                                Command::Stor(remote)
                            };
                            self.start_transfer(now, XKind::Put { content }, cmd);
                        }
                        None => {
                            self.print(format!("{local}: File not found"));
                            self.show_prompt(now, PromptKind::Ftp);
                        }
                    }
                }
                [] => {
                    self.print(format!("Usage: {name} local-file [remote-file]"));
                    self.show_prompt(now, PromptKind::Ftp);
                }
            },
            "cd" => simple(
                self,
                Command::with_argument(Verb::Cwd, arg0),
                "Usage: cd remote-directory",
            ),
            "cdup" => simple(self, Ok(Command::Cdup), ""),
            "pwd" => simple(self, Ok(Command::Pwd), ""),
            "mkdir" => simple(
                self,
                Command::with_argument(Verb::Mkd, arg0),
                "Usage: mkdir directory-name",
            ),
            "rmdir" => simple(
                self,
                Command::with_argument(Verb::Rmd, arg0),
                "Usage: rmdir directory-name",
            ),
            "delete" => simple(
                self,
                Command::with_argument(Verb::Dele, arg0),
                "Usage: delete remote-file",
            ),
            "size" => simple(
                self,
                Command::with_argument(Verb::Size, arg0),
                "Usage: size remote-file",
            ),
            "modtime" => simple(
                self,
                Command::with_argument(Verb::Mdtm, arg0),
                "Usage: modtime remote-file",
            ),
            "system" => simple(self, Ok(Command::Syst), ""),
            "rhelp" | "remotehelp" => simple(self, Ok(Command::Help(arg0.map(str::to_string))), ""),
            "rename" => match args.as_slice() {
                [from, to, ..] => {
                    let to = to.to_string();
                    self.send(Command::Rnfr(from.to_string()));
                    self.op = Op::Simple(After::Rename { to });
                }
                _ => {
                    self.print("Usage: rename from-name to-name");
                    self.show_prompt(now, PromptKind::Ftp);
                }
            },
            "ascii" => {
                self.send(Command::Type(TypeCode::Ascii(FormatControl::NonPrint)));
                self.op = Op::Simple(After::Type { ascii: true });
            }
            "binary" | "bin" => {
                self.send(Command::Type(TypeCode::Image));
                self.op = Op::Simple(After::Type { ascii: false });
            }
            "quote" | "literal" => {
                let raw = text
                    .trim_start()
                    .split_once(char::is_whitespace)
                    .map(|(_, rest)| rest.trim().to_string())
                    .unwrap_or_default();
                if raw.is_empty() {
                    self.print(format!("Usage: {name} line-to-send"));
                    self.show_prompt(now, PromptKind::Ftp);
                    return;
                }
                if let Ok(cmd) = Command::parse(raw.as_bytes()) {
                    self.event(FtpEvent::CommandSent { command: cmd });
                }
                self.push(ClientAction::SendControl(format!("{raw}\r\n").into_bytes()));
                self.op = Op::Simple(After::Prompt);
            }
            _ => {
                self.print("Invalid command.");
                self.show_prompt(now, PromptKind::Ftp);
            }
        }
    }

    fn cmd_open(&mut self, now: Instant, args: &[&str]) {
        if let Control::Open { peer, .. } = self.control {
            self.print(format!(
                "Already connected to {}, use disconnect first.",
                peer.ip()
            ));
            self.show_prompt(now, PromptKind::Ftp);
            return;
        }
        let Some(host) = args.first() else {
            self.print("Usage: open host-name [port]");
            self.show_prompt(now, PromptKind::Ftp);
            return;
        };
        let ip = host.parse::<Ipv4Addr>();
        let port = match args.get(1) {
            None => Ok(21),
            Some(p) => p.parse::<u16>(),
        };
        match (ip, port) {
            (Ok(ip), Ok(port)) => self.open(SocketAddrV4::new(ip, port)),
            (Err(_), _) => {
                self.print(format!("Unknown host {host}."));
                self.show_prompt(now, PromptKind::Ftp);
            }
            (_, Err(_)) => {
                self.print("Bad port number.");
                self.show_prompt(now, PromptKind::Ftp);
            }
        }
    }

    fn exit(&mut self) {
        self.prompt = None;
        self.op = Op::Exited;
        self.inbox.clear();
        self.event(FtpEvent::SessionEnded {
            reason: "the program exited".into(),
        });
        self.push(ClientAction::Finished);
    }

    /// A network input, after the program's reaction time.
    fn process(&mut self, now: Instant, input: Input) {
        if self.is_finished() {
            return;
        }
        match input {
            Input::Connected { local, peer } => {
                if let Op::Connecting { host } = self.op {
                    self.control = Control::Open { local, peer };
                    self.print(format!("Connected to {}.", host.ip()));
                    self.op = Op::Greeting { host };
                }
            }
            Input::ConnectFailed(e) => {
                if let Op::Connecting { .. } = self.op {
                    self.control = Control::Closed;
                    self.print(format!("> ftp: connect :{e}"));
                    self.show_prompt(now, PromptKind::Ftp);
                }
            }
            Input::Bytes(b) => {
                self.replies.push(&b);
                while let Some(r) = self.replies.next_reply() {
                    match r {
                        Ok(reply) => {
                            self.event(FtpEvent::ReplyReceived {
                                reply: reply.clone(),
                            });
                            self.on_reply(now, reply);
                        }
                        Err(e) => self.event(FtpEvent::InputDiscarded {
                            reason: e.to_string(),
                        }),
                    }
                    if self.is_finished() {
                        return;
                    }
                }
            }
            Input::Closed => self.on_control_closed(now),
            Input::Data(id, ev) => self.on_data(now, id, ev),
        }
    }

    fn on_control_closed(&mut self, now: Instant) {
        if matches!(self.control, Control::Closed) {
            return;
        }
        self.control = Control::Closed;
        self.logged_in = false;
        self.replies = ReplyDecoder::new();
        let quitting = match &self.op {
            Op::Simple(After::Quit { exit }) => Some(*exit),
            _ => None,
        };
        if let Op::Transfer(x) = &self.op {
            let id = x.id;
            self.push(ClientAction::AbortData { id });
        }
        self.push(ClientAction::CloseControl);
        match quitting {
            Some(true) => self.exit(),
            Some(false) => self.show_prompt(now, PromptKind::Ftp),
            None => {
                self.print("Connection closed by remote host.");
                if self.prompt.is_none() {
                    self.show_prompt(now, PromptKind::Ftp);
                }
            }
        }
    }

    fn on_reply(&mut self, now: Instant, r: Reply) {
        match std::mem::replace(&mut self.op, Op::Idle) {
            Op::Greeting { host } => {
                self.print_reply(&r);
                if r.code.is_preliminary() {
                    self.op = Op::Greeting { host };
                } else if r.code.get() == 220 {
                    self.show_prompt(now, PromptKind::User);
                } else {
                    // 421 and friends: the server will close.
                    self.op = Op::Idle;
                    self.show_prompt(now, PromptKind::Ftp);
                }
            }
            Op::Simple(after) => {
                self.print_reply(&r);
                if r.code.is_preliminary() {
                    self.op = Op::Simple(after);
                    return;
                }
                self.after_reply(now, after, &r);
            }
            Op::Transfer(x) => {
                self.op = Op::Transfer(x);
                self.print_reply(&r);
                self.transfer_reply(now, r);
            }
            other => {
                // Unsolicited (a 421 before the server closes, say).
                self.op = other;
                self.print_reply(&r);
            }
        }
    }

    fn after_reply(&mut self, now: Instant, after: After, r: &Reply) {
        let code = r.code.get();
        match after {
            After::Prompt => self.show_prompt(now, PromptKind::Ftp),
            After::User { user, pass } => match code {
                230 => self.logged_in_as(now, user),
                331 => match pass {
                    Some(p) => self.send_pass(now, p),
                    None => self.show_prompt(now, PromptKind::Password),
                },
                332 => self.show_prompt(now, PromptKind::Account),
                _ => {
                    self.print("Login failed.");
                    self.show_prompt(now, PromptKind::Ftp);
                }
            },
            After::Pass { user } | After::Acct { user } => match code {
                230 | 202 => self.logged_in_as(now, user),
                332 => self.show_prompt(now, PromptKind::Account),
                _ => {
                    self.event(FtpEvent::LoginFailed { user });
                    self.print("Login failed.");
                    self.show_prompt(now, PromptKind::Ftp);
                }
            },
            After::Rename { to } => {
                if code == 350 {
                    self.send(Command::Rnto(to));
                    self.op = Op::Simple(After::Prompt);
                } else {
                    self.show_prompt(now, PromptKind::Ftp);
                }
            }
            After::Type { ascii } => {
                if r.code.is_success() {
                    self.ascii = ascii;
                }
                self.show_prompt(now, PromptKind::Ftp);
            }
            After::Quit { exit } => {
                self.control = Control::Closed;
                self.logged_in = false;
                self.push(ClientAction::CloseControl);
                if exit {
                    self.exit();
                } else {
                    self.show_prompt(now, PromptKind::Ftp);
                }
            }
        }
    }

    fn logged_in_as(&mut self, now: Instant, user: String) {
        self.logged_in = true;
        self.event(FtpEvent::LoggedIn {
            anonymous: user.eq_ignore_ascii_case("anonymous") || user.eq_ignore_ascii_case("ftp"),
            user,
        });
        self.show_prompt(now, PromptKind::Ftp);
    }

    // ----- transfers -----

    fn start_transfer(&mut self, now: Instant, kind: XKind, cmd: Command) {
        let id = self.new_id();
        let to_wire = match (&kind, self.ascii, self.config.local_line_ending) {
            (XKind::Put { .. }, true, LineEnding::Lf) => Some(ToWire::new()),
            _ => None,
        };
        let mut x = Xfer {
            id,
            kind,
            cmd,
            step: XStep::AwaitListening,
            connected: false,
            listening: false,
            eof: false,
            reset: false,
            prelim: false,
            final_reply: None,
            closed: false,
            received: Vec::new(),
            bytes: 0,
            started: now,
            stopped: None,
            sent: 0,
            waiting_writable: false,
            to_wire,
            printed: false,
        };
        if self.passive {
            x.step = XStep::AwaitPasvReply;
            self.op = Op::Transfer(Box::new(x));
            self.send(if self.extended {
                Command::Epsv(None)
            } else {
                Command::Pasv
            });
        } else {
            self.op = Op::Transfer(Box::new(x));
            self.push(ClientAction::ListenData { id });
        }
    }

    fn xfer(&mut self) -> Option<&mut Xfer> {
        match &mut self.op {
            Op::Transfer(x) => Some(x),
            _ => None,
        }
    }

    /// The data command goes out; the clock of the transfer starts.
    fn send_data_command(&mut self) {
        let Some(x) = self.xfer() else {
            return;
        };
        x.step = XStep::Running;
        let cmd = x.cmd.clone();
        self.send(cmd);
    }

    fn transfer_reply(&mut self, now: Instant, r: Reply) {
        let Some(x) = self.xfer() else {
            return;
        };
        match x.step {
            XStep::AwaitListening | XStep::Connecting => {
                // Nothing asked; shown already.
            }
            XStep::AwaitPortReply => {
                if r.code.is_success() {
                    // The program sends the data command by itself, at once.
                    self.send_data_command();
                } else {
                    self.end_transfer(now, false);
                }
            }
            XStep::AwaitPasvReply => {
                let peer = self.connected().map(|(_, p)| p);
                let to = match (r.code.get(), peer) {
                    (227, _) => parse_pasv_reply(r.first_line()).map(HostPort::socket_addr),
                    (229, Some(peer)) => {
                        parse_epsv_reply(r.first_line()).map(|p| SocketAddrV4::new(*peer.ip(), p))
                    }
                    _ => None,
                };
                match to {
                    Some(to) => {
                        let verb = if r.code.get() == 229 {
                            Verb::Epsv
                        } else {
                            Verb::Pasv
                        };
                        self.event(FtpEvent::data_address(verb, to));
                        let Some(x) = self.xfer() else {
                            return;
                        };
                        x.step = XStep::Connecting;
                        let id = x.id;
                        self.push(ClientAction::ConnectData { id, to });
                    }
                    None => {
                        if r.code.is_success() {
                            self.print("Passive mode address scan failure.");
                        }
                        self.end_transfer(now, false);
                    }
                }
            }
            XStep::Running => {
                if r.code.is_preliminary() {
                    x.prelim = true;
                    x.started = now;
                    let x_eof = x.eof;
                    let started = FtpEvent::TransferStarted {
                        id: x.id,
                        verb: x.cmd.verb(),
                        path: x.cmd.argument().unwrap_or_default(),
                        size: size_in_150(r.first_line()),
                    };
                    self.event(started);
                    if x_eof {
                        self.flush_listing();
                    }
                    self.pump(now);
                } else {
                    x.final_reply = Some(r);
                    self.check_done(now);
                }
            }
        }
    }

    fn on_data(&mut self, now: Instant, id: DataConnId, ev: DataEvent) {
        let ours = matches!(&self.op, Op::Transfer(x) if x.id == id);
        if !ours {
            return;
        }
        let local_ip = self.connected().map(|(l, _)| *l.ip());
        let extended = self.extended;
        let max = self.config.max_download;
        let Some(x) = self.xfer() else {
            return;
        };
        match ev {
            DataEvent::Listening { port } => {
                if x.step != XStep::AwaitListening {
                    return;
                }
                let Some(ip) = local_ip else {
                    return;
                };
                x.listening = true;
                x.step = XStep::AwaitPortReply;
                let addr = SocketAddrV4::new(ip, port);
                let (verb, cmd) = if extended {
                    (Verb::Eprt, Command::Eprt(ExtendedAddr::v4(addr)))
                } else {
                    (Verb::Port, Command::Port(HostPort::from(addr)))
                };
                self.event(FtpEvent::data_address(verb, addr));
                self.send(cmd);
            }
            DataEvent::ListenFailed => {
                self.print("> ftp: bind :Address already in use");
                self.end_transfer(now, false);
            }
            DataEvent::Connected { .. } => {
                x.connected = true;
                x.listening = false;
                if x.step == XStep::Connecting {
                    self.send_data_command();
                } else {
                    self.pump(now);
                }
            }
            DataEvent::ConnectFailed(e) => {
                x.listening = false;
                if x.step == XStep::Connecting {
                    self.print(format!("> ftp: connect :{e}"));
                    self.end_transfer(now, false);
                }
            }
            DataEvent::Received(bytes) => {
                x.bytes += bytes.len() as u64;
                if (x.received.len() as u64) < max {
                    x.received.extend_from_slice(&bytes);
                }
            }
            DataEvent::Writable => {
                x.waiting_writable = false;
                self.pump(now);
            }
            DataEvent::PeerClosed => {
                x.eof = true;
                x.stopped.get_or_insert(now);
                if x.prelim {
                    self.flush_listing();
                }
                self.check_done(now);
            }
            DataEvent::Reset => {
                x.reset = true;
                x.eof = true;
                x.connected = false;
                self.check_done(now);
            }
            DataEvent::Closed => {
                x.eof = true;
                x.connected = false;
                self.check_done(now);
            }
            DataEvent::FinAcked => {}
        }
    }

    /// Sends the next piece of an upload once the data connection is up
    /// and the server has said 150.
    fn pump(&mut self, now: Instant) {
        let chunk = self.config.data_chunk.max(1);
        let Some(x) = self.xfer() else {
            return;
        };
        let XKind::Put { content } = &x.kind else {
            return;
        };
        if !(x.connected && x.prelim) || x.closed || x.waiting_writable {
            return;
        }
        let piece = content.read(x.sent, chunk);
        x.sent += piece.len() as u64;
        let finished = x.sent >= content.len();
        let id = x.id;
        if !piece.is_empty() {
            let bytes = match &mut x.to_wire {
                Some(conv) => conv.convert(&piece),
                None => piece,
            };
            x.bytes += bytes.len() as u64;
            self.actions.push_back(ClientAction::SendData { id, bytes });
        }
        let Some(x) = self.xfer() else {
            return;
        };
        if finished {
            // The sender closes: for an upload that is the client.
            x.closed = true;
            x.stopped = Some(now);
            self.actions.push_back(ClientAction::CloseData { id });
        } else {
            x.waiting_writable = true;
        }
    }

    /// Prints a listing once: what `ls` shows between the 150 and the 226.
    fn flush_listing(&mut self) {
        let Some(x) = self.xfer() else {
            return;
        };
        if !matches!(x.kind, XKind::Listing) || x.printed {
            return;
        }
        x.printed = true;
        let text = String::from_utf8_lossy(&x.received).into_owned();
        let mut lines: Vec<String> = text
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
            .collect();
        if lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        for l in lines {
            self.print(l);
        }
    }

    fn check_done(&mut self, now: Instant) {
        let Some(x) = self.xfer() else {
            return;
        };
        let Some(fin) = &x.final_reply else {
            return;
        };
        let success = fin.code.is_success();
        let upload = matches!(x.kind, XKind::Put { .. });
        let done = if !success {
            true
        } else if upload {
            x.closed
        } else {
            // The data's end, or a server that answered without connecting.
            x.eof || (!x.connected && !x.listening)
        };
        if done {
            self.end_transfer(now, success);
        }
    }

    /// Ends the transfer: closes what is open, prints and stores the
    /// result, shows the prompt.
    fn end_transfer(&mut self, now: Instant, success: bool) {
        if success {
            self.flush_listing();
        }
        let Op::Transfer(x) = std::mem::replace(&mut self.op, Op::Idle) else {
            return;
        };
        let id = x.id;
        if x.connected && !x.closed {
            // Orderly close after the data's end; reset a transfer cut short.
            if success || x.eof {
                self.push(ClientAction::CloseData { id });
            } else {
                self.push(ClientAction::AbortData { id });
            }
        } else if x.listening {
            self.push(ClientAction::CloseData { id });
        }
        let verb = x.cmd.verb();
        if !success {
            if x.step == XStep::Running {
                self.event(FtpEvent::TransferFailed {
                    id,
                    verb,
                    reason: x
                        .final_reply
                        .as_ref()
                        .map(|r| r.to_string())
                        .unwrap_or_else(|| "no data connection".into()),
                });
            }
            self.show_prompt(now, PromptKind::Ftp);
            return;
        }
        let upload = matches!(x.kind, XKind::Put { .. });
        match &x.kind {
            XKind::Listing => self.flush_listing(),
            XKind::Get { local } => {
                let data = match (self.ascii, self.config.local_line_ending) {
                    (true, LineEnding::Lf) => {
                        let mut conv = FromWire::new();
                        let mut d = conv.convert(&x.received);
                        d.extend(conv.finish());
                        d
                    }
                    _ => x.received.clone(),
                };
                let mtime = self.config.epoch_unix.saturating_add(
                    i64::try_from(now.as_nanos() / 1_000_000_000).unwrap_or(i64::MAX),
                );
                if self
                    .local
                    .write_file(local, FileContent::bytes(data.clone()), mtime, 0o644)
                    .is_ok()
                {
                    self.push(ClientAction::LocalFileWritten {
                        path: local.to_string(),
                        bytes: data,
                    });
                } else {
                    self.print(format!("Error opening local file {local}."));
                }
            }
            XKind::Put { .. } => {}
        }
        self.event(FtpEvent::TransferCompleted {
            id,
            verb,
            bytes: x.bytes,
        });
        let stopped = x.stopped.unwrap_or(now);
        self.print(transfer_stats(
            x.bytes,
            stopped.saturating_since(x.started),
            upload,
        ));
        self.show_prompt(now, PromptKind::Ftp);
    }
}

/// The line `ftp.exe` prints after a transfer:
/// `ftp: 23 bytes received in 0.00Seconds 23000.00Kbytes/sec.`
///
/// The rate is bytes per millisecond (which the program calls Kbytes/sec);
/// under a millisecond it divides by a thousandth of one, which is where
/// the famous `45000.00Kbytes/sec.` for 45 bytes comes from.
pub fn transfer_stats(bytes: u64, elapsed: Duration, sent: bool) -> String {
    let dir = if sent { "sent" } else { "received" };
    let ms = elapsed.as_millis();
    let secs = ms as f64 / 1000.0;
    let rate = if ms == 0 {
        bytes as f64 * 1000.0
    } else {
        bytes as f64 / ms as f64
    };
    format!("ftp: {bytes} bytes {dir} in {secs:.2}Seconds {rate:.2}Kbytes/sec.")
}

/// The size a `150` reply announces, as vsftpd words it:
/// `Opening BINARY mode data connection for a.txt (39 bytes).`
fn size_in_150(text: &str) -> Option<u64> {
    let open = text.rfind('(')?;
    let digits = text[open + 1..]
        .strip_suffix(" bytes).")
        .or_else(|| text[open + 1..].strip_suffix(" bytes)"))?;
    digits.parse().ok()
}

/// Splits a typed line into words; double quotes group words with spaces.
fn split_words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

const HELP: &[&str] = &[
    "append",
    "ascii",
    "binary",
    "bye",
    "cd",
    "cdup",
    "close",
    "delete",
    "dir",
    "disconnect",
    "epsv",
    "get",
    "help",
    "literal",
    "ls",
    "mkdir",
    "modtime",
    "nlist",
    "open",
    "passive",
    "put",
    "pwd",
    "quit",
    "quote",
    "recv",
    "remotehelp",
    "rename",
    "rhelp",
    "rmdir",
    "send",
    "size",
    "system",
    "user",
    "?",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_lines_read_like_ftp_exe() {
        assert_eq!(
            transfer_stats(45, Duration::ZERO, false),
            "ftp: 45 bytes received in 0.00Seconds 45000.00Kbytes/sec."
        );
        assert_eq!(
            transfer_stats(2345, Duration::from_millis(16), false),
            "ftp: 2345 bytes received in 0.02Seconds 146.56Kbytes/sec."
        );
        assert_eq!(
            transfer_stats(10, Duration::from_millis(1), true),
            "ftp: 10 bytes sent in 0.00Seconds 10.00Kbytes/sec."
        );
    }

    #[test]
    fn the_150_text_gives_the_size() {
        assert_eq!(
            size_in_150("Opening BINARY mode data connection for a (39 bytes)."),
            Some(39)
        );
        assert_eq!(
            size_in_150("Opening BINARY mode data connection for 'r' (77 bytes)"),
            Some(77)
        );
        assert_eq!(size_in_150("Here comes the directory listing."), None);
        assert_eq!(size_in_150("x (é bytes)."), None);
    }

    #[test]
    fn typed_words_split_with_quotes() {
        assert_eq!(split_words("get  \"my file\" x"), ["get", "my file", "x"]);
        assert_eq!(split_words("   "), Vec::<String>::new());
        assert_eq!(split_words("put \"\""), ["put", ""]);
    }
}
