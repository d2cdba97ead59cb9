//! FTP replies: codes, single- and multi-line forms, and a decoder.
//!
//! A reply is a three-digit code and text (RFC 959 4.2). On one line it is
//! `226 Transfer complete.`; on several it opens with the code and a hyphen
//! and closes with a line that starts with the same code and a space:
//!
//! ```text
//! 211-Features:
//!  EPRT
//!  MDTM
//! 211 End
//! ```
//!
//! The first digit says how the command went (RFC 959 4.2.1): 1
//! preliminary (another reply follows), 2 completed, 3 more information
//! needed, 4 failed for now, 5 failed for good. [`ReplyDecoder`] turns the
//! control stream back into whole replies for the client.
//!
//! Leaves out: the Telnet escapes a server could put into a reply (none of
//! the servers we model does).

use core::fmt;
use std::collections::VecDeque;

/// A reply code, 100..=599 (RFC 959 4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplyCode(u16);

/// RFC 959 4.2.1's first-digit meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplyKind {
    /// 1yz: the action is starting; expect another reply.
    Preliminary,
    /// 2yz: done.
    Completion,
    /// 3yz: accepted, send more (e.g. the password).
    Intermediate,
    /// 4yz: failed, try again later.
    TransientFailure,
    /// 5yz: failed.
    PermanentFailure,
}

impl ReplyCode {
    /// A code, if it is 100..=599.
    pub const fn new(code: u16) -> Option<ReplyCode> {
        if code >= 100 && code <= 599 {
            Some(ReplyCode(code))
        } else {
            None
        }
    }

    pub const fn get(self) -> u16 {
        self.0
    }

    pub const fn kind(self) -> ReplyKind {
        match self.0 / 100 {
            1 => ReplyKind::Preliminary,
            2 => ReplyKind::Completion,
            3 => ReplyKind::Intermediate,
            4 => ReplyKind::TransientFailure,
            _ => ReplyKind::PermanentFailure,
        }
    }

    /// 1yz: another reply to the same command follows.
    pub const fn is_preliminary(self) -> bool {
        self.0 < 200
    }

    /// Anything but 1yz ends the command's exchange.
    pub const fn is_final(self) -> bool {
        !self.is_preliminary()
    }

    pub const fn is_success(self) -> bool {
        self.0 >= 200 && self.0 < 300
    }

    pub const fn is_failure(self) -> bool {
        self.0 >= 400
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A whole reply. `lines[0]` is the text after `NNN ` or `NNN-`; in a
/// multi-line reply the middle lines are kept as sent and the last element
/// is the text of the closing `NNN ` line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reply {
    pub code: ReplyCode,
    pub lines: Vec<String>,
}

fn clean_lines(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l).replace('\r', " "))
}

impl Reply {
    /// A reply. `text` may hold several lines (separated by `\n`): it is
    /// then sent in the multi-line form. A `code` outside 100..=599 becomes
    /// 500: replies built here come from our own code, not from input.
    pub fn new(code: u16, text: &str) -> Reply {
        let code = ReplyCode::new(code).unwrap_or(ReplyCode(500));
        Reply {
            code,
            lines: clean_lines(text).collect(),
        }
    }

    /// A multi-line reply from its lines (first, middle..., last).
    pub fn multi<S: AsRef<str>>(code: u16, lines: &[S]) -> Reply {
        let code = ReplyCode::new(code).unwrap_or(ReplyCode(500));
        let mut out: Vec<String> = lines
            .iter()
            .flat_map(|l| clean_lines(l.as_ref()).collect::<Vec<_>>())
            .collect();
        if out.is_empty() {
            out.push(String::new());
        }
        Reply { code, lines: out }
    }

    /// The text of all lines joined by `\n`, without codes.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// The text of the first line.
    pub fn first_line(&self) -> &str {
        self.lines.first().map(String::as_str).unwrap_or("")
    }

    pub fn is_multiline(&self) -> bool {
        self.lines.len() > 1
    }

