//! The `netstep` binary as a process: exit codes, what goes to stdout and
//! stderr, `--seed` and `--set`, bundled names from any folder, and files
//! written (or not) by `export -o`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_netstep");

/// A folder of its own under the system's temporary folder, removed when
/// the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("netstep-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temporary folder");
        TempDir(dir)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn netstep(args: &[&str]) -> Output {
    netstep_in(None, args)
}

fn netstep_in(dir: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    cmd.output().expect("run netstep")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("netstep exited normally")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    )
}

/// The names `netstep list` prints, in order.
fn listed() -> Vec<String> {
    let o = netstep(&["list"]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    stdout(&o)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

#[test]
fn check_exits_0_when_every_stage_occurs() {
    let o = netstep(&["check", "active-ftp"]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert!(
        stdout(&o).contains("32/32 stages occurred: ok"),
        "{}",
        show(&o)
    );
}

#[test]
fn check_passes_every_bundled_scenario_at_once() {
    let names = listed();
    let mut args = vec!["check"];
    args.extend(names.iter().map(String::as_str));
    let o = netstep(&args);
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert_eq!(
        stdout(&o).matches(": ok\n").count(),
        names.len(),
        "{}",
        show(&o)
    );
}

#[test]
fn check_exits_3_when_a_set_removes_a_stage_and_says_why() {
    let o = netstep(&["check", "active-ftp", "--set", "ftp_server.delays.USER=0s"]);
    assert_eq!(code(&o), 3, "{}", show(&o));
    let out = stdout(&o);
    assert!(out.contains("31/32 stages occurred"), "{out}");
    assert!(out.contains("stage 5 did not occur"), "{out}");
    assert!(out.contains("rode on"), "{out}");
}

#[test]
fn check_exits_1_for_an_invalid_file_with_its_place_on_stderr() {
    let dir = TempDir::new("invalid");
    let file = dir.path().join("broken.toml");
    std::fs::write(
        &file,
        "[scenario]\nname = \"broken\"\ntitle = \"t\"\nsed = 3\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let o = netstep(&["check", path]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("{path}:4:1: error: unknown key `sed`")),
        "file:line:col: error: rendering\n{err}"
    );
    assert!(err.contains("did you mean `seed`?"), "{err}");
    assert!(stdout(&o).is_empty(), "{}", show(&o));
}

#[test]
fn an_invalid_file_among_good_ones_still_makes_check_exit_1() {
    let dir = TempDir::new("mixed");
    let file = dir.path().join("broken.toml");
    std::fs::write(&file, "[scenario]\nname = \"broken\"\n").unwrap();
    let o = netstep(&["check", "passive-ftp", file.to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert!(
        stdout(&o).contains("passive-ftp.toml"),
        "the good one is still reported"
    );
}

#[test]
fn a_bad_set_exits_1_and_points_at_the_argument() {
    let o = netstep(&["check", "active-ftp", "--set", "nosuch.key=1"]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    let err = stderr(&o);
    assert!(err.contains("--set nosuch.key=1: error:"), "{err}");
    assert!(err.contains("`nosuch` is not a key"), "{err}");

    let o = netstep(&["trace", "active-ftp", "--set", "ftp_server.delays.USER"]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert!(stderr(&o).contains("expected PATH=VALUE"), "{}", show(&o));

    let o = netstep(&["check", "active-ftp", "--set", "host.client.tcp.mss=many"]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert!(stderr(&o).contains("error"), "{}", show(&o));
}

#[test]
fn an_unknown_scenario_name_exits_1_with_a_suggestion() {
    let o = netstep(&["trace", "pasive-ftp"]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert!(
        stderr(&o).contains("did you mean `passive-ftp`?"),
        "{}",
        show(&o)
    );
}

/// Splits a `trace` line into its columns, for comparing runs: the header
/// line names the seed and is left out.
fn ladder_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip(1)
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

/// Column indexes of the sequence and acknowledgement numbers in a row:
/// `#`, time, stage, conn, from, `→`, to, flags, seq, ack, len, payload.
const SEQ: usize = 8;
const ACK: usize = 9;

#[test]
fn seed_changes_only_the_absolute_numbers_of_a_scenario_with_random_isns() {
    let one = netstep(&["trace", "two-transfers", "--absolute"]);
    let two = netstep(&["trace", "two-transfers", "--absolute", "--seed", "2"]);
    assert_eq!(code(&one), 0, "{}", show(&one));
    assert_eq!(code(&two), 0, "{}", show(&two));
    assert!(stdout(&one).lines().next().unwrap().contains("(seed 1)"));
    assert!(stdout(&two).lines().next().unwrap().contains("(seed 2)"));
    let (a, b) = (ladder_rows(&stdout(&one)), ladder_rows(&stdout(&two)));
    assert_eq!(a.len(), b.len(), "same ladder length");
    let mut changed = 0;
    for (ra, rb) in a.iter().zip(&b) {
        if ra.len() <= ACK || ra[0].parse::<u32>().is_err() {
            assert_eq!(ra, rb, "the summary lines agree");
            continue;
        }
        let strip = |r: &Vec<String>| {
            r.iter()
                .enumerate()
                .filter(|(i, _)| *i != SEQ && *i != ACK)
                .map(|(_, c)| c.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(ra), strip(rb), "only seq and ack may differ");
        if ra[SEQ] != rb[SEQ] {
            changed += 1;
        }
    }
    assert!(changed > 0, "the ISNs come from the seed");

    // Relative numbers, as Wireshark shows them, do not depend on the ISN.
    let one = netstep(&["trace", "two-transfers"]);
    let two = netstep(&["trace", "two-transfers", "--seed", "2"]);
    assert_eq!(ladder_rows(&stdout(&one)), ladder_rows(&stdout(&two)));
}

#[test]
fn seed_changes_nothing_where_the_scenario_fixes_every_isn() {
    let one = netstep(&["trace", "active-ftp", "--absolute"]);
    let two = netstep(&["trace", "active-ftp", "--absolute", "--seed", "99"]);
    assert_eq!(code(&two), 0, "{}", show(&two));
    assert_eq!(ladder_rows(&stdout(&one)), ladder_rows(&stdout(&two)));
    assert!(
        stdout(&one).contains("1022640128"),
        "the seed capture's ISN"
    );
}

#[test]
fn the_same_seed_exports_byte_identical_json() {
    let a = netstep(&[
        "export",
        "lossy-download",
        "--format",
        "json",
        "--seed",
        "7",
    ]);
    let b = netstep(&[
        "export",
        "lossy-download",
        "--format",
        "json",
        "--seed",
        "7",
    ]);
    assert_eq!(code(&a), 0, "{}", show(&a));
    assert!(a.stdout == b.stdout, "two runs with seed 7 differ");
    let v: serde_json::Value = serde_json::from_slice(&a.stdout).expect("JSON");
    assert_eq!(v["seed"], 7);
    assert_eq!(v["scenario"], "lossy-download");
}

#[test]
fn a_bundled_name_works_from_any_folder() {
    let dir = TempDir::new("elsewhere");
    let o = netstep_in(Some(dir.path()), &["check", "two-transfers", "port-bounce"]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert!(stdout(&o).contains("two-transfers.toml:"), "{}", show(&o));
    let o = netstep_in(Some(dir.path()), &["trace", "passive-ftp.toml"]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert!(stdout(&o).starts_with("passive-ftp"), "{}", show(&o));
}

#[test]
fn a_file_in_the_current_folder_wins_over_a_bundled_name() {
    let dir = TempDir::new("shadow");
    let o = netstep(&["new", "my-lab"]);
    std::fs::write(dir.path().join("active-ftp.toml"), &o.stdout).unwrap();
    let o = netstep_in(Some(dir.path()), &["check", "active-ftp.toml"]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert!(
        !stdout(&o).contains("32/32"),
        "the local file, not the bundled one\n{}",
        show(&o)
    );
}

#[test]
fn list_shows_every_bundled_scenario_with_its_title() {
    let o = netstep(&["list"]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let out = stdout(&o);
    for name in [
        "active-ftp",
        "passive-ftp",
        "two-transfers",
        "nat-breaks-active",
        "firewall-blocks-active",
        "lossy-download",
        "port-bounce",
    ] {
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} is not listed\n{out}"));
        assert!(line.len() > name.len() + 3, "{name} has a title: {line:?}");
        assert!(!line.contains("(invalid"), "{line}");
    }
    assert_eq!(listed()[0], "active-ftp", "the default comes first");
    let zh = stdout(&netstep(&["list", "--lang", "zh"]));
    assert!(zh.contains("被动模式"), "{zh}");
}

#[test]
fn new_prints_a_scenario_that_check_accepts() {
    let dir = TempDir::new("new");
    let o = netstep(&["new", "my-first-lab"]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let file = dir.path().join("my-first-lab.toml");
    std::fs::write(&file, &o.stdout).unwrap();
    let o = netstep(&["check", file.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert!(stdout(&o).contains(": ok"), "{}", show(&o));

    let o = netstep(&["new", "Not A Name"]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert!(
        stderr(&o).contains("is not a scenario name"),
        "{}",
        show(&o)
    );
}

#[test]
fn schema_is_valid_json_describing_the_scenario_tables() {
    let o = netstep(&["schema"]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("the schema is JSON");
    let props = v["properties"].as_object().expect("top-level properties");
    for key in [
        "scenario",
        "host",
        "link",
        "ftp_server",
        "ftp_client",
        "fault",
        "walkthrough",
    ] {
        assert!(props.contains_key(key), "schema lacks `{key}`");
    }
}

#[test]
fn export_into_a_missing_folder_fails_clearly_and_writes_nothing() {
    let dir = TempDir::new("missing");
    let target = dir.path().join("no-such-folder").join("run.json");
    let o = netstep(&[
        "export",
        "active-ftp",
        "--format",
        "json",
        "-o",
        target.to_str().unwrap(),
    ]);
    assert_ne!(code(&o), 0, "{}", show(&o));
    let err = stderr(&o);
    assert!(
        err.contains(target.to_str().unwrap()),
        "names the file\n{err}"
    );
    assert!(err.contains("folder does not exist"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    assert!(stdout(&o).is_empty());
    assert!(!target.exists());
    assert!(!target.parent().unwrap().exists(), "no folder was created");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "nothing written beside it: {left:?}");
}

#[test]
fn export_to_a_file_writes_exactly_what_stdout_would_show() {
    let dir = TempDir::new("export");
    let target = dir.path().join("run.json");
    let o = netstep(&[
        "export",
        "passive-ftp",
        "--format",
        "json",
        "-o",
        target.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert!(o.stdout.is_empty(), "{}", show(&o));
    let written = std::fs::read(&target).unwrap();
    let shown = netstep(&["export", "passive-ftp", "--format", "json"]).stdout;
    assert!(written == shown);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["run.json"], "no temporary file left behind");
}

#[test]
fn every_export_format_writes_its_kind_of_file() {
    let dir = TempDir::new("formats");
    for (format, file, starts) in [
        ("pcapng", "run.pcapng", &b"\x0a\x0d\x0d\x0a"[..]),
        ("markdown", "run.md", b"# "),
        ("mermaid", "run.mmd", b"sequenceDiagram"),
        ("svg", "run.svg", b"<svg"),
    ] {
        let target = dir.path().join(file);
        let o = netstep(&[
            "export",
            "active-ftp",
            "--format",
            format,
            "-o",
            target.to_str().unwrap(),
        ]);
        assert_eq!(code(&o), 0, "{format}: {}", show(&o));
        let bytes = std::fs::read(&target).unwrap();
        // Text formats may start with blank lines; the pcapng magic itself
        // is made of "whitespace" bytes.
        let skip = if format == "pcapng" {
            0
        } else {
            bytes
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .unwrap_or(0)
        };
        let body = if format == "svg" {
            // An XML declaration may come first.
            let text = String::from_utf8_lossy(&bytes);
            text.find("<svg").map_or(&bytes[..0], |i| &bytes[i..])
        } else {
            &bytes[skip..]
        };
        assert!(
            body.starts_with(starts),
            "{format} starts {:?}",
            &bytes[..bytes.len().min(20)]
        );
    }
    // --at picks the capture point: the wire sees the same 37 segments on
    // this lossless run, stamped when they were sent.
    let wire = dir.path().join("wire.pcapng");
    let o = netstep(&[
        "export",
        "active-ftp",
        "--format",
        "pcapng",
        "--at",
        "wire",
        "-o",
        wire.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert_ne!(
        std::fs::read(&wire).unwrap(),
        std::fs::read(dir.path().join("run.pcapng")).unwrap()
    );
}

#[test]
fn trace_transcript_shows_the_users_screen() {
    let o = netstep(&["trace", "active-ftp", "--transcript"]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().map(str::trim).collect();
    let at = |text: &str| {
        lines
            .iter()
            .position(|l| l.ends_with(text))
            .unwrap_or_else(|| panic!("{text:?} in\n{out}"))
    };
    // In the order the user saw them.
    assert!(at("220 (vsFTPd 2.0.5)") < at("230 Login successful."));
    assert!(at("230 Login successful.") < at("ftp> ls"));
    assert!(at("ftp> ls") < at("226 Directory send OK."));
    assert!(at("226 Directory send OK.") < at("257 \"/\""));
    assert!(
        lines.iter().any(|l| l.contains("ftp: 23 bytes received")),
        "{out}"
    );
}
