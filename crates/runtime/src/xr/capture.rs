//! Checkpoint captures in the headset: the left eye's image as the runtime got it, saved as a PNG.
//!
//! At each of the scenario's checkpoints the left eye's swapchain image is
//! read back and written beside the report, as the simulator writes its
//! view, with the head pose and gaze at that moment in the report.

use crate::capture_files::CaptureFiles;
use crate::rig::Rig;
use crate::session::{CaptureEntry, CaptureRequested, SessionClock};
use bevy::camera::ManualTextureViewHandle;
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy_mod_openxr::render::XR_TEXTURE_INDEX;
use std::path::PathBuf;

/// Saves the left eye at checkpoints into `out_dir`.
pub struct XrCapturePlugin {
    pub out_dir: PathBuf,
}

#[derive(Resource)]
struct CaptureFolder(PathBuf);

impl Plugin for XrCapturePlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(CaptureFolder(self.out_dir.clone()))
            .init_resource::<CaptureFiles>()
            .add_systems(PostUpdate, capture_left_eye);
    }
}

fn capture_left_eye(
    mut commands: Commands,
    mut requests: MessageReader<CaptureRequested>,
    folder: Res<CaptureFolder>,
    clock: Res<SessionClock>,
    rig: Res<Rig>,
) {
    for request in requests.read() {
        let entry = CaptureEntry {
            t_s: clock.elapsed_s(),
            name: request.name.clone(),
            path: folder.0.join(format!("{}.png", request.name)),
            width_px: 0,
            height_px: 0,
            head_position_m: rig.head.translation.to_array(),
            head_forward: rig.head.forward().to_array(),
            gaze_direction: rig.gaze_direction().to_array(),
            // Which people and panels the eye's asymmetric view held is not worked out here.
            in_view: Vec::new(),
            panels: Vec::new(),
        };
        // The left eye renders into the first of the swapchain's views.
        commands.spawn(Screenshot::texture_view(ManualTextureViewHandle(XR_TEXTURE_INDEX))).observe(
            move |captured: On<ScreenshotCaptured>, mut files: ResMut<CaptureFiles>| {
                files.write(captured.image.clone(), entry.clone());
            },
        );
    }
}
