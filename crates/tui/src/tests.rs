//! Whole-screen tests: the app driven by scripted keys and mouse events on
//! a `TestBackend`, screens compared with insta snapshots, and the
//! properties the player promises (stepping back is exact, a frame of a
//! huge trace touches only what it shows).

use crate::bench_support::{buffer_text, render_once};
use crate::fixture;
use crate::{Action, App, Focus, PlayMode, PlayOptions, ThemeName};
use netstep_trace::{Annotation, Lang, Trace, annotate};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

fn app_with(run: (Trace, Annotation), opts: PlayOptions) -> App {
    App::new(run.0, run.1, opts)
}

fn app() -> App {
    app_with(fixture::walkthrough_run(), PlayOptions::default())
}

fn press(app: &mut App, keys: &str) {
    for c in keys.chars() {
        app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }
}

fn key(app: &mut App, code: KeyCode) {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
}

/// Draws through a real `Terminal<TestBackend>`, as the event loop does.
fn screen(app: &mut App, w: u16, h: u16) -> TestBackend {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| app.draw(f)).unwrap();
    terminal.backend().clone()
}

/// Goes to stage `n` with `]` from the start.
fn goto_stage(app: &mut App, n: u32) {
    key(app, KeyCode::Home);
    for _ in 1..n {
        press(app, "]");
    }
}

// ---- snapshots ----

