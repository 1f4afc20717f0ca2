//! The camera filter in real windows, on the GPU (lavapipe in CI): two
//! windows each with a filtered camera in its own style; the second window
//! at 0×0 (what Bevy reports for a minimised window) and restored; the
//! first moved to a scale factor of 1.5 (as on a denser monitor: the same
//! logical size, more pixels). In each state every shown window, filtered,
//! equals the CPU network on the same window unfiltered, and the app runs
//! on without an error or a panic.
//!
//! Bevy's window loop must own the main thread, so this test has no
//! harness. It needs an X server: it starts its own Xvfb when one is
//! installed (`apt-get install -y xvfb`; CI does), and otherwise uses
//! `DISPLAY`'s.

#[path = "common/reference.rs"]
mod reference;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bevy::camera::RenderTarget;
use bevy::log::LogPlugin;
use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::render::settings::{Backends, WgpuSettings};
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::window::{ExitCondition, WindowRef, WindowResized, WindowResolution};
use bevy_gan_style::prelude::*;
use image::RgbaImage;

use reference::{cpu_stylized, difference, lit_objects};

/// The windows' physical sizes at scale factor 1.
const SIZES: [UVec2; 2] = [UVec2::new(96, 64), UVec2::new(80, 64)];

fn main() {
    let _server = XServer::start();
    let finished = Arc::new(Mutex::new(false));
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(window("first", SIZES[0])),
                exit_condition: ExitCondition::DontExit,
                ..default()
            })
            .set(RenderPlugin {
                render_creation: WgpuSettings {
                    backends: Some(Backends::PRIMARY),
                    ..default()
                }
                .into(),
                synchronous_pipeline_compilation: true,
                ..default()
            })
            // The crate's assets wherever the binary is run from.
            .set(AssetPlugin {
                file_path: concat!(env!("CARGO_MANIFEST_DIR"), "/assets").into(),
                ..default()
            })
            .set(LogPlugin {
                filter: "warn,cubecl_runtime=warn".into(),
                ..default()
            }),
    )
    .add_plugins(GanStylePlugin)
    .insert_resource(Script::new(Arc::clone(&finished)))
    .add_systems(Startup, setup)
    .add_systems(Update, run_script);
    let exit = app.run();
    assert!(exit.is_success(), "the app exited with {exit:?}");
    assert!(
        *finished.lock().expect("flag"),
        "the app exited before the script's end"
    );
    println!("windows: every check passed");
}

fn window(title: &str, size: UVec2) -> Window {
    Window {
        title: title.into(),
        resolution: WindowResolution::new(size.x, size.y).with_scale_factor_override(1.0),
        ..default()
    }
}

/// The two windows' cameras, in window order, and their styles.
#[derive(Resource)]
struct Views {
    windows: [Entity; 2],
    cameras: [Entity; 2],
    styles: [StyleWeights; 2],
}

fn setup(world: &mut World) {
    let at = lit_objects(world);
    let model = world
        .resource::<AssetServer>()
        .load("models/multistyle26.style.ron");
    let first = world
        .query_filtered::<Entity, With<bevy::window::PrimaryWindow>>()
        .single(world)
        .expect("primary window");
    let second = world.spawn(window("second", SIZES[1])).id();
    let styles = [StyleWeights::single(7), StyleWeights::single(2)];
    let side = Transform::from_xyz(3.5, 2.0, 3.0).looking_at(Vec3::new(0.0, 0.4, 0.0), Vec3::Y);
    let mut cameras = [Entity::PLACEHOLDER; 2];
    for (i, (target, transform)) in [(first, at), (second, side)].into_iter().enumerate() {
        cameras[i] = world
            .spawn((
                Camera3d::default(),
                RenderTarget::Window(WindowRef::Entity(target)),
                transform,
                StyleTransfer {
                    model: model.clone(),
                    style: styles[i].clone(),
                    ..default()
                },
            ))
            .id();
    }
    world.insert_resource(Views {
        windows: [first, second],
        cameras,
        styles,
    });
}

/// Whether a shot is of the unfiltered or the filtered window.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Shot {
    Plain,
    Filtered,
}

