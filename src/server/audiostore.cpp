// SPDX-License-Identifier: MIT
#include "server/audiostore.h"

#include "core/wav.h"

#include <QCoreApplication>
#include <QDir>
#include <QSaveFile>
#include <QTemporaryFile>

namespace voxtrack::server {

namespace {

QString translate(const char* text)
{
    return QCoreApplication::translate("voxtrack::server::AudioStore", text);
}

} // namespace

Expected<AudioStore> AudioStore::open(const QString& directory)
{
    const QString absolute = QDir(directory).absolutePath();
    if (!QDir().mkpath(absolute)) {
        return Error {QStringLiteral("server.audio_dir"),
            translate("Could not create the audio directory %1: check its parent is writable, or pass "
                      "--audio-dir none to refuse audio.")
                .arg(absolute)};
    }
    QTemporaryFile probe(QDir(absolute).filePath(QStringLiteral(".probe-XXXXXX")));
    if (!probe.open()) {
        return Error {QStringLiteral("server.audio_dir"),
            translate("The audio directory %1 is not writable (%2): fix its permissions or choose another "
                      "--audio-dir.")
                .arg(absolute, probe.errorString())};
    }
    return AudioStore(absolute);
}

QString AudioStore::pathFor(const QUuid& messageId) const
{
    return QDir(m_directory).filePath(messageId.toString(QUuid::WithoutBraces) + QStringLiteral(".wav"));
}

Status AudioStore::write(const QUuid& messageId, int sampleRate, QByteArrayView pcm) const
{
    QSaveFile file(pathFor(messageId));
    if (file.open(QIODevice::WriteOnly)) {
        const QByteArray header = wav::header(sampleRate, pcm.size());
        if (file.write(header) == header.size() && file.write(pcm.data(), pcm.size()) == pcm.size() && file.commit())
            return {};
    }
    const QString reason = file.errorString();
    file.cancelWriting();
    return {QStringLiteral("audio.store_failed"),
        translate("The server could not store the audio (%1): send it again later.").arg(reason)};
}

std::optional<QUuid> AudioStore::idFromPath(QByteArrayView path)
{
    constexpr QByteArrayView prefix = "/audio/";
    constexpr QByteArrayView suffix = ".wav";
    if (!path.startsWith(prefix) || !path.endsWith(suffix))
        return std::nullopt;
    const QByteArrayView name = path.sliced(prefix.size(), path.size() - prefix.size() - suffix.size());
    if (name.size() != 36)
        return std::nullopt;
    const QUuid id = QUuid::fromString(QLatin1StringView(name));
    if (id.isNull() || id.toString(QUuid::WithoutBraces).toLatin1() != name)
        return std::nullopt;
    return id;
}

QString AudioStore::pathOf(const QUuid& messageId)
{
    return QStringLiteral("/audio/") + messageId.toString(QUuid::WithoutBraces) + QStringLiteral(".wav");
}

} // namespace voxtrack::server
