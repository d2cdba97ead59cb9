//! Whole-screen tests: scripted keys on `TestBackend`-sized buffers.

use crate::bench_support::{buffer_text, render_once};
use crate::fixture;
use crate::{App, PlayOptions};

fn app() -> App {
    let (t, a) = fixture::walkthrough_run();
    App::new(t, a, PlayOptions::default())
}

#[test]
fn look() {
    let mut a = app();
    for _ in 0..9 {
        a.apply(crate::Action::Next);
    }
    println!("{}", buffer_text(&render_once(&mut a, 80, 24)));
    a.apply(crate::Action::FocusNext);
    a.apply(crate::Action::FocusNext);
    println!("{}", buffer_text(&render_once(&mut a, 80, 24)));
    a.apply(crate::Action::FocusNext);
    println!("{}", buffer_text(&render_once(&mut a, 80, 24)));
    println!("{}", buffer_text(&render_once(&mut a, 200, 60)));
}