#[test]
fn first_screen_80x24() {
    let mut app = app();
    insta::assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn first_screen_200x60() {
    let mut app = app();
    insta::assert_snapshot!(screen(&mut app, 200, 60));
}

#[test]
fn stage_8_english() {
    let mut app = app();
    goto_stage(&mut app, 8);
    assert_eq!(app.cursor(), 9, "stage 8 is segment #10, PASS");
    insta::assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn stage_8_chinese() {
    let mut app = app();
    goto_stage(&mut app, 8);
    press(&mut app, "L");
    assert_eq!(app.lang(), Lang::Zh);
    insta::assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn stage_8_wide_with_every_panel() {
    let mut app = app();
    goto_stage(&mut app, 8);
    insta::assert_snapshot!(screen(&mut app, 200, 60));
}

#[test]
fn stage_8_chinese_wide() {
    let mut app = app();
    goto_stage(&mut app, 8);
    press(&mut app, "L");
    insta::assert_snapshot!(screen(&mut app, 200, 60));
}

#[test]
fn segment_panel_port_command() {
    let mut app = app();
    goto_stage(&mut app, 12);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus(), Focus::Segment);
    // From seq down to the payload: the FTP decoding comes into view.
    for _ in 0..7 {
        key(&mut app, KeyCode::Down);
    }
    insta::assert_snapshot!(screen(&mut app, 100, 40));
}

#[test]
fn sockets_panel_when_the_data_connection_closes() {
    let mut app = app();
    // #28: the server's ACK of the client's data FIN: the client's data
    // socket goes from LAST-ACK to CLOSED.
    app.apply(Action::Select(27));
    for _ in 0..3 {
        key(&mut app, KeyCode::Tab);
    }
    insta::assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn dropped_segment() {
    let mut app = app_with(fixture::lossy_run(), PlayOptions::default());
    app.apply(Action::Select(5));
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    insta::assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn dropped_and_retransmitted_wide() {
    let mut app = app_with(fixture::lossy_run(), PlayOptions::default());
    app.apply(Action::Select(6));
    insta::assert_snapshot!(screen(&mut app, 200, 60));
}

#[test]
fn stage_that_did_not_occur() {
    let mut app = app_with(fixture::quick_server_run(), PlayOptions::default());
    // #7: the 331 that carries the server's ACK of USER.
    app.apply(Action::Select(6));
    insta::assert_snapshot!(screen(&mut app, 200, 60));
}

#[test]
fn help_overlay() {
    let mut app = app();
    press(&mut app, "?");
    assert!(app.help_visible());
    insta::assert_snapshot!(screen(&mut app, 80, 24));
    press(&mut app, "L");
    assert_eq!(
        app.lang(),
        Lang::En,
        "keys other than ? Esc q are ignored under help"
    );
    key(&mut app, KeyCode::Esc);
    assert!(!app.help_visible() && !app.should_quit());
}

#[test]
fn too_small_asks_for_room() {
    let mut app = app();
    insta::assert_snapshot!(screen(&mut app, 79, 23));
}

// ---- properties ----

#[test]
fn stepping_back_is_exact() {
    for (w, h) in [(80, 24), (200, 60)] {
        let mut app = app();
        let n = app.trace().segments.len();
        let mut forward = Vec::new();
        for k in 0..n {
            assert_eq!(app.cursor(), k);
            forward.push(render_once(&mut app, w, h));
            press(&mut app, "l");
        }
        for k in (0..n).rev() {
            assert_eq!(app.cursor(), k);
            assert_eq!(
                render_once(&mut app, w, h),
                forward[k],
                "step {k} at {w}x{h}"
            );
            press(&mut app, "h");
        }
        // Jumping straight there gives the same screen too.
        for (k, expected) in forward.iter().enumerate() {
            app.apply(Action::Select(k));
            assert_eq!(&render_once(&mut app, w, h), expected, "jump to {k}");
        }
    }
}

#[test]
fn search_finds_payloads_and_flags() {
    let mut app = app();
    press(&mut app, "/USER");
    assert_eq!(app.cursor(), 0, "nothing moves while typing");
    let typing = buffer_text(&render_once(&mut app, 80, 24));
    assert!(typing.contains("/USER█"), "{typing}");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.cursor(), 5);
    assert_eq!(app.search_hits(), &[5]);
    let shown = buffer_text(&render_once(&mut app, 80, 24));
    assert!(shown.contains("/USER 1/1"), "{shown}");

    press(&mut app, "/fin");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.search_hits(), &[22, 26, 33, 35]);
    assert_eq!(app.cursor(), 22, "first hit after the cursor");
    press(&mut app, "n");
    assert_eq!(app.cursor(), 26);
    press(&mut app, "NN");
    assert_eq!(app.cursor(), 35, "N goes round");

    press(&mut app, "/PASS");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.cursor(), 35, "Esc cancels");
    assert!(!app.should_quit());
    assert_eq!(app.search_hits().len(), 4, "the previous search stays");

    press(&mut app, "/no such thing");
    key(&mut app, KeyCode::Enter);
    assert!(app.search_hits().is_empty());
    let shown = buffer_text(&render_once(&mut app, 80, 24));
    assert!(shown.contains("no match"), "{shown}");
}

#[test]
fn filter_cycles_through_labels_and_connections() {
    let mut app = app();
    app.apply(Action::Select(17)); // the data SYN
    press(&mut app, "f");
    assert_eq!(app.filter_name(), "control");
    assert_eq!(
        app.cursor(),
        20,
        "moved to the next control segment (#21, 150)"
    );
    let text = buffer_text(&render_once(&mut app, 80, 24));
    assert!(text.contains("filter control"));
    assert!(!text.contains("[16]"), "no data segment on screen:\n{text}");
    press(&mut app, "l");
    assert_eq!(app.cursor(), 24, "next control segment skips the data ones");
    press(&mut app, "f");
    assert_eq!(app.filter_name(), "data");
    assert_eq!(app.cursor(), 26);
    press(&mut app, "g");
    assert_eq!(app.cursor(), 17);
    press(&mut app, "G");
    assert_eq!(app.cursor(), 27);
    press(&mut app, "ff");
    assert_eq!(app.filter_name(), "conn 1");
    press(&mut app, "f");
    assert_eq!(app.filter_name(), "all");
    assert_eq!(app.cursor(), 27);
}

#[test]
fn stage_keys_with_a_filter() {
    let mut app = app();
    press(&mut app, "ff"); // data only
    assert_eq!(app.cursor(), 17);
    press(&mut app, "]");
    assert_eq!(app.cursor(), 21, "stage 17's data segment (#22)");
    press(&mut app, "[");
    assert_eq!(app.cursor(), 17);
    press(&mut app, "[");
    assert_eq!(app.cursor(), 17, "no earlier stage has a data segment");
}

#[test]
fn language_switch_changes_every_panel() {
    let mut app = app();
    goto_stage(&mut app, 8);
    let en = buffer_text(&render_once(&mut app, 200, 60));
    assert!(en.contains("Stage 8 of 32") && en.contains("Ladder"));
    press(&mut app, "L");
    let zh = buffer_text(&render_once(&mut app, 200, 60));
    assert!(zh.contains("第 8 步，共 32 步"), "{zh}");
    assert!(zh.contains("梯形图") && zh.contains("明文"));
    assert!(!zh.contains("Stage 8 of 32"));
    press(&mut app, "L");
    assert_eq!(buffer_text(&render_once(&mut app, 200, 60)), en);
}

#[test]
fn mouse_selects_a_ladder_row_and_focuses_panels() {
    let mut app = app();
    render_once(&mut app, 80, 24);
    // Row 0 is the border, row 1 the header: row 2 + 4 is segment #5.
    let click = |col, row| MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: col,
        row,
        modifiers: KeyModifiers::NONE,
    };
    app.handle_mouse(click(40, 6));
    assert_eq!(app.cursor(), 4);
    // The border and the header select nothing.
    app.handle_mouse(click(40, 1));
    assert_eq!(app.cursor(), 4);
    // A click in the panel below focuses it; a click on a tab's name
    // (row 12 is the panel's title: "╭  Stage · Segment · Sockets") shows
    // that panel.
    app.handle_mouse(click(40, 18));
    assert_eq!(app.focus(), Focus::Stage);
    app.handle_mouse(click(13, 12));
    assert_eq!(app.focus(), Focus::Segment);
    let text = buffer_text(&render_once(&mut app, 80, 24));
    assert!(text.contains("#5/37 client → server"), "{text}");
    app.handle_mouse(click(3, 12));
    assert_eq!(app.focus(), Focus::Stage);
    app.handle_mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 40,
        row: 5,
        modifiers: KeyModifiers::NONE,
    });
    assert_eq!(app.cursor(), 5, "the wheel over the ladder steps");
    // Far down the trace the ladder has scrolled: the click still maps.
    app.apply(Action::Select(30));
    render_once(&mut app, 80, 24);
    app.handle_mouse(click(40, 2));
    assert_eq!(app.cursor(), 26, "top row is #27 when #31 is centred");
}

