//! FTP commands: the verbs, their arguments, parsing and encoding.
//!
//! A command is a verb of three or four letters, case-insensitive, then
//! optionally one space and an argument, then CRLF (RFC 959 5.3.1 and
//! 5.3.2). [`Command::parse`] takes one line without its CRLF (as
//! [`LineDecoder`](super::LineDecoder) delivers it) and checks the argument
//! of each verb; [`Command::encode`] writes the line back with its CRLF.
//! Parsing then encoding gives the canonical spelling: upper-case verbs,
//! `XPWD` as `PWD`, `TYPE L8` as `TYPE L 8`.
//!
//! Covered: RFC 959's access control, transfer parameter and service
//! commands; `EPRT`/`EPSV` (RFC 2428); `SIZE`, `MDTM`, `REST` in stream mode,
//! `MLSD`, `MLST` (RFC 3659); `FEAT`, `OPTS` (RFC 2389); the `X...` aliases of
//! RFC 775. Leaves out: the security extensions (`AUTH`, `PBSZ`, `PROT`,
//! RFC 2228/4217), `LPRT`/`LPSV` (RFC 1639), `LANG` (RFC 2640) and the
//! mail commands RFC 959 already dropped; they parse as
//! [`CommandError::UnknownVerb`].

use core::fmt;
use std::str::FromStr;

use super::hostport::{EprtError, ExtendedAddr, HostPort, HostPortError};

macro_rules! verbs {
    ($( $v:ident = $s:literal : $doc:literal ),* $(,)?) => {
        /// A command verb. Ordered (so it can key a `BTreeMap` of server
        /// delays) and printed in upper case.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Verb {
            $( #[doc = $doc] $v, )*
        }

        impl Verb {
            /// Every verb, in alphabetical order.
            pub const ALL: &'static [Verb] = &[ $( Verb::$v, )* ];

            /// The canonical upper-case spelling.
            pub const fn as_str(self) -> &'static str {
                match self { $( Verb::$v => $s, )* }
            }
        }
    };
}

verbs! {
    Abor = "ABOR": "Abort the transfer in progress (RFC 959 4.1.3).",
    Acct = "ACCT": "Account information (RFC 959 4.1.1).",
    Allo = "ALLO": "Allocate storage (RFC 959 4.1.3).",
    Appe = "APPE": "Append to a file (RFC 959 4.1.3).",
    Cdup = "CDUP": "Change to the parent directory (RFC 959 4.1.1); alias XCUP.",
    Cwd = "CWD": "Change working directory (RFC 959 4.1.1); alias XCWD.",
    Dele = "DELE": "Delete a file (RFC 959 4.1.3).",
    Eprt = "EPRT": "Extended PORT (RFC 2428 2).",
    Epsv = "EPSV": "Extended passive mode (RFC 2428 3).",
    Feat = "FEAT": "List the server's extensions (RFC 2389 3).",
    Help = "HELP": "Help (RFC 959 4.1.3).",
    List = "LIST": "Long directory listing over the data connection (RFC 959 4.1.3).",
    Mdtm = "MDTM": "File modification time (RFC 3659 3).",
    Mkd = "MKD": "Make a directory (RFC 959 4.1.3); alias XMKD.",
    Mlsd = "MLSD": "Machine-readable directory listing (RFC 3659 7).",
    Mlst = "MLST": "Machine-readable facts about one object (RFC 3659 7).",
    Mode = "MODE": "Transfer mode (RFC 959 4.1.2).",
    Nlst = "NLST": "Name list over the data connection (RFC 959 4.1.3).",
    Noop = "NOOP": "Do nothing (RFC 959 4.1.3).",
    Opts = "OPTS": "Options for a command (RFC 2389 4).",
    Pass = "PASS": "Password (RFC 959 4.1.1).",
    Pasv = "PASV": "Passive mode (RFC 959 4.1.2).",
    Port = "PORT": "Data port (RFC 959 4.1.2).",
    Pwd = "PWD": "Print working directory (RFC 959 4.1.3); alias XPWD.",
    Quit = "QUIT": "Log out (RFC 959 4.1.1).",
    Rein = "REIN": "Reinitialise (RFC 959 4.1.1).",
    Rest = "REST": "Restart marker (RFC 959 4.1.3, RFC 3659 5).",
    Retr = "RETR": "Retrieve a file (RFC 959 4.1.3).",
    Rmd = "RMD": "Remove a directory (RFC 959 4.1.3); alias XRMD.",
    Rnfr = "RNFR": "Rename from (RFC 959 4.1.3).",
    Rnto = "RNTO": "Rename to (RFC 959 4.1.3).",
    Site = "SITE": "Site parameters (RFC 959 4.1.3).",
    Size = "SIZE": "File size (RFC 3659 4).",
    Smnt = "SMNT": "Structure mount (RFC 959 4.1.1).",
    Stat = "STAT": "Status (RFC 959 4.1.3).",
    Stor = "STOR": "Store a file (RFC 959 4.1.3).",
    Stou = "STOU": "Store under a unique name (RFC 959 4.1.3).",
    Stru = "STRU": "File structure (RFC 959 4.1.2).",
    Syst = "SYST": "System type (RFC 959 4.1.3).",
    Type = "TYPE": "Representation type (RFC 959 4.1.2).",
    User = "USER": "User name (RFC 959 4.1.1).",
}

