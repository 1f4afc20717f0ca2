//! The camera filter on a small headless scene, on the GPU (lavapipe in CI).

use bevy::camera::RenderTarget;
use bevy::prelude::*;
use bevy::render::RenderApp;
use bevy::render::render_asset::RenderAssets;
use bevy::render::render_resource::{TextureFormat, TextureUsages};
use bevy::render::texture::GpuImage;
use bevy_gan_style::bridge::{host, image_to_tensor, tensor_to_image};
use bevy_gan_style::prelude::*;
use image::RgbaImage;

use crate::headless;
use crate::reference::{cpu_stylized, cpu_stylized_with, difference, lit_objects};
use crate::util::{root, wait_warm};

/// A lit scene with a few objects, seen by one camera rendering into an image.
pub struct Scene {
    pub app: App,
    pub camera: Entity,
    pub model: Handle<StyleModel>,
    target: Handle<Image>,
}

impl Scene {
    pub fn new(width: u32, height: u32, hdr: bool) -> Self {
        Self::with_scene(width, height, hdr, lit_objects)
    }

    /// [`Scene::new`] in an app whose assets `assets` configures.
    pub fn with_assets(width: u32, height: u32, assets: AssetPlugin) -> Self {
        Self::build(
            headless::headless_app_with_assets(true, assets),
            (width, height, false),
            lit_objects,
        )
    }

    /// A scene that `populate` spawns, returning where the camera stands.
    pub fn with_scene(
        width: u32,
        height: u32,
        hdr: bool,
        populate: impl FnOnce(&mut World) -> Transform,
    ) -> Self {
        Self::build(headless::headless_app(true), (width, height, hdr), populate)
    }

    /// Sprites and 2D meshes seen by a `Camera2d` rendering into an image.
    pub fn new_2d(width: u32, height: u32) -> Self {
        Self::build_with_camera(
            headless::headless_app(true),
            (width, height, false),
            sprites,
            Camera2d,
        )
    }

    fn build(
        app: App,
        size: (u32, u32, bool),
        populate: impl FnOnce(&mut World) -> Transform,
    ) -> Self {
        Self::build_with_camera(app, size, populate, Camera3d::default())
    }

    fn build_with_camera(
        mut app: App,
        (width, height, hdr): (u32, u32, bool),
        populate: impl FnOnce(&mut World) -> Transform,
        kind: impl Bundle,
    ) -> Self {
        assert!(
            bevy_gan_style::device::gpu_adapter_available(headless::BACKENDS),
            "no GPU adapter found: install software Vulkan (apt-get install -y mesa-vulkan-drivers libvulkan1)"
        );
        headless::finish_setup(&mut app);
        let world = app.world_mut();
        let model = StyleModel::load_file(root().join("assets/models/multistyle26.style.ron"))
            .expect("bundled model");
        let model = world.resource_mut::<Assets<StyleModel>>().add(model);
        let target = world
            .resource_mut::<Assets<Image>>()
            .add(target_image(width, height));
        let transform = populate(world);
        let mut camera = world.spawn((kind, RenderTarget::Image(target.clone().into()), transform));
        if hdr {
            camera.insert(bevy::camera::Hdr);
        }
        let camera = camera.id();
        wait_warm(&mut app, model.id());
        Self {
            app,
            camera,
            model,
            target,
        }
    }

    /// Renders `frames` frames and reads the last one back; first, when the
    /// camera's filter is on, frames until its network is warmed up at the
    /// camera's size (as a game shows `StyleTransferStatus::ready`).
    pub fn render(&mut self, frames: usize) -> RgbaImage {
        self.wait_ready();
        for _ in 0..frames {
            self.app.update();
        }
        self.read()
    }

    /// Runs frames until the camera's filter, when it is on, is ready.
    pub fn wait_ready(&mut self) {
        self.wait_ready_within(std::time::Duration::from_secs(300));
    }

