//! The device backend: the renderer inside a cpal output stream, in small fixed blocks.

use super::engine::{Renderer, SAMPLE_RATE_HZ};
use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{BufferSize, SampleFormat, SupportedBufferSize};

/// Block sizes to ask the device for, smallest (lowest latency) first.
const PREFERRED_BLOCK_FRAMES: [u32; 2] = [128, 256];

/// Why no device output could be opened; the caller falls back to offline rendering.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error(
        "no audio output device was found; speech will not be heard (plug in headphones, or check that the sound server is running)"
    )]
    NoDevice,
    #[error("the audio output device does not play 48 kHz stereo float audio: {0}")]
    Unsupported(String),
    #[error("the audio output device could not be opened: {0}")]
    Open(String),
}

/// A running output stream; audio stops when it is dropped.
pub struct DeviceOutput {
    _stream: cpal::Stream,
    /// Frames per device callback, or `None` when the device chose its own.
    pub block_frames: Option<u32>,
    pub device_name: String,
}

/// Opens the default output device and starts rendering into it.
pub fn open_default(mut renderer: Renderer) -> Result<DeviceOutput, DeviceError> {
    let device = cpal::default_host().default_output_device().ok_or(DeviceError::NoDevice)?;
    let device_name = device.description().map(|d| d.to_string()).unwrap_or_else(|_| "default output".into());
    let supported = device
        .supported_output_configs()
        .map_err(|e| DeviceError::Open(e.to_string()))?
        .find(|c| {
            c.channels() == 2
                && c.sample_format() == SampleFormat::F32
                && (c.min_sample_rate()..=c.max_sample_rate()).contains(&SAMPLE_RATE_HZ)
        })
        .ok_or_else(|| DeviceError::Unsupported("no stereo f32 configuration at 48 kHz".into()))?;
    let block_frames = match supported.buffer_size() {
        SupportedBufferSize::Range { min, max } => {
            PREFERRED_BLOCK_FRAMES.into_iter().find(|f| (*min..=*max).contains(f))
        }
        SupportedBufferSize::Unknown => None,
    };
    let config = cpal::StreamConfig {
        channels: 2,
        sample_rate: SAMPLE_RATE_HZ,
        buffer_size: block_frames.map_or(BufferSize::Default, BufferSize::Fixed),
    };
    let stats = renderer.stats();
    let stream = device
        .build_output_stream::<f32, _, _>(
            config,
            move |out: &mut [f32], _: &cpal::OutputCallbackInfo| renderer.process(out),
            // The error callback runs on cpal's own thread, never the audio callback.
            move |error| {
                if error.kind() == cpal::ErrorKind::Xrun {
                    stats.count_underrun();
                }
            },
            None,
        )
        .map_err(|e| DeviceError::Open(e.to_string()))?;
    stream.play().map_err(|e| DeviceError::Open(e.to_string()))?;
    Ok(DeviceOutput { _stream: stream, block_frames, device_name })
}
