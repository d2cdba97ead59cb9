//! Static shortest-path routing, computed when first needed.
//!
//! A packet at node `from` for node `to` leaves on the first link of a
//! shortest path (the sum of the links' propagation delays, each counted
//! as at least 1 ns, in the direction travelled); among equally short
//! paths, the one whose first link has the smallest (link index,
//! direction) wins. That rule depends only on the topology, never on the
//! order of a heap or a hash.
//!
//! How it scales: a node with a single link (every host in a star of ten
//! thousand clients) needs no table: everything it can reach, it reaches
//! through that link. Any other node gets a table of next hops to every
//! node, from one Dijkstra run over (distance, first hop) pairs, the first
//! time it forwards a packet. So a network with one router and N hosts
//! costs one O(N log N) run, not the N^2 entries (and N Bellman-Ford
//! passes) of a full all-pairs table.
//!
//! The topology is a petgraph graph (one directed edge per link
//! direction) and the shortest paths come from petgraph's Dijkstra, run
//! over a cost that carries the path's first hop beside its length.
//!
//! Leaves out: dynamic routing, load balancing over equal paths, policy.

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::unionfind::UnionFind;

/// A next hop: a link and the direction taken on it (0: from its first
/// end to its second).
pub type Hop = (u32, u8);

const NONE: u32 = u32::MAX;

fn pack((link, dir): Hop) -> u32 {
    (link << 1) | u32::from(dir)
}

fn unpack(h: u32) -> Option<Hop> {
    (h != NONE).then_some((h >> 1, (h & 1) as u8))
}

/// A path's cost as Dijkstra compares it: its length (the sum of the
/// links' delays), then its first hop. Extending a path adds lengths and
/// keeps the first hop, so the label Dijkstra settles on for a node is its
/// shortest distance and, among the shortest paths, the smallest first hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Cost {
    len: u64,
    first_hop: u32,
}

impl Default for Cost {
    /// The empty path at the source: no length, no first hop yet.
    fn default() -> Self {
        Cost {
            len: 0,
            first_hop: NONE,
        }
    }
}

impl std::ops::Add for Cost {
    type Output = Cost;
    fn add(self, edge: Cost) -> Cost {
        Cost {
            len: self.len.saturating_add(edge.len),
            first_hop: if self.first_hop == NONE {
                edge.first_hop
            } else {
                self.first_hop
            },
        }
    }
}

#[derive(Debug)]
pub struct Routes {
    /// One directed edge per link direction, weighted by (delay in ns, at
    /// least 1; the packed hop).
    graph: DiGraph<(), (u64, u32)>,
    /// Per node: its links and the direction leaving the node on each.
    incident: Vec<Vec<Hop>>,
    /// Connected component of each node.
    component: Vec<u32>,
    /// Next hops from multi-link nodes, once computed (packed, `NONE` for
    /// unreachable).
    tables: Vec<Option<Box<[u32]>>>,
}

impl Routes {
    /// `links[i]` joins `ends[0]` and `ends[1]`; `weight[d]` is the delay
    /// from `ends[d]` to the other end.
    pub fn new(nodes: usize, links: impl IntoIterator<Item = ([u32; 2], [u64; 2])>) -> Routes {
        let mut graph = DiGraph::with_capacity(nodes, 0);
        for _ in 0..nodes {
            graph.add_node(());
        }
        let mut incident = vec![Vec::new(); nodes];
        let mut components = UnionFind::new(nodes);
        for (i, (ends, w)) in links.into_iter().enumerate() {
            for d in 0..2u8 {
                let (a, b) = (ends[usize::from(d)], ends[1 - usize::from(d)]);
                let hop = (i as u32, d);
                graph.add_edge(
                    NodeIndex::new(a as usize),
                    NodeIndex::new(b as usize),
                    (w[usize::from(d)].max(1), pack(hop)),
                );
                incident[a as usize].push(hop);
            }
            components.union(ends[0] as usize, ends[1] as usize);
        }
        Routes {
            graph,
            incident,
            component: components
                .into_labeling()
                .into_iter()
                .map(|c| c as u32)
                .collect(),
            tables: vec![None; nodes],
        }
    }

