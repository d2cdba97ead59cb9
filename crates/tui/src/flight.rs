//! Where each ladder row's arrow ends, for the ladder sloped by travel
//! time, computed once per row list (the whole trace when the player
//! opens, a filter's rows when it is first chosen) so that a frame only
//! looks at the rows it shows.
//!
//! A row stands for the moment its segment was sent. A segment's arrow
//! ends on the row of the moment it arrived (or was lost): the first row
//! sent at or after that moment, never above its own row, and one past
//! the last row when nothing was sent after it (or it never arrived). On
//! a LAN that is the next row; across a long link, several rows down: the
//! rows in between are the segments sent while it was on its way.
//!
//! Leaves out: where on the path a segment was at a given moment (a trace
//! records when it left and when it arrived or was lost, nothing between).

use netstep_wire::Instant;

/// How far above the screen the ladder looks for arrows still in flight
/// on its top row. Further than any window is tall, so nothing that would
/// show is missed in practice; bounded, so a frame is cheap even when a
/// million segments are in flight at once.
pub const LOOKBACK: usize = 2048;

/// Where every row's arrow ends, and for every row the first row whose
/// arrow reaches it.
#[derive(Debug, Clone, Default)]
pub struct Flight {
    /// Per row, the row its arrow ends on (>= the row itself; the number
    /// of rows when after everything).
    land: Vec<u32>,
    /// Per row `r` (and one past the last), the first row whose arrow
    /// ends on `r` or below (at most `r`): rows above it landed before.
    open_from: Vec<u32>,
}

impl Flight {
    /// `times[r]` is when row `r` was sent (never decreasing, as a trace
    /// records); `ends[r]` when it arrived or was lost, `Instant::MAX` when
    /// it never did. One pass; each arrival is found by galloping forward
    /// from its own row, so the cost is the log of how far it travels.
    pub fn new(times: &[Instant], ends: &[Instant]) -> Flight {
        let len = times.len().min(ends.len());
        let times = &times[..len];
        let land: Vec<u32> = ends[..len]
            .iter()
            .enumerate()
            .map(|(r, &e)| {
                let at = if e == Instant::MAX {
                    len
                } else {
                    first_at_or_after(times, r, e)
                };
                at.clamp(r, len) as u32
            })
            .collect();
        // `open_from` never decreases: an arrow that reaches `r + 1`
        // reaches `r` too. A row passed once is never looked at again.
        // One entry past the last row, for arrows after everything.
        let mut open_from = Vec::with_capacity(len + 1);
        let mut p = 0usize;
        for r in 0..=len {
            while p < len && (land[p] as usize) < r {
                p += 1;
            }
            open_from.push(p as u32);
        }
        Flight { land, open_from }
    }

    pub fn len(&self) -> usize {
        self.land.len()
    }

    /// The row where row `r`'s arrow ends.
    pub fn land(&self, r: usize) -> usize {
        self.land.get(r).map_or(r, |&l| l as usize)
    }

    /// Rows above `top` (nearest first, at most [`LOOKBACK`] rows up)
    /// whose arrows reach `top` or below: the arrows that come into the
    /// screen from above.
    pub fn in_flight_above(&self, top: usize) -> impl Iterator<Item = usize> + '_ {
        let top = top.min(self.len());
        let first = self
            .open_from
            .get(top)
            .map_or(top, |&f| f as usize)
            .max(top.saturating_sub(LOOKBACK));
        (first..top).rev().filter(move |&r| self.land(r) >= top)
    }
}

/// The first row at or after `from` sent at or after `t`, or
/// `times.len()`. Gallops 1, 2, 4, ... rows ahead, then halves the last
/// step.
fn first_at_or_after(times: &[Instant], from: usize, t: Instant) -> usize {
    let len = times.len();
    let mut lo = from;
    let mut hi = from;
    let mut step = 1usize;
    loop {
        if hi >= len {
            hi = len;
            break;
        }
        if times[hi] >= t {
            break;
        }
        lo = hi + 1;
        hi = hi.saturating_add(step);
        step = step.saturating_mul(2);
    }
    // The answer is in lo..=hi: times[lo - 1] < t, and hi is len or
    // sent at or after t.
    lo + times[lo..hi].partition_point(|&x| x < t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Instant {
        Instant::from_millis(v)
    }

    fn flight(times: &[u64], ends: &[Option<u64>]) -> Flight {
        let times: Vec<Instant> = times.iter().map(|&t| ms(t)).collect();
        let ends: Vec<Instant> = ends.iter().map(|e| e.map_or(Instant::MAX, ms)).collect();
        Flight::new(&times, &ends)
    }

    #[test]
    fn arrows_land_on_the_first_row_sent_at_or_after_the_arrival() {
        // A LAN: each answer is sent the moment the previous one arrives.
        let f = flight(&[0, 1, 2, 3], &[Some(1), Some(2), Some(3), Some(4)]);
        assert_eq!((0..4).map(|r| f.land(r)).collect::<Vec<_>>(), [1, 2, 3, 4]);
        // A long link: ten segments at once, arriving 25 ms later, one a
        // millisecond, while acknowledgements go back.
        let times = [0, 0, 0, 0, 25, 26, 27, 28, 29];
        let ends = [
            Some(25),
            Some(26),
            Some(27),
            Some(28),
            Some(50),
            Some(51),
            None,
            Some(27),
            Some(0),
        ];
        let f = flight(&times, &ends);
        let land: Vec<usize> = (0..times.len()).map(|r| f.land(r)).collect();
        // Row 6 never arrives, row 7 arrives at its own time, row 8 "before"
        // it was sent (an odd trace): never above their own rows.
        assert_eq!(land, [4, 5, 6, 7, 9, 9, 9, 7, 8]);
    }

    #[test]
    fn from_above_finds_the_arrows_still_in_flight() {
        let times = [0, 0, 0, 0, 25, 26, 27, 28, 29];
        let ends = [
            Some(25),
            Some(26),
            Some(27),
            Some(28),
            Some(50),
            Some(51),
            None,
            Some(27),
            Some(0),
        ];
        let f = flight(&times, &ends);
        assert_eq!(f.in_flight_above(0).count(), 0);
        assert_eq!(f.in_flight_above(5).collect::<Vec<_>>(), [4, 3, 2, 1]);
        assert_eq!(f.in_flight_above(7).collect::<Vec<_>>(), [6, 5, 4, 3]);
        assert_eq!(f.in_flight_above(8).collect::<Vec<_>>(), [6, 5, 4]);
        assert_eq!(f.in_flight_above(9).collect::<Vec<_>>(), [6, 5, 4]);
        assert_eq!(f.in_flight_above(100).count(), 3, "past the end: clamped");
    }

    #[test]
    fn the_look_back_is_bounded() {
        // One segment that never arrives, then a long LAN exchange.
        let n = LOOKBACK * 3;
        let times: Vec<Instant> = (0..n).map(|r| Instant::from_micros(r as u64)).collect();
        let mut ends: Vec<Instant> = (0..n).map(|r| Instant::from_micros(r as u64 + 1)).collect();
        ends[0] = Instant::MAX;
        let f = Flight::new(&times, &ends);
        assert_eq!(f.in_flight_above(10).collect::<Vec<_>>(), [9, 0]);
        assert_eq!(
            f.in_flight_above(n - 1).collect::<Vec<_>>(),
            [n - 2],
            "the lost arrow from row 0 is too far up to look for"
        );
    }
}
