//! `chat`: not written yet (see the issue that owns it).
fn main() {
    eprintln!("chat: not implemented yet");
    std::process::exit(2);
}
