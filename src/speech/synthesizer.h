// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QStringList>

/// Speech synthesis with espeak-ng, for clients that speak: text in, the audio of protocol v1
/// out (16 kHz, mono, signed 16-bit little-endian PCM). espeak-ng is one engine per process
/// and not thread-safe: every function here takes one process-wide lock, so they may be
/// called from any thread, and calls from several threads run one after the other. Nothing
/// is cached: callers that say the same text again keep the PCM themselves.
namespace voxtrack::speech {

/// The sample rate of synthesize()'s PCM.
inline constexpr int sampleRate = 16000;
inline constexpr int minRate = 80; ///< words per minute
inline constexpr int maxRate = 450;
inline constexpr int defaultRate = 175;

/// Which voice speaks, and how fast.
struct Voice {
    QString name = QStringLiteral("en-us"); ///< an espeak-ng voice: "en-us", "en-gb", "de", …
    int rate = defaultRate; ///< words per minute, minRate..maxRate

    friend bool operator==(const Voice&, const Voice&) = default;
};

/// Speaks text with voice: 16 kHz mono s16le PCM. espeak-ng speaks at 22050 Hz; the samples are
/// resampled with a windowed-sinc filter (Blackman window, 32 taps, cut-off at 7.2 kHz) that
/// also keeps what lies above 8 kHz from folding back. Errors: speech.text (nothing to say),
/// speech.rate (outside minRate..maxRate), speech.voice (espeak-ng has no such voice),
/// speech.init (espeak-ng could not start or failed to speak).
[[nodiscard]] Expected<QByteArray> synthesize(const QString& text, const Voice& voice = {});

/// Whether synthesize() would accept voice, without speaking: speech.rate, speech.voice or
/// speech.init as synthesize() reports them, or a null Status.
[[nodiscard]] Status checkVoice(const Voice& voice);

/// The voices espeak-ng knows (their identifiers, such as "en-us" or "gmw/en-us"), sorted.
[[nodiscard]] Expected<QStringList> voices();

/// The duration of pcm bytes of 16-bit mono PCM at sampleRate, in seconds.
[[nodiscard]] inline double durationSeconds(qint64 pcmBytes, int rate = sampleRate)
{
    return rate > 0 ? double(pcmBytes / 2) / rate : 0.0;
}

/// Converts 16-bit mono samples from one rate to another with the filter synthesize() uses.
[[nodiscard]] QByteArray resample(QByteArrayView pcm, int fromRate, int toRate);

} // namespace voxtrack::speech
