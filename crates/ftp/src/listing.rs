//! Directory listings and time stamps as servers write them.
//!
//! RFC 959 leaves the format of `LIST` to the server ("the information
//! on a file may vary widely from system to system", 4.1.3); clients and
//! people expect Unix `ls -l` lines, which is what vsftpd sends and
//! [`ListStyle::Unix`] writes. [`ListStyle::Dos`] writes what IIS sent in
//! the same era. `NLST` is names only, one per line (RFC 959 4.1.3).
//! `MLSD`/`MLST` lines follow RFC 3659 7 with the facts `type`, `size`,
//! `modify` and `perm`. `MDTM`'s time stamp is RFC 3659 2.3's
//! `YYYYMMDDHHMMSS` in UTC.
//!
//! Dates come from the Vfs modification times and the session's notion of
//! "now" (both Unix seconds), through a proleptic Gregorian calendar in
//! UTC: no time zones, no leap seconds.

use crate::vfs::{Node, UnixTime};

/// Which `LIST` format the server writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ListStyle {
    /// `-rw-r--r--    1 ftp      ftp            39 Oct 28 10:00 index.html`
    #[default]
    Unix,
    /// `10-28-08  10:00AM                   39 index.html`
    Dos,
}

impl core::str::FromStr for ListStyle {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "unix" => Ok(ListStyle::Unix),
            "dos" | "windows" | "iis" => Ok(ListStyle::Dos),
            _ => Err(format!("`{s}` is not a listing style: use unix or dos")),
        }
    }
}

/// A UTC calendar date and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime {
    pub year: i64,
    /// 1..=12
    pub month: u32,
    /// 1..=31
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl DateTime {
    /// The calendar date of a Unix time (Howard Hinnant's `civil_from_days`).
    pub fn from_unix(t: UnixTime) -> DateTime {
        let days = t.div_euclid(86_400);
        let secs = t.rem_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        DateTime {
            year: if m <= 2 { y + 1 } else { y },
            month: m as u32,
            day: d as u32,
            hour: (secs / 3600) as u32,
            minute: (secs % 3600 / 60) as u32,
            second: (secs % 60) as u32,
        }
    }

    /// The Unix time of a calendar date (`days_from_civil`).
    pub fn to_unix(self) -> UnixTime {
        let y = if self.month <= 2 {
            self.year - 1
        } else {
            self.year
        };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    pub fn month_abbrev(self) -> &'static str {
        MONTHS[(self.month.clamp(1, 12) - 1) as usize]
    }
}

/// `YYYYMMDDHHMMSS`, the `MDTM` reply and the MLSD `modify` fact (RFC 3659 2.3).
pub fn mdtm_stamp(t: UnixTime) -> String {
    let d = DateTime::from_unix(t);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        d.year, d.month, d.day, d.hour, d.minute, d.second
    )
}

/// Half a Gregorian year in seconds: `ls` shows the time of day for files
/// newer than this, the year for older ones.
const SIX_MONTHS: i64 = 15_778_476;

