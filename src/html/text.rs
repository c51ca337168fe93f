//! Words on the page: escaping, axis numbers, column names as people
//! read them, units.

/// Text made safe inside HTML or XML elements and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An axis number: whole numbers without decimals, with thousands
/// separated by a thin space; others with at most two decimals.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let rounded = (v * 100.0).round() / 100.0;
    let text = if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        let t = format!("{rounded:.2}");
        t.trim_end_matches('0').to_string()
    };
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.len() <= 4 {
        return text;
    }
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('\u{2009}');
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

const ACRONYMS: [&str; 14] = [
    "csat", "nps", "ces", "aht", "asa", "fcr", "esat", "enps", "sla", "kb", "kpi", "p90", "id",
    "ytd",
];

/// A column name as a person reads it: `csat_pct` → `CSAT`,
/// `aht_seconds_prev_year` → `AHT, a year earlier`,
/// `median_resolution_hours` → `Median resolution`.
pub fn label(column: &str) -> String {
    let (base, earlier) = match column.strip_suffix("_prev_year") {
        Some(base) => (base, true),
        None => (column, false),
    };
    let mut words: Vec<&str> = base.split('_').filter(|w| !w.is_empty()).collect();
    if words.len() > 1
        && matches!(
            words.last(),
            Some(&("pct" | "seconds" | "hours" | "minutes"))
        )
    {
        words.pop();
    }
    let mut text = String::new();
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            text.push(' ');
        }
        if ACRONYMS.contains(word) {
            text.push_str(&word.to_uppercase());
        } else if i == 0 {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                text.extend(first.to_uppercase());
                text.push_str(chars.as_str());
            }
        } else {
            text.push_str(word);
        }
    }
    if earlier {
        text.push_str(", a year earlier");
    }
    text
}

/// The unit an axis title shows for an `@column` unit (empty: none).
pub fn unit(unit: &str) -> &str {
    match unit {
        "percent" => "%",
        "seconds" => "s",
        "hours" => "h",
        "minutes" => "min",
        "-" | "per kind" | "money" => "",
        other => other,
    }
}

/// `Label (unit)`.
pub fn axis_title(label: &str, unit_text: &str) -> String {
    if unit_text.is_empty() {
        label.to_string()
    } else {
        format!("{label} ({unit_text})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(number(0.0), "0");
        assert_eq!(number(12.5), "12.5");
        assert_eq!(number(-3.456), "-3.46");
        assert_eq!(number(1234.0), "1234");
        assert_eq!(number(12345.0), "12\u{2009}345");
        assert_eq!(number(-1234567.25), "-1\u{2009}234\u{2009}567.25");
    }

    #[test]
    fn labels_read_well() {
        assert_eq!(label("csat_pct"), "CSAT");
        assert_eq!(label("aht_seconds_prev_year"), "AHT, a year earlier");
        assert_eq!(label("median_resolution_hours"), "Median resolution");
        assert_eq!(label("interactions"), "Interactions");
        assert_eq!(
            label("handled_per_logged_in_hour"),
            "Handled per logged in hour"
        );
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
