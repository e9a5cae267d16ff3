//! `cargo xtask monado`: builds Monado, the open-source OpenXR runtime the headset tests run against.
//!
//! Monado runs fully headless here: its null compositor needs no display and
//! works on Mesa's CPU Vulkan driver, and its simulated and remote drivers
//! stand in for a headset and controllers. It is built twice, once per pinned
//! commit: in `build/` as a runtime inside the app's process (every headset
//! test), and in `build-service/` as `monado-service` with its client (the
//! test that kills the runtime mid-session). Both go into
//! `~/.cache/allverse/monado/<commit>/`, from the source found, in order, in:
//! `$ALLVERSE_MONADO_SRC` (the source tarball or an extracted folder), the
//! tarball in a `shared/tools/monado/` folder beside the repository, or
//! upstream at the same commit over git. A tarball must match its pinned
//! SHA-256. Monado's sources never enter this repository.

use crate::sha256_hex;
use anyhow::{Context, Result, bail, ensure};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The upstream commit every test runs against.
const COMMIT: &str = "ebc3f6530bca35f29db280b28d4277e3b71440d4";
/// The source archive of [`COMMIT`] (no top-level folder), and its SHA-256.
const TARBALL: &str = "monado-ebc3f653.tar.gz";
const TARBALL_SHA256: &str = "2ea75b931e81e1e4b2c08ea980b41335f1fb04221a10cfd6ec0e463c0f3ddb3f";
const UPSTREAM: &str = "https://gitlab.freedesktop.org/monado/monado.git";
/// Points at the source: a `.tar.gz` of [`COMMIT`] or a folder holding it.
pub const SOURCE_ENV: &str = "ALLVERSE_MONADO_SRC";
/// The variable the tests read the runtime manifest's path from.
pub const MANIFEST_ENV: &str = "ALLVERSE_XR_RUNTIME_JSON";
/// The variable the tests read the service build's folder from.
pub const SERVICE_BUILD_ENV: &str = "ALLVERSE_MONADO_SERVICE_BUILD";

/// What building Monado needs from Debian, and why.
const DEBIAN_PACKAGES: &[(&str, &str)] = &[
    ("g++", "to compile Monado"),
    ("cmake", "Monado's build system"),
    ("ninja-build", "runs Monado's build"),
    ("pkg-config", "finds Monado's libraries"),
    ("python3", "generates Monado's binding tables"),
    ("glslang-tools", "compiles Monado's compositor shaders"),
    ("libeigen3-dev", "Monado's maths"),
    ("libvulkan-dev", "Monado's compositor is Vulkan"),
    ("libudev-dev", "Monado's device enumeration"),
    ("mesa-vulkan-drivers", "lavapipe, the CPU Vulkan driver Monado's null compositor runs on"),
    ("libopenxr-loader1", "the OpenXR loader the app reaches Monado through"),
    ("libopenxr-dev", "the unversioned libopenxr_loader.so name the OpenXR bindings load"),
];

/// Drivers built: a simulated headset with controllers, and one driven over TCP.
const DRIVERS_ON: [&str; 2] = ["XRT_BUILD_DRIVER_SIMULATED", "XRT_BUILD_DRIVER_REMOTE"];

/// The null compositor and no window system: the line Monado's README for
/// this machine verified. [`Variant`] adds whether the runtime is in the app's
/// process or in `monado-service`.
const CMAKE_OPTIONS: &[&str] = &[
    "-DCMAKE_BUILD_TYPE=Release",
    "-DGIT_DESC=ebc3f6530",
    "-DBUILD_TESTING=OFF",
    "-DXRT_BUILD_SAMPLES=OFF",
    "-DXRT_MODULE_MONADO_CLI=OFF",
    "-DXRT_FEATURE_STEAMVR_PLUGIN=OFF",
    // The remote driver links the Vive helpers.
    "-DXRT_MODULE_AUX_VIVE=ON",
    "-DXRT_MODULE_AUX_HTC=OFF",
    // The in-process target always links the main compositor; it builds without a window system.
    "-DXRT_MODULE_COMPOSITOR_MAIN=ON",
    "-DXRT_MODULE_COMPOSITOR_NULL=ON",
    "-DXRT_HAVE_OPENGL=OFF",
    "-DXRT_HAVE_OPENGL_GLX=OFF",
    "-DXRT_HAVE_EGL=OFF",
    "-DXRT_HAVE_OPENGLES=OFF",
    "-DXRT_HAVE_WAYLAND=OFF",
    "-DXRT_HAVE_XCB=OFF",
    "-DXRT_HAVE_XLIB=OFF",
    "-DXRT_HAVE_XRANDR=OFF",
    "-DXRT_HAVE_DBUS=OFF",
    "-DXRT_HAVE_SYSTEMD=OFF",
    "-DXRT_HAVE_GST=OFF",
    "-DXRT_HAVE_OPENCV=OFF",
    "-DXRT_HAVE_LIBUSB=OFF",
    "-DXRT_HAVE_HIDAPI=OFF",
    "-DXRT_HAVE_JPEG=OFF",
    "-DXRT_HAVE_SDL2=OFF",
];