    /// Runs frames until the camera's filter, when it is on, has been ready
    /// in three frames in a row, or `limit` has passed; returns how many
    /// frames it ran. Three: the status reports the previous frame's plan,
    /// and a new render target reaches the render world a frame after it
    /// is set, so two reports after a change can still be of the old state.
    pub fn wait_ready_within(&mut self, limit: std::time::Duration) -> u32 {
        let waiting = |scene: &Self| {
            let world = scene.app.world();
            let settings = world.get::<StyleTransfer>(scene.camera);
            let status = world.get::<StyleTransferStatus>(scene.camera);
            settings.is_some_and(|s| s.enabled && s.strength > 0.0)
                && status.is_some_and(|s| !s.ready && !s.model_missing)
        };
        let start = std::time::Instant::now();
        let (mut frames, mut ready_in_a_row) = (0, 0);
        while ready_in_a_row < 3 && start.elapsed() < limit {
            self.app.update();
            frames += 1;
            ready_in_a_row = if waiting(self) { 0 } else { ready_in_a_row + 1 };
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        frames
    }

    /// The camera's target image as rendered by the last frame.
    pub fn read(&mut self) -> RgbaImage {
        self.read_image(&self.target.clone())
    }

    /// A target image as rendered by the last frame.
    pub fn read_image(&mut self, target: &Handle<Image>) -> RgbaImage {
        let render = self.app.get_sub_app(RenderApp).expect("render app");
        let world = render.world();
        let gpu = world
            .resource::<RenderAssets<GpuImage>>()
            .get(target)
            .expect("target on the GPU");
        let device = world
            .resource::<bevy::render::renderer::RenderDevice>()
            .wgpu_device();
        let queue: &wgpu::Queue = &world.resource::<bevy::render::renderer::RenderQueue>().0;
        let bytes = host::read_texture(device, queue, &gpu.texture).expect("readback");
        RgbaImage::from_raw(gpu.texture.width(), gpu.texture.height(), bytes).expect("size")
    }

    /// Points the camera at a new target image of another size.
    pub fn resize(&mut self, width: u32, height: u32) {
        let world = self.app.world_mut();
        self.target = world
            .resource_mut::<Assets<Image>>()
            .add(target_image(width, height));
        world
            .entity_mut(self.camera)
            .insert(RenderTarget::Image(self.target.clone().into()));
    }

    /// Adds a second camera, seeing the scene from the side, rendering into
    /// its own `width × height` image after the first camera.
    pub fn add_camera(&mut self, width: u32, height: u32) -> (Entity, Handle<Image>) {
        let world = self.app.world_mut();
        let target = world
            .resource_mut::<Assets<Image>>()
            .add(target_image(width, height));
        let camera = world
            .spawn((
                Camera3d::default(),
                Camera {
                    order: 1,
                    ..default()
                },
                RenderTarget::Image(target.clone().into()),
                Transform::from_xyz(4.0, 1.5, 1.0).looking_at(Vec3::new(0.0, 0.4, 0.0), Vec3::Y),
            ))
            .id();
        (camera, target)
    }

    /// Limits the scene's camera to a viewport of its target.
    pub fn set_viewport(&mut self, origin: UVec2, size: UVec2) {
        let mut camera = self.app.world_mut().entity_mut(self.camera);
        camera.get_mut::<Camera>().expect("camera").viewport = Some(viewport(origin, size));
    }

    /// Adds a second camera, seeing the scene from the side, rendering into
    /// a viewport of the first camera's target after it (split-screen).
    pub fn add_viewport_camera(&mut self, origin: UVec2, size: UVec2) -> Entity {
        let target = self.target.clone();
        self.app
            .world_mut()
            .spawn((
                Camera3d::default(),
                Camera {
                    order: 1,
                    viewport: Some(viewport(origin, size)),
                    ..default()
                },
                RenderTarget::Image(target.into()),
                Transform::from_xyz(4.0, 1.5, 1.0).looking_at(Vec3::new(0.0, 0.4, 0.0), Vec3::Y),
            ))
            .id()
    }

    /// The scene camera's target image.
    pub fn target(&self) -> Handle<Image> {
        self.target.clone()
    }

    /// Adds a `Camera2d` rendering its own `size` image after the scene
    /// camera, without tonemapping or dithering (it shows sprites as they
    /// are); returns it and its image.
    pub fn add_2d_view(&mut self, size: UVec2) -> (Entity, Handle<Image>) {
        let world = self.app.world_mut();
        let target = world
            .resource_mut::<Assets<Image>>()
            .add(target_image(size.x, size.y));
        let camera = world
            .spawn((
                Camera2d,
                Camera {
                    order: 1,
                    ..default()
                },
                bevy::core_pipeline::tonemapping::Tonemapping::None,
                bevy::core_pipeline::tonemapping::DebandDither::Disabled,
                RenderTarget::Image(target.clone().into()),
            ))
            .id();
        (camera, target)
    }

    pub fn style_transfer(&self, style: StyleWeights) -> StyleTransfer {
        StyleTransfer {
            model: self.model.clone(),
            style,
            ..default()
        }
    }

    pub fn insert(&mut self, bundle: impl Bundle) {
        self.app.world_mut().entity_mut(self.camera).insert(bundle);
    }

    /// What the filter measured and chose for the camera.
    pub fn status(&self) -> StyleTransferStatus {
        self.app
            .world()
            .get::<StyleTransferStatus>(self.camera)
            .cloned()
            .expect("a StyleTransfer camera has a status")
    }

    pub fn settings(&mut self) -> Mut<'_, StyleTransfer> {
        self.app
            .world_mut()
            .get_mut::<StyleTransfer>(self.camera)
            .expect("camera has StyleTransfer")
    }
}

