//! The real terminal: raw mode, the alternate screen and mouse capture on
//! the way in; all of it undone on the way out, whether the player quits,
//! gets Ctrl-C (a key in raw mode), or panics (a panic hook restores the
//! terminal before the panic message prints). Then the event loop, which
//! is generic over the backend and the event source so that tests can
//! drive it.
//!
//! Leaves out: signals sent from outside (`kill`); raw mode turns the
//! Ctrl-C key into an event, which is the case that matters at a keyboard.

use crate::app::{App, PlayOptions};
use netstep_trace::{Annotation, Trace};
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::crossterm::cursor::{Hide, Show};
use ratatui::crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use std::io;
use std::sync::Arc;
use std::time::Duration;

/// Plays `trace` in the terminal until the user quits. The terminal is
/// restored however this returns, and on panic.
pub fn run(trace: Trace, annotation: Annotation, opts: PlayOptions) -> io::Result<()> {
    let mut app = App::new(trace, annotation, opts);
    let guard = TerminalGuard::enter()?;
    let result = (|| {
        let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        terminal.clear()?;
        run_loop(&mut terminal, &mut app, &mut CrosstermEvents)
    })();
    drop(guard);
    result
}

/// Where the loop gets its input.
pub trait EventSource {
    /// The next event, or `None` if none came within `timeout`.
    fn next(&mut self, timeout: Duration) -> io::Result<Option<Event>>;
}

/// The terminal's own events.
#[derive(Debug)]
pub struct CrosstermEvents;

impl EventSource for CrosstermEvents {
    fn next(&mut self, timeout: Duration) -> io::Result<Option<Event>> {
        if event::poll(timeout)? {
            event::read().map(Some)
        } else {
            Ok(None)
        }
    }
}

/// At most this many queued events are handled before the next frame, so
/// a held key cannot starve the screen.
const EVENTS_PER_FRAME: usize = 64;

/// Draws, waits for input (or the next play tick), applies it, and again,
/// until the app wants to quit. Real time is measured here and handed to
/// [`App::tick`]; the app itself never reads a clock.
pub fn run_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    events: &mut impl EventSource,
) -> io::Result<()> {
    let mut last = std::time::Instant::now();
    loop {
        terminal
            .draw(|frame| app.draw(frame))
            .map_err(|e| io::Error::other(e.to_string()))?;
        if app.should_quit() {
            return Ok(());
        }
        // 25 frames a second while playing; otherwise wake only for input.
        let timeout = if app.is_playing() {
            Duration::from_millis(40)
        } else {
            Duration::from_millis(500)
        };
        let mut next = events.next(timeout)?;
        let mut handled = 0;
        while let Some(ev) = next {
            match ev {
                Event::Key(key) => app.handle_key(key),
                Event::Mouse(mouse) => app.handle_mouse(mouse),
                // The next draw resizes the terminal to the new size.
                _ => {}
            }
            handled += 1;
            if app.should_quit() || handled >= EVENTS_PER_FRAME {
                break;
            }
            next = events.next(Duration::ZERO)?;
        }
        let now = std::time::Instant::now();
        app.tick(now - last);
        last = now;
        if app.should_quit() {
            return Ok(());
        }
    }
}

type PanicHook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

/// Holds the terminal in the player's modes; dropping it restores them.
struct TerminalGuard {
    previous_hook: Arc<PanicHook>,
}

impl TerminalGuard {
    fn enter() -> io::Result<TerminalGuard> {
        // The hook first, so that a panic anywhere below restores too.
        let previous_hook: Arc<PanicHook> = Arc::new(std::panic::take_hook());
        let prev = Arc::clone(&previous_hook);
        std::panic::set_hook(Box::new(move |info| {
            let _ = restore_terminal();
            prev(info);
        }));
        let guard = TerminalGuard { previous_hook };
        enable_raw_mode()?;
        execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture, Hide)?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = restore_terminal();
        // Setting a hook while panicking would abort; the process is going
        // down then anyway.
        if !std::thread::panicking() {
            let _ours = std::panic::take_hook();
            let prev = Arc::clone(&self.previous_hook);
            std::panic::set_hook(Box::new(move |info| prev(info)));
        }
    }
}

/// Undoes everything `run` did to the terminal: raw mode first (it has the
/// most side effects), then the alternate screen, mouse capture and the
/// hidden cursor. Every step is tried even if an earlier one failed.
pub fn restore_terminal() -> io::Result<()> {
    let raw = disable_raw_mode();
    let screen = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        Show
    );
    raw.and(screen)
}