/// One step of the script; each runs over as many frames as it needs.
enum Step {
    /// Changes the windows, and says how.
    Do(&'static str, fn(&mut World, &Views)),
    /// Turns every camera's filter on or off.
    Filters(bool),
    /// Lets frames pass.
    Frames(u32),
    /// Asserts what the world looks like, and says what.
    Expect(&'static str, fn(&World, &Views) -> bool),
    /// Waits until the windows' filters have been ready three frames in a
    /// row (the status reports the previous frame's plan).
    Ready(&'static [usize]),
    /// Captures the windows and waits for the pictures.
    Capture(&'static [usize], Shot),
    /// Compares each window's filtered shot with the CPU network on its
    /// plain one.
    Compare(&'static str, &'static [usize]),
}

/// Steps that check `windows`: filtered shots once the filters are ready
/// (so a filter that was on through a change shows that it resumed), then
/// plain shots, the filter back on, the comparison.
fn check(name: &'static str, windows: &'static [usize]) -> [Step; 8] {
    [
        Step::Ready(windows),
        Step::Frames(3),
        Step::Capture(windows, Shot::Filtered),
        Step::Filters(false),
        Step::Frames(4),
        Step::Capture(windows, Shot::Plain),
        Step::Filters(true),
        Step::Compare(name, windows),
    ]
}

#[derive(Resource)]
struct Script {
    steps: Vec<Step>,
    next: usize,
    /// Frames the current step has run, and when it began.
    frames: u32,
    began: Instant,
    shots: Arc<Mutex<HashMap<(usize, Shot), RgbaImage>>>,
    finished: Arc<Mutex<bool>>,
}

impl Script {
    fn new(finished: Arc<Mutex<bool>>) -> Self {
        let mut steps = Vec::new();
        steps.extend(check("two windows in two styles", &[0, 1]));
        steps.push(Step::Do("the second window at 0×0", |world, views| {
            resize(world, views.windows[1], UVec2::ZERO);
        }));
        steps.push(Step::Frames(30));
        steps.push(Step::Expect(
            "after 30 frames the second window is still 0×0 and its camera has no target size",
            |world, views| {
                let window = world.get::<Window>(views.windows[1]).expect("window");
                let camera = world.get::<Camera>(views.cameras[1]).expect("camera");
                let size = camera.physical_target_size().unwrap_or_default();
                window.physical_width() == 0 && window.physical_height() == 0 && size == UVec2::ZERO
            },
        ));
        steps.extend(check("the first window, the second at 0×0", &[0]));
        steps.push(Step::Do("the second window restored", |world, views| {
            resize(world, views.windows[1], SIZES[1]);
        }));
        steps.extend(check("both windows after the restore", &[0, 1]));
        steps.push(Step::Do(
            "the first window at scale factor 1.5",
            |world, views| {
                let mut window = world.get_mut::<Window>(views.windows[0]).expect("window");
                window.resolution.set_scale_factor_override(Some(1.5));
                let size = (SIZES[0].as_vec2() * 1.5).as_uvec2();
                window.resolution.set_physical_resolution(size.x, size.y);
            },
        ));
        steps.extend(check("both windows after the scale change", &[0, 1]));
        Self {
            steps,
            next: 0,
            frames: 0,
            began: Instant::now(),
            shots: Arc::default(),
            finished,
        }
    }
}

/// Gives `window` a new physical size as the window loop does when the
/// system resizes or minimises it: the size, then the `WindowResized`
/// message the cameras follow. (Under X, asking for 0×0 leaves the window
/// as it was and sends nothing back, so the test says it itself.)
fn resize(world: &mut World, window: Entity, size: UVec2) {
    let mut state = world.get_mut::<Window>(window).expect("window");
    state.resolution.set_physical_resolution(size.x, size.y);
    let (width, height) = (state.width(), state.height());
    world.write_message(WindowResized {
        window,
        width,
        height,
    });
}

/// Runs the current step; moves on when it is done, and ends the app after
/// the last one.
fn run_script(world: &mut World) {
    world.resource_scope(|world, mut script: Mut<Script>| {
        let Some(step) = script.steps.get(script.next) else {
            return;
        };
        let views = world.resource::<Views>();
        let (windows, cameras) = (views.windows, views.cameras);
        let first = script.frames == 0;
        let mut restart = false;
        let done = match step {
            Step::Do(name, change) => {
                println!("windows: {name}");
                world.resource_scope(|world, views: Mut<Views>| change(world, &views));
                true
            }
            Step::Filters(on) => {
                for camera in cameras {
                    let mut settings = world.get_mut::<StyleTransfer>(camera).expect("camera");
                    settings.enabled = *on;
                }
                true
            }
            Step::Frames(count) => script.frames >= *count,
            Step::Expect(what, holds) => {
                assert!(holds(world, world.resource::<Views>()), "not so: {what}");
                println!("windows: {what}");
                true
            }
            Step::Ready(which) => {
                let ready = which.iter().all(|&i| {
                    world
                        .get::<StyleTransferStatus>(cameras[i])
                        .is_some_and(|status| status.ready)
                });
                assert!(
                    script.began.elapsed() < Duration::from_secs(300),
                    "the filters of windows {which:?} were not ready within 300 s"
                );
                restart = !ready;
                ready && script.frames >= 3
            }
            Step::Capture(which, shot) => {
                if first {
                    for &i in *which {
                        let shots = Arc::clone(&script.shots);
                        let shot = *shot;
                        world.spawn(Screenshot::window(windows[i])).observe(
                            move |captured: On<ScreenshotCaptured>| {
                                let picture = captured
                                    .image
                                    .clone()
                                    .try_into_dynamic()
                                    .expect("an 8-bit window")
                                    .to_rgba8();
                                shots.lock().expect("shots").insert((i, shot), picture);
                            },
                        );
                    }
                    script
                        .shots
                        .lock()
                        .expect("shots")
                        .retain(|(_, s), _| s != shot);
                }
                assert!(
                    script.began.elapsed() < Duration::from_secs(60),
                    "no screenshot of windows {which:?} within 60 s"
                );
                let shots = script.shots.lock().expect("shots");
                which.iter().all(|&i| shots.contains_key(&(i, *shot)))
            }
            Step::Compare(name, which) => {
                let shots = script.shots.lock().expect("shots");
                let styles = &world.resource::<Views>().styles;
                for &i in *which {
                    let plain = &shots[&(i, Shot::Plain)];
                    let filtered = &shots[&(i, Shot::Filtered)];
                    let (max, mean) = difference(filtered, &cpu_stylized(plain, &styles[i]));
                    let (_, changed) = difference(filtered, plain);
                    save(name, i, plain, filtered);
                    let (width, height) = filtered.dimensions();
                    println!(
                        "windows: {name}: window {i} ({width}×{height}): max {max}, mean {mean:.3} \
                         (8-bit levels) from the CPU network; {changed:.1} from plain"
                    );
                    assert!(changed > 10.0, "{name}: window {i} was not filtered");
                    assert!(
                        max <= 2 && mean < 0.05,
                        "{name}: window {i} differs from the CPU network"
                    );
                }
                true
            }
        };
        script.frames = if restart { 0 } else { script.frames + 1 };
        if done {
            script.next += 1;
            script.frames = 0;
            script.began = Instant::now();
            if script.next == script.steps.len() {
                *script.finished.lock().expect("flag") = true;
                world.write_message(AppExit::Success);
            }
        }
    });
}

/// Keeps the shots for a person to look at.
fn save(name: &str, window: usize, plain: &RgbaImage, filtered: &RgbaImage) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-output/windows");
    std::fs::create_dir_all(&dir).ok();
    let name = name.replace([' ', '×'], "_");
    plain
        .save(dir.join(format!("{name}_{window}_plain.png")))
        .ok();
    filtered
        .save(dir.join(format!("{name}_{window}_filtered.png")))
        .ok();
}

/// The X server the windows open on.
struct XServer(Option<Child>);

impl XServer {
    /// Starts Xvfb on a display it picks (it knows which are free and which
    /// lock files are stale) and points `DISPLAY` at it; without Xvfb, uses
    /// `DISPLAY` as it is. Called first in `main`, before any other thread
    /// exists.
    fn start() -> Self {
        // Without it, the windowing libraries print an error line for
        // each window; the test needs no runtime folder of its own.
        if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
            // SAFETY: the process has no other threads yet.
            unsafe { std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir()) };
        }
        // `-displayfd 1`: the display number arrives on standard output
        // once the server accepts connections.
        let spawned = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "640x480x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        let Ok(mut child) = spawned else {
            assert!(
                std::env::var_os("DISPLAY").is_some(),
                "no X server: install Xvfb (apt-get install -y xvfb) or set DISPLAY"
            );
            return Self(None);
        };
        let mut number = String::new();
        let stdout = child.stdout.take().expect("piped");
        BufReader::new(stdout).read_line(&mut number).ok();
        let server = Self(Some(child));
        let number = number.trim();
        assert!(
            !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()),
            "Xvfb did not start (display {number:?})"
        );
        // SAFETY: the process has no other threads yet.
        unsafe { std::env::set_var("DISPLAY", format!(":{number}")) };
        server
    }
}

impl Drop for XServer {
    /// Stops Xvfb with SIGTERM, so that it removes its lock file and socket.
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let terminated = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .is_ok_and(|status| status.success());
            if !terminated {
                child.kill().ok();
            }
            child.wait().ok();
        }
    }
}
