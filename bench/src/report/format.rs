//! Number formatting for the report.

/// A figure with a precision that suits its size: `12,345`, `123`, `12.3`, `1.23`, `0.0123`.
pub fn figure(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 1000.0 {
        thousands(value.round() as i64)
    } else if magnitude >= 100.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else if magnitude >= 0.1 || magnitude == 0.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}

/// A ratio: `1.23×`.
pub fn ratio(value: f64) -> String {
    if value >= 10.0 { format!("{value:.1}×") } else { format!("{value:.2}×") }
}

/// An integer with thousands separators: `50,000`.
pub fn thousands(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    if value < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_follows_magnitude() {
        assert_eq!(figure(1_234_567.4), "1,234,567");
        assert_eq!(figure(123.4), "123");
        assert_eq!(figure(12.34), "12.3");
        assert_eq!(figure(1.234), "1.23");
        assert_eq!(figure(0.01234), "0.012");
        assert_eq!(ratio(0.456), "0.46×");
    }
}