/// A sky, a lawn, a sun, a tree and a character made of sprites and 2D
/// meshes; the camera at the origin.
fn sprites(world: &mut World) -> Transform {
    let mut meshes = world.resource_mut::<Assets<Mesh>>();
    let (sun, crown, head) = (
        meshes.add(Circle::new(12.0)),
        meshes.add(Circle::new(18.0)),
        meshes.add(Circle::new(7.0)),
    );
    let mut materials = world.resource_mut::<Assets<ColorMaterial>>();
    let yellow = materials.add(Color::srgb(0.98, 0.8, 0.3));
    let green = materials.add(Color::srgb(0.15, 0.5, 0.2));
    let skin = materials.add(Color::srgb(0.95, 0.78, 0.62));
    world.spawn(Sprite::from_color(
        Color::srgb(0.55, 0.7, 0.9),
        Vec2::new(200.0, 140.0),
    ));
    world.spawn((
        Sprite::from_color(Color::srgb(0.36, 0.55, 0.25), Vec2::new(200.0, 40.0)),
        Transform::from_xyz(0.0, -34.0, 1.0),
    ));
    world.spawn((
        Mesh2d(sun),
        MeshMaterial2d(yellow),
        Transform::from_xyz(36.0, 26.0, 1.0),
    ));
    world.spawn((
        Sprite::from_color(Color::srgb(0.42, 0.27, 0.14), Vec2::new(8.0, 30.0)),
        Transform::from_xyz(-34.0, -10.0, 2.0),
    ));
    world.spawn((
        Mesh2d(crown),
        MeshMaterial2d(green),
        Transform::from_xyz(-34.0, 12.0, 3.0),
    ));
    world.spawn((
        Sprite::from_color(Color::srgb(0.85, 0.2, 0.2), Vec2::new(14.0, 22.0)),
        Transform::from_xyz(10.0, -16.0, 2.0),
    ));
    world.spawn((
        Mesh2d(head),
        MeshMaterial2d(skin),
        Transform::from_xyz(10.0, 2.0, 2.0),
    ));
    Transform::default()
}

fn viewport(origin: UVec2, size: UVec2) -> bevy::camera::Viewport {
    bevy::camera::Viewport {
        physical_position: origin,
        physical_size: size,
        ..default()
    }
}

/// The `size` region of `image` at `origin`.
fn region(image: &RgbaImage, origin: UVec2, size: UVec2) -> RgbaImage {
    image::imageops::crop_imm(image, origin.x, origin.y, size.x, size.y).to_image()
}

fn target_image(width: u32, height: u32) -> Image {
    let mut image = Image::new_target_texture(width, height, TextureFormat::Rgba8UnormSrgb, None);
    image.texture_descriptor.usage |= TextureUsages::COPY_SRC;
    image
}

