//! Data-connection addresses as FTP writes them.
//!
//! - [`HostPort`]: the six comma-separated numbers of `PORT` (RFC 959 4.1.2)
//!   and of the `227` reply to `PASV` (RFC 959 4.1.2, 4.2.2): four bytes of
//!   IPv4 address, then the port's high and low bytes.
//! - [`ExtendedAddr`]: the `|1|132.235.1.2|6275|` argument of `EPRT`
//!   (RFC 2428 2), which also names IPv6 addresses.
//! - [`parse_pasv_reply`] and [`parse_epsv_reply`]: find the address in the
//!   text of a `227` or `229` reply, the way RFC 1123 4.1.2.6 tells clients
//!   to (scan for the numbers, do not trust the words around them).
//!
//! Leaves out: `LPRT`/`LPSV` (RFC 1639).

use core::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV4};
use std::str::FromStr;

/// Why a `h1,h2,h3,h4,p1,p2` argument was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostPortError {
    #[error("expected 6 comma-separated numbers, found {0}")]
    WrongCount(usize),
    #[error("number {index} (`{text}`) is not a decimal number")]
    NotANumber { index: usize, text: String },
    #[error("number {index} is {value}, but each must be 0..=255")]
    OutOfRange { index: usize, value: u64 },
}

/// An IPv4 address and port as `PORT h1,h2,h3,h4,p1,p2` carries them.
///
/// `192,168,120,168,200,100` is 192.168.120.168, port 200*256+100 = 51300:
/// [`explain`](HostPort::explain) spells that out for the player.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostPort {
    pub ip: Ipv4Addr,
    pub port: u16,
}

impl HostPort {
    pub const fn new(ip: Ipv4Addr, port: u16) -> Self {
        HostPort { ip, port }
    }

    /// Parses `h1,h2,h3,h4,p1,p2` (RFC 959 4.1.2, "host-port"). Spaces around
    /// the numbers are tolerated; each number must be 0..=255.
    pub fn parse(text: &str) -> Result<HostPort, HostPortError> {
        let parts: Vec<&str> = text.split(',').collect();
        if parts.len() != 6 {
            return Err(HostPortError::WrongCount(parts.len()));
        }
        let mut n = [0u8; 6];
        for (index, part) in parts.iter().enumerate() {
            let t = part.trim();
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(HostPortError::NotANumber {
                    index: index + 1,
                    text: (*part).to_string(),
                });
            }
            // More than 20 digits cannot fit in u64: already out of range.
            let value = t.parse::<u64>().unwrap_or(u64::MAX);
            n[index] = u8::try_from(value).map_err(|_| HostPortError::OutOfRange {
                index: index + 1,
                value,
            })?;
        }
        Ok(HostPort {
            ip: Ipv4Addr::new(n[0], n[1], n[2], n[3]),
            port: u16::from_be_bytes([n[4], n[5]]),
        })
    }

    /// The port's high byte (p1) and low byte (p2).
    pub const fn port_bytes(self) -> (u8, u8) {
        ((self.port >> 8) as u8, (self.port & 0xff) as u8)
    }

    /// The decomposition a reader needs:
    /// `192,168,120,168,200,100 = 192.168.120.168 port 200*256+100 = 51300`.
    pub fn explain(self) -> String {
        let (p1, p2) = self.port_bytes();
        format!("{self} = {} port {p1}*256+{p2} = {}", self.ip, self.port)
    }

    pub const fn socket_addr(self) -> SocketAddrV4 {
        SocketAddrV4::new(self.ip, self.port)
    }
}

impl From<SocketAddrV4> for HostPort {
    fn from(a: SocketAddrV4) -> Self {
        HostPort::new(*a.ip(), a.port())
    }
}

impl From<HostPort> for SocketAddrV4 {
    fn from(h: HostPort) -> Self {
        h.socket_addr()
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.ip.octets();
        let (p1, p2) = self.port_bytes();
        write!(f, "{a},{b},{c},{d},{p1},{p2}")
    }
}

