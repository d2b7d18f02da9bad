//! The process heap: glibc's allocator tuned for a long-running bot. Elsewhere these are no-ops.
//!
//! Measured with `cargo bench --bench http_load`:
//! - glibc gives threads heaps of their own, up to eight per core, and a thread keeps a partly
//!   used one; on a big host that is memory the bot never needs. Four bound it whatever the
//!   core count. Two heaps were tried: the committer, the runtime's workers and sled's threads
//!   then queue for the same heap locks (5–7% of the server's CPU spent waking each other),
//!   and the server answered 12–18% fewer requests per second, for 1–2 MB less peak memory.
//! - glibc raises its mmap threshold each time a large block is freed, after which sled's
//!   512 KiB log buffers and the regex caches' big tables come from the heaps and leave holes
//!   there that are never handed back; fixed thresholds take the peak 5–7 MB lower.
//! - Compiling the classifier's rules leaves about 10 MB of freed but unreturned memory behind.

/// glibc's heaps (arenas), shared by all threads.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ARENAS: libc::c_int = 4;
/// Blocks at least this big get pages of their own, returned when freed (glibc's own starting
/// value, kept fixed).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 128 * 1024;
/// Free memory at the top of a heap beyond this goes back to the system (glibc's default, kept
/// fixed).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: libc::c_int = 128 * 1024;

/// Caps glibc's heaps at four and fixes its mmap and trim thresholds. Call first thing, before
/// any thread starts. `MALLOC_ARENA_MAX` in the environment still decides the heaps, and
/// `GLIBC_TUNABLES` the thresholds.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let set = |option, value| {
            // SAFETY: mallopt only tunes the allocator, and this runs before any other thread
            // exists, so nothing allocates concurrently.
            unsafe { libc::mallopt(option, value) }
        };
        if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
            set(libc::M_ARENA_MAX, ARENAS);
        }
        if std::env::var_os("GLIBC_TUNABLES").is_none() {
            set(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
            set(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
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
