//! What an FTP line in a segment means, for the segment panel: commands
//! with their arguments decoded (`PORT 192,168,120,168,200,100` is
//! 192.168.120.168 port 200×256+100 = 51300; `EPRT`, `227` and `229`
//! likewise) and replies explained by their digits (RFC 959 4.2).
//!
//! A small decoder of its own rather than `netstep-ftp`'s codec: the
//! player reads recorded bytes that may be cut anywhere (a line split over
//! two segments) and only ever explains, never acts. Leaves out: multi-line
//! replies beyond their first line, and TELNET escapes.

use netstep_trace::Text;
use std::net::Ipv4Addr;

/// One line decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FtpLine {
    /// The line as sent, without CRLF.
    pub line: String,
    /// What it means, one sentence each.
    pub notes: Vec<Text>,
}

/// Decodes the first line of a control-connection payload. `None` when it
/// is neither a reply nor a command.
pub fn decode(payload: &[u8]) -> Option<FtpLine> {
    let text = std::str::from_utf8(payload).ok()?;
    let line = text.split("\r\n").next()?.trim_end_matches(['\r', '\n']);
    if line.is_empty() {
        return None;
    }
    let bytes = line.as_bytes();
    let notes = if bytes.len() >= 3
        && bytes[..3].iter().all(u8::is_ascii_digit)
        && bytes.get(3).is_none_or(|&b| b == b' ' || b == b'-')
    {
        reply_notes(line)
    } else if is_verb(line.split(' ').next().unwrap_or("")) {
        command_notes(line)
    } else {
        return None;
    };
    Some(FtpLine {
        line: line.to_string(),
        notes,
    })
}

/// FTP verbs are three or four letters (RFC 959 5.3.1).
fn is_verb(word: &str) -> bool {
    (3..=4).contains(&word.len()) && word.bytes().all(|b| b.is_ascii_alphabetic())
}

/// `h1,h2,h3,h4,p1,p2` to an address and a port.
pub fn host_port(arg: &str) -> Option<(Ipv4Addr, u8, u8)> {
    let nums: Vec<u8> = arg
        .trim()
        .split(',')
        .map(|p| p.trim().parse::<u8>())
        .collect::<Result<_, _>>()
        .ok()?;
    if nums.len() != 6 {
        return None;
    }
    Some((
        Ipv4Addr::new(nums[0], nums[1], nums[2], nums[3]),
        nums[4],
        nums[5],
    ))
}

fn host_port_note(addr: Ipv4Addr, p1: u8, p2: u8, who_en: &str, who_zh: &str) -> Text {
    let port = u32::from(p1) * 256 + u32::from(p2);
    Text::new(
        format!("{who_en} {addr} port {p1}×256+{p2} = {port}"),
        format!("{who_zh} {addr} 端口 {p1}×256+{p2} = {port}"),
    )
}

fn command_notes(line: &str) -> Vec<Text> {
    let (verb, arg) = match line.split_once(' ') {
        Some((v, a)) => (v, a),
        None => (line, ""),
    };
    let verb_up = verb.to_ascii_uppercase();
    let mut notes = Vec::new();
    let meaning = match verb_up.as_str() {
        "USER" => Text::new("command: log in as this user", "命令：以该用户名登录"),
        "PASS" => Text::new(
            "command: the password, in clear text for anyone on the path to read",
            "命令：发送密码，明文传输，路径上任何人都能读到",
        ),
        "PORT" => Text::new(
            "command: active mode, the server is to connect to this address and port",
            "命令：主动模式，请服务器连接这个地址和端口",
        ),
        "EPRT" => Text::new(
            "command: like PORT, for any address family (RFC 2428)",
            "命令：与 PORT 相同，适用于任何地址族（RFC 2428）",
        ),
        "PASV" => Text::new(
            "command: passive mode, the server is to listen and say where",
            "命令：被动模式，请服务器监听并告知地址",
        ),
        "EPSV" => Text::new(
            "command: extended passive mode, the server answers with a port (RFC 2428)",
            "命令：扩展被动模式，服务器回答一个端口（RFC 2428）",
        ),
        "NLST" => Text::new(
            "command: list file names, over a data connection",
            "命令：列出文件名，通过数据连接传送",
        ),
        "LIST" => Text::new(
            "command: list files in detail, over a data connection",
            "命令：详细列出文件，通过数据连接传送",
        ),
        "RETR" => Text::new(
            "command: send me this file, over a data connection",
            "命令：下载该文件，通过数据连接传送",
        ),
        "STOR" => Text::new(
            "command: store this file, sent over a data connection",
            "命令：上传该文件，通过数据连接传送",
        ),
        "PWD" | "XPWD" => Text::new("command: print the working directory", "命令：显示当前目录"),
        "CWD" => Text::new("command: change the working directory", "命令：切换目录"),
        "CDUP" => Text::new(
            "command: go to the parent directory",
            "命令：切换到上级目录",
        ),
        "TYPE" => Text::new("command: set the transfer type", "命令：设置传输类型"),
        "SYST" => Text::new(
            "command: which system is the server",
            "命令：查询服务器系统类型",
        ),
        "FEAT" => Text::new(
            "command: list the server's extensions",
            "命令：列出服务器支持的扩展",
        ),
        "QUIT" => Text::new(
            "command: log out and close the session",
            "命令：退出并结束会话",
        ),
        "MKD" => Text::new("command: make a directory", "命令：创建目录"),
        "DELE" => Text::new("command: delete a file", "命令：删除文件"),
        _ => Text::new(format!("command {verb_up}"), format!("命令 {verb_up}")),
    };
    notes.push(meaning);
    match verb_up.as_str() {
        "PORT" => {
            if let Some((addr, p1, p2)) = host_port(arg) {
                notes.push(host_port_note(
                    addr,
                    p1,
                    p2,
                    "the client listens on",
                    "客户端在此监听：",
                ));
            }
        }
        "EPRT" => {
            // |1|132.235.1.2|6275|
            let parts: Vec<&str> = arg.trim().split('|').collect();
            if parts.len() >= 4
                && let (Ok(addr), Ok(port)) =
                    (parts[2].parse::<Ipv4Addr>(), parts[3].parse::<u16>())
            {
                notes.push(Text::new(
                    format!("the client listens on {addr} port {port}"),
                    format!("客户端在此监听：{addr} 端口 {port}"),
                ));
            }
        }
        _ => {}
    }
    notes
}

