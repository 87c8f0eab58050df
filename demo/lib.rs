//! Hosts the `chat` example (`../examples/chat.rs`) in a package of its own; see Cargo.toml.