impl Verb {
    /// The verb a word names, case-insensitively, aliases included.
    pub fn lookup(word: &str) -> Option<Verb> {
        let upper = word.to_ascii_uppercase();
        let alias = match upper.as_str() {
            "XCUP" => Some(Verb::Cdup),
            "XCWD" => Some(Verb::Cwd),
            "XMKD" => Some(Verb::Mkd),
            "XPWD" => Some(Verb::Pwd),
            "XRMD" => Some(Verb::Rmd),
            _ => None,
        };
        alias.or_else(|| Verb::ALL.iter().copied().find(|v| v.as_str() == upper))
    }

    /// Whether the command needs a data connection (RFC 959 4.1.3's
    /// transfer commands and RFC 3659's `MLSD`).
    pub const fn uses_data_connection(self) -> bool {
        matches!(
            self,
            Verb::List
                | Verb::Nlst
                | Verb::Mlsd
                | Verb::Retr
                | Verb::Stor
                | Verb::Stou
                | Verb::Appe
        )
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown verb name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an FTP command verb")]
pub struct UnknownVerb(pub String);

impl FromStr for Verb {
    type Err = UnknownVerb;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Verb::lookup(s.trim()).ok_or_else(|| UnknownVerb(s.to_string()))
    }
}

/// The format control of `TYPE A` and `TYPE E` (RFC 959 3.1.1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FormatControl {
    /// `N`: non-print, the default.
    NonPrint,
    /// `T`: Telnet format effectors.
    Telnet,
    /// `C`: ASA carriage control.
    Asa,
}

/// The argument of `TYPE` (RFC 959 3.1.1, 4.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TypeCode {
    /// `A [N|T|C]`: ASCII, lines ended by CRLF on the wire.
    Ascii(FormatControl),
    /// `E [N|T|C]`: EBCDIC.
    Ebcdic(FormatControl),
    /// `I`: image (binary), bytes as they are.
    Image,
    /// `L n`: local byte size n.
    Local(u8),
}

/// The argument of `STRU` (RFC 959 3.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileStructure {
    File,
    Record,
    Page,
}

/// The argument of `MODE` (RFC 959 3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferMode {
    Stream,
    Block,
    Compressed,
}

/// The argument of `EPSV` (RFC 2428 3, 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EpsvArg {
    /// `EPSV 1` or `EPSV 2`: a passive port for this network protocol.
    Protocol(u8),
    /// `EPSV ALL`: from now on only EPSV will be used.
    All,
}

