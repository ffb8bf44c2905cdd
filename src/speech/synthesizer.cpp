// SPDX-License-Identifier: MIT
#include "speech/synthesizer.h"

#include <QCoreApplication>
#include <QMutex>
#include <QMutexLocker>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <espeak-ng/speak_lib.h>
#include <numbers>
#include <vector>

namespace voxtrack::speech {

namespace {

QString tr(const char* text)
{
    return QCoreApplication::translate("voxtrack::speech", text);
}

/// The one lock around espeak-ng, and what its initialisation answered (guarded by it).
QMutex& engineLock()
{
    static QMutex mutex;
    return mutex;
}
int engineRate = 0; ///< espeak-ng's sample rate once initialised; 0 before, -1 when it failed

/// Starts espeak-ng once per process (its data stays loaded). Call with engineLock() held.
Status initialize()
{
    if (engineRate == 0) {
        const int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, espeakINITIALIZE_DONT_EXIT);
        engineRate = rate > 0 ? rate : -1;
    }
    if (engineRate < 0) {
        return {QStringLiteral("speech.init"),
            tr("espeak-ng could not start: install espeak-ng-data (or set ESPEAK_DATA_PATH to its directory).")};
    }
    return {};
}

int collect(short* samples, int count, espeak_EVENT* events)
{
    if (samples && count > 0 && events) {
        auto* buffer = static_cast<std::vector<qint16>*>(events->user_data);
        buffer->insert(buffer->end(), samples, samples + count);
    }
    return 0; // go on
}

/// The current voice speaks the language asked for: espeak-ng picks its nearest voice for any
/// language, so "xx" must not silently become English.
bool languageMatches(const QByteArray& language)
{
    const espeak_VOICE* current = espeak_GetCurrentVoice();
    if (!current || !current->languages)
        return false;
    // languages: a priority byte, then a language name, repeated; ends with a zero byte
    for (const char* entry = current->languages; *entry; entry += std::strlen(entry + 1) + 2) {
        if (qstricmp(entry + 1, language.constData()) == 0)
            return true;
    }
    return false;
}

double sinc(double x)
{
    if (std::abs(x) < 1e-9)
        return 1.0;
    const double px = std::numbers::pi * x;
    return std::sin(px) / px;
}

} // namespace

QByteArray resample(QByteArrayView pcm, int fromRate, int toRate)
{
    const qsizetype inCount = pcm.size() / 2;
    if (fromRate <= 0 || toRate <= 0 || inCount == 0)
        return {};
    if (fromRate == toRate)
        return pcm.first(inCount * 2).toByteArray();
    std::vector<double> in(static_cast<size_t>(inCount));
    for (qsizetype i = 0; i < inCount; ++i) {
        const auto lo = quint8(pcm[2 * i]);
        const auto hi = quint8(pcm[2 * i + 1]);
        in[size_t(i)] = double(qint16(quint16(lo | (hi << 8))));
    }
    constexpr int halfWidth = 16; // taps on each side, in input samples
    // The cut-off, in cycles per input sample: 90% of the lower Nyquist frequency.
    const double cutoff = 0.45 * std::min(fromRate, toRate) / fromRate;
    const double step = double(fromRate) / toRate;
    const auto outCount = qsizetype(std::llround(double(inCount) * toRate / fromRate));
    QByteArray out(outCount * 2, Qt::Uninitialized);
    for (qsizetype j = 0; j < outCount; ++j) {
        const double t = double(j) * step;
        const auto centre = qsizetype(std::floor(t));
        double sum = 0;
        double weights = 0;
        for (qsizetype i = centre - halfWidth + 1; i <= centre + halfWidth; ++i) {
            const double x = double(i) - t;
            if (std::abs(x) >= halfWidth)
                continue;
            const double phase = std::numbers::pi * x / halfWidth;
            const double window = 0.42 + 0.5 * std::cos(phase) + 0.08 * std::cos(2 * phase);
            const double weight = 2 * cutoff * sinc(2 * cutoff * x) * window;
            weights += weight;
            if (i >= 0 && i < inCount)
                sum += weight * in[size_t(i)];
        }
        const double value = weights != 0 ? sum / weights : 0;
        const auto sample = qint16(std::clamp(std::lround(value), -32768L, 32767L));
        out[2 * j] = char(quint16(sample) & 0xff);
        out[2 * j + 1] = char(quint16(sample) >> 8);
    }
    return out;
}

