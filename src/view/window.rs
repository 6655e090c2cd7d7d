//! The timeline's time window: zooming about a point and panning, clamped to the run.
//! `None` stands for the whole run `0..end`.

/// The narrowest window (ns): 1 µs.
pub const MIN_SPAN_NS: u64 = 1_000;

/// The window as a concrete interval.
pub fn resolve(window: Option<(u64, u64)>, end: u64) -> (u64, u64) {
    let end = end.max(1);
    match window {
        Some((a, b)) if b > a && a < end => (a, b.min(end)),
        _ => (0, end),
    }
}

/// `[t0, t1)` shifted and shrunk into `0..end`; `None` when it covers the whole run.
pub fn clamp(t0: f64, t1: f64, end: u64) -> Option<(u64, u64)> {
    let end_f = end.max(1) as f64;
    let span = (t1 - t0).clamp(MIN_SPAN_NS.min(end.max(1)) as f64, end_f);
    let start = t0.clamp(0.0, end_f - span);
    let (a, b) = (start.round() as u64, (start + span).round() as u64);
    let b = b.min(end.max(1));
    if a == 0 && b >= end.max(1) {
        None
    } else {
        Some((a, b.max(a + 1)))
    }
}

/// Zooms by `factor` (< 1 zooms in) keeping the time at `anchor` (0 = left edge, 1 = right
/// edge of the window) where it is.
pub fn zoom(window: Option<(u64, u64)>, end: u64, factor: f64, anchor: f64) -> Option<(u64, u64)> {
    let (a, b) = resolve(window, end);
    let (a, b) = (a as f64, b as f64);
    let anchor = anchor.clamp(0.0, 1.0);
    let at = a + (b - a) * anchor;
    let span = ((b - a) * factor).max(MIN_SPAN_NS as f64);
    clamp(at - span * anchor, at - span * anchor + span, end)
}

/// Moves the window by `fraction` of its width (negative: towards the start).
pub fn pan(window: Option<(u64, u64)>, end: u64, fraction: f64) -> Option<(u64, u64)> {
    let (a, b) = resolve(window, end);
    let shift = (b - a) as f64 * fraction;
    clamp(a as f64 + shift, b as f64 + shift, end)
}

/// Zoom factor for a wheel movement of `delta_y` pixels (positive: zoom out).
pub fn wheel_factor(delta_y: f64) -> f64 {
    1.0015f64.powf(delta_y.clamp(-600.0, 600.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const END: u64 = 20_000_000_000;

    #[test]
    fn zoom_in_about_the_centre_and_back_out() {
        let w = zoom(None, END, 0.5, 0.5).unwrap();
        assert_eq!(w, (5_000_000_000, 15_000_000_000));
        assert_eq!(zoom(Some(w), END, 2.0, 0.5), None, "back to the whole run");
        assert_eq!(
            zoom(Some(w), END, 4.0, 0.5),
            None,
            "never wider than the run"
        );
    }

    #[test]
    fn zoom_keeps_the_anchor_in_place() {
        let w = zoom(None, END, 0.1, 0.0).unwrap();
        assert_eq!(w, (0, 2_000_000_000));
        let w = zoom(None, END, 0.1, 1.0).unwrap();
        assert_eq!(w, (18_000_000_000, END));
        // Never narrower than 1 µs.
        let tiny = zoom(Some((100, 200)), END, 0.001, 0.5).unwrap();
        assert_eq!(tiny.1 - tiny.0, MIN_SPAN_NS);
    }

    #[test]
    fn pan_is_clamped_to_the_run() {
        let w = Some((5_000_000_000, 10_000_000_000));
        assert_eq!(pan(w, END, 0.5), Some((7_500_000_000, 12_500_000_000)));
        assert_eq!(pan(w, END, -5.0), Some((0, 5_000_000_000)));
        assert_eq!(pan(w, END, 5.0), Some((15_000_000_000, END)));
        assert_eq!(pan(None, END, 0.5), None);
    }

    #[test]
    fn resolve_falls_back_to_the_whole_run() {
        assert_eq!(resolve(None, END), (0, END));
        assert_eq!(resolve(Some((3, 3)), END), (0, END));
        assert_eq!(resolve(Some((3, END + 10)), END), (3, END));
        assert_eq!(resolve(None, 0), (0, 1));
        assert!(wheel_factor(100.0) > 1.0 && wheel_factor(-100.0) < 1.0);
    }
}