/// A parsed FTP command. Path arguments are kept as the client wrote them;
/// the server resolves them against its working directory.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Command {
    User(String),
    /// The password, possibly empty (anonymous clients send none).
    Pass(String),
    Acct(String),
    Cwd(String),
    Cdup,
    Smnt(String),
    Rein,
    Quit,
    Port(HostPort),
    Pasv,
    Type(TypeCode),
    Stru(FileStructure),
    Mode(TransferMode),
    Retr(String),
    Stor(String),
    Stou(Option<String>),
    Appe(String),
    /// `ALLO n [R m]`.
    Allo(u64, Option<u64>),
    Rest(u64),
    Rnfr(String),
    Rnto(String),
    Abor,
    Dele(String),
    Rmd(String),
    Mkd(String),
    Pwd,
    List(Option<String>),
    Nlst(Option<String>),
    Site(String),
    Syst,
    Stat(Option<String>),
    Help(Option<String>),
    Noop,
    Eprt(ExtendedAddr),
    Epsv(Option<EpsvArg>),
    Feat,
    Opts(String),
    Size(String),
    Mdtm(String),
    Mlsd(Option<String>),
    Mlst(Option<String>),
}

/// Why a command line was refused. The server answers each kind with its
/// own reply code (RFC 959 4.2: 500 for an unknown command, 501 for bad
/// arguments).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("empty command line")]
    Empty,
    #[error("command line is not UTF-8")]
    NotUtf8,
    #[error("command line contains a NUL, CR or LF byte")]
    ControlCharacter,
    #[error("unknown command `{0}`")]
    UnknownVerb(String),
    #[error("{0} needs an argument")]
    MissingArgument(Verb),
    #[error("bad argument to {verb}: {reason}")]
    BadArgument { verb: Verb, reason: String },
    #[error("bad PORT argument: {0}")]
    BadPort(#[from] HostPortError),
    #[error("bad EPRT argument: {0}")]
    BadEprt(#[from] EprtError),
}

impl CommandError {
    /// The verb the line named, when it named a known one.
    pub fn verb(&self) -> Option<Verb> {
        match self {
            CommandError::MissingArgument(v) => Some(*v),
            CommandError::BadArgument { verb, .. } => Some(*verb),
            CommandError::BadPort(_) => Some(Verb::Port),
            CommandError::BadEprt(_) => Some(Verb::Eprt),
            _ => None,
        }
    }
}

/// Splits a line into its verb word and argument: the verb ends at the first
/// space; the argument is everything after that one space, kept whole
/// (file names may contain or even begin with spaces). An empty argument
/// counts as none.
pub fn split_line(line: &str) -> (&str, Option<&str>) {
    match line.split_once(' ') {
        Some((verb, arg)) if !arg.is_empty() => (verb, Some(arg)),
        Some((verb, _)) => (verb, None),
        None => (line, None),
    }
}

fn bad(verb: Verb, reason: impl Into<String>) -> CommandError {
    CommandError::BadArgument {
        verb,
        reason: reason.into(),
    }
}

fn parse_decimal(verb: Verb, text: &str) -> Result<u64, CommandError> {
    let t = text.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(verb, format!("`{t}` is not a decimal number")));
    }
    t.parse::<u64>()
        .map_err(|_| bad(verb, format!("`{t}` is too large")))
}

fn parse_form(verb: Verb, text: Option<&str>) -> Result<FormatControl, CommandError> {
    match text.map(str::to_ascii_uppercase).as_deref() {
        None | Some("N") => Ok(FormatControl::NonPrint),
        Some("T") => Ok(FormatControl::Telnet),
        Some("C") => Ok(FormatControl::Asa),
        Some(other) => Err(bad(
            verb,
            format!("`{other}` is not a format control (N, T or C)"),
        )),
    }
}

impl TypeCode {
    /// Parses `A`, `A N`, `E T`, `I`, `L 8` (and `L8`, which many clients
    /// send), case-insensitively (RFC 959 5.3.2, `<type-code>`).
    pub fn parse(arg: &str) -> Result<TypeCode, CommandError> {
        let v = Verb::Type;
        let mut words = arg.split(' ').filter(|w| !w.is_empty());
        let first = words.next().ok_or(CommandError::MissingArgument(v))?;
        let second = words.next();
        if words.next().is_some() {
            return Err(bad(v, "too many words"));
        }
        let upper = first.to_ascii_uppercase();
        match upper.as_str() {
            "A" => Ok(TypeCode::Ascii(parse_form(v, second)?)),
            "E" => Ok(TypeCode::Ebcdic(parse_form(v, second)?)),
            "I" if second.is_none() => Ok(TypeCode::Image),
            "L" => {
                let n = second.ok_or_else(|| bad(v, "TYPE L needs a byte size"))?;
                let n = parse_decimal(v, n)?;
                u8::try_from(n)
                    .ok()
                    .filter(|n| *n > 0)
                    .map(TypeCode::Local)
                    .ok_or_else(|| bad(v, format!("byte size {n} is not 1..=255")))
            }
            _ if upper.len() > 1 && upper.starts_with('L') && second.is_none() => {
                let n = parse_decimal(v, &upper[1..])?;
                u8::try_from(n)
                    .ok()
                    .filter(|n| *n > 0)
                    .map(TypeCode::Local)
                    .ok_or_else(|| bad(v, format!("byte size {n} is not 1..=255")))
            }
            _ => Err(bad(v, format!("`{arg}` is not a type code"))),
        }
    }
}