namespace {

Status rateError(int rate)
{
    return {QStringLiteral("speech.rate"),
        tr("The speech rate %1 is out of range: use %2 to %3 words per minute.").arg(rate).arg(minRate).arg(maxRate)};
}

/// Makes voice espeak-ng's current voice. Call with engineLock() held, after initialize().
Status selectVoice(const Voice& voice)
{
    const QByteArray name = voice.name.toUtf8();
    // A voice file's name ("en-us") or, failing that, a language ("en-gb" is the voice "en")
    bool found = !voice.name.isEmpty() && espeak_SetVoiceByName(name.constData()) == EE_OK;
    if (!found && !voice.name.isEmpty()) {
        espeak_VOICE wanted {};
        wanted.languages = name.constData();
        found = espeak_SetVoiceByProperties(&wanted) == EE_OK && languageMatches(name);
    }
    if (!found) {
        return {QStringLiteral("speech.voice"),
            tr("The voice \"%1\" is not known to espeak-ng: use one such as en-us, en-gb or de "
               "(espeak-ng --voices lists them all).")
                .arg(voice.name)};
    }
    return {};
}

} // namespace

Status checkVoice(const Voice& voice)
{
    if (voice.rate < minRate || voice.rate > maxRate)
        return rateError(voice.rate);
    QMutexLocker locker(&engineLock());
    if (const Status status = initialize(); !status.isNull())
        return status;
    return selectVoice(voice);
}

Expected<QByteArray> synthesize(const QString& text, const Voice& voice)
{
    if (text.trimmed().isEmpty())
        return Error {QStringLiteral("speech.text"), tr("There is no text to speak: give a sentence to say.")};
    if (voice.rate < minRate || voice.rate > maxRate)
        return rateError(voice.rate);
    std::vector<qint16> samples;
    int engineSampleRate = 0;
    {
        QMutexLocker locker(&engineLock());
        if (const Status status = initialize(); !status.isNull())
            return status;
        engineSampleRate = engineRate;
        espeak_SetSynthCallback(&collect);
        if (const Status status = selectVoice(voice); !status.isNull())
            return status;
        espeak_SetParameter(espeakRATE, voice.rate, 0);
        const QByteArray utf8 = text.toUtf8();
        const espeak_ERROR result = espeak_Synth(
            utf8.constData(), size_t(utf8.size()) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, nullptr, &samples);
        if (result == EE_OK)
            espeak_Synchronize();
        if (result != EE_OK) {
            return Error {QStringLiteral("speech.init"),
                tr("espeak-ng failed to speak the text (error %1): check that espeak-ng-data is complete.")
                    .arg(int(result))};
        }
    }
    QByteArray pcm(qsizetype(samples.size()) * 2, Qt::Uninitialized);
    for (size_t i = 0; i < samples.size(); ++i) {
        pcm[qsizetype(2 * i)] = char(quint16(samples[i]) & 0xff);
        pcm[qsizetype(2 * i + 1)] = char(quint16(samples[i]) >> 8);
    }
    return resample(pcm, engineSampleRate, sampleRate);
}

Expected<QStringList> voices()
{
    QMutexLocker locker(&engineLock());
    if (const Status status = initialize(); !status.isNull())
        return status;
    QStringList names;
    for (const espeak_VOICE* const* voice = espeak_ListVoices(nullptr); voice && *voice; ++voice) {
        if ((*voice)->identifier)
            names.append(QString::fromUtf8((*voice)->identifier));
    }
    names.sort();
    return names;
}

} // namespace voxtrack::speech
