// Nothing: this package only names the sources to fetch (see Cargo.toml).