impl fmt::Display for TypeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let form = |c: &FormatControl| match c {
            FormatControl::NonPrint => "",
            FormatControl::Telnet => " T",
            FormatControl::Asa => " C",
        };
        match self {
            TypeCode::Ascii(c) => write!(f, "A{}", form(c)),
            TypeCode::Ebcdic(c) => write!(f, "E{}", form(c)),
            TypeCode::Image => f.write_str("I"),
            TypeCode::Local(n) => write!(f, "L {n}"),
        }
    }
}

impl fmt::Display for FileStructure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileStructure::File => "F",
            FileStructure::Record => "R",
            FileStructure::Page => "P",
        })
    }
}

impl fmt::Display for TransferMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransferMode::Stream => "S",
            TransferMode::Block => "B",
            TransferMode::Compressed => "C",
        })
    }
}

impl fmt::Display for EpsvArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EpsvArg::Protocol(n) => write!(f, "{n}"),
            EpsvArg::All => f.write_str("ALL"),
        }
    }
}

impl Command {
    /// Parses one command line, without its CRLF (a trailing CR or LF is
    /// tolerated and removed). Never panics, whatever the bytes.
    pub fn parse(line: &[u8]) -> Result<Command, CommandError> {
        let mut line = line;
        while let [rest @ .., b'\r' | b'\n'] = line {
            line = rest;
        }
        if line.iter().any(|&b| b == 0 || b == b'\r' || b == b'\n') {
            return Err(CommandError::ControlCharacter);
        }
        let text = std::str::from_utf8(line).map_err(|_| CommandError::NotUtf8)?;
        if text.trim().is_empty() {
            return Err(CommandError::Empty);
        }
        let (word, arg) = split_line(text);
        let verb = Verb::lookup(word).ok_or_else(|| CommandError::UnknownVerb(word.to_string()))?;
        Command::with_argument(verb, arg)
    }

