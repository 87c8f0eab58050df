//! `echo_server`: not written yet (see the issue that owns it).
fn main() {
    eprintln!("echo_server: not implemented yet");
    std::process::exit(2);
}
