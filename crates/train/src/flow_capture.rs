//! Recording what a camera renders together with Bevy's motion vectors and
//! depth ([`CaptureFlow`]): one compute pass after tonemapping packs the
//! frame, the motion vectors and the depth into a buffer that is read back
//! asynchronously into [`FlowFrame`]s — training data for the temporal loss,
//! in the random training scenes or in a game's own.

use std::path::PathBuf;

use bevy::asset::{embedded_asset, load_embedded_asset};
use bevy::core_pipeline::prepass::{DepthPrepass, MotionVectorPrepass, ViewPrepassTextures};
use bevy::core_pipeline::{Core3d, Core3dSystems, tonemapping::tonemapping};
use bevy::ecs::entity::EntityHashMap;
use bevy::prelude::*;
use bevy::render::extract_component::{ExtractComponent, ExtractComponentPlugin};
use bevy::render::gpu_readback::{Readback, ReadbackComplete};
use bevy::render::render_asset::RenderAssets;
use bevy::render::render_resource::binding_types::{
    storage_buffer_sized, texture_2d, texture_depth_2d, uniform_buffer,
};
use bevy::render::render_resource::{
    BindGroupEntries, BindGroupLayoutDescriptor, BindGroupLayoutEntries, BufferUsages,
    CachedComputePipelineId, ComputePipelineDescriptor, PipelineCache, ShaderStages, ShaderType,
    TextureSampleType, UniformBuffer,
};
use bevy::render::renderer::{RenderContext, RenderQueue, ViewQuery};
use bevy::render::storage::{GpuShaderBuffer, ShaderBuffer};
use bevy::render::sync_component::SyncComponent;
use bevy::render::view::ViewTarget;
use bevy::render::{RenderApp, RenderStartup};

use super::flow::{FlowFrame, HEADER_WORDS, PIXEL_WORDS};
use bevy_gan_style_runtime::bridge::{
    Bound, CachedBindGroup, TensorBridgePlugin, dispatch_2d, write_uniform,
};

/// Records `count` consecutive frames of this camera (after `warm_up`
/// frames) with Bevy's motion vectors and depth, as [`FlowFrame`]s: saved
/// into `dir` when it is set, else kept in [`FlowFrames`]. Adds the depth
/// and motion-vector prepasses and turns MSAA off. The view must be `size`
/// (frames of another size are skipped).
///
/// ```no_run
/// # use bevy::prelude::*;
/// use bevy_gan_style_train::{CaptureFlow, FlowCapturePlugin};
/// fn setup(mut commands: Commands) {
///     commands.spawn((Camera3d::default(), CaptureFlow::new(UVec2::new(320, 240), 100).saving_to("pairs")));
/// }
/// App::new().add_plugins((DefaultPlugins, FlowCapturePlugin)).add_systems(Startup, setup);
/// ```
#[derive(Component, Clone, Debug)]
#[require(DepthPrepass, MotionVectorPrepass, Msaa = Msaa::Off)]
pub struct CaptureFlow {
    /// The view size.
    pub size: UVec2,
    /// Frames to record.
    pub count: usize,
    /// Frames to let pass first (pipelines compiling, assets loading).
    pub warm_up: u32,
    /// Where to save the frames (`frame_<n>.safetensors`).
    pub dir: Option<PathBuf>,
    frame: u32,
    sequence: u32,
    recorded: usize,
    last: Option<u32>,
    buffer: Handle<ShaderBuffer>,
}

impl CaptureFlow {
    /// `count` frames of a `size` view, kept in [`FlowFrames`].
    pub fn new(size: UVec2, count: usize) -> Self {
        Self {
            size,
            count,
            warm_up: 3,
            dir: None,
            frame: 0,
            sequence: 0,
            recorded: 0,
            last: None,
            buffer: Handle::default(),
        }
    }

