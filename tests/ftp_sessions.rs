//! Whole FTP sessions in the simulator, beyond the bundled scenarios: a
//! 1 MiB download over a lossy link arriving byte for byte, an upload
//! landing on the server, and paths that try to leave the server's root.

use netstep_ftp::FileContent;
use netstep_trace::{AppEvent, EventKind, Trace, annotate};

/// Runs a scenario given as text.
fn run(text: &str) -> Trace {
    let scenario =
        netstep_scenario::parse(text, "test.toml", &[]).unwrap_or_else(|e| panic!("{e}"));
    let trace = netstep_sim::run_scenario(&scenario);
    // Annotating a run without a walkthrough must work too.
    let ann = annotate(&trace, &scenario.walkthrough());
    assert_eq!(ann.segments.len(), trace.segments.len());
    trace
}

/// Everything `node` wrote on data connections, in order of connection.
fn data_from(t: &Trace, node: &str) -> Vec<Vec<u8>> {
    t.conns
        .iter()
        .filter(|c| c.label == "data")
        .map(|c| {
            let dir = if t.node_name(c.initiator.node) == node {
                0
            } else {
                1
            };
            c.streams[dir].map_or_else(Vec::new, |s| t.streams[s as usize].bytes.clone())
        })
        .collect()
}

fn server_data(t: &Trace) -> Vec<Vec<u8>> {
    data_from(t, "server")
}

fn client_data(t: &Trace) -> Vec<Vec<u8>> {
    data_from(t, "client")
}

/// Replies the client received, in order.
fn replies(t: &Trace) -> Vec<(u16, String)> {
    t.events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::App {
                app,
                what:
                    AppEvent::Reply {
                        code,
                        text,
                        sent: false,
                    },
                ..
            } if app == "ftp-client" => Some((*code, text.clone())),
            _ => None,
        })
        .collect()
}

fn transcript(t: &Trace) -> Vec<String> {
    t.events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::App {
                what: AppEvent::Transcript { line },
                ..
            } => Some(line.clone()),
            _ => None,
        })
        .collect()
}

const HEADER: &str = r#"
[scenario]
name = "session"
title = "a session"
seed = 7
time_limit = "600s"

[[host]]
name = "client"
addr = "10.1.0.2"
profile = "linux"

[[host]]
name = "server"
addr = "10.1.0.1"
profile = "linux"

[[link]]
a = "client"
b = "server"
delay = "5ms"
bandwidth = "10Mbit"
loss = 0.02
"#;

#[test]
fn a_one_mib_download_over_a_lossy_link_arrives_byte_exact() {
    let text = format!(
        r#"{HEADER}
[ftp_server]
host = "server"
[[ftp_server.user]]
name = "u"
password = "p"
[[ftp_server.file]]
path = "/big.bin"
size = 1048576

[ftp_client]
host = "client"
server = "server"
think = "1s"
typed = ["u", "p", "binary", "get big.bin", "quit"]
"#
    );
    let t = run(&text);
    let expected =
        FileContent::generated(1_048_576, netstep_sim::ftp_app::content_seed("/big.bin"))
            .read(0, 1_048_576);
    let data = server_data(&t);
    assert_eq!(data.len(), 1);
    assert!(data[0] == expected, "the server sent the file's bytes");
    assert!(
        t.segments.iter().any(|s| s.retransmission.is_some()),
        "the loss was repaired"
    );
    let r = replies(&t);
    assert!(r.iter().any(|(c, _)| *c == 226), "{r:?}");
    let lines = transcript(&t);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("ftp: 1048576 bytes received")),
        "{lines:#?}"
    );
    // Every byte reached the client: the data connection's last ACK from
    // the client covers SYN + 1 MiB + FIN.
    let dc = t.conns.iter().position(|c| c.label == "data").unwrap() as u32;
    let last_ack = t
        .segments
        .iter()
        .filter(|s| s.conn == Some(dc) && t.node_name(s.from) == "client")
        .filter_map(|s| t.rel_ack(s))
        .max();
    assert_eq!(last_ack, Some(1_048_576 + 2));
}

#[test]
fn an_upload_lands_on_the_server_and_paths_cannot_escape_the_root() {
    let text = format!(
        r#"{HEADER}
[ftp_server]
host = "server"
[[ftp_server.user]]
name = "u"
password = "p"
[[ftp_server.dir]]
path = "/pub"
[[ftp_server.file]]
path = "/pub/a.txt"
text = "a\n"

[ftp_client]
host = "client"
server = "server"
think = "1s"
typed = [
  "u", "p", "binary",
  "put notes.txt",
  "dir",
  "get ../../../etc/passwd",
  "cd ../../..",
  "pwd",
  "cd /pub/../../pub",
  "pwd",
  "quit",
]
[[ftp_client.file]]
path = "/notes.txt"
size = 30000
"#
    );
    let t = run(&text);
    let upload = FileContent::generated(30_000, netstep_sim::ftp_app::content_seed("/notes.txt"))
        .read(0, 30_000);
    let from_client = client_data(&t);
    assert!(
        from_client.contains(&upload),
        "the client sent the file byte for byte"
    );
    let r = replies(&t);
    let codes: Vec<u16> = r.iter().map(|(c, _)| *c).collect();
    assert!(codes.contains(&226), "{r:?}");
    // The listing after the upload shows it with its exact size.
    let listing = server_data(&t)
        .into_iter()
        .map(|d| String::from_utf8_lossy(&d).into_owned())
        .collect::<Vec<_>>()
        .join("");
    assert!(
        listing
            .lines()
            .any(|l| l.ends_with("notes.txt") && l.contains(" 30000 ")),
        "{listing}"
    );
    // ../../../etc/passwd does not exist inside the root: 550, nothing sent.
    assert!(
        r.iter()
            .any(|(c, text)| *c == 550 && text.contains("Failed to open file")),
        "{r:?}"
    );
    // cd above the root stays at the root; a path through .. is normalised.
    let pwds: Vec<&String> = r
        .iter()
        .filter(|(c, _)| *c == 257)
        .map(|(_, t)| t)
        .collect();
    assert_eq!(pwds.len(), 2, "{r:?}");
    assert!(pwds[0].contains("\"/\""), "{pwds:?}");
    assert!(pwds[1].contains("\"/pub\""), "{pwds:?}");
}
