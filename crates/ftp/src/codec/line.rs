//! Line assembly for the control connection.
//!
//! TCP delivers a byte stream, not commands: one segment may carry half a
//! command, or three. [`LineDecoder`] turns the stream back into lines ended
//! by CRLF (RFC 959 4.1 and 5.3: every command ends with `<CRLF>`). A bare
//! LF is accepted as well, as vsftpd and most servers do, and the CR before
//! it is dropped.
//!
//! The control connection is a Telnet connection (RFC 959 4.0, RFC 854), so
//! the decoder can also remove Telnet commands: `IAC IAC` becomes one 0xFF
//! byte, option negotiation (`IAC WILL/WONT/DO/DONT x`) and subnegotiation
//! (`IAC SB ... IAC SE`) disappear, and so do the two-byte commands such as
//! the "Interrupt Process" and "Data Mark" that a client sends before `ABOR`
//! (RFC 959 4.1.3). Leaves out: answering option negotiation (a server may
//! refuse every option by staying silent, RFC 1123 4.1.2.12).
//!
//! Everything is bounded: a line longer than the limit is dropped up to its
//! end and reported as [`LineError::TooLong`]; at most
//! [`LineDecoder::MAX_PENDING`] finished lines wait to be taken, later ones
//! are counted in [`LineDecoder::dropped`] and forgotten.

use std::collections::VecDeque;

/// Why a line could not be delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// The line was longer than the decoder's limit; it was dropped whole.
    #[error("line longer than {limit} bytes")]
    TooLong { limit: usize },
}

const IAC: u8 = 255;
const DONT: u8 = 254;
const DO: u8 = 253;
const WONT: u8 = 252;
const WILL: u8 = 251;
const SB: u8 = 250;
const SE: u8 = 240;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Telnet {
    /// Ordinary data.
    Data,
    /// After an IAC.
    Iac,
    /// After IAC WILL/WONT/DO/DONT: the next byte is the option.
    Option,
    /// Inside IAC SB ... (until IAC SE).
    Sub,
    /// After an IAC inside a subnegotiation.
    SubIac,
}

/// Assembles CRLF-terminated lines from a byte stream; see the module docs.
#[derive(Debug, Clone)]
pub struct LineDecoder {
    max_line: usize,
    telnet: bool,
    tstate: Telnet,
    current: Vec<u8>,
    overlong: bool,
    ready: VecDeque<Result<Vec<u8>, LineError>>,
    dropped: u64,
}

impl LineDecoder {
    /// At most this many finished lines wait in the decoder.
    pub const MAX_PENDING: usize = 256;
    /// vsftpd's command line limit (`VSFTP_MAX_COMMAND_LINE`), a sensible default.
    pub const DEFAULT_MAX_LINE: usize = 4096;

    /// A decoder for lines of at most `max_line` bytes (the CRLF not
    /// counted). `telnet` turns on the removal of Telnet commands.
    pub fn new(max_line: usize, telnet: bool) -> Self {
        LineDecoder {
            max_line: max_line.max(1),
            telnet,
            tstate: Telnet::Data,
            current: Vec::new(),
            overlong: false,
            ready: VecDeque::new(),
            dropped: 0,
        }
    }