fn perms(node: &Node) -> String {
    let mut s = String::with_capacity(10);
    s.push(if node.is_dir() { 'd' } else { '-' });
    for shift in [6u16, 3, 0] {
        let bits = (node.mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    s
}

/// One `LIST` line (without line end) for `name`, as `ls -l` at `now` shows it.
pub fn list_line(style: ListStyle, name: &str, node: &Node, now: UnixTime) -> String {
    let d = DateTime::from_unix(node.mtime);
    match style {
        ListStyle::Unix => {
            let recent = node.mtime > now - SIX_MONTHS && node.mtime <= now + 3600;
            let when = if recent {
                format!(
                    "{} {:02} {:02}:{:02}",
                    d.month_abbrev(),
                    d.day,
                    d.hour,
                    d.minute
                )
            } else {
                format!("{} {:02}  {:04}", d.month_abbrev(), d.day, d.year)
            };
            format!(
                "{} {:>4} {:<8} {:<8} {:>8} {} {}",
                perms(node),
                node.nlink(),
                node.owner,
                node.group,
                node.size(),
                when,
                name
            )
        }
        ListStyle::Dos => {
            let (h12, ampm) = match d.hour {
                0 => (12, "AM"),
                1..=11 => (d.hour, "AM"),
                12 => (12, "PM"),
                h => (h - 12, "PM"),
            };
            let date = format!(
                "{:02}-{:02}-{:02}  {:02}:{:02}{}",
                d.month,
                d.day,
                d.year.rem_euclid(100),
                h12,
                d.minute,
                ampm
            );
            if node.is_dir() {
                format!("{date}       <DIR>          {name}")
            } else {
                format!("{date} {:>20} {name}", node.size())
            }
        }
    }
}

/// RFC 3659 7.5.5 `perm` fact letters for what this session may do.
fn perm_fact(node: &Node, writable: bool) -> String {
    let mut s = String::new();
    if node.is_dir() {
        if writable {
            s.push_str("cdfmp");
        }
        s.push_str("el");
    } else {
        if writable {
            s.push_str("adfw");
        }
        s.push('r');
    }
    s
}

/// The facts of one MLSD/MLST entry: `type=file;size=39;modify=...;perm=r;`
/// (RFC 3659 7.4, 7.5). `type_override` gives `cdir`/`pdir` for MLSD's
/// entries for the directory itself.
pub fn mlsx_facts(node: &Node, writable: bool, type_override: Option<&str>) -> String {
    let kind = type_override.unwrap_or(if node.is_dir() { "dir" } else { "file" });
    let mut s = format!("type={kind};");
    if !node.is_dir() {
        s.push_str(&format!("size={};", node.size()));
    }
    s.push_str(&format!(
        "modify={};perm={};",
        mdtm_stamp(node.mtime),
        perm_fact(node, writable)
    ));
    s
}

/// One MLSD line (RFC 3659 7.2): facts, one space, the name.
pub fn mlsd_line(name: &str, node: &Node, writable: bool) -> String {
    format!("{} {name}", mlsx_facts(node, writable, None))
}

/// Joins lines with CRLF after each, as listings go over the data connection
/// (they are sent in ASCII form whatever the TYPE, RFC 959 4.1.3).
pub fn crlf_lines<I: IntoIterator<Item = String>>(lines: I) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Matches `name` against a shell pattern with `*` and `?` (what `ls *.txt`
/// sends as the argument of NLST). Iterative, so no pattern can blow the stack.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::{FileContent, NodeKind};
    use std::collections::BTreeMap;

    fn file(size: usize, mtime: UnixTime) -> Node {
        Node {
            kind: NodeKind::File(FileContent::bytes(vec![b'x'; size])),
            mtime,
            mode: 0o644,
            owner: "ftp".into(),
            group: "ftp".into(),
        }
    }

    #[test]
    fn the_calendar_round_trips() {
        let t = DateTime {
            year: 2008,
            month: 10,
            day: 28,
            hour: 10,
            minute: 0,
            second: 0,
        };
        assert_eq!(t.to_unix(), 1_225_188_000);
        assert_eq!(DateTime::from_unix(1_225_188_000), t);
        assert_eq!(DateTime::from_unix(0).year, 1970);
        assert_eq!(DateTime::from_unix(-1).year, 1969);
        for x in [-10_000_000_000i64, -1, 0, 951_782_400, 4_102_444_800] {
            assert_eq!(DateTime::from_unix(x).to_unix(), x);
        }
        assert_eq!(mdtm_stamp(1_187_144_572), "20070815022252");
    }

    #[test]
    fn unix_lines_look_like_vsftpd() {
        let now = 1_225_188_000;
        assert_eq!(
            list_line(ListStyle::Unix, "index.html", &file(39, now - 3600), now),
            "-rw-r--r--    1 ftp      ftp            39 Oct 28 09:00 index.html"
        );
        assert_eq!(
            list_line(ListStyle::Unix, "old", &file(5, 1_187_144_572), now),
            "-rw-r--r--    1 ftp      ftp             5 Aug 15  2007 old"
        );
        let dir = Node {
            kind: NodeKind::Dir(BTreeMap::new()),
            mtime: now,
            mode: 0o755,
            owner: "0".into(),
            group: "0".into(),
        };
        assert_eq!(
            list_line(ListStyle::Unix, "pub", &dir, now),
            "drwxr-xr-x    2 0        0            4096 Oct 28 10:00 pub"
        );
        assert_eq!(
            list_line(ListStyle::Dos, "pub", &dir, now),
            "10-28-08  10:00AM       <DIR>          pub"
        );
        assert_eq!(
            list_line(ListStyle::Dos, "a.txt", &file(689, now + 5 * 3600), now),
            "10-28-08  03:00PM                  689 a.txt"
        );
    }

    #[test]
    fn mlsd_lines_follow_rfc_3659() {
        assert_eq!(
            mlsd_line("a.txt", &file(39, 1_187_144_572), false),
            "type=file;size=39;modify=20070815022252;perm=r; a.txt"
        );
        assert_eq!(
            mlsd_line("a.txt", &file(39, 1_187_144_572), true),
            "type=file;size=39;modify=20070815022252;perm=adfwr; a.txt"
        );
    }

    #[test]
    fn globs_match_like_a_shell() {
        assert!(glob_match("*.txt", "a.txt"));
        assert!(!glob_match("*.txt", "a.txt.gz"));
        assert!(glob_match("a?c", "abc"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
    }
}
