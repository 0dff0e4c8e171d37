//! The `telemetry-spec` binary: a thin shell around [`telemetry_spec::cli::run`].

use std::process::ExitCode;

fn main() -> ExitCode {
    huge_pages::restart_for_large_spec();
    let mut stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    let mut io = telemetry_spec::cli::Io {
        stdin: &mut stdin,
        stdout: &mut stdout,
        stderr: &mut stderr,
        exits_after: true,
    };
    ExitCode::from(telemetry_spec::cli::run(std::env::args_os(), &mut io))
}

/// Transparent huge pages for the heap when the spec is large.
///
/// Checking a large spec fills tens of megabytes of fresh memory in a few milliseconds, and on
/// the virtual machines this runs on, faulting that memory in 4 KiB pages is about a third of
/// the process's time. glibc's allocator asks the kernel for huge pages when its
/// `glibc.malloc.hugetlb=1` tunable is set, and grows each heap in steps of `top_pad`, large
/// enough to hold whole huge pages; tunables are read only when a process starts, so the
/// process starts itself again with them (an `exec`, about a millisecond: only worth it for a
/// large spec). Tunables someone already set are left alone, and so is every other platform.
/// The figures are in the README ("Measuring").
mod huge_pages {
    /// The tunables: huge pages through `madvise`, heaps grown 12 MiB at a time (measured at
    /// 10,000 items: 6 MiB steps took a fifth longer, 16 to 32 MiB no less time).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    const TUNABLES: &str = "glibc.malloc.hugetlb=1:glibc.malloc.top_pad=12582912";

    /// A spec file from this size on counts as large (about 2,500 items).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    const LARGE_SPEC: u64 = 1 << 20;

    /// Replaces the process with itself, under [`TUNABLES`], if an argument names a file of
    /// [`LARGE_SPEC`] bytes or more; returns if it does not, or if that fails (then the
    /// process simply goes on with small pages).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    pub(super) fn restart_for_large_spec() {
        use std::os::unix::process::CommandExt;
        const VARIABLE: &str = "GLIBC_TUNABLES";
        if std::env::var_os(VARIABLE).is_some() {
            return;
        }
        let mut args = std::env::args_os();
        let program = args.next();
        let args: Vec<_> = args.collect();
        let large = args
            .iter()
            .any(|arg| std::fs::metadata(arg).is_ok_and(|m| m.is_file() && m.len() >= LARGE_SPEC));
        let (true, Some(program), Ok(exe)) = (large, program, std::env::current_exe()) else {
            return;
        };
        // Only returns on failure.
        let _ = std::process::Command::new(exe)
            .arg0(program)
            .args(args)
            .env(VARIABLE, TUNABLES)
            .exec();
    }

    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    pub(super) fn restart_for_large_spec() {}
}
