//! The one cycle finder of the loader. A directed graph — check `needs`, service `needs` — is
//! searched depth-first from each node in order, following edges in order, so the cycle
//! reported is the first one a reader following the file would meet. `extends` / `include`
//! are walked while they are read (a document's targets are known only once it is parsed), so
//! the loader keeps that walk's path itself and asks [`closes_at`] whether the next document
//! closes a cycle: the same test [`find_cycle`] makes.

use std::collections::HashSet;
use std::hash::Hash;

/// Whether following an edge to `next` from the end of a depth-first `path` closes a cycle:
/// the position on the path where the cycle starts (where `next` already is).
pub fn closes_at<N: PartialEq>(path: &[N], next: &N) -> Option<usize> {
    path.iter().position(|n| n == next)
}

/// `path[from..]` followed by `next`: a closed path such as `[a, b, a]`.
pub fn closed_path<N: Clone>(path: &[N], from: usize, next: &N) -> Vec<N> {
    path[from..].iter().cloned().chain([next.clone()]).collect()
}

/// The first cycle of a directed graph, as a closed path (`[a, b, c, a]`): depth-first from
/// each of `nodes` in order, following `edges(node)` in order. An edge to a node that is not in
/// `nodes` is ignored (an unknown name is reported on its own); a self-edge is a cycle of one
/// (`[a, a]`) unless `edges` leaves it out.
pub fn find_cycle<N, I>(nodes: &[N], edges: impl Fn(&N) -> I) -> Option<Vec<N>>
where
    N: Eq + Hash + Clone,
    I: IntoIterator<Item = N>,
{
    let known: HashSet<&N> = nodes.iter().collect();
    let mut done: HashSet<N> = HashSet::new();
    for root in nodes {
        if done.contains(root) {
            continue;
        }
        // The path from `root`, and for each node on it the edges not followed yet.
        let mut path = vec![root.clone()];
        let mut on_path: HashSet<N> = HashSet::from([root.clone()]);
        let mut pending = vec![edges(root).into_iter()];
        while let Some(next_edges) = pending.last_mut() {
            match next_edges.next() {
                None => {
                    pending.pop();
                    if let Some(n) = path.pop() {
                        on_path.remove(&n);
                        done.insert(n);
                    }
                }
                Some(n) if !known.contains(&n) || done.contains(&n) => {}
                Some(n) => {
                    if on_path.contains(&n)
                        && let Some(start) = closes_at(&path, &n)
                    {
                        return Some(closed_path(&path, start, &n));
                    }
                    pending.push(edges(&n).into_iter());
                    on_path.insert(n.clone());
                    path.push(n);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `find_cycle` over a graph written as `(node, [targets])`.
    fn cycle(graph: &[(&'static str, &[&'static str])]) -> Option<Vec<&'static str>> {
        let nodes: Vec<&str> = graph.iter().map(|(n, _)| *n).collect();
        find_cycle(&nodes, |n| {
            graph.iter().find(|(m, _)| m == n).map(|(_, e)| e.to_vec()).unwrap_or_default()
        })
    }

    #[test]
    fn no_cycle_in_a_dag_with_shared_dependencies() {
        assert_eq!(cycle(&[("a", &["b", "c"]), ("b", &["d"]), ("c", &["d"]), ("d", &[])]), None);
        assert_eq!(cycle(&[]), None);
    }

    #[test]
    fn a_cycle_is_a_closed_path_from_where_it_starts() {
        // `x` leads into the cycle but is not part of it.
        assert_eq!(
            cycle(&[("x", &["a"]), ("a", &["b"]), ("b", &["c"]), ("c", &["a"])]),
            Some(vec!["a", "b", "c", "a"])
        );
    }

    #[test]
    fn a_self_edge_is_a_cycle_of_one() {
        assert_eq!(cycle(&[("a", &["a"])]), Some(vec!["a", "a"]));
    }

    #[test]
    fn unknown_targets_are_ignored() {
        assert_eq!(cycle(&[("a", &["nowhere", "b"]), ("b", &["elsewhere"])]), None);
        assert_eq!(cycle(&[("a", &["nowhere", "b"]), ("b", &["a"])]), Some(vec!["a", "b", "a"]));
    }

    #[test]
    fn the_first_cycle_in_node_then_edge_order_is_reported() {
        let graph: &[(&str, &[&str])] =
            &[("a", &["b", "c"]), ("b", &["d"]), ("c", &["c"]), ("d", &["b"])];
        assert_eq!(cycle(graph), Some(vec!["b", "d", "b"]));
        // Starting from a node reached earlier finds nothing new: `b` and `d` are done.
        let graph: &[(&str, &[&str])] = &[("a", &["b"]), ("b", &[]), ("c", &["b", "c"])];
        assert_eq!(cycle(graph), Some(vec!["c", "c"]));
    }

    #[test]
    fn a_long_chain_does_not_recurse() {
        let names: Vec<String> = (0..100_000).map(|i| format!("n{i}")).collect();
        let nodes: Vec<&str> = names.iter().map(String::as_str).collect();
        let next = |n: &&str| {
            let i: usize = n[1..].parse().unwrap();
            nodes.get(i + 1).copied().into_iter().chain((i == 99_999).then_some("n0"))
        };
        let found = find_cycle(&nodes, next).unwrap();
        assert_eq!(found.len(), 100_001);
        assert_eq!((found[0], found[100_000]), ("n0", "n0"));
    }

    #[test]
    fn closes_at_finds_where_the_cycle_starts() {
        let path = ["r", "a", "b"];
        assert_eq!(closes_at(&path, &"a"), Some(1));
        assert_eq!(closes_at(&path, &"c"), None);
        assert_eq!(closed_path(&path, 1, &"a"), vec!["a", "b", "a"]);
        assert_eq!(closed_path(&path, 0, &"a"), vec!["r", "a", "b", "a"]);
    }
}