    /// Feeds bytes from the stream. Finished lines are taken with
    /// [`next_line`](Self::next_line).
    pub fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.telnet {
                match self.tstate {
                    Telnet::Data => {
                        if b == IAC {
                            self.tstate = Telnet::Iac;
                            continue;
                        }
                    }
                    Telnet::Iac => {
                        self.tstate = Telnet::Data;
                        match b {
                            IAC => {} // an escaped 0xFF data byte: fall through
                            WILL | WONT | DO | DONT => {
                                self.tstate = Telnet::Option;
                                continue;
                            }
                            SB => {
                                self.tstate = Telnet::Sub;
                                continue;
                            }
                            _ => continue, // IP, DM, AYT, NOP, ...: no data
                        }
                    }
                    Telnet::Option => {
                        self.tstate = Telnet::Data;
                        continue;
                    }
                    Telnet::Sub => {
                        if b == IAC {
                            self.tstate = Telnet::SubIac;
                        }
                        continue;
                    }
                    Telnet::SubIac => {
                        self.tstate = if b == SE { Telnet::Data } else { Telnet::Sub };
                        continue;
                    }
                }
            }
            self.data_byte(b);
        }
    }

    fn data_byte(&mut self, b: u8) {
        if b == b'\n' {
            if self.current.last() == Some(&b'\r') {
                self.current.pop();
            }
            let line = std::mem::take(&mut self.current);
            let item = if self.overlong {
                Err(LineError::TooLong {
                    limit: self.max_line,
                })
            } else {
                Ok(line)
            };
            self.overlong = false;
            if self.ready.len() < Self::MAX_PENDING {
                self.ready.push_back(item);
            } else {
                self.dropped += 1;
            }
            return;
        }
        if self.overlong {
            return;
        }
        // One byte of slack for the CR of the CRLF.
        if self.current.len() > self.max_line {
            self.current.clear();
            self.overlong = true;
            return;
        }
        self.current.push(b);
    }

    /// The next finished line, without its line end.
    pub fn next_line(&mut self) -> Option<Result<Vec<u8>, LineError>> {
        self.ready.pop_front()
    }

    /// Bytes of an unfinished line held so far.
    pub fn partial_len(&self) -> usize {
        self.current.len()
    }

    /// Lines thrown away because too many were waiting.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

impl Default for LineDecoder {
    fn default() -> Self {
        LineDecoder::new(Self::DEFAULT_MAX_LINE, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(d: &mut LineDecoder) -> Vec<Result<Vec<u8>, LineError>> {
        std::iter::from_fn(|| d.next_line()).collect()
    }

    #[test]
    fn a_command_split_across_segments_comes_out_once_whole() {
        let mut d = LineDecoder::default();
        d.push(b"US");
        assert!(d.next_line().is_none());
        d.push(b"ER te");
        d.push(b"st\r");
        assert!(d.next_line().is_none());
        d.push(b"\n");
        assert_eq!(lines(&mut d), vec![Ok(b"USER test".to_vec())]);
    }

    #[test]
    fn several_commands_in_one_segment_come_out_in_order() {
        let mut d = LineDecoder::default();
        d.push(b"PWD\r\nQUIT\r\nNO");
        assert_eq!(
            lines(&mut d),
            vec![Ok(b"PWD".to_vec()), Ok(b"QUIT".to_vec())]
        );
        d.push(b"OP\n");
        assert_eq!(lines(&mut d), vec![Ok(b"NOOP".to_vec())]);
    }

    #[test]
    fn an_overlong_line_is_dropped_whole_and_the_next_one_survives() {
        let mut d = LineDecoder::new(8, false);
        d.push(b"RETR aaaaaaaaaaaaaaaaaaaa");
        d.push(b"aaaa\r\nPWD\r\n");
        assert_eq!(
            lines(&mut d),
            vec![Err(LineError::TooLong { limit: 8 }), Ok(b"PWD".to_vec())]
        );
        assert_eq!(d.partial_len(), 0);
    }

    #[test]
    fn telnet_commands_before_abor_disappear() {
        let mut d = LineDecoder::default();
        // IAC IP, IAC DM (the Synch), then ABOR, as RFC 959 4.1.3 describes.
        d.push(&[IAC, 244, IAC, 242]);
        d.push(b"ABOR\r\n");
        d.push(&[IAC, DO, 1, b'N', IAC, IAC, b'\r', b'\n']);
        d.push(&[IAC, SB, 24, 1, IAC, SE, b'X', b'\n']);
        assert_eq!(
            lines(&mut d),
            vec![
                Ok(b"ABOR".to_vec()),
                Ok(vec![b'N', 0xFF]),
                Ok(b"X".to_vec())
            ]
        );
    }

    #[test]
    fn the_waiting_queue_is_bounded() {
        let mut d = LineDecoder::default();
        d.push(&vec![b'\n'; LineDecoder::MAX_PENDING + 10]);
        assert_eq!(lines(&mut d).len(), LineDecoder::MAX_PENDING);
        assert_eq!(d.dropped(), 10);
    }
}