    /// The link (and direction) a packet at `from` takes toward `to`;
    /// `None` when `to` is `from` itself or unreachable.
    pub fn next_hop(&mut self, from: u32, to: u32) -> Option<Hop> {
        let (f, t) = (from as usize, to as usize);
        if from == to || self.component.get(f)? != self.component.get(t)? {
            return None;
        }
        if let [only] = self.incident[f][..] {
            return Some(only);
        }
        if self.tables[f].is_none() {
            self.tables[f] = Some(self.table_from(from));
        }
        self.tables[f].as_ref().and_then(|t| unpack(t[to as usize]))
    }

    /// Next hops from `src` to every node: petgraph's Dijkstra over
    /// [`Cost`]s. The map it returns is only looked up, never iterated, so
    /// its order cannot show.
    fn table_from(&self, src: u32) -> Box<[u32]> {
        let best = petgraph::algo::dijkstra(&self.graph, NodeIndex::new(src as usize), None, |e| {
            let (len, first_hop) = *e.weight();
            Cost { len, first_hop }
        });
        (0..self.incident.len())
            .map(|v| best.get(&NodeIndex::new(v)).map_or(NONE, |c| c.first_hop))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The previous all-pairs computation, kept as the definition: per
    /// destination, Bellman-Ford distances, then the smallest (link, dir)
    /// among the first links of shortest paths.
    fn oracle(n: usize, links: &[([u32; 2], [u64; 2])]) -> Vec<Vec<Option<Hop>>> {
        let w = |l: usize, d: usize| links[l].1[d].max(1);
        let mut hops = vec![vec![None; n]; n];
        for to in 0..n {
            let mut dist = vec![u64::MAX; n];
            dist[to] = 0;
            for _ in 0..n {
                let mut changed = false;
                for (l, (ends, _)) in links.iter().enumerate() {
                    for d in 0..2 {
                        let (u, v) = (ends[d] as usize, ends[1 - d] as usize);
                        if dist[v] != u64::MAX && dist[v].saturating_add(w(l, d)) < dist[u] {
                            dist[u] = dist[v] + w(l, d);
                            changed = true;
                        }
                    }
                }
                if !changed {
                    break;
                }
            }
            for from in 0..n {
                if from == to || dist[from] == u64::MAX {
                    continue;
                }
                hops[from][to] = links
                    .iter()
                    .enumerate()
                    .flat_map(|(l, (ends, _))| {
                        (0..2).filter_map(move |d| {
                            (ends[d] as usize == from).then_some((l, d, ends[1 - d] as usize))
                        })
                    })
                    .filter(|&(l, d, other)| {
                        dist[other] != u64::MAX && dist[other].saturating_add(w(l, d)) == dist[from]
                    })
                    .map(|(l, d, _)| (l as u32, d as u8))
                    .min();
            }
        }
        hops
    }

    #[test]
    fn dijkstra_agrees_with_the_all_pairs_definition() {
        let mut x: u64 = 99;
        let mut rnd = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        for case in 0..300 {
            let n = 1 + rnd(9) as usize;
            let m = rnd(14) as usize;
            // Few distinct delays, so that equal-length paths are common.
            let links: Vec<([u32; 2], [u64; 2])> = (0..m)
                .map(|_| {
                    let a = rnd(n as u64) as u32;
                    let b = rnd(n as u64) as u32;
                    let da = rnd(3) * 100;
                    let db = if rnd(2) == 0 { da } else { rnd(3) * 100 };
                    ([a, b], [da, db])
                })
                .collect();
            let want = oracle(n, &links);
            let mut r = Routes::new(n, links.iter().copied());
            for (from, hops) in want.iter().enumerate() {
                for (to, &hop) in hops.iter().enumerate() {
                    assert_eq!(
                        r.next_hop(from as u32, to as u32),
                        hop,
                        "case {case}: {from} -> {to} in {links:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_star_of_many_hosts_needs_one_table() {
        let n = 20_001;
        let links = (1..n as u32).map(|h| ([h, 0], [10, 10]));
        let mut r = Routes::new(n, links);
        assert_eq!(r.next_hop(5, 17), Some((4, 0)));
        assert_eq!(r.next_hop(0, 17), Some((16, 1)));
        assert_eq!(r.next_hop(17, 17), None);
        assert_eq!(r.tables.iter().filter(|t| t.is_some()).count(), 1);
    }
}
