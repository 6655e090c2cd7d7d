fn main() {
    let name = std::env::args().nth(1).unwrap_or("ab-uvicorn".into());
    let r = loopsim_engine::run(&loopsim_engine::presets::find(&name).unwrap().scenario()).unwrap();
    print!("{}", loopsim_engine::report::ab_report(&r));
}
