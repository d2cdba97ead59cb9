//! `TYPE A` line-end conversion (RFC 959 3.1.1.1).
//!
//! In ASCII mode the data connection carries lines ended by CRLF, whatever
//! the hosts use at home. A Unix server turns each LF of a file into CRLF
//! when sending and each CRLF back into LF when receiving; a Windows client
//! keeps CRLF at home and converts nothing. The converters work piece by
//! piece, so a CR and its LF may arrive in different segments.
//!
//! Leaves out: EBCDIC, and any change to bytes other than line ends (no
//! character set conversion; RFC 959's NVT-ASCII is 7-bit, we pass 8-bit
//! bytes through, as real servers do).

/// How a host ends lines in its own files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LineEnding {
    /// Unix: LF.
    #[default]
    Lf,
    /// Windows and DOS: CRLF (the same as the wire form).
    CrLf,
}

/// Local form to wire form: LF not already after a CR becomes CRLF.
#[derive(Debug, Clone, Default)]
pub struct ToWire {
    prev_cr: bool,
}

impl ToWire {
    pub fn new() -> Self {
        ToWire::default()
    }

    pub fn convert(&mut self, local: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(local.len() + local.len() / 32 + 1);
        for &b in local {
            if b == b'\n' && !self.prev_cr {
                out.push(b'\r');
            }
            out.push(b);
            self.prev_cr = b == b'\r';
        }
        out
    }
}

/// Wire form to local LF form: CRLF becomes LF; a lone CR is kept.
#[derive(Debug, Clone, Default)]
pub struct FromWire {
    pending_cr: bool,
}

impl FromWire {
    pub fn new() -> Self {
        FromWire::default()
    }

    pub fn convert(&mut self, wire: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(wire.len());
        for &b in wire {
            if self.pending_cr {
                self.pending_cr = false;
                if b != b'\n' {
                    out.push(b'\r');
                }
            }
            if b == b'\r' {
                self.pending_cr = true;
            } else {
                out.push(b);
            }
        }
        out
    }

    /// The end of the stream: a CR held back waiting for its LF is kept.
    pub fn finish(&mut self) -> Vec<u8> {
        if std::mem::take(&mut self.pending_cr) {
            vec![b'\r']
        } else {
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lf_becomes_crlf_and_back_even_when_split() {
        let local = b"one\ntwo\r\nthree\n";
        let mut to = ToWire::new();
        let mut wire = to.convert(&local[..4]);
        wire.extend(to.convert(&local[4..]));
        assert_eq!(wire, b"one\r\ntwo\r\nthree\r\n");

        let mut from = FromWire::new();
        let mut back = Vec::new();
        for chunk in wire.chunks(1) {
            back.extend(from.convert(chunk));
        }
        back.extend(from.finish());
        assert_eq!(back, b"one\ntwo\nthree\n");
    }

    #[test]
    fn a_lone_cr_survives() {
        let mut from = FromWire::new();
        let mut out = from.convert(b"a\rb\r");
        out.extend(from.finish());
        assert_eq!(out, b"a\rb\r");
    }

    #[test]
    fn a_cr_at_the_end_of_one_piece_still_protects_the_next_lf() {
        let mut to = ToWire::new();
        let mut wire = to.convert(b"x\r");
        wire.extend(to.convert(b"\ny"));
        assert_eq!(wire, b"x\r\ny");
    }
}
