// The region pass's material: a `StyleRegion` entity's style weights (rgb,
// one channel per region style) and its distance from the camera (a), which
// the style-map pass compares with the camera's depth prepass so that
// hidden regions do not paint over what covers them.

#import bevy_pbr::forward_io::VertexOutput
#import bevy_pbr::mesh_view_bindings::view

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> weights: vec4<f32>;

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    return vec4<f32>(weights.rgb, length(in.world_position.xyz - view.world_position));
}
