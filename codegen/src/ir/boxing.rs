//! Boxing fields that would make a type contain itself.
//!
//! A field holds its type by value unless it is behind a `Vec` or a map. Types that reach
//! themselves through by-value fields (`JSONSchemaProps.not`, or `JSONSchemaProps` through
//! `JSONSchemaPropsOrArray`) would have infinite size; every by-value edge inside such a cycle
//! (a strongly connected component of the by-value graph) is boxed.

use std::collections::BTreeMap;

use super::{TypeDef, TypeKind};

/// Sets `boxed` on every by-value field and union variant that closes a cycle.
pub fn box_cycles(types: &mut BTreeMap<String, TypeDef>) {
    let ids: Vec<&String> = types.keys().collect();
    let index_of: BTreeMap<&str, usize> = ids.iter().enumerate().map(|(index, id)| (id.as_str(), index)).collect();
    let edges: Vec<Vec<usize>> = ids
        .iter()
        .map(|id| by_value_targets(&types[*id]).filter_map(|target| index_of.get(target).copied()).collect())
        .collect();
    let component = strongly_connected_components(&edges);
    let same_cycle =
        |from: usize, to: usize| component[from] == component[to] && (from != to || edges[from].contains(&to));
    let decisions: BTreeMap<String, Vec<bool>> = ids
        .iter()
        .enumerate()
        .map(|(from, id)| {
            let flags = by_value_targets_in_order(&types[*id])
                .map(|target| target.and_then(|t| index_of.get(t)).is_some_and(|&to| same_cycle(from, to)))
                .collect();
            ((*id).clone(), flags)
        })
        .collect();
    for (id, flags) in decisions {
        let Some(ty) = types.get_mut(&id) else {
            continue;
        };
        match &mut ty.kind {
            TypeKind::Struct(body) => {
                for (field, boxed) in body.fields.iter_mut().zip(flags) {
                    field.boxed |= boxed;
                }
            }
            TypeKind::Union(variants) => {
                for (variant, boxed) in variants.iter_mut().zip(flags) {
                    variant.boxed |= boxed;
                }
            }
            _ => {}
        }
    }
}

fn by_value_targets(ty: &TypeDef) -> impl Iterator<Item = &str> {
    by_value_targets_in_order(ty).flatten()
}

/// For each field (or variant) in order, the type it holds by value, if any.
fn by_value_targets_in_order(ty: &TypeDef) -> Box<dyn Iterator<Item = Option<&str>> + '_> {
    match &ty.kind {
        TypeKind::Struct(body) => Box::new(body.fields.iter().map(|field| field.shape.by_value())),
        TypeKind::Union(variants) => Box::new(variants.iter().map(|variant| variant.shape.by_value())),
        TypeKind::Alias(shape) => Box::new(std::iter::once(shape.by_value())),
        // A newtype boxes a by-value reference itself.
        TypeKind::Newtype(_) => Box::new(std::iter::once(None)),
        _ => Box::new(std::iter::empty()),
    }
}

/// Tarjan's algorithm, iteratively: the component number of each node.
pub(super) fn strongly_connected_components(edges: &[Vec<usize>]) -> Vec<usize> {
    const UNVISITED: usize = usize::MAX;
    let count = edges.len();
    let mut index = vec![UNVISITED; count];
    let mut low = vec![0; count];
    let mut on_stack = vec![false; count];
    let mut component = vec![UNVISITED; count];
    let mut stack = Vec::new();
    let mut next_index = 0;
    let mut next_component = 0;
    for root in 0..count {
        if index[root] != UNVISITED {
            continue;
        }
        let mut frames: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some((node, edge)) = frames.last_mut() {
            let node = *node;
            if let Some(&target) = edges[node].get(*edge) {
                *edge += 1;
                if index[target] == UNVISITED {
                    index[target] = next_index;
                    low[target] = next_index;
                    next_index += 1;
                    stack.push(target);
                    on_stack[target] = true;
                    frames.push((target, 0));
                } else if on_stack[target] {
                    low[node] = low[node].min(index[target]);
                }
                continue;
            }
            frames.pop();
            if let Some((parent, _)) = frames.last() {
                low[*parent] = low[*parent].min(low[node]);
            }
            if low[node] == index[node] {
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component[member] = next_component;
                    if member == node {
                        break;
                    }
                }
                next_component += 1;
            }
        }
    }
    component
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components() {
        // 0 -> 1 -> 2 -> 0 is a cycle; 3 -> 0 is not in it; 4 loops on itself.
        let edges = vec![vec![1], vec![2], vec![0], vec![0], vec![4]];
        let component = strongly_connected_components(&edges);
        assert_eq!(component[0], component[1]);
        assert_eq!(component[1], component[2]);
        assert_ne!(component[3], component[0]);
        assert_ne!(component[4], component[0]);
    }
}