    /// Builds the command for `verb` from its argument text, checking it.
    pub fn with_argument(verb: Verb, arg: Option<&str>) -> Result<Command, CommandError> {
        let need = || {
            arg.map(str::to_string)
                .ok_or(CommandError::MissingArgument(verb))
        };
        let opt = || arg.map(str::to_string);
        Ok(match verb {
            Verb::User => Command::User(need()?),
            Verb::Pass => Command::Pass(arg.unwrap_or("").to_string()),
            Verb::Acct => Command::Acct(need()?),
            Verb::Cwd => Command::Cwd(need()?),
            Verb::Cdup => Command::Cdup,
            Verb::Smnt => Command::Smnt(need()?),
            Verb::Rein => Command::Rein,
            Verb::Quit => Command::Quit,
            Verb::Port => Command::Port(HostPort::parse(&need()?)?),
            Verb::Pasv => Command::Pasv,
            Verb::Type => Command::Type(TypeCode::parse(&need()?)?),
            Verb::Stru => Command::Stru(match need()?.trim().to_ascii_uppercase().as_str() {
                "F" => FileStructure::File,
                "R" => FileStructure::Record,
                "P" => FileStructure::Page,
                other => return Err(bad(verb, format!("`{other}` is not F, R or P"))),
            }),
            Verb::Mode => Command::Mode(match need()?.trim().to_ascii_uppercase().as_str() {
                "S" => TransferMode::Stream,
                "B" => TransferMode::Block,
                "C" => TransferMode::Compressed,
                other => return Err(bad(verb, format!("`{other}` is not S, B or C"))),
            }),
            Verb::Retr => Command::Retr(need()?),
            Verb::Stor => Command::Stor(need()?),
            Verb::Stou => Command::Stou(opt()),
            Verb::Appe => Command::Appe(need()?),
            Verb::Allo => {
                let a = need()?;
                let words: Vec<&str> = a.split(' ').filter(|w| !w.is_empty()).collect();
                match words.as_slice() {
                    [n] => Command::Allo(parse_decimal(verb, n)?, None),
                    [n, r, m] if r.eq_ignore_ascii_case("R") => {
                        Command::Allo(parse_decimal(verb, n)?, Some(parse_decimal(verb, m)?))
                    }
                    _ => return Err(bad(verb, "expected `n` or `n R m`")),
                }
            }
            Verb::Rest => Command::Rest(parse_decimal(verb, &need()?)?),
            Verb::Rnfr => Command::Rnfr(need()?),
            Verb::Rnto => Command::Rnto(need()?),
            Verb::Abor => Command::Abor,
            Verb::Dele => Command::Dele(need()?),
            Verb::Rmd => Command::Rmd(need()?),
            Verb::Mkd => Command::Mkd(need()?),
            Verb::Pwd => Command::Pwd,
            Verb::List => Command::List(opt()),
            Verb::Nlst => Command::Nlst(opt()),
            Verb::Site => Command::Site(need()?),
            Verb::Syst => Command::Syst,
            Verb::Stat => Command::Stat(opt()),
            Verb::Help => Command::Help(opt()),
            Verb::Noop => Command::Noop,
            Verb::Eprt => Command::Eprt(ExtendedAddr::parse(&need()?)?),
            Verb::Epsv => Command::Epsv(match arg.map(str::trim) {
                None | Some("") => None,
                Some(a) if a.eq_ignore_ascii_case("ALL") => Some(EpsvArg::All),
                Some(a) => {
                    let n = parse_decimal(verb, a)?;
                    Some(EpsvArg::Protocol(u8::try_from(n).map_err(|_| {
                        bad(verb, format!("network protocol {n} is out of range"))
                    })?))
                }
            }),
            Verb::Feat => Command::Feat,
            Verb::Opts => Command::Opts(need()?),
            Verb::Size => Command::Size(need()?),
            Verb::Mdtm => Command::Mdtm(need()?),
            Verb::Mlsd => Command::Mlsd(opt()),
            Verb::Mlst => Command::Mlst(opt()),
        })
    }

    pub fn verb(&self) -> Verb {
        match self {
            Command::User(_) => Verb::User,
            Command::Pass(_) => Verb::Pass,
            Command::Acct(_) => Verb::Acct,
            Command::Cwd(_) => Verb::Cwd,
            Command::Cdup => Verb::Cdup,
            Command::Smnt(_) => Verb::Smnt,
            Command::Rein => Verb::Rein,
            Command::Quit => Verb::Quit,
            Command::Port(_) => Verb::Port,
            Command::Pasv => Verb::Pasv,
            Command::Type(_) => Verb::Type,
            Command::Stru(_) => Verb::Stru,
            Command::Mode(_) => Verb::Mode,
            Command::Retr(_) => Verb::Retr,
            Command::Stor(_) => Verb::Stor,
            Command::Stou(_) => Verb::Stou,
            Command::Appe(_) => Verb::Appe,
            Command::Allo(..) => Verb::Allo,
            Command::Rest(_) => Verb::Rest,
            Command::Rnfr(_) => Verb::Rnfr,
            Command::Rnto(_) => Verb::Rnto,
            Command::Abor => Verb::Abor,
            Command::Dele(_) => Verb::Dele,
            Command::Rmd(_) => Verb::Rmd,
            Command::Mkd(_) => Verb::Mkd,
            Command::Pwd => Verb::Pwd,
            Command::List(_) => Verb::List,
            Command::Nlst(_) => Verb::Nlst,
            Command::Site(_) => Verb::Site,
            Command::Syst => Verb::Syst,
            Command::Stat(_) => Verb::Stat,
            Command::Help(_) => Verb::Help,
            Command::Noop => Verb::Noop,
            Command::Eprt(_) => Verb::Eprt,
            Command::Epsv(_) => Verb::Epsv,
            Command::Feat => Verb::Feat,
            Command::Opts(_) => Verb::Opts,
            Command::Size(_) => Verb::Size,
            Command::Mdtm(_) => Verb::Mdtm,
            Command::Mlsd(_) => Verb::Mlsd,
            Command::Mlst(_) => Verb::Mlst,
        }
    }

