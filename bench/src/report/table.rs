//! One section's table: a row per metric, a column per library, and the ratio of kubegen's
//! figure to each other library's.

use std::collections::BTreeSet;

use super::format;
use crate::results::{Better, Record};

/// The libraries whose columns come first, in this order; others follow by name.
const ORDER: &[&str] = &["kubegen", "kubegen, watch-cache list", "kube-rs", "client-go"];
/// The library the ratios are about.
const SUBJECT: &str = "kubegen";
/// kubegen with other options (`kubegen, <what>`): a column, and ratios of its own to every
/// library that is not kubegen's.
const VARIANT_PREFIX: &str = "kubegen, ";

/// The Markdown table of `records` (all of one workload), followed by their notes.
pub fn render(records: &[&Record]) -> String {
    let libraries = libraries(records);
    let variants: Vec<&str> = libraries.iter().copied().filter(|library| library.starts_with(VARIANT_PREFIX)).collect();
    let others: Vec<&str> = libraries
        .iter()
        .copied()
        .filter(|library| *library != SUBJECT && !library.starts_with(VARIANT_PREFIX))
        .collect();
    // (subject, other) of each ratio column: kubegen's, then each variant's.
    let ratios: Vec<(&str, &str)> = std::iter::once(SUBJECT)
        .chain(variants.iter().copied())
        .flat_map(|subject| others.iter().map(move |other| (subject, *other)))
        .collect();
    let mut out = String::new();
    out.push_str("| metric | unit |");
    for library in &libraries {
        out.push_str(&format!(" {library} |"));
    }
    for (subject, other) in &ratios {
        out.push_str(&format!(" {subject} ÷ {other} |"));
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---:|".repeat(libraries.len() + ratios.len()));
    out.push('\n');
    let mut notes = BTreeSet::new();
    for metric in metrics(records) {
        let row: Vec<&Record> = records.iter().copied().filter(|record| record.metric == metric).collect();
        let Some(first) = row.first() else { continue };
        let arrow = match first.better {
            Better::Higher => "↑",
            Better::Lower => "↓",
        };
        out.push_str(&format!("| {metric} | {} {arrow} |", first.unit));
        let value_of = |library: &str| row.iter().find(|record| record.library == library).copied();
        for library in &libraries {
            let cell = match value_of(library) {
                Some(Record { value: Some(value), .. }) => format::figure(*value),
                Some(Record { value: None, .. }) => "pending".to_owned(),
                None => "—".to_owned(),
            };
            out.push_str(&format!(" {cell} |"));
        }
        for (subject, other) in &ratios {
            let value = |library: &str| value_of(library).and_then(|record| record.value);
            let cell = match (value(subject), value(other)) {
                (Some(subject), Some(other)) if other != 0.0 => format::ratio(subject / other),
                _ => "—".to_owned(),
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
        for record in &row {
            if let Some(note) = &record.note {
                notes.insert(format!("{} ({metric}): {note}", record.library));
            }
        }
    }
    for note in notes {
        out.push_str(&format!("\n- {note}"));
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn libraries<'a>(records: &[&'a Record]) -> Vec<&'a str> {
    let present: BTreeSet<&str> = records.iter().map(|record| record.library.as_str()).collect();
    let mut ordered: Vec<&str> = ORDER.iter().copied().filter(|library| present.contains(library)).collect();
    ordered.extend(present.iter().copied().filter(|library| !ORDER.contains(library)));
    ordered
}

/// The metrics in the order they first appear.
fn metrics<'a>(records: &[&'a Record]) -> Vec<&'a str> {
    let mut metrics: Vec<&str> = Vec::new();
    for record in records {
        if !metrics.contains(&record.metric.as_str()) {
            metrics.push(&record.metric);
        }
    }
    metrics
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_kubegen_over_each_other_library() {
        let records = [
            Record::new("w", "throughput", "MB/s", "client-go", 50.0, Better::Higher),
            Record::new("w", "throughput", "MB/s", "kubegen", 100.0, Better::Higher),
            Record::new("w", "throughput", "MB/s", "kube-rs", 200.0, Better::Higher),
            Record::pending("w", "sync", "s", "kubegen", Better::Lower, "not yet"),
            Record::new("w", "sync", "s", "kube-rs", 2.0, Better::Lower),
        ];
        let refs: Vec<&Record> = records.iter().collect();
        let table = render(&refs);
        assert!(table.contains("| throughput | MB/s ↑ | 100 | 200 | 50.0 | 0.50× | 2.00× |"), "{table}");
        assert!(table.contains("| sync | s ↓ | pending | 2.00 | — | — | — |"), "{table}");
        assert!(table.contains("- kubegen (sync): not yet"), "{table}");
    }

    #[test]
    fn a_kubegen_variant_has_its_column_and_ratios_to_the_other_libraries() {
        let records = [
            Record::new("w", "sync", "s", "client-go", 2.0, Better::Lower),
            Record::new("w", "sync", "s", "kubegen, fast", 0.5, Better::Lower),
            Record::new("w", "sync", "s", "kubegen", 1.0, Better::Lower),
        ];
        let refs: Vec<&Record> = records.iter().collect();
        let table = render(&refs);
        assert!(
            table.contains("| metric | unit | kubegen | client-go | kubegen, fast | kubegen ÷ client-go | kubegen, fast ÷ client-go |"),
            "{table}"
        );
        assert!(table.contains("| sync | s ↓ | 1.00 | 2.00 | 0.50 | 0.50× | 0.25× |"), "{table}");
    }
}
