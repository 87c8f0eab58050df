//! Per-socket session data: values of the caller's own types stored by key (the modern form of
//! `socket.set` / `socket.get`), dropped with the socket.

use alloc::boxed::Box;
use core::any::Any;

use super::{Hub, HubError, SocketId, check_name};

impl Hub {
    // ----- session data ---------------------------------------------------------------------

    /// Stores `value` under `key` for the socket, replacing (and returning) any previous value of
    /// any type. Kept until the socket is removed.
    ///
    /// # Errors
    /// Unknown socket, invalid key, or
    /// [`HubConfig::max_data_keys`](super::HubConfig::max_data_keys).
    pub fn set_data<T: Any + Send>(
        &mut self,
        id: SocketId,
        key: &str,
        value: T,
    ) -> Result<Option<Box<dyn Any + Send>>, HubError> {
        check_name(key, self.config.max_data_key_len, "key")?;
        let max = self.config.max_data_keys;
        let sock = self.socket_mut(id).ok_or(HubError::UnknownSocket)?;
        if let Some(slot) = sock.data.get_mut(key) {
            return Ok(Some(core::mem::replace(slot, Box::new(value))));
        }
        if sock.data.len() >= max {
            return Err(HubError::LimitExceeded {
                limit: "max_data_keys",
            });
        }
        sock.data.insert(key.into(), Box::new(value));
        Ok(None)
    }

    /// The value stored under `key`, if there is one of type `T`.
    #[must_use]
    pub fn data<T: Any>(&self, id: SocketId, key: &str) -> Option<&T> {
        self.socket_ref(id)?.data.get(key)?.downcast_ref::<T>()
    }

    /// Mutable access to the value stored under `key`, if there is one of type `T`.
    #[must_use]
    pub fn data_mut<T: Any>(&mut self, id: SocketId, key: &str) -> Option<&mut T> {
        self.socket_mut(id)?.data.get_mut(key)?.downcast_mut::<T>()
    }

    /// Removes and returns the value under `key` if it is of type `T`; a value of another type is
    /// left in place and `None` returned.
    pub fn take_data<T: Any>(&mut self, id: SocketId, key: &str) -> Option<T> {
        let data = &mut self.socket_mut(id)?.data;
        if !data.get(key)?.is::<T>() {
            return None;
        }
        let boxed = data.remove(key)?;
        boxed.downcast::<T>().ok().map(|b| *b)
    }

    /// Removes the value under `key`, whatever its type. Returns whether there was one.
    pub fn remove_data(&mut self, id: SocketId, key: &str) -> bool {
        self.socket_mut(id)
            .is_some_and(|s| s.data.remove(key).is_some())
    }

    /// The keys with stored values, in byte order.
    pub fn data_keys(&self, id: SocketId) -> impl Iterator<Item = &str> + '_ {
        self.socket_ref(id)
            .into_iter()
            .flat_map(|s| s.data.keys().map(|k| &**k))
    }
}