    /// Saves the frames into `dir` instead.
    pub fn saving_to(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Frames recorded so far.
    pub fn recorded(&self) -> usize {
        self.recorded
    }
}

/// The current sequence (shot) number: bump it on a cut (a new scene, a
/// camera jump) so that frames across it are not paired.
/// [`RandomScenesPlugin`](super::RandomScenesPlugin) bumps it with every
/// new scene.
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct FlowSequence(pub u32);

/// Frames recorded by [`CaptureFlow`] cameras without a folder, files
/// saved by the others, and what could not be saved.
#[derive(Resource, Debug, Default)]
pub struct FlowFrames {
    /// Recorded frames, in order.
    pub frames: Vec<FlowFrame>,
    /// Saved files.
    pub saved: Vec<PathBuf>,
    /// Frames that could not be saved, with the reason.
    pub errors: Vec<String>,
}

/// Records [`CaptureFlow`] cameras.
pub struct FlowCapturePlugin;

impl Plugin for FlowCapturePlugin {
    fn build(&self, app: &mut App) {
        TensorBridgePlugin::add_with_device(app);
        app.init_resource::<FlowFrames>()
            .init_resource::<FlowSequence>()
            .add_observer(start_capture)
            .add_systems(PostUpdate, count_frames)
            .add_plugins(ExtractComponentPlugin::<CaptureFlow>::default());
        if app.get_sub_app(RenderApp).is_none() {
            return;
        }
        embedded_asset!(app, "capture_flow.wgsl");
        app.sub_app_mut(RenderApp)
            .add_systems(RenderStartup, init_pipeline)
            .add_systems(
                Core3d,
                capture_flow
                    .after(tonemapping)
                    .in_set(Core3dSystems::PostProcess),
            );
    }
}

/// Gives a new capturing camera its buffer and the readback of it.
fn start_capture(
    add: On<Add, CaptureFlow>,
    mut cameras: Query<&mut CaptureFlow>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
    mut commands: Commands,
) {
    let camera = add.entity;
    let Ok(mut capture) = cameras.get_mut(camera) else {
        return;
    };
    // The prepass textures are read per pixel; `Camera3d` may have
    // required MSAA first.
    commands.entity(camera).insert(Msaa::Off);
    let pixels = (capture.size.x * capture.size.y) as usize;
    let mut buffer = ShaderBuffer::from(vec![0u32; HEADER_WORDS + PIXEL_WORDS * pixels]);
    buffer.buffer_description.usage |= BufferUsages::COPY_SRC;
    capture.buffer = buffers.add(buffer);
    commands
        .spawn((Readback::buffer(capture.buffer.clone()), ChildOf(camera)))
        .observe(
            move |done: On<ReadbackComplete>,
                  mut cameras: Query<&mut CaptureFlow>,
                  mut frames: ResMut<FlowFrames>| {
                let Ok(mut capture) = cameras.get_mut(camera) else {
                    return;
                };
                let Some(frame) = FlowFrame::from_bytes(&done.data) else {
                    return;
                };
                // A frame the pass did not run in leaves the last one.
                let new = capture.last.is_none_or(|last| frame.index > last);
                if !new || frame.index <= capture.warm_up || capture.recorded >= capture.count {
                    return;
                }
                capture.last = Some(frame.index);
                capture.recorded += 1;
                match &capture.dir {
                    Some(dir) => match frame.save(dir) {
                        Ok(path) => frames.saved.push(path),
                        Err(error) => frames.errors.push(error.to_string()),
                    },
                    None => frames.frames.push(frame),
                }
            },
        );
}

/// Numbers the frames the capturing cameras render.
fn count_frames(sequence: Res<FlowSequence>, mut cameras: Query<&mut CaptureFlow>) {
    for mut capture in &mut cameras {
        capture.frame += 1;
        capture.sequence = sequence.0;
    }
}

/// Render-world copy of a [`CaptureFlow`].
#[derive(Component, Clone, Debug)]
pub struct ExtractedCaptureFlow {
    buffer: AssetId<ShaderBuffer>,
    params: CaptureParams,
}

/// Uniforms of the capture pass (`CaptureParams` in
/// `capture_flow.wgsl`).
#[derive(ShaderType, Clone, Copy, Debug, Default)]
struct CaptureParams {
    frame: u32,
    sequence: u32,
    width: u32,
    height: u32,
}

impl SyncComponent for CaptureFlow {
    type Target = ExtractedCaptureFlow;
}

impl ExtractComponent for CaptureFlow {
    type QueryData = &'static CaptureFlow;
    type QueryFilter = ();
    type Out = ExtractedCaptureFlow;