#[test]
fn filtered_frame_matches_the_cpu_network_on_the_plain_frame() {
    let mut scene = Scene::new(128, 96, false);
    let plain = scene.render(4);
    let style = StyleWeights::blend([(3, 0.5), (7, 0.5)]);
    scene.insert(scene.style_transfer(style.clone()));
    let filtered = scene.render(2);
    let expected = cpu_stylized(&plain, &style);
    let (max, mean) = difference(&filtered, &expected);
    println!("filtered vs CPU network: max {max}, mean {mean:.3} (8-bit levels)");
    std::fs::create_dir_all(root().join("target/test-output")).ok();
    plain
        .save(root().join("target/test-output/camera_plain.png"))
        .ok();
    filtered
        .save(root().join("target/test-output/camera_filtered.png"))
        .ok();
    expected
        .save(root().join("target/test-output/camera_cpu.png"))
        .ok();
    let (_, changed) = difference(&filtered, &plain);
    assert!(
        changed > 10.0,
        "the filter left the frame almost unchanged ({changed})"
    );
    assert!(mean < 1.0 && max <= 8, "max {max}, mean {mean}");
}

/// A 2D camera (sprites and 2D meshes, Bevy's `Core2d` pipeline) is
/// filtered like a 3D one: the same output as the CPU network on its plain
/// frame, and it stays a 2D camera.
#[test]
fn a_2d_camera_is_filtered_like_the_cpu_network() {
    let mut scene = Scene::new_2d(128, 96);
    let plain = scene.render(4);
    let style = StyleWeights::single(7);
    scene.insert(scene.style_transfer(style.clone()));
    let filtered = scene.render(2);
    let expected = cpu_stylized(&plain, &style);
    let out = root().join("target/test-output");
    std::fs::create_dir_all(&out).ok();
    plain.save(out.join("camera_2d_plain.png")).ok();
    filtered.save(out.join("camera_2d_filtered.png")).ok();
    let world = scene.app.world();
    assert!(world.get::<Camera2d>(scene.camera).is_some());
    assert!(
        world.get::<Camera3d>(scene.camera).is_none(),
        "StyleTransfer added a 3D camera to a 2D one"
    );
    let (max, mean) = difference(&filtered, &expected);
    println!("2D: filtered vs CPU network: max {max}, mean {mean:.3} (8-bit levels)");
    let (_, changed) = difference(&filtered, &plain);
    assert!(
        changed > 10.0,
        "the filter left the 2D frame almost unchanged ({changed})"
    );
    assert!(mean < 1.0 && max <= 8, "max {max}, mean {mean}");
}

/// The imported ml5 network and the distilled lite students filter the
/// camera as the CPU backend runs them (a student's styles still blend).
#[test]
fn imported_and_student_networks_filter_the_camera() {
    for (name, style) in [
        ("ml5_wave", StyleWeights::single(0)),
        (
            "multistyle26_lite",
            StyleWeights::blend([(1, 0.5), (5, 0.5)]),
        ),
        ("multistyle26_lite_temporal", StyleWeights::single(3)),
        ("ml5_wave_lite", StyleWeights::single(0)),
    ] {
        let mut scene = Scene::new(128, 96, false);
        let plain = scene.render(4);
        let model = StyleModel::load_file(root().join(format!("assets/models/{name}.style.ron")))
            .expect("bundled model");
        let model = scene
            .app
            .world_mut()
            .resource_mut::<Assets<StyleModel>>()
            .add(model);
        wait_warm(&mut scene.app, model.id());
        scene.insert(StyleTransfer {
            model,
            style: style.clone(),
            ..default()
        });
        let filtered = scene.render(2);
        let expected = cpu_stylized_with(name, &plain, &style);
        let (max, mean) = difference(&filtered, &expected);
        println!("{name} filter vs CPU network: max {max}, mean {mean:.3} (8-bit levels)");
        assert!(
            difference(&filtered, &plain).1 > 10.0,
            "{name}: the filter did nothing"
        );
        assert!(mean < 1.0 && max <= 8, "{name}: max {max}, mean {mean}");
    }
}

