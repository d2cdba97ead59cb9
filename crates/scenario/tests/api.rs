//! The public API on valid scenarios: what the simulator reads, with every
//! default applied, and `--set` overrides that change it.

use netstep_scenario::{
    BUNDLED, DelayedAckSetting, ResolvedLinkDir, SetOverride, bundled, parse, starter,
};
use netstep_wire::Duration;
use std::net::Ipv4Addr;

fn sets(args: &[&str]) -> Vec<SetOverride> {
    args.iter()
        .map(|a| SetOverride::parse(a).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

const LAB: &str = r#"
[scenario]
name = "lab"
title = "Lab"

[[host]]
name = "client"
addr = "10.0.0.1"

[[host]]
name = "server"
addr = "10.0.1.1"
profile = "linux"
tcp = { delayed_ack = "40ms" }

[[router]]
name = "gw"
addr = "10.0.0.254"

[[link]]
a = "client"
b = "gw"
delay = "5ms"
bandwidth = "10Mbit"
[link.a_to_b]
delay = "1ms"
loss = 0.1

[[link]]
a = "gw"
b = "server"

[[ftp_server]]
host = "server"
delays = { USER = "300ms" }

[[ftp_client]]
host = "client"
server = "10.0.1.1"
typed = ["student", "secret", "ls", "quit"]

[[fault]]
action = "delay"
delay = "2s"
match = { conn = "control", from = "server", payload = "331" }
"#;

#[test]
fn lookups_resolve_names_addresses_and_defaults() {
    let s = parse(LAB, "lab.toml", &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.node_names(), ["client", "server", "gw"]);
    assert_eq!(s.host_addr("server"), Some(Ipv4Addr::new(10, 0, 1, 1)));
    assert_eq!(s.node_addr("gw"), Some(Ipv4Addr::new(10, 0, 0, 254)));
    assert_eq!(s.host_addr("gw"), None);
    assert_eq!(s.node_kind("gw"), Some(netstep_trace::NodeKind::Router));
    assert_eq!(s.client_server_host(&s.file.ftp_clients[0]), "server");
    assert!(s.ftp_server_on("server", 21).is_some());

    let links = s.links();
    assert_eq!(links.len(), 2);
    let l = &links[0];
    assert_eq!(l.a_to_b.delay, Duration::from_millis(1));
    assert_eq!(l.b_to_a.delay, Duration::from_millis(5));
    assert_eq!(l.a_to_b.loss, 0.1);
    assert_eq!(l.b_to_a.loss, 0.0);
    assert_eq!(l.a_to_b.bits_per_sec, 10_000_000);
    assert_eq!(l.a_to_b.queue, 100);
    assert_eq!(links[1].a_to_b, ResolvedLinkDir::default());
    assert_eq!(ResolvedLinkDir::default().delay, Duration::from_micros(100));
    assert_eq!(
        ResolvedLinkDir::default().reorder_delay,
        Duration::from_millis(1)
    );

    let faults = s.faults();
    assert_eq!(faults[0].delay, Duration::from_secs(2));
    assert_eq!(faults[0].count, 1);
    assert_eq!(s.fault_matchers()[0].payload.as_deref(), Some("331"));
    assert!(s.walkthrough().stages.is_empty());
}

#[test]
fn the_bundled_default_scenario_round_trips() {
    let b = bundled("active-ftp").expect("active-ftp is bundled");
    assert_eq!(BUNDLED[0].name, "active-ftp");
    let s = parse(b.text, b.file_name, &[]).unwrap_or_else(|e| panic!("{e}"));
    let w = s.walkthrough();
    assert_eq!(w.stages.len(), 32);
    assert!(
        w.stages
            .iter()
            .enumerate()
            .all(|(i, st)| st.n == i as u32 + 1)
    );
    assert!(w.source.is_some());
    // `[ftp_server]`, a single table, is the list's one element.
    assert_eq!(s.file.ftp_servers.len(), 1);
    // The client opens the server by address.
    assert_eq!(s.client_server_host(&s.file.ftp_clients[0]), "server");
    // Serialising the model and parsing it again gives the same walkthrough.
    let again = toml::to_string(&s.file).expect("the model serialises");
    let s2 = parse(&again, "again.toml", &[]).unwrap_or_else(|e| panic!("{e}\n{again}"));
    assert_eq!(s2.walkthrough(), w);
    assert_eq!(s2.links(), s.links());
}

#[test]
fn set_picks_array_elements_by_index() {
    let s = parse(LAB, "lab.toml", &sets(&["host.1.tcp.delayed_ack=off"])).unwrap();
    assert_eq!(
        s.file.hosts[1].tcp.delayed_ack,
        Some(DelayedAckSetting::Off)
    );
    assert!(s.text.contains("tcp = { delayed_ack = \"off\" }"));
}

#[test]
fn set_picks_array_elements_by_name_and_by_host() {
    let text = starter("lab");
    let s = parse(
        &text,
        "lab.toml",
        &sets(&[
            "host.server.tcp.delayed_ack=0s",
            "ftp_client.client.think=5s",
        ]),
    )
    .unwrap();
    assert_eq!(
        s.file.hosts[1].tcp.delayed_ack,
        Some(DelayedAckSetting::After(Duration::ZERO))
    );
    assert_eq!(s.file.ftp_clients[0].think, Duration::from_secs(5));
}

#[test]
fn set_skips_an_array_with_one_element() {
    // `[[ftp_server]]` with one element, and `[ftp_server]` as one table.
    let s = parse(
        &starter("lab"),
        "lab.toml",
        &sets(&["ftp_server.delays.USER=0s"]),
    )
    .unwrap();
    assert_eq!(s.file.ftp_servers[0].delays["USER"], Duration::ZERO);
    let b = bundled("active-ftp").unwrap();
    let s = parse(b.text, b.file_name, &sets(&["ftp_server.delays.USER=0s"])).unwrap();
    assert_eq!(s.file.ftp_servers[0].delays["USER"], Duration::ZERO);
}

#[test]
fn set_values_are_toml_when_they_parse_and_strings_otherwise() {
    let s = parse(
        LAB,
        "lab.toml",
        &sets(&[
            "ftp_server.passive_ports=[40000, 40010]",
            "ftp_server.anonymous=true",
            "scenario.title=\"Quoted title\"",
            "scenario.description=plain words",
            "link.client.loss=0",
        ]),
    );
    // `link.client` names nothing: links have no `name` or `host`.
    let e = s.unwrap_err();
    assert_eq!(e.diagnostics.len(), 1);
    assert_eq!(e.diagnostics[0].origin, "--set link.client.loss=0");
    assert_eq!(
        e.diagnostics[0].message,
        "`client` names no entry of [[link]]"
    );

    let s = parse(
        LAB,
        "lab.toml",
        &sets(&[
            "ftp_server.passive_ports=[40000, 40010]",
            "ftp_server.anonymous=true",
            "scenario.title=\"Quoted title\"",
            "scenario.description=plain words",
            "link.0.loss=0.5",
        ]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let srv = &s.file.ftp_servers[0];
    assert_eq!(srv.passive_ports, [40000, 40010]);
    assert!(srv.anonymous);
    assert_eq!(s.file.scenario.title.en, "Quoted title");
    assert_eq!(s.file.scenario.description.en, "plain words");
    assert_eq!(s.links()[0].b_to_a.loss, 0.5);
    // The direction's own setting still wins over the link's.
    assert_eq!(s.links()[0].a_to_b.loss, 0.1);
    assert_eq!(s.overrides.len(), 5);
}

#[test]
fn seed_is_an_override() {
    let s = parse(LAB, "lab.toml", &[SetOverride::seed(99)]).unwrap();
    assert_eq!(s.seed(), 99);
    let s = parse(&starter("x"), "x.toml", &[SetOverride::seed(7)]).unwrap();
    assert_eq!(s.seed(), 7);
}

#[test]
fn a_bad_override_value_is_reported_against_the_override() {
    let e = parse(LAB, "lab.toml", &sets(&["host.client.tcp.mss=huge"])).unwrap_err();
    let d = &e.diagnostics[0];
    assert_eq!(d.origin, "--set host.client.tcp.mss=huge");
    assert_eq!(d.line, 0);
    assert_eq!(&d.line_text[d.span.clone()], "huge");
    assert_eq!(
        e.to_string(),
        "--set host.client.tcp.mss=huge: error: expected a whole number from 0 to 65535, found the string \"huge\"\n  |\n  | --set host.client.tcp.mss=huge\n  |                           ^^^^\n  = hint: write a number, without quotes\n"
    );
}

#[test]
fn file_mistakes_keep_their_lines_when_an_override_adds_one() {
    // The override inserts a line into the first host; the mistake after it
    // is still reported at the line the teacher wrote it on.
    let text = LAB.replace("loss = 0.1", "loss = 1.5");
    let line = text.lines().position(|l| l == "loss = 1.5").unwrap() + 1;
    let e = parse(&text, "lab.toml", &sets(&["host.client.profile=linux"])).unwrap_err();
    assert_eq!(e.diagnostics.len(), 1, "{e}");
    assert_eq!(e.diagnostics[0].line, line);
    assert_eq!(e.diagnostics[0].line_text, "loss = 1.5");
    // And an override of a value on that very line does not move it either.
    let e = parse(&text, "lab.toml", &sets(&["link.0.a_to_b.delay=2ms"])).unwrap_err();
    assert_eq!(e.diagnostics[0].line, line);
    assert_eq!(e.diagnostics[0].col, 8);
}

#[test]
fn an_override_fixing_a_mistake_makes_the_scenario_valid() {
    let text = LAB.replace("loss = 0.1", "loss = 1.5");
    assert!(parse(&text, "lab.toml", &[]).is_err());
    let s = parse(&text, "lab.toml", &sets(&["link.0.a_to_b.loss=0.25"])).unwrap();
    assert_eq!(s.links()[0].a_to_b.loss, 0.25);
}

#[test]
fn load_names_the_file_and_reports_unreadable_ones() {
    let dir = std::env::temp_dir().join(format!("netstep-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("lab.toml");
    std::fs::write(
        &path,
        LAB.replace("addr = \"10.0.0.1\"", "addr = \"10.0.0\""),
    )
    .unwrap();
    let e = netstep_scenario::load(&path, &[]).unwrap_err();
    assert_eq!(e.diagnostics[0].origin, path.display().to_string());
    assert_eq!(e.diagnostics[0].message, "`10.0.0` is not an IPv4 address");
    let missing = dir.join("missing.toml");
    let e = netstep_scenario::load(&missing, &[]).unwrap_err();
    assert!(e.to_string().contains("cannot read the file"), "{e}");
    std::fs::write(&path, [0xff, 0xfe, b'a']).unwrap();
    let e = netstep_scenario::load(&path, &[]).unwrap_err();
    assert!(e.to_string().contains("not UTF-8"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_schema_describes_the_file() {
    let schema = netstep_scenario::json_schema();
    let v: serde_json::Value = serde_json::from_str(&schema).expect("valid JSON");
    assert_eq!(v["$schema"], "http://json-schema.org/draft-07/schema#");
    assert!(schema.contains("The delayed-ACK timer"));
}
