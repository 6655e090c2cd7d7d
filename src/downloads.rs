//! Files made on the page and handed to the browser as downloads: any text, a chart's SVG as a
//! standalone file, and the same chart as a PNG. Nothing goes over the network: files are
//! blobs behind object URLs, revoked once the download has started.

use js_sys::{Array, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, BlobPropertyBag, CanvasRenderingContext2d, Document, Element, HtmlAnchorElement,
    HtmlCanvasElement, HtmlImageElement, Url, XmlSerializer,
};

pub const SVG_NS: &str = "http://www.w3.org/2000/svg";
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// The presentation properties copied from the page's style sheets onto the elements of an
/// exported SVG, so that it looks the same without them.
pub const INLINED_PROPERTIES: [&str; 16] = [
    "fill",
    "fill-opacity",
    "stroke",
    "stroke-width",
    "stroke-dasharray",
    "stroke-opacity",
    "stroke-linecap",
    "stroke-linejoin",
    "font-size",
    "font-family",
    "font-weight",
    "font-style",
    "text-anchor",
    "visibility",
    // Not inherited: written where they differ from their initial value.
    "opacity",
    "dominant-baseline",
];

/// The properties of [`INLINED_PROPERTIES`] that are not inherited, with their initial values.
const NOT_INHERITED: [(&str, &str); 2] = [("opacity", "1"), ("dominant-baseline", "auto")];

/// How long an object URL outlives the click that started its download.
const REVOKE_AFTER_MS: u32 = 30_000;

/// Text for a JavaScript exception (`DOMException`s included).
pub fn js_error_text(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        let name = String::from(err.name());
        let message = String::from(err.message());
        return match (name.is_empty(), message.is_empty()) {
            (false, false) => format!("{name}: {message}"),
            (true, false) => message,
            (false, true) => name,
            (true, true) => "unknown error".into(),
        };
    }
    e.as_string().unwrap_or_else(|| "unknown error".into())
}

fn js(e: JsValue) -> String {
    js_error_text(&e)
}

fn document() -> Result<Document, String> {
    web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| "no document".into())
}

fn blob(text: &str, mime: &str) -> Result<Blob, String> {
    let parts = Array::of1(&JsValue::from_str(text));
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    Blob::new_with_str_sequence_and_options(&parts, &options).map_err(js)
}

/// Offers `blob` as a download named `filename` (a temporary `<a download>`).
pub fn download_blob(filename: &str, blob: &Blob) -> Result<(), String> {
    let document = document()?;
    let body = document.body().ok_or("no body")?;
    let url = Url::create_object_url_with_blob(blob).map_err(js)?;
    let a: HtmlAnchorElement = document.create_element("a").map_err(js)?.unchecked_into();
    a.set_href(&url);
    a.set_download(filename);
    a.set_hidden(true);
    body.append_child(&a).map_err(js)?;
    a.click();
    a.remove();
    // Revoking at once can cancel the download in some browsers: give it time to start.
    gloo_timers::callback::Timeout::new(REVOKE_AFTER_MS, move || {
        let _ = Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}

/// Offers `text` as a download named `filename` of type `mime`.
pub fn download_text(filename: &str, mime: &str, text: &str) -> Result<(), String> {
    download_blob(filename, &blob(text, mime)?)
}

fn view_box(svg: &Element) -> Option<[f64; 4]> {
    let vb = svg.get_attribute("viewBox")?;
    let n: Vec<f64> = vb
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    match n[..] {
        [x, y, w, h] if w > 0.0 && h > 0.0 => Some([x, y, w, h]),
        _ => None,
    }
}

/// The size an SVG is drawn at on the page (CSS pixels), or its viewBox's if it is not laid
/// out.
pub fn svg_size(svg: &Element) -> (f64, f64) {
    let r = svg.get_bounding_client_rect();
    if r.width() >= 1.0 && r.height() >= 1.0 {
        return (r.width().round(), r.height().round());
    }
    view_box(svg).map_or((640.0, 400.0), |[_, _, w, h]| (w, h))
}

/// Writes the computed presentation styles of `original` onto `copy` (its clone), and so on
/// down the tree. Inherited properties are written only where they differ from the parent's,
/// so that the file stays small while every element ends with the same computed values.
fn inline_styles(
    window: &web_sys::Window,
    original: &Element,
    copy: &Element,
    parent: Option<&[String]>,
) -> Result<(), String> {
    // Not drawn: the accessible name and description keep no style.
    if matches!(original.local_name().as_str(), "title" | "desc") {
        return copy.remove_attribute("style").map_err(js);
    }
    let Ok(Some(style)) = window.get_computed_style(original) else {
        return Ok(());
    };
    let get = |p: &str| style.get_property_value(p).unwrap_or_default();
    let values: Vec<String> = INLINED_PROPERTIES.iter().map(|p| get(p)).collect();
    let mut css = String::new();
    for (i, (p, v)) in INLINED_PROPERTIES.iter().zip(&values).enumerate() {
        let needed = match NOT_INHERITED.iter().find(|(n, _)| n == p) {
            Some((_, initial)) => v != initial,
            None => parent.is_none_or(|pv| pv[i] != *v),
        };
        if needed && !v.is_empty() {
            css.push_str(&format!("{p}:{v};"));
        }
    }
    if get("display") == "none" {
        css.push_str("display:none;");
    }
    if css.is_empty() {
        copy.remove_attribute("style").map_err(js)?;
    } else {
        copy.set_attribute("style", &css).map_err(js)?;
    }
    let (from, to) = (original.children(), copy.children());
    for i in 0..from.length().min(to.length()) {
        if let (Some(o), Some(c)) = (from.item(i), to.item(i)) {
            inline_styles(window, &o, &c, Some(&values))?;
        }
    }
    Ok(())
}

fn transparent(colour: &str) -> bool {
    colour.is_empty() || colour == "transparent" || colour == "rgba(0, 0, 0, 0)"
}

/// The colour the SVG is seen on: the first opaque background of its ancestors.
fn backdrop(svg: &Element) -> Option<String> {
    let window = web_sys::window()?;
    let mut el = svg.parent_element();
    while let Some(e) = el {
        if let Ok(Some(style)) = window.get_computed_style(&e) {
            let bg = style
                .get_property_value("background-color")
                .unwrap_or_default();
            if !transparent(&bg) {
                return Some(bg);
            }
        }
        el = e.parent_element();
    }
    None
}

/// A chart's `<svg>` as a standalone file: a copy with the computed presentation styles of
/// its elements inlined ([`INLINED_PROPERTIES`]), its page background behind it, its drawn
/// size as width and height, and the SVG namespace declared.
pub fn svg_to_string(svg: &Element) -> String {
    standalone_svg(svg).unwrap_or_else(|_| svg.outer_html())
}

fn standalone_svg(svg: &Element) -> Result<String, String> {
    let window = web_sys::window().ok_or("no window")?;
    let document = document()?;
    let copy: Element = svg
        .clone_node_with_deep(true)
        .map_err(js)?
        .dyn_into()
        .map_err(|_| "not an element")?;
    inline_styles(&window, svg, &copy, None)?;
    let (w, h) = svg_size(svg);
    copy.set_attribute("width", &w.to_string()).map_err(js)?;
    copy.set_attribute("height", &h.to_string()).map_err(js)?;
    copy.set_attribute_ns(Some(XMLNS_NS), "xmlns", SVG_NS)
        .map_err(js)?;
    if let Some(bg) = backdrop(svg) {
        let rect = document
            .create_element_ns(Some(SVG_NS), "rect")
            .map_err(js)?;
        let [x, y, w, h] = view_box(svg).unwrap_or([0.0, 0.0, w, h]);
        for (k, v) in [
            ("x", x.to_string()),
            ("y", y.to_string()),
            ("width", w.to_string()),
            ("height", h.to_string()),
            ("fill", bg),
        ] {
            rect.set_attribute(k, &v).map_err(js)?;
        }
        // Behind everything, after the accessible name and description.
        let mut first = copy.first_element_child();
        while let Some(e) = first
            .clone()
            .filter(|e| matches!(e.local_name().as_str(), "title" | "desc"))
        {
            first = e.next_element_sibling();
        }
        copy.insert_before(&rect, first.as_deref()).map_err(js)?;
    }
    let text = XmlSerializer::new()
        .map_err(js)?
        .serialize_to_string(&copy)
        .map_err(js)?;
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{text}\n"
    ))
}

