//! The player's state and what each action does to it.
//!
//! Everything on screen is a function of an [`App`]: the cursor (a segment
//! index), the filter, the language, the focused panel and so on. No
//! scroll position is remembered between frames, so the screen at step k
//! is the same however one got there. Time comes in from outside
//! ([`App::tick`]); the app never reads a clock.
//!
//! Leaves out: terminal setup and the event loop (see `terminal.rs`), and
//! drawing (the widget modules).

use crate::index::{Filter, FilterKind, Index};
use crate::input::{self, Mode};
use crate::layout::{self, Screen};
use crate::search::Query;
use crate::theme::{Theme, ThemeName};
use netstep_trace::{Annotation, Lang, Segment, Text, Trace};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};
use ratatui::widgets::Widget;

/// How the player opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayOptions {
    pub lang: Lang,
    pub theme: ThemeName,
    /// Index (0-based) of the segment to open at; clamped to the trace.
    pub start_segment: usize,
    /// Start playing at once.
    pub autoplay: bool,
    pub play_mode: PlayMode,
    /// Playing speed as a power of two: 0 is 1x, 2 is 4x, -1 is 1/2x.
    pub speed_exp: i8,
    /// Show sequence numbers as on the wire instead of relative to the ISN.
    pub absolute: bool,
    /// Credit for the walkthrough (its `source`), shown at the end of the
    /// stage panel and under the keys in the help. The annotation does
    /// not carry it, so whoever has the walkthrough passes it here.
    pub source: Option<Text>,
}

impl Default for PlayOptions {
    fn default() -> Self {
        PlayOptions {
            lang: Lang::En,
            theme: ThemeName::Dark,
            start_segment: 0,
            autoplay: false,
            play_mode: PlayMode::Step,
            speed_exp: 0,
            absolute: false,
            source: None,
        }
    }
}

/// What `p` plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlayMode {
    /// One segment per second (times the speed).
    #[default]
    Step,
    /// Segments at their virtual send times, scaled by the speed.
    RealTime,
}

/// The panels that take keyboard focus, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    Ladder,
    Stage,
    Segment,
    Sockets,
}

impl Focus {
    const ORDER: [Focus; 4] = [Focus::Ladder, Focus::Stage, Focus::Segment, Focus::Sockets];
    fn next(self) -> Focus {
        let i = Focus::ORDER.iter().position(|&f| f == self).unwrap_or(0);
        Focus::ORDER[(i + 1) % 4]
    }
    fn prev(self) -> Focus {
        let i = Focus::ORDER.iter().position(|&f| f == self).unwrap_or(0);
        Focus::ORDER[(i + 3) % 4]
    }
}

/// A field of the segment panel, selectable with Up/Down when it has focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldId {
    IpSrc,
    IpDst,
    IpTtl,
    IpIdent,
    IpFlags,
    IpLen,
    IpChecksum,
    SrcPort,
    DstPort,
    #[default]
    Seq,
    Ack,
    HeaderLen,
    Flags,
    Window,
    Checksum,
    Options,
    Payload,
}

impl FieldId {
    pub const ALL: [FieldId; 17] = [
        FieldId::IpSrc,
        FieldId::IpDst,
        FieldId::IpTtl,
        FieldId::IpIdent,
        FieldId::IpFlags,
        FieldId::IpLen,
        FieldId::IpChecksum,
        FieldId::SrcPort,
        FieldId::DstPort,
        FieldId::Seq,
        FieldId::Ack,
        FieldId::HeaderLen,
        FieldId::Flags,
        FieldId::Window,
        FieldId::Checksum,
        FieldId::Options,
        FieldId::Payload,
    ];
}

