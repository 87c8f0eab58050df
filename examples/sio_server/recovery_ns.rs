//! Recovery mode of `sio_server` (`--recovery`), what the connection state recovery tests
//! (tests/ci/47) expect:
//! - `/`: a new socket joins `room1` and `room2` and gets the data `foo` = `"bar"` (a recovered
//!   one gets its old id, rooms and data back, and the events it missed); `state` → ack
//!   `{"id","recovered","rooms","data"}`; `message` → `message-back` with the same arguments
//!   (carrying an offset).
//! - `/control`: `emit` (`"all"`, `"room:<r>"` or `"sid:<id>"`, event, ...args) broadcasts on
//!   `/` → ack `true`; `use-middleware` installs the "middleware" (it sets the data
//!   `middlewareWasCalled` = `true` on the connections it runs for; `use-middleware false`
//!   removes it) → ack `true`; `stats` → ack `{"recoverable":<sessions kept>}`.

use sockwire::hub::Target;
use sockwire::socketio::Value;
use sockwire::socketio::recovery::RecoveryConfig;
use sockwire::socketio::server::{Ctx, Event};

/// The control namespace.
pub const CONTROL: &str = "/control";

/// The recovery test application.
pub struct Recovery {
    cfg: RecoveryConfig,
    /// The "middleware" is installed.
    middleware: bool,
}

impl Recovery {
    pub fn new(cfg: RecoveryConfig) -> Self {
        Recovery {
            cfg,
            middleware: false,
        }
    }

    pub fn on_connect(&self, ctx: &mut Ctx<'_>) {
        let recovered = ctx.recovered();
        if !recovered {
            let _ = ctx.join("room1");
            let _ = ctx.join("room2");
            let _ = ctx.set("foo", "\"bar\"".to_string());
        }
        // A middleware runs for new sockets, and for recovered ones unless they skip it.
        if self.middleware && (!recovered || !self.cfg.skip_middlewares) {
            let _ = ctx.set("middlewareWasCalled", "true".to_string());
        }
    }

    pub fn on_event(&mut self, ctx: &mut Ctx<'_>, mut event: Event<'_>) {
        let ack = event.take_ack();
        match (event.name(), ack) {
            ("state", Some(h)) => {
                let mut rooms: Vec<String> = ctx.rooms().map(String::from).collect();
                rooms.sort_unstable();
                let socket = ctx.socket();
                let keys: Vec<String> = ctx.hub().data_keys(socket).map(String::from).collect();
                let data: Vec<(String, String)> = keys
                    .into_iter()
                    .filter_map(|k| ctx.get::<String>(&k).cloned().map(|v| (k, v)))
                    .collect();
                let rooms: Vec<Value<'_>> = rooms.iter().map(|r| Value::Str(r)).collect();
                let data: Vec<(&str, Value<'_>)> = data
                    .iter()
                    .map(|(k, v)| (k.as_str(), Value::Json(v)))
                    .collect();
                let id = ctx.id().to_string();
                let recovered = if ctx.recovered() { "true" } else { "false" };
                let state = [
                    ("id", Value::Str(&id)),
                    ("recovered", Value::Json(recovered)),
                    ("rooms", Value::Array(&rooms)),
                    ("data", Value::Object(&data)),
                ];
                let _ = ctx.ack(h, &[Value::Object(&state)]);
            }
            ("message", _) => {
                let args: Vec<Value<'_>> = event.args().collect();
                let _ = ctx.emit("message-back", &args);
            }
            _ => {}
        }
    }

    pub fn on_control(&mut self, ctx: &mut Ctx<'_>, mut event: Event<'_>) {
        let answer = match event.name() {
            "emit" => match (event.str_arg(0), event.str_arg(1)) {
                (Some(spec), Some(name)) => {
                    let args: Vec<Value<'_>> = event.args().skip(2).collect();
                    let room = spec
                        .strip_prefix("room:")
                        .or_else(|| spec.strip_prefix("sid:"));
                    let rooms: Vec<&str> = room.into_iter().collect();
                    let target = Target::namespace("/").rooms(&rooms);
                    ctx.hub()
                        .broadcast(&target, &name, &args)
                        .is_ok()
                        .to_string()
                }
                _ => "false".into(),
            },
            "use-middleware" => {
                self.middleware = event.arg(0) != Some("false");
                "true".into()
            }
            "stats" => format!("{{\"recoverable\":{}}}", ctx.hub().recoverable_sessions()),
            _ => return,
        };
        if let Some(h) = event.take_ack() {
            let _ = ctx.ack(h, &[Value::Json(&answer)]);
        }
    }
}
