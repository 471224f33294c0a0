//! The page's entry point (built by Trunk for wasm32).

#[cfg(target_arch = "wasm32")]
fn main() {
    kubarium::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("kubarium-web is the browser build of Kubarium: `make serve` serves it; `cargo run --bin kubarium` is the command line.");
    std::process::exit(2);
}
