//! `client`: not written yet (see the issue that owns it).
fn main() {
    eprintln!("client: not implemented yet");
    std::process::exit(2);
}