#[test]
fn segment_panel_fields_move_with_up_down() {
    let mut app = app();
    app.apply(Action::Select(13));
    press(&mut app, "\t");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus(), Focus::Segment);
    key(&mut app, KeyCode::Down);
    let text = buffer_text(&render_once(&mut app, 80, 24));
    assert!(text.contains("▸ ack"), "{text}");
    assert_eq!(app.cursor(), 13, "arrows move the field, not the cursor");
    for _ in 0..20 {
        key(&mut app, KeyCode::Down);
    }
    let text = buffer_text(&render_once(&mut app, 80, 24));
    assert!(text.contains("▸ payload"), "{text}");
    // The payload's bytes are lit in the hex view.
    let buf = render_once(&mut app, 200, 60);
    let lit = buf
        .content()
        .iter()
        .filter(|c| c.style().bg == app.theme.selected.bg && c.symbol() != " ")
        .count();
    assert!(
        lit >= 30 * 2,
        "30 payload bytes in hex and ascii, got {lit}"
    );
}

#[test]
fn play_steps_and_real_time() {
    let mut app = app();
    press(&mut app, "p");
    assert!(app.is_playing());
    app.tick(std::time::Duration::from_millis(2500));
    assert_eq!(app.cursor(), 2, "one step a second");
    press(&mut app, "+");
    app.tick(std::time::Duration::from_millis(1000));
    assert_eq!(app.cursor(), 4, "twice as fast, counting afresh");
    press(&mut app, "m");
    // Real time at 2x from #5 (0.200421 s): 1.5 s of wall time is 3 s of
    // virtual time, which reaches USER at 3.000421 s.
    app.tick(std::time::Duration::from_millis(1500));
    assert_eq!(app.cursor(), 5);
    let text = buffer_text(&render_once(&mut app, 80, 24));
    assert!(text.contains("▶ real time ×2"), "{text}");
    // A huge tick plays to the end and stops.
    app.tick(std::time::Duration::from_secs(3600));
    assert_eq!(app.cursor(), 36);
    assert!(!app.is_playing());
    // p at the end starts over.
    press(&mut app, "p");
    assert_eq!(app.cursor(), 0);
    assert!(app.is_playing());
    press(&mut app, "p");
    assert!(!app.is_playing());
    app.tick(std::time::Duration::from_secs(10));
    assert_eq!(app.cursor(), 0, "paused means paused");
}

#[test]
fn numbers_toggle_between_relative_and_absolute() {
    let mut app = app();
    app.apply(Action::Select(9));
    let rel = buffer_text(&render_once(&mut app, 80, 24));
    assert!(rel.contains("seq=15 ack=55"));
    press(&mut app, "a");
    let abs = buffer_text(&render_once(&mut app, 80, 24));
    assert!(abs.contains("seq=1022640143 ack=3217031735"), "{abs}");
    assert!(abs.contains("absolute"));
}

