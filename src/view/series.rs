//! Line geometry: CDF steps, bucket steps and thinning long lines to what a chart can show.

/// The empirical CDF `points` (value, cumulative fraction; sorted by value) as a staircase
/// starting from 0: each value rises vertically from the previous fraction.
pub fn cdf_steps(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2);
    let mut prev = 0.0;
    for &(x, y) in points {
        if out
            .last()
            .is_none_or(|&(px, py): &(f64, f64)| px != x || py != prev)
        {
            out.push((x, prev));
        }
        out.push((x, y));
        prev = y;
    }
    out.dedup();
    out
}

/// Per-bucket averages (bucket `i` spans `[i·w, (i+1)·w)`) as a staircase.
pub fn bucket_steps(values: &[f64], width: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(values.len() * 2);
    for (i, &v) in values.iter().enumerate() {
        out.push((i as f64 * width, v));
        out.push(((i + 1) as f64 * width, v));
    }
    out
}

/// At most `max` points of a line, keeping the first, the last and, per stretch, the lowest
/// and highest `y` (so peaks survive).
pub fn thin(points: &[(f64, f64)], max: usize) -> Vec<(f64, f64)> {
    if points.len() <= max || max < 4 {
        return points.to_vec();
    }
    let stretches = (max - 2) / 2;
    let per = (points.len() - 2).div_ceil(stretches);
    let mut out = vec![points[0]];
    for chunk in points[1..points.len() - 1].chunks(per) {
        let lo = chunk
            .iter()
            .enumerate()
            .min_by(|a, b| a.1 .1.total_cmp(&b.1 .1))
            .map(|p| p.0);
        let hi = chunk
            .iter()
            .enumerate()
            .max_by(|a, b| a.1 .1.total_cmp(&b.1 .1))
            .map(|p| p.0);
        if let (Some(lo), Some(hi)) = (lo, hi) {
            let (a, b) = (lo.min(hi), lo.max(hi));
            out.push(chunk[a]);
            if b != a {
                out.push(chunk[b]);
            }
        }
    }
    out.push(points[points.len() - 1]);
    out
}

/// SVG `points` text for a polyline, rounded to 0.1 px.
pub fn svg_points(points: impl IntoIterator<Item = (f64, f64)>) -> String {
    let mut s = String::new();
    for (x, y) in points {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(&format!("{:.1},{:.1}", x, y));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdf_is_a_staircase() {
        let s = cdf_steps(&[(10.0, 0.5), (10.0, 0.5), (20.0, 1.0)]);
        assert_eq!(s, vec![(10.0, 0.0), (10.0, 0.5), (20.0, 0.5), (20.0, 1.0)]);
        assert!(cdf_steps(&[]).is_empty());
    }

    #[test]
    fn buckets_are_flat_steps() {
        assert_eq!(
            bucket_steps(&[1.0, 2.0], 4.0),
            vec![(0.0, 1.0), (4.0, 1.0), (4.0, 2.0), (8.0, 2.0)]
        );
    }

    #[test]
    fn thinning_keeps_ends_and_peaks() {
        let pts: Vec<(f64, f64)> = (0..10_000)
            .map(|i| (i as f64, if i == 4321 { 99.0 } else { 1.0 }))
            .collect();
        let t = thin(&pts, 200);
        assert!(t.len() <= 200, "{}", t.len());
        assert_eq!(t.first(), pts.first());
        assert_eq!(t.last(), pts.last());
        assert!(t.contains(&(4321.0, 99.0)));
        assert!(t.windows(2).all(|w| w[0].0 <= w[1].0), "x stays ordered");
        assert_eq!(thin(&pts[..10], 200).len(), 10);
    }

    #[test]
    fn points_text() {
        assert_eq!(svg_points([(1.0, 2.26), (3.0, 4.0)]), "1.0,2.3 3.0,4.0");
    }
}
