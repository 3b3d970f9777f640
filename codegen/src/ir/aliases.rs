//! Recursive aliases: `Tree = array of Tree`, or `A = map of B` with `B = array of A`.
//!
//! A Rust type alias cannot refer to itself, even behind a `Vec`, so every alias on a cycle of
//! aliases (a strongly connected component of the alias-to-alias reference graph, through
//! arrays and maps) becomes a [`TypeKind::Newtype`]: a nominal type breaks the cycle.

use std::collections::BTreeMap;

use super::boxing::strongly_connected_components;
use super::{TypeDef, TypeKind};

/// Turns every alias that reaches itself through aliases into a newtype.
pub fn break_cycles(types: &mut BTreeMap<String, TypeDef>) {
    let ids: Vec<String> = types.keys().cloned().collect();
    let index_of: BTreeMap<&str, usize> = ids.iter().enumerate().map(|(index, id)| (id.as_str(), index)).collect();
    let edges: Vec<Vec<usize>> = ids
        .iter()
        .map(|id| match &types[id].kind {
            TypeKind::Alias(shape) => shape
                .references()
                .into_iter()
                .filter(|target| matches!(types.get(*target).map(|ty| &ty.kind), Some(TypeKind::Alias(_))))
                .filter_map(|target| index_of.get(target).copied())
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    let component = strongly_connected_components(&edges);
    let mut sizes: BTreeMap<usize, usize> = BTreeMap::new();
    for &id in &component {
        *sizes.entry(id).or_default() += 1;
    }
    let recursive: Vec<&String> = ids
        .iter()
        .enumerate()
        .filter(|(index, _)| sizes[&component[*index]] > 1 || edges[*index].contains(index))
        .map(|(_, id)| id)
        .collect();
    for id in recursive.into_iter().cloned().collect::<Vec<_>>() {
        if let Some(ty) = types.get_mut(&id)
            && let TypeKind::Alias(shape) = &ty.kind
        {
            ty.kind = TypeKind::Newtype(shape.clone());
        }
    }
}
