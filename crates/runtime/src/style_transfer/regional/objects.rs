//! Styles per object: [`StyleRegion`] entities are painted in their own
//! style on [`StyleRegions`] cameras. Each region entity gets a copy on a
//! render layer only a small region camera sees (a child of the styled
//! camera, rendered just before it into a float image: the region's style
//! weights and its distance); the style-map pass keeps a region's weights
//! only where its surface is the one the camera sees.

use bevy::asset::{AssetPath, embedded_path};
use bevy::camera::visibility::RenderLayers;
use bevy::camera::{Hdr, RenderTarget};
use bevy::core_pipeline::prepass::DepthPrepass;
use bevy::core_pipeline::tonemapping::{DebandDither, Tonemapping};
use bevy::light::NotShadowCaster;
use bevy::pbr::{Material, MeshMaterial3d};
use bevy::prelude::*;
use bevy::render::render_resource::{AsBindGroup, TextureFormat, TextureUsages};
use bevy::shader::ShaderRef;

use crate::model::StyleWeights;

/// The render layer of the region copies (seen only by region cameras).
pub const REGION_LAYER: usize = 29;

/// Distinct region styles an app can use at once (one image channel each).
pub const MAX_REGION_STYLES: usize = 3;

/// Paints this mesh entity in `style` on every [`StyleRegions`] camera,
/// blended with the camera's own style by `weight`. Hidden parts stay in
/// whatever covers them. Up to [`MAX_REGION_STYLES`] distinct styles per
/// app; for arbitrary-style models `style` indexes the camera's style
/// images.
///
/// ```no_run
/// use bevy::prelude::*;
/// use bevy_gan_style_runtime::prelude::*;
/// fn setup(mut commands: Commands, mut meshes: ResMut<Assets<Mesh>>) {
///     commands.spawn((
///         Mesh3d(meshes.add(Capsule3d::default())),
///         StyleRegion::new(StyleWeights::single(18)),
///     ));
/// }
/// ```
#[derive(Component, Reflect, Clone, Debug)]
#[reflect(Component, Clone)]
pub struct StyleRegion {
    /// The entity's style.
    pub style: StyleWeights,
    /// In `[0, 1]`: how much of that style, the camera's own for the rest.
    pub weight: f32,
}

impl StyleRegion {
    /// `style` at full weight.
    pub fn new(style: StyleWeights) -> Self {
        Self { style, weight: 1.0 }
    }
}

/// On a [`StyleTransfer`](crate::style_transfer::StyleTransfer) camera: paints
/// [`StyleRegion`] entities in their styles, everything else in the
/// camera's own. Gives the camera a depth prepass and a region camera (a
/// child, rendered just before it).
///
/// ```no_run
/// use bevy::prelude::*;
/// use bevy_gan_style_runtime::prelude::*;
/// fn setup(mut commands: Commands, assets: Res<AssetServer>) {
///     commands.spawn((
///         StyleTransfer {
///             model: assets.load("models/multistyle26.style.ron"),
///             style: StyleWeights::single(5),
///             ..default()
///         },
///         StyleRegions::default(),
///     ));
/// }
/// ```
#[derive(Component, Reflect, Clone, Copy, Debug)]
#[reflect(Component, Clone)]
pub struct StyleRegions {
    /// Size of the region pass as a fraction of the view's.
    pub resolution_scale: f32,
    /// How far (relative) a region's surface may be from the visible one
    /// and still count as visible.
    pub tolerance: f32,
}

impl Default for StyleRegions {
    fn default() -> Self {
        Self {
            resolution_scale: 0.5,
            tolerance: 0.02,
        }
    }
}

/// A [`StyleRegions`] camera's region camera and image, and the styles of
/// the image's channels.
#[derive(Component, Clone, Debug)]
pub struct RegionPass {
    /// The region camera (a child of the styled camera).
    pub camera: Entity,
    /// What it renders into: per pixel the region style weights (rgb) and
    /// distance (a).
    pub image: Handle<Image>,
    /// The style of each channel.
    pub styles: Vec<StyleWeights>,
}

/// The styles of the region channels, in order of first use.
#[derive(Resource, Default, Debug)]
pub(crate) struct RegionStyles(pub Vec<StyleWeights>);

/// A region entity's copy on [`REGION_LAYER`].
#[derive(Component)]
pub(crate) struct RegionCopy(Entity);

/// What a region copy renders: its weight in its style's channel.
#[derive(Asset, TypePath, AsBindGroup, Clone, Debug)]
pub(crate) struct RegionMaterial {
    #[uniform(0)]
    weights: Vec4,
}

impl Material for RegionMaterial {
    fn fragment_shader() -> ShaderRef {
        ShaderRef::Path(
            AssetPath::from_path_buf(embedded_path!("style_region.wgsl")).with_source("embedded"),
        )
    }
}

/// Gives region cameras what the region pass compares against.
pub(crate) fn prepare_region_camera(add: On<Add, StyleRegions>, mut commands: Commands) {
    commands
        .entity(add.entity)
        .insert((DepthPrepass, Msaa::Off));
}

/// Removes a camera's region camera with its [`StyleRegions`].
pub(crate) fn remove_region_camera(
    remove: On<Remove, StyleRegions>,
    passes: Query<&RegionPass>,
    mut commands: Commands,
) {
    if let Ok(pass) = passes.get(remove.entity) {
        commands.entity(pass.camera).despawn();
        commands.entity(remove.entity).remove::<RegionPass>();
    }
}