impl FromStr for HostPort {
    type Err = HostPortError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HostPort::parse(s)
    }
}

/// Why an `EPRT` argument was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EprtError {
    #[error("EPRT needs <d><net-prt><d><net-addr><d><tcp-port><d> with a delimiter in 33..=126")]
    Shape,
    #[error("network protocol `{0}` is not 1 (IPv4) or 2 (IPv6)")]
    UnknownProtocol(String),
    #[error("`{0}` is not an address of the named protocol")]
    BadAddress(String),
    #[error("`{0}` is not a TCP port number")]
    BadPort(String),
}

/// The argument of `EPRT` (RFC 2428 2): protocol 1 (IPv4) or 2 (IPv6), an
/// address and a port. The delimiter is kept so that encoding gives back
/// what was parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExtendedAddr {
    pub addr: IpAddr,
    pub port: u16,
    pub delimiter: char,
}

impl ExtendedAddr {
    pub fn v4(addr: SocketAddrV4) -> Self {
        ExtendedAddr {
            addr: IpAddr::V4(*addr.ip()),
            port: addr.port(),
            delimiter: '|',
        }
    }

    /// RFC 2428's network protocol number: 1 for IPv4, 2 for IPv6.
    pub fn protocol(&self) -> u8 {
        match self.addr {
            IpAddr::V4(_) => 1,
            IpAddr::V6(_) => 2,
        }
    }

    pub fn parse(text: &str) -> Result<ExtendedAddr, EprtError> {
        let mut chars = text.chars();
        let d = chars.next().ok_or(EprtError::Shape)?;
        if !(('!'..='~').contains(&d)) {
            return Err(EprtError::Shape);
        }
        let fields: Vec<&str> = text.split(d).collect();
        // "", proto, addr, port, "" for a well-formed argument.
        if fields.len() != 5 || !fields[0].is_empty() || !fields[4].is_empty() {
            return Err(EprtError::Shape);
        }
        let addr = match fields[1] {
            "1" => Ipv4Addr::from_str(fields[2])
                .map(IpAddr::V4)
                .map_err(|_| EprtError::BadAddress(fields[2].to_string()))?,
            "2" => Ipv6Addr::from_str(fields[2])
                .map(IpAddr::V6)
                .map_err(|_| EprtError::BadAddress(fields[2].to_string()))?,
            other => return Err(EprtError::UnknownProtocol(other.to_string())),
        };
        let port_text = fields[3];
        if port_text.is_empty() || !port_text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(EprtError::BadPort(port_text.to_string()));
        }
        let port = port_text
            .parse::<u16>()
            .map_err(|_| EprtError::BadPort(port_text.to_string()))?;
        Ok(ExtendedAddr {
            addr,
            port,
            delimiter: d,
        })
    }
}

impl fmt::Display for ExtendedAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.delimiter;
        write!(
            f,
            "{d}{}{d}{}{d}{}{d}",
            self.protocol(),
            self.addr,
            self.port
        )
    }
}

/// Finds the `h1,h2,h3,h4,p1,p2` in the text of a `227` reply. RFC 1123
/// 4.1.2.6: servers word the reply differently, so scan for the first digit
/// and read six numbers from there.
pub fn parse_pasv_reply(text: &str) -> Option<HostPort> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let rest = &text[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ',' || c == ' '))
        .unwrap_or(rest.len());
    HostPort::parse(rest[..end].trim_end_matches([' ', ','])).ok()
}

