//! Keeping chart labels apart: percentile labels on a shared axis often coincide (p50 = p99
//! when every request takes the same time).

/// Moves `positions` (any order) the least so that, sorted, neighbours are at least `gap`
/// apart, keeping them inside `[lo, hi]` when there is room. Returns them in input order.
pub fn spread_labels(positions: &[f64], gap: f64, lo: f64, hi: f64) -> Vec<f64> {
    let n = positions.len();
    if n == 0 {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| positions[a].total_cmp(&positions[b]).then(a.cmp(&b)));
    let mut out = vec![0.0; n];
    // Forward pass: push down; backward pass: pull back inside `hi`.
    let mut prev = f64::NEG_INFINITY;
    for &i in &order {
        let p = positions[i].max(lo).max(prev + gap);
        out[i] = p;
        prev = p;
    }
    let mut next = f64::INFINITY;
    for &i in order.iter().rev() {
        let p = out[i].min(hi).min(next - gap);
        out[i] = p;
        next = p;
    }
    // If there was not room for all, the first ones may now sit below `lo`: accept overlap at
    // the far end rather than leave the plot.
    for &i in &order {
        if out[i] < lo {
            out[i] = lo;
        }
    }
    out
}

/// Rows for labels at `xs` (any order) `widths` wide so that labels in a row do not overlap:
/// each goes on the first row where it fits, left to right. Returns each label's row.
pub fn assign_rows(xs: &[f64], widths: &[f64], pad: f64) -> Vec<usize> {
    let n = xs.len().min(widths.len());
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]).then(a.cmp(&b)));
    // Right edge of the last label placed in each row.
    let mut ends: Vec<f64> = Vec::new();
    let mut rows = vec![0; n];
    for i in order {
        let (x0, x1) = (xs[i], xs[i] + widths[i]);
        match ends.iter().position(|&e| x0 >= e + pad) {
            Some(r) => {
                ends[r] = x1;
                rows[i] = r;
            }
            None => {
                ends.push(x1);
                rows[i] = ends.len() - 1;
            }
        }
    }
    rows
}

/// A rough width of `text` in an SVG font of `size` px (no layout engine here).
pub fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.58
}

/// Named values (e.g. percentiles) whose labels would read the same merged into one label:
/// `p50 = p90 = p99 20.0 s`. Returns (label, value, indices of the members), by value.
pub fn merge_equal(
    items: &[(String, f64)],
    fmt: impl Fn(f64) -> String,
) -> Vec<(String, f64, Vec<usize>)> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| items[a].1.total_cmp(&items[b].1).then(a.cmp(&b)));
    let mut groups: Vec<(String, f64, Vec<usize>)> = Vec::new();
    let mut last_text = String::new();
    for i in order {
        let text = fmt(items[i].1);
        match groups.last_mut() {
            Some(g) if text == last_text => g.2.push(i),
            _ => groups.push((String::new(), items[i].1, vec![i])),
        }
        last_text = text;
    }
    for g in &mut groups {
        let names: Vec<&str> = g.2.iter().map(|&i| items[i].0.as_str()).collect();
        g.0 = format!("{} {}", names.join(" = "), fmt(g.1));
    }
    groups
}

/// `text` cut to fit `max_width` (see [`text_width`]) with an ellipsis, if it does not.
pub fn fit_text(text: &str, size: f64, max_width: f64) -> String {
    if text_width(text, size) <= max_width {
        return text.to_string();
    }
    let keep = ((max_width / (size * 0.58)).floor() as usize).saturating_sub(1);
    let mut out: String = text.chars().take(keep).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coinciding_labels_are_spread() {
        // p50 = p90 = p99 at the same height.
        let ys = spread_labels(&[100.0, 100.0, 100.0], 12.0, 0.0, 300.0);
        assert_eq!(ys, vec![100.0, 112.0, 124.0]);
        // Already apart: untouched.
        assert_eq!(
            spread_labels(&[50.0, 10.0], 12.0, 0.0, 300.0),
            vec![50.0, 10.0]
        );
        // Near the end: pulled back inside.
        assert_eq!(
            spread_labels(&[299.0, 300.0], 12.0, 0.0, 300.0),
            vec![288.0, 300.0]
        );
        assert!(spread_labels(&[], 1.0, 0.0, 1.0).is_empty());
    }

    #[test]
    fn overlapping_labels_go_to_new_rows() {
        assert_eq!(
            assign_rows(&[0.0, 10.0, 100.0, 15.0], &[50.0; 4], 4.0),
            vec![0, 1, 0, 2]
        );
        assert_eq!(assign_rows(&[0.0, 60.0], &[50.0, 50.0], 4.0), vec![0, 0]);
    }
    #[test]
    fn equal_values_share_a_label() {
        let items = vec![
            ("p50".to_string(), 20_000.59),
            ("p90".to_string(), 20_000.6),
            ("max".to_string(), 30.0),
        ];
        let g = merge_equal(&items, |v| format!("{v:.0}"));
        assert_eq!(g.len(), 2);
        assert_eq!((g[0].0.as_str(), g[0].2.clone()), ("max 30", vec![2]));
        assert_eq!(
            (g[1].0.as_str(), g[1].2.clone()),
            ("p50 = p90 20001", vec![0, 1])
        );
        assert!(merge_equal(&[], |v| v.to_string()).is_empty());
    }
    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        assert_eq!(fit_text("w0 event loop", 10.0, 200.0), "w0 event loop");
        let cut = fit_text("w12 connection thread 1234", 10.0, 60.0);
        assert_eq!(cut, "w12 conne…");
        assert!(text_width(&cut, 10.0) <= 60.0);
    }
}