#[test]
fn zero_strength_and_disabled_leave_the_frame_untouched() {
    let mut scene = Scene::new(128, 96, false);
    let plain = scene.render(4);
    scene.insert(StyleTransfer {
        strength: 0.0,
        ..scene.style_transfer(StyleWeights::single(0))
    });
    assert_eq!(scene.render(2), plain, "strength 0 changed the frame");
    scene.settings().strength = 1.0;
    assert_ne!(
        scene.render(2),
        plain,
        "strength 1 did not change the frame"
    );
    scene.settings().enabled = false;
    assert_eq!(
        scene.render(2),
        plain,
        "a disabled filter changed the frame"
    );
}

#[test]
fn resizing_the_target_between_frames_works() {
    let mut scene = Scene::new(128, 96, false);
    let style = StyleWeights::single(5);
    scene.insert(scene.style_transfer(style.clone()));
    let first = scene.render(3);
    assert_eq!(first.dimensions(), (128, 96));
    // Both smaller and not a multiple of 4.
    scene.resize(90, 70);
    let resized = scene.render(2);
    assert_eq!(resized.dimensions(), (90, 70));
    scene.settings().enabled = false;
    let plain = scene.render(2);
    scene.settings().enabled = true;
    let filtered = scene.render(2);
    assert_eq!(
        filtered, resized,
        "the filter is not deterministic after a resize"
    );
    // The network ran at multiples of 4 (92×72) and was resampled to 90×70.
    let (_, mean) = difference(&filtered, &plain);
    assert!(mean > 10.0, "not stylized after the resize ({mean})");
}

#[test]
fn several_cameras_are_filtered_each_in_their_own_style() {
    let mut scene = Scene::new(128, 96, false);
    let (side, side_target) = scene.add_camera(96, 64);
    scene.app.update();
    scene.app.update();
    let plain = (scene.render(2), scene.read_image(&side_target));
    let styles = (StyleWeights::single(7), StyleWeights::single(20));
    scene.insert(scene.style_transfer(styles.0.clone()));
    let side_filter = scene.style_transfer(styles.1.clone());
    scene.app.world_mut().entity_mut(side).insert(side_filter);
    let filtered = (scene.render(2), scene.read_image(&side_target));
    for (name, plain, filtered, style) in [
        ("main", &plain.0, &filtered.0, &styles.0),
        ("side", &plain.1, &filtered.1, &styles.1),
    ] {
        let (max, mean) = difference(filtered, &cpu_stylized(plain, style));
        println!("{name} camera vs CPU network: max {max}, mean {mean:.3}");
        assert!(mean < 1.0 && max <= 8, "{name}: max {max}, mean {mean}");
    }
}

/// Split-screen: two cameras share one target through viewports. Each
/// filter reads and writes only its camera's viewport: a filtered half
/// equals the CPU network on that half as rendered, an unfiltered half
/// stays as rendered, and two halves take two styles.
#[test]
fn split_screen_viewports_are_filtered_each_on_its_own() {
    // MSAA 4× is Bevy's default; with it, the second camera's main pass
    // starts from what the first left in the shared target.
    for msaa in [Msaa::Sample4, Msaa::Off] {
        split_screen(msaa);
    }
}

