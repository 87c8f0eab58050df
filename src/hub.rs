//! The Socket.IO server hub: rooms, broadcast, session data (being written).
