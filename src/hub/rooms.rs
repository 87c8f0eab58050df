//! Rooms: joining and leaving the rooms of a socket's namespace, and membership queries.

use alloc::collections::BTreeSet;

use super::{Hub, HubError, SocketId, check_name};

impl Hub {
    // ----- rooms ----------------------------------------------------------------------------

    /// Adds the socket to `room` of its namespace. Returns `false` if it was already a member.
    ///
    /// # Errors
    /// Unknown socket, invalid room name, or
    /// [`HubConfig::max_rooms_per_socket`](super::HubConfig::max_rooms_per_socket).
    pub fn join(&mut self, id: SocketId, room: &str) -> Result<bool, HubError> {
        check_name(room, self.config.max_room_len, "room")?;
        let max = self.config.max_rooms_per_socket;
        let sock = self.socket_mut(id).ok_or(HubError::UnknownSocket)?;
        if sock.rooms.iter().any(|r| &**r == room) {
            return Ok(false);
        }
        if sock.rooms.len() >= max {
            return Err(HubError::LimitExceeded {
                limit: "max_rooms_per_socket",
            });
        }
        sock.rooms.push(room.into());
        let nsp_name = sock.namespace.clone();
        if let Some(nsp) = self.namespaces.get_mut(&nsp_name) {
            let set = nsp.rooms.entry(room.into()).or_default();
            let created = set.is_empty();
            set.insert(id.index);
            if let (true, Some(c)) = (created, self.cluster.as_deref_mut()) {
                c.room_created(&nsp_name, room);
            }
        }
        Ok(true)
    }

    /// Removes the socket from `room`. Returns `false` if it was not a member. A room left empty
    /// is deleted.
    ///
    /// # Errors
    /// [`HubError::UnknownSocket`].
    pub fn leave(&mut self, id: SocketId, room: &str) -> Result<bool, HubError> {
        let sock = self.socket_mut(id).ok_or(HubError::UnknownSocket)?;
        let Some(pos) = sock.rooms.iter().position(|r| &**r == room) else {
            return Ok(false);
        };
        sock.rooms.swap_remove(pos);
        let nsp_name = sock.namespace.clone();
        if let Some(nsp) = self.namespaces.get_mut(&nsp_name) {
            if let Some(set) = nsp.rooms.get_mut(room) {
                set.remove(&id.index);
                if set.is_empty() {
                    nsp.rooms.remove(room);
                    if let Some(c) = self.cluster.as_deref_mut() {
                        c.room_deleted(&nsp_name, room);
                    }
                }
            }
        }
        Ok(true)
    }

    /// Removes the socket from every room, its own-id room included.
    ///
    /// # Errors
    /// [`HubError::UnknownSocket`].
    pub fn leave_all(&mut self, id: SocketId) -> Result<(), HubError> {
        let rooms = core::mem::take(&mut self.socket_mut(id).ok_or(HubError::UnknownSocket)?.rooms);
        let nsp_name = self.socket_ref(id).map(|s| s.namespace.clone());
        if let Some((name, nsp)) =
            nsp_name.and_then(|n| Some((n.clone(), self.namespaces.get_mut(&n)?)))
        {
            for room in &rooms {
                if let Some(set) = nsp.rooms.get_mut(room) {
                    set.remove(&id.index);
                    if set.is_empty() {
                        nsp.rooms.remove(room);
                        if let Some(c) = self.cluster.as_deref_mut() {
                            c.room_deleted(&name, room);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The rooms the socket is in (its own-id room included unless it left it), in join order
    /// except after a leave.
    pub fn rooms_of(&self, id: SocketId) -> impl Iterator<Item = &str> + '_ {
        self.socket_ref(id)
            .into_iter()
            .flat_map(|s| s.rooms.iter().map(|r| &**r))
    }

    /// Whether the socket is in `room`.
    #[must_use]
    pub fn is_member(&self, id: SocketId, room: &str) -> bool {
        self.socket_ref(id)
            .is_some_and(|s| s.rooms.iter().any(|r| &**r == room))
    }

    /// The members of `room` in `namespace`, in no particular order.
    pub fn members<'s>(
        &'s self,
        namespace: &str,
        room: &str,
    ) -> impl Iterator<Item = SocketId> + 's {
        self.namespaces
            .get(namespace)
            .and_then(|n| n.rooms.get(room))
            .into_iter()
            .flat_map(|set| set.iter())
            .filter_map(|&i| self.id_at(i))
    }

    /// Number of members of `room` in `namespace` (0 for a room that does not exist).
    #[must_use]
    pub fn room_size(&self, namespace: &str, room: &str) -> usize {
        self.namespaces
            .get(namespace)
            .and_then(|n| n.rooms.get(room))
            .map_or(0, BTreeSet::len)
    }

    /// The rooms of `namespace` that have members (own-id rooms included), in byte order.
    pub fn rooms<'s>(&'s self, namespace: &str) -> impl Iterator<Item = &'s str> + 's {
        self.namespaces
            .get(namespace)
            .into_iter()
            .flat_map(|n| n.rooms.keys().map(|k| &**k))
    }
}
