//! Where each panel goes, from the terminal's size alone.
//!
//! - below 80×24: nothing but a request to enlarge the window;
//! - wide (140 columns and more): the ladder on the left, the panels on
//!   the right, stacked when there are rows enough for all three, else one
//!   at a time (Tab picks which);
//! - narrow: the ladder above, and below it all three panels stacked when
//!   the terminal is tall, else one at a time.
//!
//! Leaves out: user-resizable splits (a projector audience needs the same
//! picture every time).

use crate::app::Focus;
use ratatui::layout::Rect;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
/// From this width the ladder and the panels sit side by side.
const WIDE: u16 = 140;
/// Rows the three panels need to be useful stacked.
const STACK_ROWS: u16 = 40;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    pub ladder: Rect,
    /// The panels on screen, with their areas.
    pub panels: Vec<(Focus, Rect)>,
    /// Only one panel fits: its title lists the others as tabs.
    pub tabbed: bool,
    pub status: Rect,
}

pub fn screen(area: Rect, detail: Focus) -> Option<Screen> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    let status = Rect::new(area.x, area.bottom() - 1, area.width, 1);
    let main = Rect::new(area.x, area.y, area.width, area.height - 1);
    let detail = if detail == Focus::Ladder {
        Focus::Stage
    } else {
        detail
    };
    let (ladder, rest) = if main.width >= WIDE {
        let lw = main.width * 52 / 100;
        (
            Rect::new(main.x, main.y, lw, main.height),
            Rect::new(main.x + lw, main.y, main.width - lw, main.height),
        )
    } else {
        let stacked = main.height >= STACK_ROWS + 16;
        let lh = if stacked {
            main.height * 40 / 100
        } else {
            main.height.div_ceil(2)
        };
        (
            Rect::new(main.x, main.y, main.width, lh),
            Rect::new(main.x, main.y + lh, main.width, main.height - lh),
        )
    };
    let (panels, tabbed) = if rest.height >= STACK_ROWS {
        let stage_h = rest.height * 24 / 100;
        let sockets_h = rest.height * 22 / 100;
        let seg_h = rest.height - stage_h - sockets_h;
        (
            vec![
                (Focus::Stage, Rect::new(rest.x, rest.y, rest.width, stage_h)),
                (
                    Focus::Segment,
                    Rect::new(rest.x, rest.y + stage_h, rest.width, seg_h),
                ),
                (
                    Focus::Sockets,
                    Rect::new(rest.x, rest.y + stage_h + seg_h, rest.width, sockets_h),
                ),
            ],
            false,
        )
    } else {
        (vec![(detail, rest)], true)
    };
    Some(Screen {
        ladder,
        panels,
        tabbed,
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_pick_layouts() {
        assert!(screen(Rect::new(0, 0, 79, 24), Focus::Ladder).is_none());
        assert!(screen(Rect::new(0, 0, 80, 23), Focus::Ladder).is_none());
        let s = screen(Rect::new(0, 0, 80, 24), Focus::Ladder).unwrap();
        assert!(s.tabbed);
        assert_eq!(s.panels[0].0, Focus::Stage);
        assert_eq!(s.ladder.width, 80);
        let s = screen(Rect::new(0, 0, 200, 60), Focus::Segment).unwrap();
        assert!(!s.tabbed);
        assert_eq!(s.panels.len(), 3);
        assert!(s.ladder.width > 90 && s.ladder.height == 59);
        let s = screen(Rect::new(0, 0, 100, 70), Focus::Ladder).unwrap();
        assert!(!s.tabbed, "tall and narrow: everything stacked");
        let total: u16 = s.ladder.height + s.panels.iter().map(|p| p.1.height).sum::<u16>() + 1;
        assert_eq!(total, 70);
    }
}