/// Finds the port in the text of a `229` reply, `(|||6446|)` (RFC 2428 3):
/// the character after `(` is the delimiter, three of them precede the port
/// and one follows it.
pub fn parse_epsv_reply(text: &str) -> Option<u16> {
    let open = text.find('(')?;
    let inner = &text[open + 1..];
    let d = inner.chars().next()?;
    if d.is_ascii_digit() {
        return None;
    }
    let close = inner.find(')')?;
    let fields: Vec<&str> = inner[..close].split(d).collect();
    // "", "", "", port, ""
    if fields.len() != 5 || fields[..3].iter().any(|f| !f.is_empty()) || !fields[4].is_empty() {
        return None;
    }
    if fields[3].is_empty() || !fields[3].bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    fields[3].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_port_argument_is_51300() {
        let hp = HostPort::parse("192,168,120,168,200,100").unwrap();
        assert_eq!(hp.ip, Ipv4Addr::new(192, 168, 120, 168));
        assert_eq!(hp.port, 51300);
        assert_eq!(hp.to_string(), "192,168,120,168,200,100");
        assert_eq!(
            hp.explain(),
            "192,168,120,168,200,100 = 192.168.120.168 port 200*256+100 = 51300"
        );
    }

    #[test]
    fn bad_port_arguments_say_what_is_wrong() {
        assert_eq!(
            HostPort::parse("1,2,3,4,5"),
            Err(HostPortError::WrongCount(5))
        );
        assert_eq!(
            HostPort::parse("1,2,3,4,5,6,7"),
            Err(HostPortError::WrongCount(7))
        );
        assert_eq!(
            HostPort::parse("1,2,3,256,5,6"),
            Err(HostPortError::OutOfRange {
                index: 4,
                value: 256
            })
        );
        assert!(matches!(
            HostPort::parse("1,2,x,4,5,6"),
            Err(HostPortError::NotANumber { index: 3, .. })
        ));
        assert!(matches!(
            HostPort::parse("1,2,-3,4,5,6"),
            Err(HostPortError::NotANumber { index: 3, .. })
        ));
        assert!(matches!(
            HostPort::parse("1,2,,4,5,6"),
            Err(HostPortError::NotANumber { index: 3, .. })
        ));
        assert!(matches!(
            HostPort::parse("1,2,3,4,5,99999999999999999999999"),
            Err(HostPortError::OutOfRange { index: 6, .. })
        ));
        assert_eq!(HostPort::parse(" 10, 0,0,1 ,0,21").map(|h| h.port), Ok(21));
    }

    #[test]
    fn eprt_arguments_round_trip() {
        for text in [
            "|1|132.235.1.2|6275|",
            "|2|1080::8:800:200c:417a|5282|",
            "!1!10.0.0.1!21!",
        ] {
            let a = ExtendedAddr::parse(text).unwrap();
            assert_eq!(a.to_string(), text);
        }
        assert_eq!(
            ExtendedAddr::parse("|3|1.2.3.4|5|"),
            Err(EprtError::UnknownProtocol("3".into()))
        );
        assert!(ExtendedAddr::parse("|1|1.2.3|5|").is_err());
        assert!(ExtendedAddr::parse("|1|1.2.3.4|70000|").is_err());
        assert!(ExtendedAddr::parse("|1|1.2.3.4|5").is_err());
        assert!(ExtendedAddr::parse("").is_err());
        assert!(ExtendedAddr::parse(" 1 1.2.3.4 5 ").is_err());
    }

    #[test]
    fn pasv_and_epsv_replies_are_scanned_for_their_numbers() {
        assert_eq!(
            parse_pasv_reply("Entering Passive Mode (127,0,0,1,185,13)."),
            Some(HostPort::new(Ipv4Addr::LOCALHOST, 185 * 256 + 13))
        );
        assert_eq!(
            parse_pasv_reply("=10,0,0,9,4,1"),
            Some(HostPort::new(Ipv4Addr::new(10, 0, 0, 9), 1025))
        );
        assert_eq!(parse_pasv_reply("Entering Passive Mode"), None);
        assert_eq!(
            parse_epsv_reply("Entering Extended Passive Mode (|||58612|)"),
            Some(58612)
        );
        assert_eq!(
            parse_epsv_reply("Extended Passive mode OK (!!!63988!)"),
            Some(63988)
        );
        assert_eq!(parse_epsv_reply("(|||x|)"), None);
        assert_eq!(parse_epsv_reply("(||1|2|)"), None);
    }
}