/// Everything a key or a click can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Next,
    Prev,
    NextStage,
    PrevStage,
    First,
    Last,
    TogglePlay,
    TogglePlayMode,
    Faster,
    Slower,
    ToggleLang,
    ToggleNumbers,
    /// The ladder's arrows sloped by travel time, or each on its row.
    ToggleSlope,
    ToggleTheme,
    CycleFilter,
    StartSearch,
    SearchChar(char),
    SearchBackspace,
    SearchSubmit,
    SearchCancel,
    NextHit,
    PrevHit,
    FocusNext,
    FocusPrev,
    /// Up/Down: previous/next segment in the ladder, field in the segment
    /// panel, line in the others.
    Up,
    Down,
    ToggleHelp,
    CloseHelp,
    /// Go to this segment (a mouse click on its ladder row).
    Select(usize),
    Quit,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Search {
    /// What is being typed after `/`, while the prompt is open.
    pub input: Option<String>,
    /// The last submitted search.
    pub query: String,
    /// Matching segments among the current filter's rows, in order.
    pub hits: Vec<u32>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Play {
    pub playing: bool,
    pub mode: PlayMode,
    pub speed_exp: i8,
    /// Playing time not yet spent on a step, in nanoseconds (already
    /// scaled by the speed in real-time mode).
    carry_ns: u128,
}

pub(crate) const MIN_SPEED_EXP: i8 = -3;
pub(crate) const MAX_SPEED_EXP: i8 = 6;

/// The player: a trace, its annotation, and where the viewer is in it.
#[derive(Debug)]
pub struct App {
    pub(crate) trace: Trace,
    pub(crate) ann: Annotation,
    pub(crate) ix: Index,
    /// The current segment (an index into `trace.segments`; 0 when empty).
    pub(crate) cursor: usize,
    pub(crate) lang: Lang,
    pub(crate) theme: Theme,
    pub(crate) absolute: bool,
    /// Arrows sloped by travel time (the default), or flat, each on its
    /// own row.
    pub(crate) sloped: bool,
    /// The walkthrough's credit, if the caller gave it.
    pub(crate) source: Option<Text>,
    /// Index into `ix.filters`.
    pub(crate) filter: usize,
    pub(crate) search: Search,
    pub(crate) play: Play,
    pub(crate) focus: Focus,
    /// The panel the narrow layout shows under the ladder.
    pub(crate) detail: Focus,
    pub(crate) help: bool,
    pub(crate) field: FieldId,
    /// Lines scrolled in the focused stage or sockets panel; back to 0 on
    /// every step so that a step's screen does not depend on history.
    pub(crate) scroll: u16,
    /// The terminal area of the last draw, for mouse hit-testing.
    pub(crate) area: Rect,
    quit: bool,
    /// Segments looked at since the last reset: tests use it to prove a
    /// frame touches only what it shows.
    #[cfg(test)]
    pub(crate) touched: std::cell::Cell<usize>,
}

impl App {
    /// Opens a trace. Builds every index the player needs (one pass over
    /// the segments and events), so no later frame walks the trace.
    pub fn new(trace: Trace, annotation: Annotation, opts: PlayOptions) -> App {
        let ix = Index::new(&trace, &annotation);
        let last = trace.segments.len().saturating_sub(1);
        App {
            cursor: opts.start_segment.min(last),
            lang: opts.lang,
            theme: Theme::from_name(opts.theme),
            absolute: opts.absolute,
            sloped: true,
            source: opts.source.filter(|s| !s.en.trim().is_empty()),
            filter: 0,
            search: Search::default(),
            play: Play {
                playing: opts.autoplay && !trace.segments.is_empty(),
                mode: opts.play_mode,
                speed_exp: opts.speed_exp.clamp(MIN_SPEED_EXP, MAX_SPEED_EXP),
                carry_ns: 0,
            },
            focus: Focus::Ladder,
            detail: Focus::Stage,
            help: false,
            field: FieldId::default(),
            scroll: 0,
            area: Rect::new(0, 0, 80, 24),
            quit: false,
            trace,
            ann: annotation,
            ix,
            #[cfg(test)]
            touched: std::cell::Cell::new(0),
        }
    }

    // ---- getters ----

    /// The current segment's index.
    pub fn cursor(&self) -> usize {
        self.cursor
    }
    pub fn lang(&self) -> Lang {
        self.lang
    }
    pub fn focus(&self) -> Focus {
        self.focus
    }
    pub fn is_playing(&self) -> bool {
        self.play.playing
    }
    pub fn help_visible(&self) -> bool {
        self.help
    }
    /// `q`, Esc or Ctrl-C was pressed.
    pub fn should_quit(&self) -> bool {
        self.quit
    }
    pub fn trace(&self) -> &Trace {
        &self.trace
    }
    pub fn annotation(&self) -> &Annotation {
        &self.ann
    }
    /// Segments of the search hits, when a search was made.
    pub fn search_hits(&self) -> &[u32] {
        &self.search.hits
    }
    /// The filter's name: `all`, `control`, `data`, `conn 2`.
    pub fn filter_name(&self) -> String {
        match &self.current_filter().kind {
            FilterKind::All => "all".into(),
            FilterKind::Label(l) => l.clone(),
            FilterKind::Conn(c) => format!("conn {c}"),
        }
    }

    pub(crate) fn current_filter(&self) -> &Filter {
        &self.ix.filters[self.filter.min(self.ix.filters.len() - 1)]
    }

    /// A segment, counted when tests watch what a frame touches.
    pub(crate) fn seg(&self, i: usize) -> Segment {
        #[cfg(test)]
        self.touched.set(self.touched.get() + 1);
        self.trace.segments.at(i)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.trace.segments.is_empty()
    }

    /// Rows the ladder shows under the current filter.
    pub(crate) fn rows_len(&self) -> usize {
        match &self.current_filter().rows {
            Some(rows) => rows.len(),
            None => self.trace.segments.len(),
        }
    }

    /// The segment shown at row `pos` of the filtered ladder.
    pub(crate) fn row_seg(&self, pos: usize) -> usize {
        match &self.current_filter().rows {
            Some(rows) => rows[pos] as usize,
            None => pos,
        }
    }

    /// The cursor's row in the filtered ladder.
    pub(crate) fn pos(&self) -> usize {
        match &self.current_filter().rows {
            Some(rows) => rows
                .partition_point(|&r| (r as usize) < self.cursor)
                .min(rows.len().saturating_sub(1)),
            None => self.cursor,
        }
    }

    /// Number of segments sent at the current step (the events shown are
    /// those with `after_segment` up to this).
    pub(crate) fn sent_count(&self) -> u32 {
        if self.is_empty() {
            0
        } else {
            self.cursor as u32 + 1
        }
    }

    pub(crate) fn screen(&self) -> Option<Screen> {
        self.screen_for(self.area)
    }

    pub(crate) fn screen_for(&self, area: Rect) -> Option<Screen> {
        layout::screen(area, self.detail)
    }

    // ---- input ----

    /// Maps a key to an action and applies it. Key releases are ignored
    /// (Windows terminals report both press and release).
    pub fn handle_key(&mut self, key: KeyEvent) {
        let mode = Mode {
            searching: self.search.input.is_some(),
            help: self.help,
        };
        if let Some(action) = input::action_for(mode, key) {
            self.apply(action);
        }
    }

    /// A click on a ladder row selects that segment; a click on a panel
    /// focuses it; the wheel steps through the ladder or the fields.
    pub fn handle_mouse(&mut self, ev: MouseEvent) {
        if self.help {
            return;
        }
        let Some(screen) = self.screen() else { return };
        let at = Position::new(ev.column, ev.row);
        let over_ladder = screen.ladder.contains(at);
        match ev.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                if over_ladder {
                    self.focus = Focus::Ladder;
                    if let Some(pos) = crate::ladder::row_at(self, screen.ladder, ev.row) {
                        let seg = self.row_seg(pos);
                        self.apply(Action::Select(seg));
                    }
                } else if let Some(&(panel, rect)) =
                    screen.panels.iter().find(|(_, r)| r.contains(at))
                {
                    // A click on a tab's name shows that panel.
                    let tab = (screen.tabbed && ev.row == rect.y)
                        .then(|| crate::view::tab_at(self, rect.x, ev.column))
                        .flatten();
                    self.set_focus(tab.unwrap_or(panel));
                }
            }
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let down = ev.kind == MouseEventKind::ScrollDown;
                let panel = screen
                    .panels
                    .iter()
                    .find(|(_, r)| r.contains(at))
                    .map(|(p, _)| *p);
                match panel {
                    Some(p) => {
                        let saved = self.focus;
                        self.focus = p;
                        self.apply(if down { Action::Down } else { Action::Up });
                        self.focus = saved;
                    }
                    None => self.apply(if down { Action::Next } else { Action::Prev }),
                }
            }
            _ => {}
        }
    }

    /// Advances play by `elapsed` real time. In step mode one segment goes
    /// by per second (times the speed); in real-time mode the virtual clock
    /// runs at the speed and every segment sent meanwhile goes by. The
    /// loop passes the time in, so tests play without waiting.
    pub fn tick(&mut self, elapsed: std::time::Duration) {
        if !self.play.playing || self.is_empty() {
            return;
        }
        let len = self.rows_len();
        let pos = self.pos();
        if pos + 1 >= len {
            self.play.playing = false;
            self.play.carry_ns = 0;
            return;
        }
        let exp = self.play.speed_exp;
        let scale = |ns: u128| {
            if exp >= 0 { ns << exp } else { ns >> (-exp) }
        };
        let elapsed = elapsed.as_nanos();
        match self.play.mode {
            PlayMode::Step => {
                let interval = if exp >= 0 {
                    1_000_000_000u128 >> exp
                } else {
                    1_000_000_000u128 << (-exp)
                };
                self.play.carry_ns += elapsed;
                let steps = self.play.carry_ns / interval;
                self.play.carry_ns %= interval;
                let target = (pos as u128 + steps).min(len as u128 - 1) as usize;
                self.cursor = self.row_seg(target);
            }
            PlayMode::RealTime => {
                self.play.carry_ns += scale(elapsed);
                let now = self.trace.segments.at(self.cursor).time;
                let target_ns = (now.as_nanos() as u128 + self.play.carry_ns).min(u64::MAX as u128);
                let target = netstep_wire::Instant::from_nanos(target_ns as u64);
                // The last row sent at or before the target time.
                let after = match &self.current_filter().rows {
                    Some(rows) => {
                        rows.partition_point(|&r| self.trace.segments.at(r as usize).time <= target)
                    }
                    None => self.trace.segments.partition_point(|s| s.time <= target),
                };
                let new_pos = after.saturating_sub(1).max(pos);
                if new_pos > pos {
                    let seg = self.row_seg(new_pos);
                    let spent = self
                        .trace
                        .segments
                        .at(seg)
                        .time
                        .saturating_since(now)
                        .as_nanos();
                    self.play.carry_ns = self.play.carry_ns.saturating_sub(u128::from(spent));
                    self.cursor = seg;
                }
            }
        }
        self.scroll = 0;
        if self.pos() + 1 >= len {
            self.play.playing = false;
            self.play.carry_ns = 0;
        }
    }

    /// Draws the whole screen into `frame`.
    pub fn draw(&mut self, frame: &mut Frame) {
        let area = frame.area();
        self.render_into(area, frame.buffer_mut());
    }

    /// Draws into a buffer (what [`App::draw`] does, without a terminal).
    pub fn render_into(&mut self, area: Rect, buf: &mut Buffer) {
        self.area = area;
        (&*self).render(area, buf);
    }

    // ---- actions ----

    pub fn apply(&mut self, action: Action) {
        match action {
            Action::Next => self.step_by(1),
            Action::Prev => self.step_by(-1),
            Action::First => self.goto_pos(0),
            Action::Last => self.goto_pos(self.rows_len().saturating_sub(1)),
            Action::NextStage => self.next_stage(),
            Action::PrevStage => self.prev_stage(),
            Action::Select(seg) => {
                if seg < self.trace.segments.len() {
                    self.cursor = seg;
                    self.after_manual_move();
                }
            }
            Action::TogglePlay => {
                self.play.playing = !self.play.playing && !self.is_empty();
                self.play.carry_ns = 0;
                // Playing from the last segment starts over.
                if self.play.playing && self.pos() + 1 >= self.rows_len() {
                    self.goto_pos(0);
                    self.play.playing = true;
                }
            }
            Action::TogglePlayMode => {
                self.play.mode = match self.play.mode {
                    PlayMode::Step => PlayMode::RealTime,
                    PlayMode::RealTime => PlayMode::Step,
                };
                self.play.carry_ns = 0;
            }
            // A new speed starts its own count towards the next step.
            Action::Faster => {
                self.play.speed_exp = (self.play.speed_exp + 1).min(MAX_SPEED_EXP);
                self.play.carry_ns = 0;
            }
            Action::Slower => {
                self.play.speed_exp = (self.play.speed_exp - 1).max(MIN_SPEED_EXP);
                self.play.carry_ns = 0;
            }
            Action::ToggleLang => {
                self.lang = match self.lang {
                    Lang::En => Lang::Zh,
                    Lang::Zh => Lang::En,
                }
            }
            Action::ToggleNumbers => self.absolute = !self.absolute,
            Action::ToggleSlope => self.sloped = !self.sloped,
            Action::ToggleTheme => {
                self.theme = Theme::from_name(match self.theme.name {
                    ThemeName::Dark => ThemeName::Light,
                    ThemeName::Light => ThemeName::Dark,
                })
            }
            Action::CycleFilter => self.cycle_filter(),
            Action::StartSearch => self.search.input = Some(String::new()),
            Action::SearchChar(c) => {
                if let Some(input) = &mut self.search.input
                    && input.chars().count() < 64
                {
                    input.push(c);
                }
            }
            Action::SearchBackspace => {
                if let Some(input) = &mut self.search.input {
                    input.pop();
                }
            }
            Action::SearchCancel => self.search.input = None,
            Action::SearchSubmit => {
                let text = self.search.input.take().unwrap_or_default();
                self.search.query = text;
                self.run_search();
                if let Some(&first) = self
                    .search
                    .hits
                    .iter()
                    .find(|&&h| h as usize >= self.cursor)
                    .or(self.search.hits.first())
                {
                    self.cursor = first as usize;
                    self.after_manual_move();
                }
            }
            Action::NextHit => self.jump_hit(true),
            Action::PrevHit => self.jump_hit(false),
            Action::FocusNext => self.set_focus(self.focus.next()),
            Action::FocusPrev => self.set_focus(self.focus.prev()),
            Action::Up | Action::Down => {
                let down = action == Action::Down;
                match self.focus {
                    Focus::Ladder => self.step_by(if down { 1 } else { -1 }),
                    Focus::Segment => self.move_field(down),
                    Focus::Stage | Focus::Sockets => {
                        self.scroll = if down {
                            self.scroll.saturating_add(1).min(500)
                        } else {
                            self.scroll.saturating_sub(1)
                        };
                    }
                }
            }
            Action::ToggleHelp => self.help = !self.help,
            Action::CloseHelp => self.help = false,
            Action::Quit => self.quit = true,
        }
    }

    fn set_focus(&mut self, f: Focus) {
        self.focus = f;
        if f != Focus::Ladder {
            self.detail = f;
        }
        self.scroll = 0;
    }

    fn after_manual_move(&mut self) {
        self.scroll = 0;
        self.play.carry_ns = 0;
    }

    fn goto_pos(&mut self, pos: usize) {
        if self.is_empty() {
            return;
        }
        let pos = pos.min(self.rows_len().saturating_sub(1));
        self.cursor = self.row_seg(pos);
        self.after_manual_move();
    }

    fn step_by(&mut self, delta: isize) {
        let pos = self.pos().saturating_add_signed(delta);
        self.goto_pos(pos);
    }

    /// The first row at or after segment `seg` (or the last row).
    fn pos_at_or_after(&self, seg: usize) -> usize {
        let pos = match &self.current_filter().rows {
            Some(rows) => rows.partition_point(|&r| (r as usize) < seg),
            None => seg,
        };
        pos.min(self.rows_len().saturating_sub(1))
    }

    fn next_stage(&mut self) {
        let from = self
            .ix
            .stage_starts
            .partition_point(|&(s, _)| s as usize <= self.cursor);
        for i in from..self.ix.stage_starts.len() {
            let pos = self.pos_at_or_after(self.ix.stage_starts[i].0 as usize);
            if self.row_seg(pos) > self.cursor {
                self.goto_pos(pos);
                return;
            }
        }
    }

    fn prev_stage(&mut self) {
        let upto = self
            .ix
            .stage_starts
            .partition_point(|&(s, _)| (s as usize) < self.cursor);
        for i in (0..upto).rev() {
            let pos = self.pos_at_or_after(self.ix.stage_starts[i].0 as usize);
            if self.row_seg(pos) < self.cursor {
                self.goto_pos(pos);
                return;
            }
        }
    }

    fn cycle_filter(&mut self) {
        let next = (self.filter + 1) % self.ix.filters.len();
        self.ix.prepare_filter(next, &self.trace);
        self.filter = next;
        if !self.is_empty() {
            let pos = self.pos_at_or_after(self.cursor);
            self.cursor = self.row_seg(pos);
        }
        self.run_search();
        self.after_manual_move();
    }

    /// Finds the hits of the current query among the filter's rows: one
    /// pass over the trace per search or filter change, never per frame.
    fn run_search(&mut self) {
        self.search.hits.clear();
        let q = Query::new(&self.search.query);
        if q.is_empty() {
            return;
        }
        let len = self.rows_len();
        let hits: Vec<u32> = (0..len)
            .map(|p| self.row_seg(p))
            .filter(|&s| q.matches(&self.trace, &self.trace.segments.at(s)))
            .map(|s| s as u32)
            .collect();
        self.search.hits = hits;
    }

    /// n and N go round the hits, like vi.
    fn jump_hit(&mut self, forward: bool) {
        let hits = &self.search.hits;
        if hits.is_empty() {
            return;
        }
        let c = self.cursor as u32;
        let target = if forward {
            let i = hits.partition_point(|&h| h <= c);
            hits[i % hits.len()]
        } else {
            let i = hits.partition_point(|&h| h < c);
            hits[(i + hits.len() - 1) % hits.len()]
        };
        self.cursor = target as usize;
        self.after_manual_move();
    }

    fn move_field(&mut self, down: bool) {
        let fields = crate::segment_panel::present_fields(self);
        if fields.is_empty() {
            return;
        }
        let i = fields.iter().position(|&f| f == self.field);
        let next = match (i, down) {
            (None, _) => 0,
            (Some(i), true) => (i + 1).min(fields.len() - 1),
            (Some(i), false) => i.saturating_sub(1),
        };
        self.field = fields[next];
    }
}
