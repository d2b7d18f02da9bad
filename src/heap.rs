//! The process heap: jemalloc, configured for a long-running bot. The `problemfirst` binary (and
//! the benches that measure it in-process) make [`Allocator`] their global allocator; a library
//! leaves that choice to the program, so this one only provides it.
//!
//! Measured with `cargo bench --bench http_load` against glibc's allocator (capped at four heaps,
//! with fixed mmap and trim thresholds, as this module set it up before): the server spent about
//! a third less CPU per acknowledgement and answered about 45% more requests per second. glibc's
//! threads queued for its few heaps' locks, where jemalloc serves most allocations from a cache of
//! the thread's own. The price is peak memory under load, a few MB higher.
//!
//! The settings (`MALLOC_CONF` below), each measured the same way:
//! - two arenas whatever the core count, so a big host does not hand the bot memory it never
//!   needs (jemalloc's default is four per core);
//! - freed pages go back to the system after 100 ms (`dirty_decay_ms`), by jemalloc's own
//!   background thread rather than on the next allocation, and without a second, lazier stage
//!   (`muzzy_decay_ms:0`);
//! - the threads' caches keep blocks of at most 4 KiB, so sled's large log buffers and the
//!   regex caches' tables are not held per thread.
//!
//! `_RJEM_MALLOC_CONF` in the environment is read after these and overrides them.

/// The bot's allocator, for `#[global_allocator]`.
#[cfg(not(target_env = "msvc"))]
pub type Allocator = tikv_jemallocator::Jemalloc;
/// The bot's allocator, for `#[global_allocator]`: the system's where jemalloc does not build.
#[cfg(target_env = "msvc")]
pub type Allocator = std::alloc::System;

/// jemalloc's options, read before `main` (so a constant, NUL-terminated).
#[cfg(not(target_env = "msvc"))]
const MALLOC_CONF: &[u8] =
    b"narenas:2,background_thread:true,dirty_decay_ms:100,muzzy_decay_ms:0,tcache_max:4096\0";

/// jemalloc reads its compiled-in options from this symbol (`malloc_conf`, under the prefix the
/// `tikv-jemalloc-sys` build gives every jemalloc symbol). jemalloc declares it weak, so this
/// definition is the one it sees.
#[cfg(not(target_env = "msvc"))]
#[used]
#[unsafe(export_name = "_rjem_malloc_conf")]
static CONF: &u8 = &MALLOC_CONF[0];

/// Hands memory freed so far back to the operating system: for after start-up's one-off work
/// (the config's sources, the rules' compilation).
pub fn give_back_free() {
    #[cfg(not(target_env = "msvc"))]
    // SAFETY: "arena.<MALLCTL_ARENAS_ALL>.purge" takes no arguments and returns nothing; the name
    // is NUL-terminated and the null pointers say so. Purging only releases unused pages.
    unsafe {
        tikv_jemalloc_sys::mallctl(
            c"arena.4096.purge".as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        );
    }
}

#[cfg(all(test, not(target_env = "msvc")))]
mod tests {
    /// An option as jemalloc reads it, through `mallctl("opt.<name>")`.
    fn option<T: Default>(name: &std::ffi::CStr) -> T {
        let mut value = T::default();
        let mut size = std::mem::size_of::<T>();
        // SAFETY: `value` is a `T` of `size` bytes, the type jemalloc documents for the options
        // read below (size_t for unsigned counts, ssize_t for the decays, bool for flags).
        let rc = unsafe {
            tikv_jemalloc_sys::mallctl(
                name.as_ptr(),
                (&mut value as *mut T).cast(),
                &mut size,
                std::ptr::null_mut(),
                0,
            )
        };
        assert_eq!(rc, 0, "mallctl {name:?}");
        value
    }

    #[test]
    fn jemalloc_runs_with_the_bots_options() {
        if std::env::var_os("_RJEM_MALLOC_CONF").is_some() {
            return; // the environment chose other options on purpose
        }
        assert_eq!(option::<u32>(c"opt.narenas"), 2);
        assert!(option::<bool>(c"opt.background_thread"));
        assert_eq!(option::<isize>(c"opt.dirty_decay_ms"), 100);
        assert_eq!(option::<isize>(c"opt.muzzy_decay_ms"), 0);
        assert_eq!(option::<usize>(c"opt.tcache_max"), 4096);
    }
}
