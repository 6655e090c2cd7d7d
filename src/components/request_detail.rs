//! One request in detail: its timestamps and where its time went.

use std::rc::Rc;

use yew::prelude::*;

use crate::protocol::RunView;
use crate::view::scale::fmt_time_ms;

#[derive(Properties, PartialEq)]
pub struct RequestDetailProps {
    pub view: Rc<RunView>,
    pub id: u32,
    pub on_close: Callback<()>,
}

#[component]
pub fn RequestDetail(p: &RequestDetailProps) -> Html {
    let Some(r) = p.view.request(p.id) else {
        return html! {
            <div class="request-detail" data-testid="request-detail">
                <p>{ format!("Request {} is outside the kept detail (the first {} requests).", p.id, p.view.requests.len()) }</p>
            </div>
        };
    };
    let ms = |ns: u64| fmt_time_ms(ns as f64 / 1e6);
    let at = |t: Option<u64>| t.map(ms).unwrap_or_else(|| "—".into());
    let lane = r
        .lane
        .and_then(|l| p.view.lanes.get(l as usize))
        .map(|l| l.name.clone())
        .unwrap_or_else(|| "—".into());
    let split = r.split.parts();
    let total = r.latency().max(1) as f64;
    html! {
        <div class="request-detail" data-testid="request-detail" aria-live="polite">
            <div class="step-head">
                <h3>{ format!("Request {}", r.id) }</h3>
                <button type="button" aria-label="Close request details" onclick={p.on_close.reform(|_| ())}>{ "✕" }</button>
            </div>
            <dl class="facts">
                <dt>{ "Status" }</dt><dd>{ r.status.describe() }</dd>
                <dt>{ "Latency" }</dt><dd data-testid="request-latency">{ ms(r.latency()) }</dd>
                <dt>{ "Sent" }</dt><dd>{ ms(r.sent) }</dd>
                <dt>{ "Connected" }</dt><dd>{ at(r.connected) }</dd>
                <dt>{ "Accepted" }</dt><dd>{ at(r.accepted) }</dd>
                if r.written.is_some() {
                    <dt>{ "Request written" }</dt><dd data-testid="request-written">{ at(r.written) }</dd>
                }
                <dt>{ "Handler started" }</dt><dd>{ at(r.started) }</dd>
                <dt>{ "Finished" }</dt><dd>{ ms(r.finished) }</dd>
                <dt>{ "Worker / thread" }</dt><dd>{ format!("{} / {lane}", r.worker.map(|w| w.to_string()).unwrap_or_else(|| "—".into())) }</dd>
                if r.syn_retries > 0 {
                    <dt>{ "SYN retries" }</dt><dd>{ r.syn_retries }</dd>
                }
            </dl>
            <ul class="split" aria-label="Where the time went">
                { for split.iter().filter(|(_, v)| *v > 0).map(|(name, v)| html! {
                    <li>
                        <span class="split-bar" style={format!("width:{:.1}%", *v as f64 / total * 100.0)}></span>
                        { format!("{name}: {} ({:.0} %)", ms(*v), *v as f64 / total * 100.0) }
                    </li>
                }) }
            </ul>
        </div>
    }
}
