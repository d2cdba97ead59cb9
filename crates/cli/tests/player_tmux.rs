//! The real `netstep` binary's player, driven in a real terminal (tmux) as
//! a person would: start it, step, switch language, quit, and check that
//! the terminal is back to normal (same `stty` settings, alternate screen
//! left). Skips, saying why, when tmux is not installed (`.ci/run`
//! installs it).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]).env("TERM", "xterm-256color");
        c
    }

    fn run(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-t", "t", "-p"])
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Waits (bounded) until the screen contains `text`.
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn alternate_on(&self) -> bool {
        self.run(&["display-message", "-p", "-t", "t", "#{alternate_on}"])
            .trim()
            == "1"
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").output();
    }
}

fn scratch_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("netstep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn wait_for_file(p: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(s) = std::fs::read_to_string(p)
            && s.ends_with('\n')
        {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {}",
            p.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn have_tmux() -> bool {
    let ok = Command::new("tmux").arg("-V").output().is_ok();
    if !ok {
        eprintln!("skipped: tmux is not installed (.ci/run installs it)");
    }
    ok
}

#[test]
fn the_player_runs_in_a_real_terminal_and_restores_it() {
    if !have_tmux() {
        return;
    }
    let dir = scratch_dir("tmux");
    let bin = env!("CARGO_BIN_EXE_netstep");
    let t = Tmux {
        socket: format!("netstep-test-{}", std::process::id()),
    };
    t.run(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "120",
        "-y",
        "40",
        "sh",
    ]);
    // The shell records the terminal settings before and after the player.
    let before = dir.join("before");
    let after = dir.join("after");
    let status = dir.join("status");
    let line = format!(
        "stty -g > {b}; {bin} play active-ftp; echo $? > {s}; stty -g > {a}",
        b = before.display(),
        a = after.display(),
        s = status.display()
    );
    t.keys(&[&line, "Enter"]);
    let first = t.wait_for("stage 1/32");
    assert!(first.contains("#1/37"), "{first}");
    assert!(t.alternate_on(), "the player draws on the alternate screen");
    t.keys(&["Right"]);
    t.wait_for("#2/37");
    t.keys(&["]", "]"]);
    t.wait_for("stage 3/32");
    t.keys(&["L"]);
    let zh = t.wait_for("第 3 步");
    assert!(zh.contains("客户端确认欢迎信息"), "{zh}");
    t.keys(&["q"]);
    assert_eq!(
        wait_for_file(&status).trim(),
        "0",
        "the player exits with 0"
    );
    let (b, a) = (wait_for_file(&before), wait_for_file(&after));
    assert_eq!(b, a, "terminal settings restored (raw mode off)");
    assert!(!t.alternate_on(), "alternate screen left");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctrl_c_also_restores_the_terminal() {
    if !have_tmux() {
        return;
    }
    let dir = scratch_dir("tmux-ctrl-c");
    let bin = env!("CARGO_BIN_EXE_netstep");
    let t = Tmux {
        socket: format!("netstep-test-c-{}", std::process::id()),
    };
    t.run(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "100",
        "-y",
        "30",
        "sh",
    ]);
    let (before, after) = (dir.join("before"), dir.join("after"));
    let line = format!(
        "stty -g > {b}; {bin} play passive-ftp --lang zh --theme light; stty -g > {a}",
        b = before.display(),
        a = after.display()
    );
    t.keys(&[&line, "Enter"]);
    t.wait_for("#1/");
    t.keys(&["C-c"]);
    assert_eq!(
        wait_for_file(&before),
        wait_for_file(&after),
        "terminal settings restored"
    );
    assert!(!t.alternate_on(), "alternate screen left");
    let _ = std::fs::remove_dir_all(&dir);
}