#[test]
fn options_open_where_asked() {
    let opts = PlayOptions {
        lang: Lang::Zh,
        theme: ThemeName::Light,
        start_segment: 1_000,
        play_mode: PlayMode::RealTime,
        autoplay: true,
        ..PlayOptions::default()
    };
    let mut app = app_with(fixture::walkthrough_run(), opts);
    assert_eq!(app.cursor(), 36, "clamped to the last segment");
    assert!(app.is_playing());
    let buf = render_once(&mut app, 80, 24);
    // Light theme: black on white, current row white on black.
    assert_eq!(buf[(0, 23)].style().bg, Some(ratatui::style::Color::White));
    let row = (0..24)
        .find(|&y| buf[(1, y)].symbol() == "▶")
        .expect("the cursor row");
    assert_eq!(
        buf[(20, row)].style().bg,
        Some(ratatui::style::Color::Black)
    );
    press(&mut app, "t");
    let buf = render_once(&mut app, 80, 24);
    assert_eq!(buf[(0, 23)].style().bg, Some(ratatui::style::Color::Black));
}

// ---- robustness ----

fn all_keys(app: &mut App) {
    for c in "lllll]]][[ggGhhhpmm+-+-aaffffff/x\n/syn\nnnNNL\t\t\t\tkkjj??".chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            '\t' => KeyCode::Tab,
            c => KeyCode::Char(c),
        };
        app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
        app.tick(std::time::Duration::from_millis(700));
        for (w, h) in [(80, 24), (79, 23), (140, 30), (100, 70), (200, 60), (1, 1)] {
            render_once(app, w, h);
        }
    }
}

#[test]
fn empty_trace_does_not_panic() {
    let mut app = app_with(fixture::empty_run(), PlayOptions::default());
    let text = buffer_text(&render_once(&mut app, 80, 24));
    assert!(text.contains("no segments"), "{text}");
    all_keys(&mut app);
    assert_eq!(app.cursor(), 0);
}

#[test]
fn trace_without_walkthrough_does_not_panic() {
    let (t, _) = fixture::walkthrough_run();
    let ann = annotate(&t, &netstep_trace::Walkthrough::default());
    let mut app = App::new(t, ann, PlayOptions::default());
    let text = buffer_text(&render_once(&mut app, 80, 24));
    assert!(text.contains("no walkthrough"), "{text}");
    assert!(text.contains("[·]"));
    all_keys(&mut app);
}

#[test]
fn odd_segments_do_not_panic() {
    let (mut t, a) = fixture::walkthrough_run();
    // Segments outside any connection, to unknown nodes, dropped at
    // unknown nodes, in flight, pointing past their streams; an annotation
    // shorter than the trace.
    t.segments.update(3, |s| s.conn = None);
    t.segments.update(4, |s| s.conn = Some(99));
    t.segments.update(5, |s| s.to = None);
    t.segments.update(6, |s| s.from = 42);
    t.segments.update(7, |s| {
        s.fate = netstep_trace::Fate::Dropped {
            at: s.time,
            node: 77,
            reason: netstep_trace::DropReason::Filtered,
        }
    });
    t.segments
        .update(8, |s| s.fate = netstep_trace::Fate::InFlight);
    t.segments.update(9, |s| s.payload_offset = u64::MAX - 3);
    t.segments.update(10, |s| s.payload_len = 100_000);
    t.segments.seal_all();
    t.conns[1].initiator_isn = None;
    t.sockets[2].node = 55;
    let mut a = a;
    a.segments.truncate(5);
    let mut app = App::new(t, a, PlayOptions::default());
    for k in 0..37 {
        app.apply(Action::Select(k));
        render_once(&mut app, 80, 24);
        render_once(&mut app, 200, 60);
    }
    all_keys(&mut app);
}

#[test]
fn a_frame_of_a_huge_trace_touches_only_what_it_shows() {
    let (t, a) = fixture::huge_run(200_000);
    let n = t.segments.len();
    let mut app = App::new(t, a, PlayOptions::default());
    for target in [0, n / 2, n - 1] {
        app.apply(Action::Select(target));
        app.touched.set(0);
        render_once(&mut app, 200, 60);
        let touched = app.touched.get();
        assert!(touched < 200, "a 200x60 frame looked at {touched} segments");
    }
    // Steps, stage keys, play ticks and filters stay cheap to draw too.
    press(&mut app, "l]fp");
    app.tick(std::time::Duration::from_secs(5));
    app.touched.set(0);
    render_once(&mut app, 200, 60);
    assert!(app.touched.get() < 200);
}

