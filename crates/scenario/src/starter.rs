//! The starter scenario `netstep new NAME` writes: small enough to read in
//! one sitting, complete enough to run, and commented so that a teacher
//! learns each section by changing it.
//!
//! Leaves out: routers, NATs, firewalls and faults beyond a commented
//! example; the bundled scenarios show those.

/// The text of a commented starter scenario called `name`.
///
/// `name` becomes the scenario's `name` after lower-casing it and turning
/// anything outside `[a-z0-9-]` into dashes (`My Lab` gives `my-lab`), so
/// the result always validates; the name as given becomes the title.
pub fn starter(name: &str) -> String {
    let mut short: String = name
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    while short.contains("--") {
        short = short.replace("--", "-");
    }
    let short = short.trim_matches('-');
    let short = if short.is_empty() {
        "my-scenario"
    } else {
        short
    };
    // The title goes into a basic string: keep out what would end or escape it.
    let title: String = name
        .trim()
        .chars()
        .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
        .collect();
    let title = if title.is_empty() {
        short.to_string()
    } else {
        title
    };
    TEMPLATE.replace("{name}", short).replace("{title}", &title)
}

const TEMPLATE: &str = r#"# {name}.toml: a netstep scenario.
#
# A scenario is a small network (hosts and links), the programs on it (an
# FTP server and a person at an FTP client), and the story told about the
# run (the walkthrough). Run it with `netstep play {name}.toml`, check it
# with `netstep check {name}.toml`, and try a what-if without editing it:
# `netstep play {name}.toml --set host.server.tcp.delayed_ack=off`.
#
# Durations take a unit: "100us", "250ms", "2s", "1min". For completion and
# help in your editor, point it at the schema: `netstep schema`.

# ---------------------------------------------------------------- scenario
# Names use lower-case letters, digits and dashes. Every random choice of a
# run (initial sequence numbers, lost packets) comes from `seed`: the same
# seed gives the same run, segment for segment.
[scenario]
name = "{name}"
title = "{title}"
description = "A client logs in to an FTP server, lists a directory and quits."
seed = 1
time_limit = "60s"  # the run stops here at the latest

# ------------------------------------------------------------------- hosts
# Each host runs TCP. `profile` picks a preset: "classic-windows" (delayed
# ACK after 200 ms, TTL 128) or "linux". A [host.tcp] table below a host
# changes single settings, e.g. `delayed_ack = "off"` to ACK at once.
[[host]]
name = "client"
addr = "192.168.120.168"
profile = "classic-windows"

[[host]]
name = "server"
addr = "192.168.120.240"
profile = "classic-windows"

# [host.tcp]           # (would belong to `server`, the [[host]] above it)
# delayed_ack = "200ms"
# mss = 1460

# ------------------------------------------------------------------- links
# A link joins two nodes. Its settings apply both ways; `a_to_b` and
# `b_to_a` tables override them for one direction. Probabilities go from 0
# (never) to 1 (always).
[[link]]
a = "client"
b = "server"
delay = "5ms"         # one way; the default is 100us
bandwidth = "10Mbit"  # the default is 100Mbit
# loss = 0.1          # lose one packet in ten

# -------------------------------------------------------------- FTP server
# The server listens on port 21 and, in active mode, connects from port 20.
# `delays` is how long it takes over a command before it answers, by verb:
# longer than the client's delayed-ACK timer and the server's own timer fires
# first, so a bare ACK goes out before the reply.
[[ftp_server]]
host = "server"
greeting = "220 Welcome to the {name} FTP server"
delays = { USER = "300ms", PASS = "300ms", default = "10ms" }

[[ftp_server.user]]
name = "student"
password = "secret"

[[ftp_server.file]]
path = "/readme.txt"
text = "Hello from the server.\n"

# -------------------------------------------------------------- FTP client
# A person at the classic `ftp` program: `server` is a host name or address;
# each line of `typed` is typed after `think` (or its own `think`). The
# first two lines answer the Name: and Password: prompts.
[[ftp_client]]
host = "client"
server = "server"
think = "2s"
typed = [
  "student",
  "secret",
  "ls",
  { line = "quit", think = "1s" },
]

# ------------------------------------------------------------------ faults
# Something that goes wrong, aimed at segments by meaning. Uncomment to
# lose the server's first reply to USER and watch TCP retransmit it.
# [[fault]]
# action = "drop"
# match = { conn = "control", from = "server", payload = "331" }

# ------------------------------------------------------------- walkthrough
# The numbered story. Each stage names its segments with matchers: `conn`
# ("control" or "data"), `from`/`to` (node names), `flags` (exactly these,
# e.g. "SYN,ACK"), `payload` (starts with), `pure_ack` (a bare ACK), `acks`
# (the first ACK covering the peer's segment that starts with this text, or
# its "SYN" or "FIN"). Number the stages 1, 2, 3, ... in order.
[walkthrough]
source = "Written for {name}."

[[walkthrough.stage]]
n = 1
title = "The three-way handshake"
text = "The client opens the control connection to port 21: SYN, SYN+ACK, ACK."
segment = [
  { conn = "control", from = "client", flags = "SYN" },
  { conn = "control", from = "server", flags = "SYN,ACK" },
  { conn = "control", from = "client", pure_ack = true, acks = "SYN" },
]

[[walkthrough.stage]]
n = 2
title = "The greeting"
text = "The server speaks first: a 220 reply says it is ready for a new user."
segment = [{ conn = "control", from = "server", payload = "220" }]
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_parses_and_validates() {
        let text = starter("lab-1");
        let s = crate::parse(&text, "lab-1.toml", &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.name(), "lab-1");
        assert_eq!(s.node_names(), ["client", "server"]);
        assert_eq!(s.walkthrough().stages.len(), 2);
        assert_eq!(s.file.ftp_clients[0].typed.len(), 4);
    }

    #[test]
    fn any_name_gives_a_valid_scenario() {
        for name in ["My Lab", "  ", "实验", "a\"b", "--x--", "two\nlines"] {
            let text = starter(name);
            crate::parse(&text, "x.toml", &[]).unwrap_or_else(|e| panic!("{name:?}: {e}"));
        }
        assert!(starter("My Lab").contains("name = \"my-lab\""));
    }
}