fn reply_notes(line: &str) -> Vec<Text> {
    let code: u16 = line[..3].parse().unwrap_or(0);
    let mut notes = Vec::new();
    let first = match code / 100 {
        1 => Text::new(
            "1yz positive preliminary: the action is starting; another reply will follow",
            "1yz 肯定的初步应答：操作正在开始，之后还会有一个应答",
        ),
        2 => Text::new(
            "2yz positive completion: the action is done; a new command may follow",
            "2yz 肯定的完成应答：操作已完成，可以发送新命令",
        ),
        3 => Text::new(
            "3yz positive intermediate: accepted, but the server needs another command",
            "3yz 肯定的中间应答：命令已接受，服务器还需要下一条命令",
        ),
        4 => Text::new(
            "4yz transient negative: not done, but trying again may work",
            "4yz 暂时的否定应答：未完成，稍后重试可能成功",
        ),
        5 => Text::new(
            "5yz permanent negative: not done, and repeating it will not help",
            "5yz 永久的否定应答：未完成，重复也不会成功",
        ),
        _ => Text::new(
            "not a reply code RFC 959 defines",
            "不是 RFC 959 定义的应答码",
        ),
    };
    notes.push(first);
    let second = match (code / 10) % 10 {
        0 => Some(Text::new("x0z: syntax", "x0z：语法")),
        1 => Some(Text::new("x1z: information", "x1z：信息")),
        2 => Some(Text::new("x2z: connections", "x2z：连接")),
        3 => Some(Text::new(
            "x3z: authentication and accounting",
            "x3z：认证和账户",
        )),
        5 => Some(Text::new("x5z: file system", "x5z：文件系统")),
        _ => None,
    };
    if let Some(s) = second {
        notes.push(s);
    }
    match code {
        227 => {
            // "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)."
            let inner = line
                .find('(')
                .and_then(|a| line[a + 1..].find(')').map(|b| &line[a + 1..a + 1 + b]));
            let hp = inner.and_then(host_port).or_else(|| {
                // Some servers leave the parentheses out.
                line[3..]
                    .split(|c: char| !(c.is_ascii_digit() || c == ','))
                    .find_map(host_port)
            });
            if let Some((addr, p1, p2)) = hp {
                notes.push(host_port_note(
                    addr,
                    p1,
                    p2,
                    "the server listens on",
                    "服务器在此监听：",
                ));
            }
        }
        229 => {
            // "229 Entering Extended Passive Mode (|||6446|)"
            let port = line
                .split('|')
                .filter_map(|p| p.parse::<u16>().ok())
                .next_back();
            if let Some(port) = port {
                notes.push(Text::new(
                    format!("the server listens on port {port} of the address already in use"),
                    format!("服务器在当前地址的 {port} 端口监听"),
                ));
            }
        }
        _ => {}
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use netstep_trace::Lang;

    fn en(line: &[u8]) -> Vec<String> {
        decode(line)
            .unwrap()
            .notes
            .iter()
            .map(|t| t.get(Lang::En).to_string())
            .collect()
    }

    #[test]
    fn port_decodes_to_address_and_port() {
        let notes = en(b"PORT 192,168,120,168,200,100\r\n");
        assert_eq!(
            notes[1],
            "the client listens on 192.168.120.168 port 200×256+100 = 51300"
        );
        assert!(decode(b"PORT 1,2,3\r\n").unwrap().notes.len() == 1);
    }

    #[test]
    fn passive_replies_decode() {
        let notes = en(b"227 Entering Passive Mode (192,168,120,240,195,80).\r\n");
        assert!(notes[0].starts_with("2yz"));
        assert_eq!(
            notes[2],
            "the server listens on 192.168.120.240 port 195×256+80 = 50000"
        );
        let notes = en(b"229 Entering Extended Passive Mode (|||6446|)\r\n");
        assert!(notes.last().unwrap().contains("6446"));
        let notes = en(b"EPRT |1|132.235.1.2|6275|\r\n");
        assert!(notes[1].contains("132.235.1.2 port 6275"));
    }

    #[test]
    fn reply_digits_follow_rfc_959() {
        let notes = en(b"331 Please specify the password.\r\n");
        assert!(notes[0].starts_with("3yz positive intermediate"));
        assert_eq!(notes[1], "x3z: authentication and accounting");
        assert!(en(b"550 No such file.\r\n")[0].starts_with("5yz"));
        assert!(decode(b"notes.txt\r\n").is_none());
        assert!(decode(&[0xff, 0xfe]).is_none());
        assert!(decode(b"").is_none());
    }
}
