//! The process heap: glibc's allocator tuned for a long-running bot. Elsewhere these are no-ops.
//!
//! Measured with `cargo bench --bench http_load`: glibc gives threads heaps of their own, up to
//! eight per core, and a busy bot's threads (the runtime's, sled's, the committer's) each keep a
//! partly used one; two arenas take the server about 10 MB lower at the same throughput.
//! Compiling the classifier's rules leaves about 10 MB of freed but unreturned memory behind.

/// Caps glibc's heaps at two. Call first thing, before any thread starts; `MALLOC_ARENA_MAX`
/// in the environment still wins.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only tunes the allocator, and this runs before any other thread
        // exists, so nothing allocates concurrently.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

/// Hands memory freed so far back to the operating system: for after start-up's one-off work.
pub fn give_back_free() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim is thread-safe and only releases pages no allocation uses.
    unsafe {
        libc::malloc_trim(0);
    }
}