/// Removes an entity's region copy with its [`StyleRegion`].
pub(crate) fn remove_region_copy(
    remove: On<Remove, StyleRegion>,
    copies: Query<&RegionCopy>,
    mut commands: Commands,
) {
    if let Ok(copy) = copies.get(remove.entity) {
        commands.entity(copy.0).despawn();
        commands.entity(remove.entity).remove::<RegionCopy>();
    }
}

/// Makes and updates the region copies of changed [`StyleRegion`] entities.
#[expect(clippy::type_complexity, reason = "a change-filtered query")]
pub(crate) fn sync_region_copies(
    mut commands: Commands,
    regions: Query<
        (Entity, &StyleRegion, &Mesh3d, Option<&RegionCopy>),
        Or<(Changed<StyleRegion>, Changed<Mesh3d>)>,
    >,
    copies: Query<&MeshMaterial3d<RegionMaterial>>,
    mut styles: ResMut<RegionStyles>,
    mut materials: ResMut<Assets<RegionMaterial>>,
) {
    for (entity, region, mesh, copy) in &regions {
        let channel = match styles.0.iter().position(|style| *style == region.style) {
            Some(channel) => Some(channel),
            None if styles.0.len() < MAX_REGION_STYLES => {
                styles.0.push(region.style.clone());
                Some(styles.0.len() - 1)
            }
            None => {
                warn_once!(
                    "bevy_gan_style: more than {MAX_REGION_STYLES} StyleRegion styles; \
                     the others keep the camera's style"
                );
                None
            }
        };
        let mut weights = Vec4::ZERO;
        if let Some(channel) = channel {
            weights[channel] = region.weight.clamp(0.0, 1.0);
        }
        let material = RegionMaterial { weights };
        match copy.and_then(|copy| Some((copy.0, copies.get(copy.0).ok()?))) {
            Some((copy, handle)) => {
                if let Some(mut existing) = materials.get_mut(&handle.0) {
                    *existing = material;
                }
                commands.entity(copy).insert(mesh.clone());
            }
            None => {
                let copy = commands
                    .spawn((
                        mesh.clone(),
                        MeshMaterial3d(materials.add(material)),
                        RenderLayers::layer(REGION_LAYER),
                        NotShadowCaster,
                        ChildOf(entity),
                    ))
                    .id();
                commands.entity(entity).insert(RegionCopy(copy));
            }
        }
    }
}

/// A [`StyleRegions`] camera and its region pass, once made.
type RegionCamera = (
    Entity,
    &'static Camera,
    Ref<'static, Projection>,
    &'static StyleRegions,
    Option<&'static mut RegionPass>,
);

/// Keeps each [`StyleRegions`] camera's region camera in step with it:
/// spawned on first use, the same projection, rendered just before it,
/// its image sized to the view times `resolution_scale`.
pub(crate) fn sync_region_cameras(
    mut commands: Commands,
    mut cameras: Query<RegionCamera>,
    mut region_cameras: Query<(&mut Camera, &mut Projection), Without<StyleRegions>>,
    styles: Res<RegionStyles>,
    mut images: ResMut<Assets<Image>>,
) {
    for (entity, camera, projection, settings, pass) in &mut cameras {
        let Some(view) = camera.physical_viewport_size() else {
            continue;
        };
        let scale = settings.resolution_scale.clamp(0.05, 1.0);
        let size = (view.as_vec2() * scale).round().as_uvec2().max(UVec2::ONE);
        match pass {
            Some(mut pass) => {
                if pass.styles != styles.0 {
                    pass.styles.clone_from(&styles.0);
                }
                let resized = images
                    .get(&pass.image)
                    .is_none_or(|image| image.size() != size);
                if resized {
                    images.insert(&pass.image, region_image(size)).ok();
                }
                if let Ok((mut region_camera, mut region_projection)) =
                    region_cameras.get_mut(pass.camera)
                {
                    if region_camera.order != camera.order - 1 {
                        region_camera.order = camera.order - 1;
                    }
                    if region_camera.is_active != camera.is_active {
                        region_camera.is_active = camera.is_active;
                    }
                    if projection.is_changed() {
                        *region_projection = (*projection).clone();
                    }
                }
            }
            None => {
                let image = images.add(region_image(size));
                let region_camera = commands
                    .spawn((
                        Camera3d::default(),
                        Camera {
                            order: camera.order - 1,
                            clear_color: ClearColorConfig::Custom(Color::NONE),
                            ..default()
                        },
                        RenderTarget::Image(image.clone().into()),
                        (*projection).clone(),
                        RenderLayers::layer(REGION_LAYER),
                        // Raw weights and distances: no tonemapping, no
                        // dithering, no multisampling.
                        (Hdr, Tonemapping::None, DebandDither::Disabled, Msaa::Off),
                        ChildOf(entity),
                    ))
                    .id();
                commands.entity(entity).insert(RegionPass {
                    camera: region_camera,
                    image,
                    styles: styles.0.clone(),
                });
            }
        }
    }
}

/// A region pass target of `size`.
fn region_image(size: UVec2) -> Image {
    let mut image = Image::new_target_texture(size.x, size.y, TextureFormat::Rgba16Float, None);
    image.texture_descriptor.usage |= TextureUsages::TEXTURE_BINDING;
    image
}
