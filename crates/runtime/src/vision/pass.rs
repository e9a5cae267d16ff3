//! The vision passes in the render world: two fullscreen triangles per view.
//!
//! The scene pass runs after the opaque pass and before the transparent
//! one, where the world is drawn but text panels (alpha-blended) are not
//! yet: filters, contrast and edges change the world and never the text.
//! The view pass runs with the other post-processing, so the magnifier
//! enlarges text too and the brightness cap bounds every pixel. Each pass
//! is one texture read per pixel plus, for edges, four depth loads, and a
//! view that needs neither pass skips it entirely.

use super::uniform::VisionUniform;
use bevy::core_pipeline::core_3d::{main_opaque_pass_3d, main_transparent_pass_3d};
use bevy::core_pipeline::tonemapping::tonemapping;
use bevy::core_pipeline::{Core3d, Core3dSystems, FullscreenShader};
use bevy::prelude::*;
use bevy::render::extract_component::{
    ComponentUniforms, DynamicUniformIndex, ExtractComponentPlugin, UniformComponentPlugin,
};
use bevy::render::render_resource::binding_types::{sampler, texture_2d, texture_depth_2d, uniform_buffer};
use bevy::render::render_resource::{
    BindGroup, BindGroupEntries, BindGroupLayoutDescriptor, BindGroupLayoutEntries, BufferId,
    CachedRenderPipelineId, ColorTargetState, ColorWrites, FragmentState, Operations, PipelineCache,
    RenderPassColorAttachment, RenderPassDescriptor, RenderPipelineDescriptor, Sampler, SamplerBindingType,
    SamplerDescriptor, ShaderStages, TextureFormat, TextureSampleType, TextureUsages, TextureViewId,
};
use bevy::render::renderer::{RenderContext, RenderDevice, ViewQuery};
use bevy::render::view::{ViewDepthTexture, ViewTarget};
use bevy::render::{Render, RenderApp, RenderStartup, RenderSystems};
use std::collections::HashMap;

/// Extracts each camera's [`VisionUniform`] and runs both passes for it.
pub struct VisionPassPlugin;

impl Plugin for VisionPassPlugin {
    fn build(&self, app: &mut App) {
        // Added directly rather than loaded: the asset server loads in the
        // background, and the simulator's first captured frame must already
        // have the passes.
        let shader = Shader::from_wgsl(include_str!("vision.wgsl"), "allverse_runtime/vision/vision.wgsl");
        let shader = app.world_mut().resource_mut::<Assets<Shader>>().add(shader);
        app.add_plugins((
            ExtractComponentPlugin::<VisionUniform>::default(),
            UniformComponentPlugin::<VisionUniform>::default(),
        ));
        let Some(render_app) = app.get_sub_app_mut(RenderApp) else { return };
        render_app
            .insert_resource(VisionShader(shader))
            .add_systems(RenderStartup, init_pipelines)
            // After the view's textures exist (a view can be new this frame).
            .add_systems(Render, specialize_pipelines.in_set(RenderSystems::PrepareBindGroups))
            .add_systems(
                Core3d,
                (
                    scene_pass
                        .in_set(Core3dSystems::MainPass)
                        .after(main_opaque_pass_3d)
                        .before(main_transparent_pass_3d),
                    view_pass.in_set(Core3dSystems::PostProcess).before(tonemapping),
                ),
            );
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Pass {
    Scene,
    View,
}

impl Pass {
    fn entry_point(self) -> &'static str {
        match self {
            Pass::Scene => "scene",
            Pass::View => "view",
        }
    }
}

#[derive(Resource)]
struct VisionShader(Handle<Shader>);

#[derive(Resource)]
struct VisionPipelines {
    scene_layout: BindGroupLayoutDescriptor,
    view_layout: BindGroupLayoutDescriptor,
    sampler: Sampler,
    shader: Handle<Shader>,
    fullscreen: FullscreenShader,
    /// One pipeline per pass and target format, compiled on first use.
    compiled: HashMap<(Pass, TextureFormat), CachedRenderPipelineId>,
}

impl VisionPipelines {
    fn layout(&self, pass: Pass) -> &BindGroupLayoutDescriptor {
        match pass {
            Pass::Scene => &self.scene_layout,
            Pass::View => &self.view_layout,
        }
    }