    /// The argument as it goes on the wire, if any.
    pub fn argument(&self) -> Option<String> {
        match self {
            Command::User(s)
            | Command::Pass(s)
            | Command::Acct(s)
            | Command::Cwd(s)
            | Command::Smnt(s)
            | Command::Retr(s)
            | Command::Stor(s)
            | Command::Appe(s)
            | Command::Rnfr(s)
            | Command::Rnto(s)
            | Command::Dele(s)
            | Command::Rmd(s)
            | Command::Mkd(s)
            | Command::Site(s)
            | Command::Opts(s)
            | Command::Size(s)
            | Command::Mdtm(s) => Some(s.clone()).filter(|s| !s.is_empty()),
            Command::Stou(o)
            | Command::List(o)
            | Command::Nlst(o)
            | Command::Stat(o)
            | Command::Help(o)
            | Command::Mlsd(o)
            | Command::Mlst(o) => o.clone().filter(|s| !s.is_empty()),
            Command::Port(hp) => Some(hp.to_string()),
            Command::Type(t) => Some(t.to_string()),
            Command::Stru(s) => Some(s.to_string()),
            Command::Mode(m) => Some(m.to_string()),
            Command::Allo(n, None) => Some(n.to_string()),
            Command::Allo(n, Some(m)) => Some(format!("{n} R {m}")),
            Command::Rest(n) => Some(n.to_string()),
            Command::Eprt(a) => Some(a.to_string()),
            Command::Epsv(a) => a.map(|a| a.to_string()),
            Command::Cdup
            | Command::Rein
            | Command::Quit
            | Command::Pasv
            | Command::Abor
            | Command::Pwd
            | Command::Syst
            | Command::Noop
            | Command::Feat => None,
        }
    }

    /// The command line with its CRLF, ready for the control connection.
    pub fn encode(&self) -> Vec<u8> {
        format!("{self}\r\n").into_bytes()
    }
}

impl fmt::Display for Command {
    /// The command line without CRLF, e.g. `PORT 192,168,120,168,200,100`.
    /// Passwords are shown: FTP sends them in clear text, and showing that
    /// is part of what the tool teaches.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.verb().as_str())?;
        if let Some(arg) = self.argument() {
            write!(f, " {arg}")?;
        }
        Ok(())
    }
}