fn split_screen(msaa: Msaa) {
    let mut scene = Scene::new(128, 64, false);
    let half = UVec2::new(64, 64);
    let (left, right) = (UVec2::ZERO, UVec2::new(64, 0));
    scene.set_viewport(left, half);
    let side = scene.add_viewport_camera(right, half);
    scene.insert(msaa);
    scene.app.world_mut().entity_mut(side).insert(msaa);
    let plain = scene.render(4);
    let styles = (StyleWeights::single(7), StyleWeights::single(20));
    let expected = (
        cpu_stylized(&region(&plain, left, half), &styles.0),
        cpu_stylized(&region(&plain, right, half), &styles.1),
    );
    scene.insert(scene.style_transfer(styles.0.clone()));
    let left_only = scene.render(2);
    let side_filter = scene.style_transfer(styles.1.clone());
    scene.app.world_mut().entity_mut(side).insert(side_filter);
    let both = scene.render(3);
    std::fs::create_dir_all(root().join("target/test-output")).ok();
    for (name, image) in [("plain", &plain), ("left", &left_only), ("both", &both)] {
        let path = format!("target/test-output/split_screen_{msaa:?}_{name}.png");
        image.save(root().join(path)).ok();
    }
    for (name, got, want) in [
        ("left filtered", region(&left_only, left, half), &expected.0),
        (
            "right unfiltered",
            region(&left_only, right, half),
            &region(&plain, right, half),
        ),
        ("left of both", region(&both, left, half), &expected.0),
        ("right of both", region(&both, right, half), &expected.1),
    ] {
        let (max, mean) = difference(&got, want);
        println!("{msaa:?}, {name}: max {max}, mean {mean:.3} (8-bit levels)");
        assert!(
            max <= 1 && mean < 0.05,
            "{msaa:?}, {name}: max {max}, mean {mean}"
        );
    }
    let (_, styled) = difference(&region(&both, right, half), &region(&plain, right, half));
    assert!(
        styled > 10.0,
        "{msaa:?}: the right half was left unfiltered ({styled})"
    );
}

#[test]
fn on_demand_cameras_keep_their_image_until_asked() {
    let mut scene = Scene::new(128, 96, false);
    scene.insert(StyleTransfer {
        schedule: StyleSchedule::OnDemand,
        ..scene.style_transfer(StyleWeights::single(0))
    });
    let first = scene.render(2);
    // A new style alone does not run the network again ...
    scene.settings().style = StyleWeights::single(9);
    assert_eq!(
        scene.render(2),
        first,
        "an on-demand camera restylized by itself"
    );
    // ... a Restylize event does.
    let camera = scene.camera;
    scene.app.world_mut().trigger(Restylize { entity: camera });
    let restylized = scene.render(2);
    scene.settings().schedule = StyleSchedule::EveryFrame;
    assert_eq!(
        restylized,
        scene.render(2),
        "the restylized frame is not the new style's"
    );
    let (_, mean) = difference(&restylized, &first);
    assert!(mean > 5.0, "style 9 looks like style 0 ({mean})");
}

#[test]
fn a_transition_between_two_styles_is_gradual() {
    let mut scene = Scene::new(128, 96, false);
    let (from, to) = (StyleWeights::single(7), StyleWeights::single(20));
    scene.insert(scene.style_transfer(from.clone()));
    scene.render(2);
    let steps = 6;
    let frames: Vec<RgbaImage> = (0..=steps)
        .map(|step| {
            scene.settings().style = from.lerp(&to, step as f32 / steps as f32);
            scene.render(1)
        })
        .collect();
    // Each step moves the picture a little, in the same direction: the
    // distance from the first style grows steadily, with no jump.
    let from_start: Vec<f64> = frames.iter().map(|f| difference(f, &frames[0]).1).collect();
    let step_sizes: Vec<f64> = frames
        .windows(2)
        .map(|w| difference(&w[0], &w[1]).1)
        .collect();
    println!("distance from style 7: {from_start:.2?}; per step: {step_sizes:.2?}");
    assert!(
        from_start.windows(2).all(|w| w[1] > w[0]),
        "not monotonic: {from_start:?}"
    );
    let total = from_start[steps];
    assert!(
        step_sizes.iter().all(|&s| s < 0.4 * total),
        "a step jumps: {step_sizes:?} of {total}"
    );
}

#[test]
fn hdr_cameras_are_filtered_too() {
    let mut scene = Scene::new(128, 96, true);
    let plain = scene.render(4);
    let style = StyleWeights::single(12);
    scene.insert(scene.style_transfer(style.clone()));
    let filtered = scene.render(2);
    let expected = cpu_stylized(&plain, &style);
    let (max, mean) = difference(&filtered, &expected);
    println!("HDR filtered vs CPU network: max {max}, mean {mean:.3}");
    // The HDR target holds half floats: the network sees values re-encoded
    // from them, a little off the 8-bit plain frame.
    assert!(mean < 1.5 && max <= 24, "max {max}, mean {mean}");
}

