//! `autobahn_client`: not written yet (see the issue that owns it).
fn main() {
    eprintln!("autobahn_client: not implemented yet");
    std::process::exit(2);
}