    fn pipeline(
        &mut self,
        cache: &PipelineCache,
        pass: Pass,
        format: TextureFormat,
    ) -> CachedRenderPipelineId {
        if let Some(id) = self.compiled.get(&(pass, format)) {
            return *id;
        }
        let define = match pass {
            Pass::Scene => "SCENE",
            Pass::View => "VIEW",
        };
        let id = cache.queue_render_pipeline(RenderPipelineDescriptor {
            label: Some(format!("vision_{}_pass", pass.entry_point()).into()),
            layout: vec![self.layout(pass).clone()],
            vertex: self.fullscreen.to_vertex_state(),
            fragment: Some(FragmentState {
                shader: self.shader.clone(),
                shader_defs: vec![define.into()],
                entry_point: Some(pass.entry_point().into()),
                targets: vec![Some(ColorTargetState { format, blend: None, write_mask: ColorWrites::ALL })],
            }),
            ..default()
        });
        self.compiled.insert((pass, format), id);
        id
    }
}

fn init_pipelines(
    mut commands: Commands,
    device: Res<RenderDevice>,
    shader: Res<VisionShader>,
    fullscreen: Res<FullscreenShader>,
) {
    let colour = (
        texture_2d(TextureSampleType::Float { filterable: true }),
        sampler(SamplerBindingType::Filtering),
        uniform_buffer::<VisionUniform>(true),
    );
    let (texture, sampler_entry, uniform) = colour;
    let view_layout = BindGroupLayoutDescriptor::new(
        "vision_view_layout",
        &BindGroupLayoutEntries::sequential(ShaderStages::FRAGMENT, (texture, sampler_entry, uniform)),
    );
    let scene_layout = BindGroupLayoutDescriptor::new(
        "vision_scene_layout",
        &BindGroupLayoutEntries::sequential(
            ShaderStages::FRAGMENT,
            (
                texture_2d(TextureSampleType::Float { filterable: true }),
                sampler(SamplerBindingType::Filtering),
                uniform_buffer::<VisionUniform>(true),
                texture_depth_2d(),
            ),
        ),
    );
    commands.insert_resource(VisionPipelines {
        scene_layout,
        view_layout,
        sampler: device.create_sampler(&SamplerDescriptor {
            mag_filter: bevy::render::render_resource::FilterMode::Linear,
            min_filter: bevy::render::render_resource::FilterMode::Linear,
            ..default()
        }),
        shader: shader.0.clone(),
        fullscreen: fullscreen.clone(),
        compiled: HashMap::new(),
    });
}

/// A view's pipelines and bind groups. Bind groups are kept for both of
/// the view's main textures (passes alternate between them) and rebuilt
/// only when a texture or the uniform buffer is replaced.
#[derive(Component, Default)]
struct VisionViewState {
    scene: Option<CachedRenderPipelineId>,
    view: Option<CachedRenderPipelineId>,
    /// (source texture, uniform buffer, depth texture) → bind group, per pass.
    scene_groups: Vec<(BindGroupKey, BindGroup)>,
    view_groups: Vec<(BindGroupKey, BindGroup)>,
}

type BindGroupKey = (TextureViewId, BufferId, Option<TextureViewId>);

fn specialize_pipelines(
    mut commands: Commands,
    cache: Res<PipelineCache>,
    mut pipelines: ResMut<VisionPipelines>,
    uniforms: Res<ComponentUniforms<VisionUniform>>,
    device: Res<RenderDevice>,
    mut views: Query<(Entity, &ViewTarget, &ViewDepthTexture, &VisionUniform, Option<&mut VisionViewState>)>,
) {
    let (Some(binding), Some(buffer)) = (uniforms.uniforms().binding(), uniforms.uniforms().buffer()) else {
        return;
    };
    for (entity, target, depth, uniform, state) in &mut views {
        let format = target.main_texture_format();
        let mut fresh = VisionViewState::default();
        let state = match state {
            Some(state) => state.into_inner(),
            None => &mut fresh,
        };
        // The camera asks for a sampled, single-sample depth texture when
        // scene tools are switched on; until the renderer has made one, the
        // scene pass waits (binding any other would stop the renderer).
        let depth_readable = depth.texture.usage().contains(TextureUsages::TEXTURE_BINDING)
            && depth.texture.sample_count() == 1;
        let scene = uniform.scene_tools != 0 && depth_readable;
        state.scene = scene.then(|| pipelines.pipeline(&cache, Pass::Scene, format));
        state.view = uniform.needs_view_pass().then(|| pipelines.pipeline(&cache, Pass::View, format));
        for texture in [target.main_texture_view(), target.main_texture_other_view()] {
            let key = (texture.id(), buffer.id(), Some(depth.view().id()));
            if scene && !state.scene_groups.iter().any(|(k, _)| *k == key) {
                let group = device.create_bind_group(
                    "vision_scene_bind_group",
                    &cache.get_bind_group_layout(&pipelines.scene_layout),
                    &BindGroupEntries::sequential((
                        texture,
                        &pipelines.sampler,
                        binding.clone(),
                        depth.view(),
                    )),
                );
                keep_latest(&mut state.scene_groups, key, group);
            }
            let key = (texture.id(), buffer.id(), None);
            if !state.view_groups.iter().any(|(k, _)| *k == key) {
                let group = device.create_bind_group(
                    "vision_view_bind_group",
                    &cache.get_bind_group_layout(&pipelines.view_layout),
                    &BindGroupEntries::sequential((texture, &pipelines.sampler, binding.clone())),
                );
                keep_latest(&mut state.view_groups, key, group);
            }
        }
        if std::ptr::eq(state, &fresh) {
            commands.entity(entity).insert(fresh);
        }
    }
}

/// Keeps the two newest bind groups: one per main texture.
fn keep_latest(groups: &mut Vec<(BindGroupKey, BindGroup)>, key: BindGroupKey, group: BindGroup) {
    if groups.len() >= 2 {
        groups.remove(0);
    }
    groups.push((key, group));
}

/// What both passes read for a view.
type VisionView =
    (&'static ViewTarget, &'static DynamicUniformIndex<VisionUniform>, &'static VisionViewState);

fn scene_pass(view: ViewQuery<VisionView>, cache: Res<PipelineCache>, mut ctx: RenderContext) {
    let (target, index, state) = view.into_inner();
    run_pass(&mut ctx, &cache, target, state.scene, &state.scene_groups, "vision_scene_pass", index.index());
}

fn view_pass(view: ViewQuery<VisionView>, cache: Res<PipelineCache>, mut ctx: RenderContext) {
    let (target, index, state) = view.into_inner();
    run_pass(&mut ctx, &cache, target, state.view, &state.view_groups, "vision_view_pass", index.index());
}

/// One fullscreen triangle from the view's current main texture into the other.
fn run_pass(
    ctx: &mut RenderContext,
    cache: &PipelineCache,
    target: &ViewTarget,
    pipeline: Option<CachedRenderPipelineId>,
    groups: &[(BindGroupKey, BindGroup)],
    label: &'static str,
    uniform_offset: u32,
) {
    let Some(pipeline) = pipeline.and_then(|id| cache.get_render_pipeline(id)) else { return };
    let source = target.main_texture_view().id();
    let Some((_, bind_group)) = groups.iter().find(|((texture, _, _), _)| *texture == source) else { return };
    let write = target.post_process_write();
    draw(ctx, label, write.destination, pipeline, bind_group, uniform_offset);
}

fn draw(
    ctx: &mut RenderContext,
    label: &'static str,
    destination: &bevy::render::render_resource::TextureView,
    pipeline: &bevy::render::render_resource::RenderPipeline,
    bind_group: &BindGroup,
    uniform_offset: u32,
) {
    let mut pass = ctx.command_encoder().begin_render_pass(&RenderPassDescriptor {
        label: Some(label),
        color_attachments: &[Some(RenderPassColorAttachment {
            view: destination,
            depth_slice: None,
            resolve_target: None,
            ops: Operations::default(),
        })],
        depth_stencil_attachment: None,
        timestamp_writes: None,
        occlusion_query_set: None,
        multiview_mask: None,
    });
    pass.set_pipeline(pipeline);
    pass.set_bind_group(0, bind_group, &[uniform_offset]);
    pass.draw(0..3, 0..1);
}