/// Puts the scene's camera `angle` radians round its orbit of the objects.
fn place_on_orbit(scene: &mut Scene, angle: f32) {
    let eye = Vec3::new(4.5 * angle.sin(), 2.0, 4.5 * angle.cos());
    *scene
        .app
        .world_mut()
        .get_mut::<Transform>(scene.camera)
        .expect("camera") =
        Transform::from_translation(eye).looking_at(Vec3::new(0.0, 0.4, 0.0), Vec3::Y);
}

/// Renders `frames` frames while the camera orbits the scene by `step`
/// radians per frame; returns the warping errors measured along the way and
/// the last frame.
fn orbit(scene: &mut Scene, frames: usize, step: f32) -> (Vec<f64>, RgbaImage) {
    scene.wait_ready();
    let mut errors = Vec::new();
    for frame in 0..frames {
        place_on_orbit(scene, frame as f32 * step);
        scene.app.update();
        let probe = scene
            .app
            .world()
            .get::<WarpingErrorProbe>(scene.camera)
            .expect("probe");
        if let Some(sample) = probe.latest
            && frame >= 4
        {
            assert!(sample.coverage > 0.5, "few pixels compared: {sample:?}");
            errors.push(sample.error);
        }
    }
    (errors, scene.read())
}

#[test]
fn temporal_stabilisation_lowers_the_warping_error() {
    let mut results = Vec::new();
    for history_weight in [0.0, 0.7] {
        let mut scene = Scene::new(128, 96, false);
        scene.insert((
            scene.style_transfer(StyleWeights::single(7)),
            StyleTemporal {
                history_weight,
                ..default()
            },
            WarpingErrorProbe::default(),
        ));
        let (errors, last) = orbit(&mut scene, 16, 0.02);
        assert!(errors.len() >= 5, "too few measurements: {errors:?}");
        let mean = errors.iter().sum::<f64>() / errors.len() as f64;
        println!(
            "history weight {history_weight}: warping error {mean:.6} ({} frames)",
            errors.len()
        );
        let output = root().join("target/test-output");
        std::fs::create_dir_all(&output).expect("output folder");
        last.save(output.join(format!("orbit_history_{history_weight}.png")))
            .expect("save");
        results.push((mean, last));
    }
    let (unstable, stable) = (&results[0], &results[1]);
    let (_, style_shift) = difference(&unstable.1, &stable.1);
    println!(
        "stabilised / unstabilised warping error: {:.3}; stabilised frame differs from the unstabilised one by {style_shift:.2} levels on average",
        stable.0 / unstable.0
    );
    assert!(
        stable.0 < unstable.0 * 0.8,
        "stabilisation did not lower the warping error: {} vs {}",
        stable.0,
        unstable.0
    );
}

/// `StyleTemporal` reads the camera's depth and motion vectors at its
/// viewport's offset: a stabilised camera orbiting inside a viewport of a
/// larger target ends on the same frame as the same camera orbiting in a
/// target of the viewport's size, and outside its viewport the target
/// keeps the clear colour.
#[test]
fn temporal_stabilisation_inside_a_viewport_matches_the_full_frame() {
    let (origin, size) = (UVec2::new(40, 24), UVec2::new(64, 64));
    let orbit = |scene: &mut Scene| {
        scene.insert((
            scene.style_transfer(StyleWeights::single(7)),
            StyleTemporal {
                history_weight: 0.7,
                ..default()
            },
        ));
        scene.wait_ready();
        for frame in 0..12 {
            place_on_orbit(scene, frame as f32 * 0.03);
            scene.app.update();
        }
        scene.read()
    };
    let mut full = Scene::new(size.x, size.y, false);
    let full = orbit(&mut full);
    let mut inside = Scene::new(128, 96, false);
    inside.set_viewport(origin, size);
    let framed = orbit(&mut inside);
    let (max, mean) = difference(&region(&framed, origin, size), &full);
    println!("stabilised orbit in a viewport against the full frame: max {max}, mean {mean:.3}");
    assert!(
        max <= 1,
        "the viewport's stabilised frame differs (max {max}, mean {mean:.3})"
    );
    let outside = framed
        .enumerate_pixels()
        .filter(|(x, y, _)| {
            let p = UVec2::new(*x, *y);
            p.cmplt(origin).any() || p.cmpge(origin + size).any()
        })
        .map(|(_, _, pixel)| *pixel)
        .collect::<std::collections::HashSet<_>>();
    assert_eq!(
        outside.len(),
        1,
        "outside the viewport the target is not one clear colour"
    );
}

