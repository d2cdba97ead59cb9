//! What the player computes once, when it opens a trace, so that drawing a
//! frame or taking a step never walks the whole trace.
//!
//! - the ladder's columns (which nodes segments cross, left to right);
//! - one row list per filter (segments of a label, of a connection);
//! - each stage's first segment, for `[` and `]`;
//! - for sockets: each socket's state history, its lifetime in steps, and
//!   which sockets live in each block of steps, so "every socket now" is a
//!   few binary searches and a short list, not a replay of the events.
//!
//! A *step* `k` is the moment segment `k` has been sent and everything that
//! happened before segment `k + 1` was sent; in the trace's terms, every
//! event with `after_segment <= k + 1`. Leaves out: events other than
//! socket state changes (timers and application lines are shown where they
//! belong, but they need no index).

use netstep_trace::{Annotation, EventKind, NodeKind, TcpState, Trace};

/// How many steps one block of the socket index covers. Small enough that
/// scanning a block's sockets is cheap, large enough that long-lived
/// sockets (a listener) are not repeated in too many blocks.
const BLOCK: u32 = 64;

/// A filter over the ladder's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterKind {
    All,
    /// Every connection with this label (`control`, `data`).
    Label(String),
    /// One connection.
    Conn(u32),
}

#[derive(Debug, Clone)]
pub struct Filter {
    pub kind: FilterKind,
    /// Segment indexes in order; `None` for "all" (the identity).
    pub rows: Option<Vec<u32>>,
}

/// One state change of one socket.
#[derive(Debug, Clone, Copy)]
pub struct StateChange {
    pub after_segment: u32,
    pub event: u32,
    pub to: TcpState,
}

#[derive(Debug, Default)]
pub struct SocketIndex {
    /// Per socket, its state changes in event order.
    pub history: Vec<Vec<StateChange>>,
    /// Per socket, the first step count (`after_segment` units) at which it
    /// exists, and the last one at which it is still shown (`u32::MAX`
    /// while it never closes for good).
    pub birth: Vec<u32>,
    pub death: Vec<u32>,
    /// Per socket, its connection and direction, if it is one end of one.
    pub conn_dir: Vec<Option<(u32, u8)>>,
    /// Socket ids alive at some moment of each block of `BLOCK` steps.
    blocks: Vec<Vec<u32>>,
    /// Indexes of socket state events, by `after_segment` (stable).
    pub state_events: Vec<u32>,
    state_after: Vec<u32>,
}

#[derive(Debug)]
pub struct Index {
    /// Node ids of the ladder's columns, left to right.
    pub columns: Vec<u32>,
    /// Per node, its column.
    pub node_col: Vec<Option<usize>>,
    pub filters: Vec<Filter>,
    /// (first segment, stage number) of every stage that occurred, by
    /// segment.
    pub stage_starts: Vec<(u32, u32)>,
    /// Per connection and direction, the segments it sent, in order.
    pub sent_by: Vec<[Vec<u32>; 2]>,
    pub sockets: SocketIndex,
}

impl Index {
    pub fn new(trace: &Trace, ann: &Annotation) -> Index {
        let n_nodes = trace.nodes.len();
        let n_conns = trace.conns.len();
        let mut used = vec![false; n_nodes];
        let mut per_conn: Vec<Vec<u32>> = vec![Vec::new(); n_conns];
        let mut sent_by: Vec<[Vec<u32>; 2]> = vec![[Vec::new(), Vec::new()]; n_conns];
        // Labels in order of first appearance.
        let mut labels: Vec<String> = Vec::new();
        let label_of: Vec<usize> = trace
            .conns
            .iter()
            .map(|c| match labels.iter().position(|l| *l == c.label) {
                Some(i) => i,
                None => {
                    labels.push(c.label.clone());
                    labels.len() - 1
                }
            })
            .collect();
        let mut per_label: Vec<Vec<u32>> = vec![Vec::new(); labels.len()];
        let mut mark = |node: u32| {
            if let Some(u) = used.get_mut(node as usize) {
                *u = true;
            }
        };
        for (i, seg) in trace.segments.iter().enumerate() {
            let i = i as u32;
            mark(seg.from);
            if let Some(to) = seg.to {
                mark(to);
            }
            if let netstep_trace::Fate::Dropped { node, .. } = seg.fate {
                mark(node);
            }
            if let Some(c) = seg.conn.filter(|&c| (c as usize) < n_conns) {
                per_conn[c as usize].push(i);
                sent_by[c as usize][usize::from(seg.dir & 1)].push(i);
                per_label[label_of[c as usize]].push(i);
            }
        }
        let columns = column_order(trace, &used);
        let mut node_col = vec![None; n_nodes];
        for (col, &node) in columns.iter().enumerate() {
            node_col[node as usize] = Some(col);
        }

        let mut filters = vec![Filter {
            kind: FilterKind::All,
            rows: None,
        }];
        // A label filter is only worth a key press when it differs from
        // "all" and from the single connection it would stand for.
        for (li, rows) in per_label.into_iter().enumerate() {
            if !rows.is_empty() && rows.len() < trace.segments.len() {
                filters.push(Filter {
                    kind: FilterKind::Label(labels[li].clone()),
                    rows: Some(rows),
                });
            }
        }
        for (c, rows) in per_conn.into_iter().enumerate() {
            if !rows.is_empty() {
                filters.push(Filter {
                    kind: FilterKind::Conn(c as u32),
                    rows: Some(rows),
                });
            }
        }

        let mut stage_starts: Vec<(u32, u32)> = ann
            .stages
            .iter()
            .filter(|s| s.occurred)
            .filter_map(|s| s.segments.iter().min().map(|&first| (first, s.n)))
            .filter(|&(first, _)| (first as usize) < trace.segments.len())
            .collect();
        stage_starts.sort_unstable();

        let sockets = SocketIndex::new(trace);
        Index {
            columns,
            node_col,
            filters,
            stage_starts,
            sent_by,
            sockets,
        }
    }
}

