//! The integration tests that run the real `problemfirst` binary, because what they check is
//! the process's own: killed with SIGKILL in the middle of filing, stopped with SIGTERM while
//! calls are in flight, started with a low open-file limit, measured by its resident memory.
//! A binary of their own, run after the in-process tests, so that their timing does not share
//! the machine with them.

#[path = "../support/mod.rs"]
mod support;

mod anywhere;
mod crash;
mod crash_events;
mod crash_socket;
mod listener_limits;
mod running;
mod serve;
mod stop_once;