/// Where the runtime runs, which decides what a test can do to it.
#[derive(Clone, Copy)]
enum Variant {
    /// Inside the app's process: fast to start, used by every headset test.
    InProcess,
    /// In `monado-service`, which apps reach over a socket: a test can kill
    /// the runtime while the app's session runs.
    Service,
}

impl Variant {
    fn folder(self) -> &'static str {
        match self {
            Self::InProcess => "build",
            Self::Service => "build-service",
        }
    }

    fn options(self) -> [&'static str; 2] {
        match self {
            Self::InProcess => ["-DXRT_FEATURE_SERVICE=OFF", "-DXRT_MODULE_IPC=OFF"],
            Self::Service => ["-DXRT_FEATURE_SERVICE=ON", "-DXRT_MODULE_IPC=ON"],
        }
    }

    /// The files a finished build has.
    fn outputs(self, build: &Path) -> Vec<PathBuf> {
        let mut files = vec![
            build.join("openxr_monado-dev.json"),
            build.join("src/xrt/targets/openxr/libopenxr_monado.so"),
        ];
        if let Self::Service = self {
            files.push(build.join(SERVICE_BINARY));
        }
        files
    }
}

/// `monado-service` inside a [`Variant::Service`] build.
const SERVICE_BINARY: &str = "src/xrt/targets/service/monado-service";

/// What `cargo xtask monado` built.
pub struct Builds {
    /// The in-process runtime's manifest, for `XR_RUNTIME_JSON`.
    pub manifest: PathBuf,
    /// The service build's folder: `openxr_monado-dev.json` and [`SERVICE_BINARY`] inside.
    pub service_build: PathBuf,
}

impl Builds {
    /// Tells a test run where both runtimes are.
    pub fn pass_to(&self, command: &mut Command) {
        command.env(MANIFEST_ENV, &self.manifest).env(SERVICE_BUILD_ENV, &self.service_build);
    }
}

/// Builds both variants of Monado unless the cache has them.
pub fn run() -> Result<Builds> {
    let cache = allverse_core::paths::cache_dir()
        .context("no cache directory on this system (is HOME set?)")?
        .join("monado")
        .join(COMMIT);
    for variant in [Variant::InProcess, Variant::Service] {
        build(&cache, variant)?;
    }
    let manifest = cache.join(Variant::InProcess.folder()).join("openxr_monado-dev.json");
    println!("[monado] runtime manifest {} (point XR_RUNTIME_JSON at it)", manifest.display());
    Ok(Builds { manifest, service_build: cache.join(Variant::Service.folder()) })
}

fn build(cache: &Path, variant: Variant) -> Result<()> {
    let build = cache.join(variant.folder());
    let outputs = variant.outputs(&build);
    if outputs.iter().all(|file| file.is_file()) {
        println!("[monado] Monado {} is built in {}", &COMMIT[..9], build.display());
        return Ok(());
    }
    crate::setup::install_debian_packages("monado", DEBIAN_PACKAGES)?;
    let source = cache.join("src");
    if !source.join("CMakeLists.txt").is_file() {
        provide_source(&source)?;
    }
    let started = Instant::now();
    println!(
        "[monado] building Monado {} into {}; about 2 minutes on 2 cores, once",
        &COMMIT[..9],
        build.display()
    );
    let mut configure = Command::new("cmake");
    configure
        .arg("-S")
        .arg(&source)
        .arg("-B")
        .arg(&build)
        .args(["-G", "Ninja"])
        .args(CMAKE_OPTIONS)
        .args(variant.options());
    for driver in drivers(&source)? {
        let on = if DRIVERS_ON.contains(&driver.as_str()) { "ON" } else { "OFF" };
        configure.arg(format!("-D{driver}={on}"));
    }
    crate::run("monado", &mut configure)?;
    crate::run("monado", Command::new("ninja").arg("-C").arg(&build))?;
    if let Some(missing) = outputs.iter().find(|file| !file.is_file()) {
        bail!("[monado] the build finished without {}", missing.display());
    }
    println!("[monado] built {} in {:.0} s", build.display(), started.elapsed().as_secs_f64());
    Ok(())
}

