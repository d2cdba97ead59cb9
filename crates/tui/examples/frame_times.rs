//! Time to first frame and time per frame on a huge trace:
//! `cargo run --release -p netstep-tui --features fixture --example frame_times [SEGMENTS]`
//!
//! Targets: first frame (App::new plus one draw) under 50 ms, a frame
//! under 2 ms, at 200×60. Building the trace is timed apart: the player
//! gets it ready-made.
//!
//! Twice: as built (a LAN: every arrow of the sloped ladder lands on the
//! next row or so), then with every segment a minute on its way, so that
//! about a hundred arrows cross each row and the ladder draws the most
//! it ever draws (the nearest arrows from above, and every row's).

use netstep_trace::{Annotation, Fate, Trace};
use netstep_tui::bench_support::render_once;
use netstep_tui::{Action, App, PlayOptions};
use netstep_wire::Duration;
use std::time::Instant;

fn main() {
    let segments: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let t = Instant::now();
    let (trace, ann) = netstep_tui::fixture::huge_run(segments);
    println!(
        "built a {}-segment trace in {:?}",
        trace.segments.len(),
        t.elapsed()
    );
    measure("LAN", trace, ann);
    // Built again rather than cloned: two such traces at once would be
    // measured against the memory they take, not the player.
    let (mut long, ann) = netstep_tui::fixture::huge_run(segments);
    long.segments.update_all(|seg| {
        if let Fate::Delivered { at } = &mut seg.fate {
            *at = seg.time + Duration::from_secs(60);
        }
    });
    measure("a minute on the way", long, ann);
}

fn measure(name: &str, trace: Trace, ann: Annotation) {
    println!("-- {name}");
    let n = trace.segments.len();

    let t = Instant::now();
    let mut app = App::new(trace, ann, PlayOptions::default());
    let opened = t.elapsed();
    render_once(&mut app, 200, 60);
    println!(
        "first frame: {:?} (App::new {opened:?} + one draw)",
        t.elapsed()
    );

    for (name, actions) in [
        ("next segment", vec![Action::Next]),
        ("next stage", vec![Action::NextStage]),
        ("cycle filter", vec![Action::CycleFilter]),
    ] {
        let frames = 1_000;
        let t = Instant::now();
        for _ in 0..frames {
            for &a in &actions {
                app.apply(a);
            }
            render_once(&mut app, 200, 60);
        }
        println!("{name} + draw: {:?} a frame", t.elapsed() / frames);
    }
    let frames: u32 = 1_000;
    let stride = n / frames as usize;
    let t = Instant::now();
    for i in 0..frames as usize {
        app.apply(Action::Select(i * stride));
        render_once(&mut app, 200, 60);
    }
    println!(
        "jump across the trace + draw: {:?} a frame",
        t.elapsed() / frames
    );
}
