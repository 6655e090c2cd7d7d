fn main() {
    yew::Renderer::<loopsim_app::App>::new().render();
}
