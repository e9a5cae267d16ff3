//! What the benchmark process itself uses: CPU time and memory, from the kernel.

use anyhow::{Context, Result};
use std::time::Duration;

/// CPU time (user + system) this process has used.
pub fn cpu_time() -> Duration {
    // SAFETY: getrusage fills the struct it is given; RUSAGE_SELF is always valid.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// The process's high-water resident set, in MB, from /proc.
pub fn peak_rss_mb() -> Result<f64> {
    status_mb("VmHWM:")
}

/// The process's resident set now, in MB, from /proc.
pub fn rss_mb() -> Result<f64> {
    status_mb("VmRSS:")
}

fn status_mb(field: &str) -> Result<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no {field} in /proc/self/status"))?;
    Ok(kb / 1024.0)
}