impl FromStr for Command {
    type Err = CommandError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Command::parse(s.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn p(s: &str) -> Result<Command, CommandError> {
        Command::parse(s.as_bytes())
    }

    #[test]
    fn the_walkthrough_commands_parse() {
        assert_eq!(p("USER test"), Ok(Command::User("test".into())));
        assert_eq!(p("PASS secret"), Ok(Command::Pass("secret".into())));
        assert_eq!(
            p("PORT 192,168,120,168,200,100"),
            Ok(Command::Port(HostPort::new(
                Ipv4Addr::new(192, 168, 120, 168),
                51300
            )))
        );
        assert_eq!(p("NLST"), Ok(Command::Nlst(None)));
        assert_eq!(p("PWD"), Ok(Command::Pwd));
        assert_eq!(p("QUIT\r\n"), Ok(Command::Quit));
    }

    #[test]
    fn verbs_are_case_insensitive_and_aliases_map_to_the_rfc_959_verb() {
        assert_eq!(p("user Bob"), Ok(Command::User("Bob".into())));
        assert_eq!(p("XPWD"), Ok(Command::Pwd));
        assert_eq!(p("xcwd /pub"), Ok(Command::Cwd("/pub".into())));
        assert_eq!(p("XCUP").map(|c| c.to_string()), Ok("CDUP".into()));
        assert_eq!("xmkd".parse::<Verb>(), Ok(Verb::Mkd));
    }

    #[test]
    fn arguments_keep_their_spaces() {
        assert_eq!(
            p("RETR my file.txt"),
            Ok(Command::Retr("my file.txt".into()))
        );
        assert_eq!(p("STOR  lead"), Ok(Command::Stor(" lead".into())));
        assert_eq!(p("PASS"), Ok(Command::Pass(String::new())));
        assert_eq!(p("LIST -la"), Ok(Command::List(Some("-la".into()))));
    }

    #[test]
    fn malformed_lines_are_typed_errors() {
        assert_eq!(p(""), Err(CommandError::Empty));
        assert_eq!(p("   "), Err(CommandError::Empty));
        assert_eq!(p("HELO x"), Err(CommandError::UnknownVerb("HELO".into())));
        assert_eq!(p("RETR"), Err(CommandError::MissingArgument(Verb::Retr)));
        assert_eq!(p("RETR "), Err(CommandError::MissingArgument(Verb::Retr)));
        assert!(matches!(p("PORT 1,2,3,4,5"), Err(CommandError::BadPort(_))));
        assert!(matches!(
            p("PORT 1,2,3,4,5,256"),
            Err(CommandError::BadPort(_))
        ));
        assert!(matches!(p("EPRT |9|x|1|"), Err(CommandError::BadEprt(_))));
        assert!(matches!(
            p("TYPE X"),
            Err(CommandError::BadArgument {
                verb: Verb::Type,
                ..
            })
        ));
        assert!(matches!(
            p("MODE Z"),
            Err(CommandError::BadArgument {
                verb: Verb::Mode,
                ..
            })
        ));
        assert!(matches!(
            p("REST abc"),
            Err(CommandError::BadArgument {
                verb: Verb::Rest,
                ..
            })
        ));
        assert_eq!(p("RETR a\0b"), Err(CommandError::ControlCharacter));
        assert_eq!(
            Command::parse(&[0x55, 0xff, 0x53]),
            Err(CommandError::NotUtf8)
        );
    }

    #[test]
    fn type_codes_follow_rfc_959_grammar() {
        assert_eq!(
            p("TYPE A"),
            Ok(Command::Type(TypeCode::Ascii(FormatControl::NonPrint)))
        );
        assert_eq!(
            p("TYPE a n"),
            Ok(Command::Type(TypeCode::Ascii(FormatControl::NonPrint)))
        );
        assert_eq!(
            p("TYPE E T"),
            Ok(Command::Type(TypeCode::Ebcdic(FormatControl::Telnet)))
        );
        assert_eq!(p("TYPE I"), Ok(Command::Type(TypeCode::Image)));
        assert_eq!(p("TYPE L 8"), Ok(Command::Type(TypeCode::Local(8))));
        assert_eq!(p("TYPE L8"), Ok(Command::Type(TypeCode::Local(8))));
        assert!(p("TYPE L 0").is_err());
        assert!(p("TYPE I X").is_err());
    }

    #[test]
    fn encoding_gives_the_canonical_line_with_crlf() {
        for (input, canonical) in [
            ("type l8", "TYPE L 8"),
            ("port 10,0,0,1,4,1", "PORT 10,0,0,1,4,1"),
            ("eprt |1|10.0.0.1|1025|", "EPRT |1|10.0.0.1|1025|"),
            ("epsv all", "EPSV ALL"),
            ("allo 10 r 3", "ALLO 10 R 3"),
            ("rest 0100", "REST 100"),
            ("stou", "STOU"),
            ("PASS", "PASS"),
        ] {
            let c = p(input).unwrap();
            assert_eq!(c.to_string(), canonical);
            assert_eq!(c.encode(), format!("{canonical}\r\n").into_bytes());
            assert_eq!(Command::parse(&c.encode()), Ok(c));
        }
    }

    #[test]
    fn data_verbs_are_the_ones_that_need_a_data_connection() {
        let data: Vec<Verb> = Verb::ALL
            .iter()
            .copied()
            .filter(|v| v.uses_data_connection())
            .collect();
        assert_eq!(
            data,
            [
                Verb::Appe,
                Verb::List,
                Verb::Mlsd,
                Verb::Nlst,
                Verb::Retr,
                Verb::Stor,
                Verb::Stou
            ]
        );
    }
}
