// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"

#include <QByteArray>
#include <QByteArrayView>

namespace voxtrack::wav {

/// The audio of protocol v1 and of stored utterances: 16-bit signed little-endian PCM, one channel.
inline constexpr int bitsPerSample = 16;
inline constexpr int channels = 1;
inline constexpr int headerBytes = 44;

/// What a WAV file says of itself.
struct Format {
    int sampleRate = 0; ///< Hz
    int channels = 0;
    int bitsPerSample = 0;
    qint64 dataBytes = 0; ///< the PCM data's length
    qint64 dataOffset = 0; ///< where the PCM data starts in the file

    [[nodiscard]] qint64 frames() const
    {
        const int frameBytes = channels * bitsPerSample / 8;
        return frameBytes > 0 ? dataBytes / frameBytes : 0;
    }
    [[nodiscard]] double durationSeconds() const { return sampleRate > 0 ? double(frames()) / sampleRate : 0.0; }
};

/// The canonical 44-byte RIFF/WAVE header for pcmBytes of 16-bit mono PCM at sampleRate.
[[nodiscard]] QByteArray header(int sampleRate, qint64 pcmBytes);

/// A whole file: header(sampleRate, pcm.size()) followed by pcm.
[[nodiscard]] QByteArray file(int sampleRate, QByteArrayView pcm);

/// Reads a WAV file's header (RIFF, WAVE, a PCM "fmt " chunk, then the "data" chunk; other chunks
/// are skipped). Error wav.invalid, with a sentence saying what is wrong, when it is not a PCM WAV
/// file or its data chunk runs past the end of the bytes given.
[[nodiscard]] Expected<Format> parse(QByteArrayView bytes);

} // namespace voxtrack::wav