#[test]
fn the_event_loop_quits_and_draws() {
    /// Events in order; `None` is a wait that timed out.
    struct Script(Vec<Option<Event>>);
    impl crate::EventSource for Script {
        fn next(&mut self, _: std::time::Duration) -> std::io::Result<Option<Event>> {
            Ok(if self.0.is_empty() {
                None
            } else {
                self.0.remove(0)
            })
        }
    }
    let mut app = app();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let k = |c| Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    let mut events = Script(vec![
        Some(k('l')),
        Some(k('l')),
        Some(Event::Resize(100, 30)),
        None,
        Some(Event::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL,
        ))),
        Some(k('l')),
    ]);
    crate::run_loop(&mut terminal, &mut app, &mut events).unwrap();
    assert!(app.should_quit());
    assert_eq!(
        app.cursor(),
        2,
        "Ctrl-C stopped the loop before the last key"
    );
    assert!(format!("{}", terminal.backend()).contains("#3/37"));
}

// ---- the real simulator's run of the bundled scenario ----

fn real_run() -> (Trace, Annotation) {
    real_run_of("active-ftp").0
}

/// A bundled scenario run by the simulator, and its walkthrough's credit.
fn real_run_of(name: &str) -> ((Trace, Annotation), Option<netstep_trace::Text>) {
    let (origin, text) = netstep_scenario::resolve(name).unwrap_or_else(|e| panic!("{e}"));
    let scenario = netstep_scenario::parse(&text, &origin, &[]).unwrap_or_else(|e| panic!("{e}"));
    let trace = netstep_sim::run_scenario(&scenario);
    let walkthrough = scenario.walkthrough();
    let annotation = annotate(&trace, &walkthrough);
    ((trace, annotation), walkthrough.source)
}

/// The active-ftp run as the CLI opens it: with its walkthrough's credit.
fn real_app() -> App {
    let (run, source) = real_run_of("active-ftp");
    app_with(
        run,
        PlayOptions {
            source,
            ..PlayOptions::default()
        },
    )
}

fn lossy_download() -> App {
    let (run, source) = real_run_of("lossy-download");
    app_with(
        run,
        PlayOptions {
            source,
            ..PlayOptions::default()
        },
    )
}

/// The screen's line that shows segment `n` (1-based) in the ladder.
fn ladder_line(text: &str, n: usize) -> &str {
    text.lines()
        .find(|l| {
            let row = l.trim_start_matches('│').trim_start_matches('▶');
            row.split_whitespace().next() == Some(n.to_string().as_str())
        })
        .unwrap_or_else(|| panic!("#{n} is not on screen:\n{text}"))
}

#[test]
fn sloped_ladder_lossy_download_fast_retransmit_120x36() {
    let mut app = lossy_download();
    for _ in 0..7 {
        press(&mut app, "]");
    }
    assert_eq!(app.cursor(), 59, "stage 8 is the fast retransmit, #60");
    insta::assert_snapshot!(screen(&mut app, 120, 36));
}

#[test]
fn sloped_arrows_cross_rows_while_in_flight() {
    let mut app = lossy_download();
    // #32 leaves the server at 13.932659 s and reaches the client 25.7 ms
    // later, when #43 is sent: its arrow slopes down eleven rows, past
    // the nine other segments of the first flight and the client's ACK.
    app.apply(Action::Select(31));
    let text = buffer_text(&render_once(&mut app, 200, 60));
    assert!(
        ladder_line(&text, 32).contains('┤'),
        "leaves the server's lifeline"
    );
    assert!(
        ladder_line(&text, 43).contains("├◀"),
        "arrives as the client sends #43"
    );
    // An arrow that left above the screen still lands on it: at #60 the
    // 80x24 ladder shows #56 to #64, and #61's row has the head of #52's.
    app.apply(Action::Select(59));
    let text = buffer_text(&render_once(&mut app, 80, 24));
    assert!(!text.contains("│ 52 "), "#52 is above the screen:\n{text}");
    assert!(ladder_line(&text, 61).contains('◀'), "{text}");
    // The flat ladder is one key away, and back.
    press(&mut app, "s");
    let flat = buffer_text(&render_once(&mut app, 80, 24));
    assert!(flat.contains("· flat"), "{flat}");
    assert!(ladder_line(&flat, 61).contains("│────"), "{flat}");
    assert!(!flat.contains('⠒'), "no sloped lines in the flat ladder");
    press(&mut app, "s");
    assert_eq!(buffer_text(&render_once(&mut app, 80, 24)), text);
}