/// Largest PNG side (pixels); browsers refuse much larger canvases.
const MAX_PNG_SIDE: f64 = 8192.0;

/// Draws `svg_text` (from [`svg_to_string`]) at twice `width` × `height` and offers it as a
/// PNG download named `filename`.
pub async fn download_png(
    svg_text: &str,
    width: f64,
    height: f64,
    filename: &str,
) -> Result<(), String> {
    let png = render_png(svg_text, width, height).await?;
    download_blob(filename, &png)
}

/// `svg_text` drawn at twice `width` × `height`, as a PNG blob.
pub async fn render_png(svg_text: &str, width: f64, height: f64) -> Result<Blob, String> {
    let side = |v: f64| (v * 2.0).round().clamp(1.0, MAX_PNG_SIDE);
    let (cw, ch) = (side(width), side(height));
    let url = Url::create_object_url_with_blob(&blob(svg_text, "image/svg+xml;charset=utf-8")?)
        .map_err(js)?;
    let img = HtmlImageElement::new().map_err(js)?;
    let loaded = Promise::new(&mut |resolve, reject| {
        img.set_onload(Some(&resolve));
        img.set_onerror(Some(&reject));
    });
    img.set_src(&url);
    let outcome = JsFuture::from(loaded).await;
    img.set_onload(None);
    img.set_onerror(None);
    let _ = Url::revoke_object_url(&url);
    outcome.map_err(|_| "the chart could not be drawn as an image".to_string())?;

    let canvas: HtmlCanvasElement = document()?
        .create_element("canvas")
        .map_err(js)?
        .unchecked_into();
    canvas.set_width(cw as u32);
    canvas.set_height(ch as u32);
    let ctx: CanvasRenderingContext2d = canvas
        .get_context("2d")
        .map_err(js)?
        .ok_or("no 2D canvas")?
        .unchecked_into();
    ctx.draw_image_with_html_image_element_and_dw_and_dh(&img, 0.0, 0.0, cw, ch)
        .map_err(js)?;
    let mut failed = None;
    let made = Promise::new(&mut |resolve, _| {
        if let Err(e) = canvas.to_blob(&resolve) {
            failed = Some(js_error_text(&e));
        }
    });
    if let Some(e) = failed {
        return Err(format!("the PNG could not be made ({e})"));
    }
    let png = JsFuture::from(made).await.map_err(js)?;
    png.dyn_into::<Blob>()
        .map_err(|_| "the PNG could not be made (the canvas is empty)".to_string())
}