    /// The lines as they appear on the wire, without CRLF. A middle line
    /// that would look like the closing line (it starts with the code and a
    /// space) gets a leading space, as RFC 959 4.2 asks of the sender.
    pub fn wire_lines(&self) -> Vec<String> {
        let code = self.code.get();
        match self.lines.as_slice() {
            [] => vec![format!("{code} ")],
            [only] => vec![format!("{code} {only}")],
            [first, middle @ .., last] => {
                let mut out = Vec::with_capacity(self.lines.len());
                out.push(format!("{code}-{first}"));
                let closing = format!("{code} ");
                for m in middle {
                    if m.starts_with(&closing) || *m == code.to_string() {
                        out.push(format!(" {m}"));
                    } else {
                        out.push(m.clone());
                    }
                }
                out.push(format!("{code} {last}"));
                out
            }
        }
    }

    /// The reply with CRLF after every line, ready for the control connection.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for l in self.wire_lines() {
            out.extend_from_slice(l.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    /// Parses a complete reply from its bytes (CRLF or LF line ends).
    pub fn parse(bytes: &[u8]) -> Result<Reply, ReplyError> {
        let mut d = ReplyDecoder::new();
        d.push(bytes);
        if !bytes.ends_with(b"\n") {
            d.push(b"\r\n");
        }
        match d.next_reply() {
            Some(Ok(r)) if d.is_idle() => Ok(r),
            Some(Ok(_)) => Err(ReplyError::Trailing),
            Some(Err(e)) => Err(e),
            None => Err(ReplyError::Unterminated),
        }
    }
}

impl fmt::Display for Reply {
    /// The wire lines joined by `\n`: `257 "/"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.wire_lines().join("\n"))
    }
}

/// Why part of the reply stream could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("reply line does not start with a code 100..=599: `{0}`")]
    BadLine(String),
    #[error("reply line longer than {0} bytes")]
    TooLong(usize),
    #[error("multi-line reply longer than {0} lines")]
    TooManyLines(usize),
    #[error("reply is not finished")]
    Unterminated,
    #[error("more than one reply")]
    Trailing,
}

/// Reads whole replies from the control stream, for the client side. The
/// stream may be cut anywhere; one call may bring several replies. Lines
/// end with LF (a CR before it is dropped); text that is not UTF-8 is
/// replaced, not refused, since the client only shows it.
#[derive(Debug, Clone)]
pub struct ReplyDecoder {
    current: Vec<u8>,
    overlong: bool,
    open: Option<(ReplyCode, Vec<String>)>,
    ready: VecDeque<Result<Reply, ReplyError>>,
}

impl ReplyDecoder {
    /// Longest reply line accepted.
    pub const MAX_LINE: usize = 8192;
    /// Most lines in one multi-line reply.
    pub const MAX_LINES: usize = 4096;
    /// Most finished replies waiting to be taken.
    pub const MAX_PENDING: usize = 256;

    pub fn new() -> Self {
        ReplyDecoder {
            current: Vec::new(),
            overlong: false,
            open: None,
            ready: VecDeque::new(),
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b == b'\n' {
                if self.current.last() == Some(&b'\r') {
                    self.current.pop();
                }
                let line = std::mem::take(&mut self.current);
                if std::mem::take(&mut self.overlong) {
                    self.emit(Err(ReplyError::TooLong(Self::MAX_LINE)));
                    self.open = None;
                } else {
                    self.line(&String::from_utf8_lossy(&line));
                }
            } else if !self.overlong {
                if self.current.len() > Self::MAX_LINE {
                    self.current.clear();
                    self.overlong = true;
                } else {
                    self.current.push(b);
                }
            }
        }
    }

    fn emit(&mut self, r: Result<Reply, ReplyError>) {
        if self.ready.len() < Self::MAX_PENDING {
            self.ready.push_back(r);
        }
    }

    fn code_of(line: &str) -> Option<(ReplyCode, Option<u8>)> {
        let b = line.as_bytes();
        if b.len() < 3 || !b[..3].iter().all(u8::is_ascii_digit) {
            return None;
        }
        let code = ReplyCode::new(
            u16::from(b[0] - b'0') * 100 + u16::from(b[1] - b'0') * 10 + u16::from(b[2] - b'0'),
        )?;
        Some((code, b.get(3).copied()))
    }