/// Columns in the scenario's node order, except that routers, NATs and
/// firewalls go between the hosts: segments only name their two ends, so
/// the scenario's order is the only path information a trace has, and a
/// middlebox listed after every host still belongs in the middle.
fn column_order(trace: &Trace, used: &[bool]) -> Vec<u32> {
    let order: Vec<u32> = (0..trace.nodes.len() as u32)
        .filter(|&n| used[n as usize])
        .collect();
    let is_host = |n: u32| trace.nodes[n as usize].kind == NodeKind::Host;
    let hosts: Vec<u32> = order.iter().copied().filter(|&n| is_host(n)).collect();
    if hosts.len() < 2 {
        return order;
    }
    let ends_are_hosts =
        order.first().is_some_and(|&n| is_host(n)) && order.last().is_some_and(|&n| is_host(n));
    if ends_are_hosts {
        return order;
    }
    let middle: Vec<u32> = order.iter().copied().filter(|&n| !is_host(n)).collect();
    let mut cols = vec![hosts[0]];
    cols.extend(middle);
    cols.extend(&hosts[1..]);
    cols
}

impl SocketIndex {
    fn new(trace: &Trace) -> SocketIndex {
        let n_sockets = trace.sockets.len();
        let n_segments = trace.segments.len() as u32;
        let mut history: Vec<Vec<StateChange>> = vec![Vec::new(); n_sockets];
        let mut state_events = Vec::new();
        for (ei, ev) in trace.events.iter().enumerate() {
            if let EventKind::SocketState { socket, to, .. } = ev.kind
                && let Some(h) = history.get_mut(socket as usize)
            {
                h.push(StateChange {
                    after_segment: ev.after_segment,
                    event: ei as u32,
                    to,
                });
                state_events.push(ei as u32);
            }
        }
        // Events come in time order, so this is already sorted; the stable
        // sort only guards against a recorder that disagrees.
        state_events.sort_by_key(|&e| trace.events[e as usize].after_segment);
        let state_after: Vec<u32> = state_events
            .iter()
            .map(|&e| trace.events[e as usize].after_segment)
            .collect();
        for h in &mut history {
            h.sort_by_key(|c| c.after_segment);
        }

        let mut conn_dir = vec![None; n_sockets];
        for (c, conn) in trace.conns.iter().enumerate() {
            for (d, s) in conn.sockets.iter().enumerate() {
                if let Some(slot) = s.and_then(|s| conn_dir.get_mut(s as usize)) {
                    *slot = Some((c as u32, d as u8));
                }
            }
        }

        let mut birth = Vec::with_capacity(n_sockets);
        let mut death = Vec::with_capacity(n_sockets);
        for (s, info) in trace.sockets.iter().enumerate() {
            let created = trace
                .segments
                .partition_point(|seg| seg.time < info.created) as u32;
            let h = &history[s];
            let first = h.first().map_or(u32::MAX, |c| c.after_segment);
            birth.push(created.min(first));
            // Gone once it is CLOSED after having been something else, or
            // once its TIME-WAIT ran out (a trace that stops recording
            // before then has no event for it).
            let d = match h.last() {
                Some(last) if last.to == TcpState::Closed && h.len() > 1 => last.after_segment,
                Some(last) if last.to == TcpState::TimeWait => {
                    let tw = trace
                        .nodes
                        .get(info.node as usize)
                        .and_then(|n| n.tcp.as_ref())
                        .map(|p| p.time_wait);
                    match (tw, trace.events.get(last.event as usize)) {
                        (Some(tw), Some(ev)) => {
                            let expiry = ev.time + tw;
                            let sent = trace.segments.partition_point(|seg| seg.time < expiry);
                            (sent as u32).max(last.after_segment)
                        }
                        _ => u32::MAX,
                    }
                }
                _ => u32::MAX,
            };
            death.push(d);
        }

        let n_blocks = (n_segments / BLOCK + 1) as usize;
        let mut blocks: Vec<Vec<u32>> = vec![Vec::new(); n_blocks];
        for s in 0..n_sockets {
            let from = (birth[s] / BLOCK) as usize;
            let to = (death[s].min(n_segments) / BLOCK) as usize;
            for block in blocks.iter_mut().take(to + 1).skip(from) {
                block.push(s as u32);
            }
        }

        SocketIndex {
            history,
            birth,
            death,
            conn_dir,
            blocks,
            state_events,
            state_after,
        }
    }