/// Every `XRT_BUILD_DRIVER_*` option the source defines, so all but ours can be switched off.
fn drivers(source: &Path) -> Result<Vec<String>> {
    let cmake = std::fs::read_to_string(source.join("CMakeLists.txt"))?;
    let mut names: Vec<String> = cmake
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with("XRT_BUILD_DRIVER_"))
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    ensure!(
        DRIVERS_ON.iter().all(|on| names.iter().any(|n| n == on)),
        "[monado] {} does not define {DRIVERS_ON:?}; is it Monado {COMMIT}?",
        source.join("CMakeLists.txt").display()
    );
    Ok(names)
}

/// Puts the pinned source into `target`, from the first place that has it.
fn provide_source(target: &Path) -> Result<()> {
    let partial = target.with_extension("partial");
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial)?;
    match locate_source()? {
        Some(Source::Tarball(tarball)) => {
            println!("[monado] checking {} against its pinned SHA-256", tarball.display());
            let sha = sha256_hex(&tarball)?;
            ensure!(
                sha == TARBALL_SHA256,
                "[monado] {} has SHA-256 {sha}, not the pinned {TARBALL_SHA256}; it is not Monado {COMMIT}",
                tarball.display()
            );
            println!("[monado] SHA-256 matches");
            crate::run("monado", Command::new("tar").arg("-xzf").arg(&tarball).arg("-C").arg(&partial))?;
        }
        Some(Source::Folder(folder)) => {
            println!("[monado] copying the source folder {} (taken as Monado {COMMIT})", folder.display());
            crate::run("monado", Command::new("cp").arg("-a").arg(folder.join(".")).arg(&partial))?;
        }
        None => fetch_upstream(&partial)?,
    }
    ensure!(
        partial.join("CMakeLists.txt").is_file(),
        "[monado] the source has no CMakeLists.txt at its top; a Monado tarball has no top-level folder"
    );
    let _ = std::fs::remove_dir_all(target);
    std::fs::rename(&partial, target)?;
    Ok(())
}

enum Source {
    Tarball(PathBuf),
    Folder(PathBuf),
}

/// `$ALLVERSE_MONADO_SRC`, else `shared/tools/monado/<tarball>` in the
/// repository's folder or any folder above it (CI keeps `shared/` beside the checkout).
fn locate_source() -> Result<Option<Source>> {
    if let Some(path) = std::env::var_os(SOURCE_ENV).map(PathBuf::from) {
        return if path.is_dir() {
            Ok(Some(Source::Folder(path)))
        } else if path.is_file() {
            Ok(Some(Source::Tarball(path)))
        } else {
            bail!("[monado] {SOURCE_ENV} is {}, which is neither a file nor a folder", path.display())
        };
    }
    let root = crate::workspace_root();
    Ok(root
        .ancestors()
        .map(|dir| dir.join("shared/tools/monado").join(TARBALL))
        .find(|path| path.is_file())
        .map(Source::Tarball))
}

/// Monado's source is neither here nor reachable: a machine without it can
/// still run every other test, and says which ones it could not.
#[derive(Debug)]
pub struct SourceUnavailable;

impl std::fmt::Display for SourceUnavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[monado] Monado's source is not here and could not be fetched from {UPSTREAM} \
             (no internet?). Set {SOURCE_ENV} to {TARBALL} (sha256 {TARBALL_SHA256}) or to a \
             folder with Monado {COMMIT}, or put the tarball in shared/tools/monado/ beside the repository."
        )
    }
}

impl std::error::Error for SourceUnavailable {}

/// Fetches the pinned commit from upstream; the commit id checks what arrives.
fn fetch_upstream(target: &Path) -> Result<()> {
    println!(
        "[monado] no local source ({SOURCE_ENV} unset, no shared/tools/monado/{TARBALL} beside the \
         repository); fetching {COMMIT} from {UPSTREAM}"
    );
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(target)
            .args(["-c", "http.lowSpeedLimit=1000", "-c", "http.lowSpeedTime=30"])
            .args(args)
            .status()
            .is_ok_and(|s| s.success())
    };
    let fetched = git(&["init", "-q"])
        && git(&["fetch", "-q", "--depth", "1", UPSTREAM, COMMIT])
        && git(&["checkout", "-q", "FETCH_HEAD"]);
    let head = Command::new("git").arg("-C").arg(target).args(["rev-parse", "HEAD"]).output();
    let at_commit = head.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == COMMIT);
    if !(fetched && at_commit) {
        return Err(SourceUnavailable.into());
    }
    std::fs::remove_dir_all(target.join(".git"))?;
    Ok(())
}
