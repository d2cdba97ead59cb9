//! Every benchmark runs once at a tiny size and prints its `RESULT` line.
//! This proves the benchmarks work; it times nothing (figures from a debug
//! build on a shared CI machine would mean nothing).

use std::process::Command;

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_netstep-bench"))
        .args(args)
        .args(["--runs", "1"])
        .output()
        .expect("netstep-bench starts");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "netstep-bench {args:?} failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The `RESULT` line of `name`, with its `key=value` pairs.
fn result<'a>(stdout: &'a str, name: &str) -> Vec<(&'a str, &'a str)> {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("RESULT ") && l.contains(&format!(" name={name} ")))
        .unwrap_or_else(|| panic!("no RESULT line for {name} in {stdout}"));
    line.split_whitespace()
        .skip(1)
        .map(|kv| kv.split_once('=').expect("key=value"))
        .collect()
}

fn has_number(fields: &[(&str, &str)], key: &str) {
    let v = fields
        .iter()
        .find(|(k, _)| *k == key)
        .unwrap_or_else(|| panic!("no {key} in {fields:?}"))
        .1;
    assert!(v.parse::<f64>().is_ok(), "{key}={v} is not a number");
}

#[test]
fn bulk_prints_its_figures() {
    let out = run(&["bulk", "--mib", "1"]);
    let r = result(&out, "bulk");
    for k in ["mb_s", "segs_s", "trace_bytes_per_seg", "rss_mib", "runs"] {
        has_number(&r, k);
    }
    // The payload travels by reference end to end (nothing rewrites a
    // packet on bulk's one link).
    let by_ref = r.iter().find(|(k, _)| *k == "by_reference_pct");
    assert_eq!(
        by_ref.map(|(_, v)| v.parse::<f64>().ok()),
        Some(Some(100.0)),
        "{r:?}"
    );
}

#[test]
fn bulk_lossy_prints_its_figures() {
    let out = run(&["bulk-lossy", "--mib", "1"]);
    let r = result(&out, "bulk-lossy");
    for k in ["mb_s", "resent_bytes", "sim_s", "rss_mib"] {
        has_number(&r, k);
    }
}

#[test]
fn many_clients_prints_its_figures() {
    let out = run(&["many-clients", "--clients", "20"]);
    let r = result(&out, "many-clients");
    for k in ["wall_s", "rss_mib", "segments"] {
        has_number(&r, k);
    }
}

#[test]
fn walkthrough_prints_its_figures() {
    let out = run(&["walkthrough"]);
    let r = result(&out, "walkthrough");
    for k in ["sim_annotate_us", "first_frame_us"] {
        has_number(&r, k);
    }
}

#[test]
fn player_prints_its_figures() {
    let out = run(&["player", "--segments", "2000"]);
    let r = result(&out, "player");
    for k in ["open_ms", "frame_us"] {
        has_number(&r, k);
    }
}

#[test]
fn a_bad_option_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_netstep-bench"))
        .args(["bulk", "--frobnicate"])
        .output()
        .expect("netstep-bench starts");
    assert_eq!(out.status.code(), Some(2));
}

/// `versus` alternates our bulk with the anchors binary and prints the
/// ratios. A stand-in for the anchors harness (a script printing its kind
/// of `RESULT` line) keeps this test independent of `shared/anchors`.
#[cfg(unix)]
#[test]
fn versus_pairs_bulk_with_the_anchor() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("netstep-bench-versus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fake = dir.join("anchors");
    std::fs::write(
        &fake,
        "#!/bin/sh\n[ \"$1 $4\" = \"tcp --per-packet\" ] || exit 3\necho \"RESULT wall_s=1 mb_s=1000000\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = run(&["versus", "--anchors", fake.to_str().unwrap(), "--mib", "1"]);
    let r = result(&out, "versus");
    for k in ["mb_s", "anchor_mb_s", "ratio", "ratio_of_medians"] {
        has_number(&r, k);
    }
    let anchor = r.iter().find(|(k, _)| *k == "anchor_mb_s").unwrap().1;
    assert_eq!(
        anchor, "1000000",
        "the anchor's figure is read from its line"
    );
    // With a delay, or without the anchor's fill and check, the anchor is
    // asked for it (the stand-in fails otherwise) and the line says which
    // comparison it is.
    let with_option = |expected_args: &str, option: &[&str], key: &str| {
        std::fs::write(
            &fake,
            format!(
                "#!/bin/sh\n[ \"$*\" = \"{expected_args} --seed 1\" ] || exit 3\n\
                 echo \"RESULT wall_s=1 mb_s=1000000\"\n"
            ),
        )
        .unwrap();
        let mut args = vec!["versus", "--anchors", fake.to_str().unwrap(), "--mib", "1"];
        args.extend_from_slice(option);
        let out = run(&args);
        let r = result(&out, "versus");
        r.iter().find(|(k, _)| *k == key).unwrap().1.to_string()
    };
    let delay = with_option(
        "tcp --mib 1 --per-packet --delay-us 50",
        &["--anchor-delay-us", "50"],
        "anchor_delay_us",
    );
    assert_eq!(delay, "50");
    let verify = with_option(
        "tcp --mib 1 --per-packet --no-verify",
        &["--anchor-no-verify"],
        "anchor_verify",
    );
    assert_eq!(verify, "0");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn versus_without_the_anchors_binary_says_what_it_needs() {
    let out = Command::new(env!("CARGO_BIN_EXE_netstep-bench"))
        .args(["versus", "--runs", "1"])
        .output()
        .expect("netstep-bench starts");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--anchors"), "{err}");
}