#[test]
fn sloped_ladder_steps_back_exactly_through_a_long_flight() {
    let mut app = lossy_download();
    let n = app.trace().segments.len().min(120);
    for (w, h) in [(80, 24), (120, 36)] {
        press(&mut app, "g");
        let mut forward = Vec::new();
        for _ in 0..n {
            forward.push(render_once(&mut app, w, h));
            press(&mut app, "l");
        }
        press(&mut app, "h");
        for k in (0..n).rev() {
            app.apply(Action::Select(k));
            assert_eq!(
                render_once(&mut app, w, h),
                forward[k],
                "step {k} at {w}x{h}"
            );
        }
    }
}

#[test]
fn the_walkthroughs_credit_shows_in_the_stage_panel_and_the_help() {
    let (run, source) = real_run_of("active-ftp");
    assert!(source.is_some(), "active-ftp credits its source");
    let mut app = app_with(
        run,
        PlayOptions {
            source,
            ..PlayOptions::default()
        },
    );
    // The credit closes the stage panel's text: scroll down to it.
    key(&mut app, KeyCode::Tab);
    for _ in 0..30 {
        key(&mut app, KeyCode::Down);
    }
    let text = buffer_text(&render_once(&mut app, 200, 60));
    assert!(text.contains("Source: "), "{text}");
    press(&mut app, "?");
    let help = buffer_text(&render_once(&mut app, 120, 40));
    assert!(
        help.contains("Source: ") && help.contains("Esc closes"),
        "{help}"
    );
    insta::assert_snapshot!("help_with_credit_120x40", screen(&mut app, 120, 40));
    press(&mut app, "?L");
    for _ in 0..30 {
        key(&mut app, KeyCode::Down);
    }
    let zh = buffer_text(&render_once(&mut app, 200, 60));
    assert!(zh.contains("出处："), "{zh}");
}

#[test]
fn a_frame_of_a_huge_trace_in_long_flight_stays_bounded() {
    // Every segment a minute on its way: about a hundred arrows cross
    // each row. A frame looks at its rows and a bounded number of arrows
    // from above, however many are in flight.
    let (mut t, a) = fixture::huge_run(100_000);
    t.segments.update_all(|seg| {
        if let netstep_trace::Fate::Delivered { at } = &mut seg.fate {
            *at = seg.time + netstep_wire::Duration::from_secs(60);
        }
    });
    let n = t.segments.len();
    let mut app = App::new(t, a, PlayOptions::default());
    for target in [0, n / 2, n - 1] {
        app.apply(Action::Select(target));
        app.touched.set(0);
        let text = buffer_text(&render_once(&mut app, 200, 60));
        let touched = app.touched.get();
        assert!(
            touched < 200 + 256,
            "a 200x60 frame looked at {touched} segments"
        );
        if target > 0 {
            let braille = |c: char| ('\u{2801}'..='\u{28ff}').contains(&c);
            assert!(text.chars().any(braille), "arrows in flight:\n{text}");
        }
    }
}

#[test]
fn real_run_stage_8() {
    let mut app = real_app();
    goto_stage(&mut app, 8);
    insta::assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn real_run_port_command_wide() {
    let mut app = real_app();
    goto_stage(&mut app, 12);
    insta::assert_snapshot!(screen(&mut app, 200, 60));
}

#[test]
fn real_run_steps_back_exactly() {
    let mut app = app_with(real_run(), PlayOptions::default());
    let n = app.trace().segments.len();
    assert!(n >= 37, "the bundled scenario gives the reference ladder");
    for (w, h) in [(80, 24), (200, 60)] {
        press(&mut app, "g");
        let mut forward = Vec::new();
        for _ in 0..n {
            forward.push(render_once(&mut app, w, h));
            press(&mut app, "l");
        }
        for k in (0..n).rev() {
            assert_eq!(app.cursor(), k);
            assert_eq!(
                render_once(&mut app, w, h),
                forward[k],
                "step {k} at {w}x{h}"
            );
            press(&mut app, "h");
        }
    }
    all_keys(&mut app);
}