    fn line(&mut self, line: &str) {
        if let Some((code, mut lines)) = self.open.take() {
            if let Some((c, sep)) = Self::code_of(line)
                && c == code
                && matches!(sep, None | Some(b' '))
            {
                lines.push(line.get(4..).unwrap_or("").to_string());
                self.emit(Ok(Reply { code, lines }));
                return;
            }
            if lines.len() >= Self::MAX_LINES {
                self.emit(Err(ReplyError::TooManyLines(Self::MAX_LINES)));
                return;
            }
            lines.push(line.to_string());
            self.open = Some((code, lines));
            return;
        }
        match Self::code_of(line) {
            Some((code, Some(b'-'))) => {
                self.open = Some((code, vec![line[4..].to_string()]));
            }
            Some((code, None)) => self.emit(Ok(Reply {
                code,
                lines: vec![String::new()],
            })),
            Some((code, Some(b' '))) => self.emit(Ok(Reply {
                code,
                lines: vec![line[4..].to_string()],
            })),
            _ => self.emit(Err(ReplyError::BadLine(line.chars().take(80).collect()))),
        }
    }

    /// The next whole reply, or the next line that could not be read.
    pub fn next_reply(&mut self) -> Option<Result<Reply, ReplyError>> {
        self.ready.pop_front()
    }

    /// True when no reply is half-read.
    pub fn is_idle(&self) -> bool {
        self.open.is_none() && self.current.is_empty() && self.ready.is_empty()
    }
}

impl Default for ReplyDecoder {
    fn default() -> Self {
        ReplyDecoder::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_line_replies_encode_and_decode() {
        let r = Reply::new(220, "(vsFTPd 2.0.5)");
        assert_eq!(r.encode(), b"220 (vsFTPd 2.0.5)\r\n");
        assert_eq!(Reply::parse(&r.encode()), Ok(r));
        assert_eq!(Reply::new(257, "\"/\"").to_string(), "257 \"/\"");
    }

    #[test]
    fn multi_line_replies_encode_and_decode() {
        let r = Reply::multi(211, &["Features:", " EPRT", " MDTM", "End"]);
        assert_eq!(
            r.encode(),
            b"211-Features:\r\n EPRT\r\n MDTM\r\n211 End\r\n"
        );
        assert_eq!(Reply::parse(&r.encode()), Ok(r.clone()));
        assert_eq!(Reply::new(211, "Features:\n EPRT\n MDTM\nEnd"), r);
    }

    #[test]
    fn a_middle_line_that_looks_like_the_end_is_padded() {
        let r = Reply::multi(214, &["Help:", "214 is not the end", "Done"]);
        let wire = r.encode();
        assert_eq!(wire, b"214-Help:\r\n 214 is not the end\r\n214 Done\r\n");
        let back = Reply::parse(&wire).unwrap();
        assert_eq!(back.lines, ["Help:", " 214 is not the end", "Done"]);
    }

    #[test]
    fn the_decoder_takes_a_stream_cut_anywhere() {
        let mut d = ReplyDecoder::new();
        let stream = b"150 Here comes the directory listing.\r\n226 Directory send OK.\r\n230-Hi\r\n there\r\n230 ok\r\n";
        for chunk in stream.chunks(7) {
            d.push(chunk);
        }
        let got: Vec<_> = std::iter::from_fn(|| d.next_reply()).collect();
        assert_eq!(
            got,
            vec![
                Ok(Reply::new(150, "Here comes the directory listing.")),
                Ok(Reply::new(226, "Directory send OK.")),
                Ok(Reply::multi(230, &["Hi", " there", "ok"])),
            ]
        );
        assert!(d.is_idle());
    }

    #[test]
    fn bad_lines_are_reported_and_the_decoder_goes_on() {
        let mut d = ReplyDecoder::new();
        d.push(b"hello\r\n99 x\r\n700 x\r\n230\r\n");
        let got: Vec<_> = std::iter::from_fn(|| d.next_reply()).collect();
        assert!(matches!(got[0], Err(ReplyError::BadLine(_))));
        assert!(matches!(got[1], Err(ReplyError::BadLine(_))));
        assert!(matches!(got[2], Err(ReplyError::BadLine(_))));
        assert_eq!(got[3], Ok(Reply::new(230, "")));
    }

    #[test]
    fn codes_know_their_kind() {
        let c = |n| ReplyCode::new(n).unwrap();
        assert!(c(150).is_preliminary());
        assert!(c(226).is_final() && c(226).is_success());
        assert_eq!(c(331).kind(), ReplyKind::Intermediate);
        assert_eq!(c(425).kind(), ReplyKind::TransientFailure);
        assert!(c(550).is_failure());
        assert_eq!(ReplyCode::new(99), None);
        assert_eq!(ReplyCode::new(600), None);
    }
}