    fn extract_component(capture: &CaptureFlow) -> Option<ExtractedCaptureFlow> {
        (capture.recorded < capture.count).then(|| ExtractedCaptureFlow {
            buffer: capture.buffer.id(),
            params: CaptureParams {
                frame: capture.frame,
                sequence: capture.sequence,
                width: capture.size.x,
                height: capture.size.y,
            },
        })
    }
}

/// The capture pipeline.
#[derive(Resource)]
struct CapturePipeline {
    layout: BindGroupLayoutDescriptor,
    id: CachedComputePipelineId,
}

fn init_pipeline(mut commands: Commands, cache: Res<PipelineCache>, assets: Res<AssetServer>) {
    let layout = BindGroupLayoutDescriptor::new(
        "gan_style capture flow",
        &BindGroupLayoutEntries::sequential(
            ShaderStages::COMPUTE,
            (
                texture_2d(TextureSampleType::Float { filterable: false }),
                texture_2d(TextureSampleType::Float { filterable: false }),
                texture_depth_2d(),
                uniform_buffer::<CaptureParams>(false),
                storage_buffer_sized(false, None),
            ),
        ),
    );
    let id = cache.queue_compute_pipeline(ComputePipelineDescriptor {
        label: Some("gan_style capture flow".into()),
        layout: vec![layout.clone()],
        shader: load_embedded_asset!(&*assets, "capture_flow.wgsl"),
        ..default()
    });
    commands.insert_resource(CapturePipeline { layout, id });
}

/// Records the capture pass of the current view, in Bevy's own command
/// stream (after the scene and tonemapping).
fn capture_flow(
    view: ViewQuery<(
        Entity,
        &ViewTarget,
        &ExtractedCaptureFlow,
        &ViewPrepassTextures,
    )>,
    buffers: Res<RenderAssets<GpuShaderBuffer>>,
    pipeline: Option<Res<CapturePipeline>>,
    (cache, queue): (Res<PipelineCache>, Res<RenderQueue>),
    mut views: Local<EntityHashMap<CaptureBindings>>,
    mut ctx: RenderContext,
) {
    let (entity, target, capture, prepass) = view.into_inner();
    let (Some(pipeline), Some(buffer)) = (pipeline, buffers.get(capture.buffer)) else {
        return;
    };
    let Some(compute) = cache.get_compute_pipeline(pipeline.id) else {
        return;
    };
    let (Some(motion), Some(depth)) = (prepass.motion_vectors.as_ref(), prepass.depth_view())
    else {
        warn_once!("bevy_gan_style: CaptureFlow needs the motion-vector and depth prepasses");
        return;
    };
    if motion.texture.texture.sample_count() != 1 {
        warn_once!("bevy_gan_style: CaptureFlow needs Msaa::Off; frames skipped");
        return;
    }
    let texture = target.main_texture();
    let size = UVec2::new(texture.width(), texture.height());
    if size != UVec2::new(capture.params.width, capture.params.height) {
        warn_once!("bevy_gan_style: CaptureFlow's size {size} is not the view's; frames skipped");
        return;
    }
    let device = ctx.render_device().clone();
    let bindings = views.entry(entity).or_default();
    let Ok(params) = write_uniform(&mut bindings.params, capture.params, (&device, &queue)) else {
        return;
    };
    let params = params.clone();
    let key = vec![
        Bound::view(target.main_texture_view()),
        Bound::view(&motion.texture.default_view),
        Bound::view(depth),
        Bound::buffer(&params),
        Bound::buffer(&buffer.buffer),
    ];
    let bind_group = bindings.group.get_or_make(key, || {
        device.create_bind_group(
            "gan_style capture flow",
            &cache.get_bind_group_layout(&pipeline.layout),
            &BindGroupEntries::sequential((
                target.main_texture_view(),
                &motion.texture.default_view,
                depth,
                params.as_entire_binding(),
                buffer.buffer.as_entire_binding(),
            )),
        )
    });
    dispatch_2d(
        ctx.command_encoder(),
        "gan_style capture flow",
        compute,
        bind_group,
        size,
    );
}

/// A view's capture uniform and bind group, kept between frames.
#[derive(Default)]
struct CaptureBindings {
    params: UniformBuffer<CaptureParams>,
    group: CachedBindGroup,
}