    /// Sockets that exist after `m` segments were sent, in creation order.
    pub fn alive(&self, m: u32) -> impl Iterator<Item = u32> + '_ {
        let block = self
            .blocks
            .get((m / BLOCK) as usize)
            .map_or(&[][..], Vec::as_slice);
        block.iter().copied().filter(move |&s| {
            let s = s as usize;
            self.birth[s] <= m && m <= self.death[s]
        })
    }

    /// The socket's latest state change at or before `m`, if any.
    pub fn state_at(&self, socket: u32, m: u32) -> Option<StateChange> {
        let h = self.history.get(socket as usize)?;
        let i = h.partition_point(|c| c.after_segment <= m);
        i.checked_sub(1).map(|i| h[i])
    }

    /// Indexes (into `trace.events`) of the socket state changes that
    /// happened within step `k`: after segment `k` was sent and before
    /// segment `k + 1` (for the first step, also everything before it).
    pub fn changes_in_step(&self, k: u32) -> &[u32] {
        let lo = if k == 0 {
            0
        } else {
            self.state_after.partition_point(|&a| a <= k)
        };
        let hi = self.state_after.partition_point(|&a| a <= k + 1);
        &self.state_events[lo..hi.max(lo)]
    }
}

/// The last element of the sorted `list` that is `<= x`.
pub fn last_at_or_before(list: &[u32], x: u32) -> Option<u32> {
    let i = list.partition_point(|&v| v <= x);
    i.checked_sub(1).map(|i| list[i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    #[test]
    fn columns_and_filters_of_the_walkthrough() {
        let (t, a) = fixture::walkthrough_run();
        let ix = Index::new(&t, &a);
        assert_eq!(ix.columns, vec![0, 1]);
        let kinds: Vec<FilterKind> = ix.filters.iter().map(|f| f.kind.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                FilterKind::All,
                FilterKind::Label("control".into()),
                FilterKind::Label("data".into()),
                FilterKind::Conn(0),
                FilterKind::Conn(1)
            ]
        );
        assert_eq!(ix.filters[2].rows.as_ref().unwrap().len(), 8);
        assert_eq!(ix.stage_starts.len(), 32);
        assert_eq!(ix.stage_starts[15], (17, 16));
    }

    #[test]
    fn router_goes_between_hosts() {
        let (t, a) = fixture::lossy_run();
        let ix = Index::new(&t, &a);
        assert_eq!(ix.columns, vec![0, 1, 2]);
    }

    #[test]
    fn sockets_alive_follow_the_events() {
        let (t, a) = fixture::walkthrough_run();
        let ix = Index::new(&t, &a);
        let s = &ix.sockets;
        // After the SYN: the listener, the client's socket, the server's
        // new one (the SYN arrived before the SYN+ACK was sent).
        let alive: Vec<u32> = s.alive(1).collect();
        assert_eq!(alive, vec![0, 1, 2]);
        assert_eq!(s.state_at(2, 1).unwrap().to, TcpState::SynReceived);
        // At the end: the client's data socket is gone, the control one is
        // shown CLOSED at the very step it closed.
        let end: Vec<u32> = s.alive(37).collect();
        assert_eq!(end, vec![0, 1, 2, 4]);
        assert_eq!(s.state_at(1, 37).unwrap().to, TcpState::Closed);
        assert_eq!(s.state_at(4, 37).unwrap().to, TcpState::TimeWait);
        // The first step holds the listener, the client's SYN-SENT and the
        // server's SYN-RECEIVED.
        assert_eq!(s.changes_in_step(0).len(), 3);
        assert_eq!(s.changes_in_step(36).len(), 1);
    }
}
