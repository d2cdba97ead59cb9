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
//! Leaves out: dynamic routing, load balancing over equal paths, policy.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

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

#[derive(Debug)]
pub struct Routes {
    /// Each link's two ends.
    ends: Vec<[u32; 2]>,
    /// Each link's weight per direction (delay in ns, at least 1).
    weight: Vec<[u64; 2]>,
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
        let mut r = Routes {
            ends: Vec::new(),
            weight: Vec::new(),
            incident: vec![Vec::new(); nodes],
            component: (0..nodes as u32).collect(),
            tables: vec![None; nodes],
        };
        for (i, (ends, w)) in links.into_iter().enumerate() {
            r.ends.push(ends);
            r.weight.push([w[0].max(1), w[1].max(1)]);
            for d in 0..2u8 {
                r.incident[ends[usize::from(d)] as usize].push((i as u32, d));
            }
        }
        // Components by union-find, smallest node id as the root.
        let mut parent: Vec<u32> = (0..nodes as u32).collect();
        fn root(p: &mut [u32], mut x: u32) -> u32 {
            while p[x as usize] != x {
                p[x as usize] = p[p[x as usize] as usize];
                x = p[x as usize];
            }
            x
        }
        for &[a, b] in &r.ends {
            let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
            let (lo, hi) = (ra.min(rb), ra.max(rb));
            parent[hi as usize] = lo;
        }
        for x in 0..nodes as u32 {
            r.component[x as usize] = root(&mut parent, x);
        }
        r
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

    /// Dijkstra from `src` over (distance, first hop), compared in that
    /// order: extending a path keeps its first hop, so a node's final label
    /// is its shortest distance and, among the shortest paths, the smallest
    /// first hop.
    fn table_from(&self, src: u32) -> Box<[u32]> {
        let n = self.incident.len();
        let mut best: Vec<(u64, u32)> = vec![(u64::MAX, NONE); n];
        let mut heap: BinaryHeap<Reverse<(u64, u32, u32)>> = BinaryHeap::new();
        best[src as usize] = (0, NONE);
        for &(link, dir) in &self.incident[src as usize] {
            let v = self.ends[link as usize][1 - usize::from(dir)];
            let cand = (
                self.weight[link as usize][usize::from(dir)],
                pack((link, dir)),
            );
            if v != src && cand < best[v as usize] {
                best[v as usize] = cand;
                heap.push(Reverse((cand.0, cand.1, v)));
            }
        }
        while let Some(Reverse((d, fh, u))) = heap.pop() {
            if (d, fh) != best[u as usize] {
                continue;
            }
            for &(link, dir) in &self.incident[u as usize] {
                let v = self.ends[link as usize][1 - usize::from(dir)];
                let w = self.weight[link as usize][usize::from(dir)];
                let cand = (d.saturating_add(w), fh);
                if v != src && cand < best[v as usize] {
                    best[v as usize] = cand;
                    heap.push(Reverse((cand.0, cand.1, v)));
                }
            }
        }
        best.into_iter()
            .enumerate()
            .map(|(v, (d, fh))| {
                if v as u32 == src || d == u64::MAX {
                    NONE
                } else {
                    fh
                }
            })
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
