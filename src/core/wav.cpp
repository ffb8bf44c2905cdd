// SPDX-License-Identifier: MIT
#include "core/wav.h"

#include <QCoreApplication>
#include <QtEndian>

namespace voxtrack::wav {

namespace {

void appendLe32(QByteArray& out, quint32 value)
{
    char bytes[4];
    qToLittleEndian(value, bytes);
    out.append(bytes, 4);
}

void appendLe16(QByteArray& out, quint16 value)
{
    char bytes[2];
    qToLittleEndian(value, bytes);
    out.append(bytes, 2);
}

Error invalid(const QString& why)
{
    return {QStringLiteral("wav.invalid"),
        QCoreApplication::translate("voxtrack::wav", "This is not a playable WAV file: %1.").arg(why)};
}

} // namespace

QByteArray header(int sampleRate, qint64 pcmBytes)
{
    QByteArray out;
    out.reserve(headerBytes);
    const quint32 blockAlign = channels * bitsPerSample / 8;
    out.append("RIFF", 4);
    appendLe32(out, quint32(36 + pcmBytes));
    out.append("WAVE", 4);
    out.append("fmt ", 4);
    appendLe32(out, 16); // the size of a PCM format chunk
    appendLe16(out, 1); // PCM
    appendLe16(out, channels);
    appendLe32(out, quint32(sampleRate));
    appendLe32(out, quint32(sampleRate) * blockAlign); // bytes per second
    appendLe16(out, quint16(blockAlign));
    appendLe16(out, bitsPerSample);
    out.append("data", 4);
    appendLe32(out, quint32(pcmBytes));
    return out;
}

QByteArray file(int sampleRate, QByteArrayView pcm)
{
    QByteArray out = header(sampleRate, pcm.size());
    out.append(pcm.data(), pcm.size());
    return out;
}

Expected<Format> parse(QByteArrayView bytes)
{
    if (bytes.size() < 12 || bytes.first(4) != QByteArrayView("RIFF") || bytes.sliced(8, 4) != QByteArrayView("WAVE"))
        return invalid(QCoreApplication::translate("voxtrack::wav", "it does not start with RIFF … WAVE"));
    Format format;
    bool haveFormat = false;
    qint64 at = 12;
    while (at + 8 <= bytes.size()) {
        const QByteArrayView id = bytes.sliced(at, 4);
        const qint64 size = qFromLittleEndian<quint32>(bytes.data() + at + 4);
        const qint64 body = at + 8;
        if (id == QByteArrayView("fmt ")) {
            if (size < 16 || body + 16 > bytes.size())
                return invalid(QCoreApplication::translate("voxtrack::wav", "its format chunk is cut short"));
            const auto* fmt = bytes.data() + body;
            if (qFromLittleEndian<quint16>(fmt) != 1)
                return invalid(QCoreApplication::translate("voxtrack::wav", "its samples are not plain PCM"));
            format.channels = qFromLittleEndian<quint16>(fmt + 2);
            format.sampleRate = int(qFromLittleEndian<quint32>(fmt + 4));
            format.bitsPerSample = qFromLittleEndian<quint16>(fmt + 14);
            haveFormat = true;
        } else if (id == QByteArrayView("data")) {
            if (!haveFormat)
                return invalid(QCoreApplication::translate("voxtrack::wav", "its data comes before its format"));
            if (body + size > bytes.size()) {
                return invalid(
                    QCoreApplication::translate("voxtrack::wav", "its data chunk says %1 bytes but %2 follow")
                        .arg(size)
                        .arg(bytes.size() - body));
            }
            if (format.channels < 1 || format.sampleRate < 1 || format.bitsPerSample < 8)
                return invalid(
                    QCoreApplication::translate("voxtrack::wav", "its format chunk holds impossible values"));
            format.dataBytes = size;
            format.dataOffset = body;
            return format;
        }
        at = body + size + (size & 1); // chunks are padded to an even size
    }
    return invalid(QCoreApplication::translate("voxtrack::wav", "it has no data chunk"));
}

} // namespace voxtrack::wav