/// The CPU backend's output of the arbitrary-style model for `frame`, with
/// the style vector of `painting` at Magenta strength `strength`.
fn cpu_arbitrary(frame: &RgbaImage, painting: &image::DynamicImage, strength: f32) -> RgbaImage {
    let model = StyleModel::load_file(root().join("assets/models/magenta_arbitrary.style.ron"))
        .expect("model");
    let device = Default::default();
    let net = model.build::<CpuBackend>(&device).expect("weights");
    let x = image_to_tensor::<CpuBackend>(frame, (0.0, 1.0), &device);
    let style = net
        .predict_style_image(painting, &device)
        .expect("predicts");
    let own = net
        .predict_style(bevy_gan_style::model::style_tensor_input(x.clone()))
        .expect("predicts");
    let y = net.forward(x, style.with_strength(&own, strength).tensor());
    image::DynamicImage::from(tensor_to_image(y, (0.0, 1.0))).to_rgba8()
}

/// Any Bevy `Image` is a style: the camera switches between style images
/// live, each matching the CPU network with that image's style vector, and
/// Magenta's strength mixes in the frame's own style.
#[test]
fn style_images_restyle_the_camera_live() {
    let mut scene = Scene::new(128, 96, false);
    let plain = scene.render(4);
    let paintings: Vec<image::DynamicImage> = ["starry_night.jpg", "the_scream.jpg"]
        .iter()
        .map(|name| image::open(root().join("assets/styles").join(name)).expect("painting"))
        .collect();
    let world = scene.app.world_mut();
    let model = StyleModel::load_file(root().join("assets/models/magenta_arbitrary.style.ron"))
        .expect("bundled model");
    let model = world.resource_mut::<Assets<StyleModel>>().add(model);
    let mut images = world.resource_mut::<Assets<Image>>();
    let style_images: Vec<Handle<Image>> = paintings
        .iter()
        .map(|painting| {
            images.add(Image::from_dynamic(
                painting.clone(),
                true,
                bevy::asset::RenderAssetUsages::default(),
            ))
        })
        .collect();
    wait_warm(&mut scene.app, model.id());
    scene.insert((
        StyleTransfer {
            model,
            style: StyleWeights::single(0),
            ..default()
        },
        StyleImages {
            images: style_images,
            strength: 1.0,
        },
    ));
    // Style images are prepared on a background task: the frame stays plain
    // until the first one is ready.
    let mut starry = scene.render(1);
    for _ in 0..200 {
        if difference(&starry, &plain).1 > 10.0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        starry = scene.render(1);
    }
    scene.settings().style = StyleWeights::single(1);
    let scream = scene.render(1);
    scene.insert(StyleImages {
        strength: 0.5,
        ..scene
            .app
            .world()
            .get::<StyleImages>(scene.camera)
            .expect("images")
            .clone()
    });
    let half = scene.render(1);

    for (label, got, painting, strength) in [
        ("starry night", &starry, &paintings[0], 1.0),
        ("the scream", &scream, &paintings[1], 1.0),
        ("the scream at strength 0.5", &half, &paintings[1], 0.5),
    ] {
        let expected = cpu_arbitrary(&plain, painting, strength);
        let (max, mean) = difference(got, &expected);
        println!("{label}: filter vs CPU network max {max}, mean {mean:.3} (8-bit levels)");
        assert!(
            difference(got, &plain).1 > 10.0,
            "{label}: the filter did nothing"
        );
        assert!(mean < 1.0 && max <= 8, "{label}: max {max}, mean {mean}");
    }
    assert!(
        difference(&starry, &scream).1 > 10.0,
        "the style image did not change the picture"
    );
}
