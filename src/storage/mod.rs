//! Placeholder: the sled store is being written.
