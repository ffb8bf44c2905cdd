// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"

#include <QByteArrayView>
#include <QString>
#include <QUuid>

#include <optional>

namespace voxtrack::server {

/// The directory where voxtrackd keeps each stored utterance as <message_id>.wav (16-bit mono
/// PCM). Holds only its path: every call may be made from any thread. A file appears whole or
/// not at all (written to a temporary file, then renamed).
class AudioStore {
public:
    /// Creates the directory when missing and checks a file can be written in it. Error code
    /// server.audio_dir, with a sentence naming the directory.
    [[nodiscard]] static Expected<AudioStore> open(const QString& directory);

    [[nodiscard]] const QString& directory() const { return m_directory; }
    /// Where the utterance of messageId is (or would be) stored.
    [[nodiscard]] QString pathFor(const QUuid& messageId) const;
    /// Writes pcm as a WAV file for messageId, replacing one stored before. Error code
    /// audio.store_failed when the file cannot be written; nothing is left behind then.
    [[nodiscard]] Status write(const QUuid& messageId, int sampleRate, QByteArrayView pcm) const;

    /// The message id a request path /audio/<uuid>.wav names (lowercase, without braces, as
    /// audio URLs are written); nullopt for anything else, so no path reaches outside the store.
    [[nodiscard]] static std::optional<QUuid> idFromPath(QByteArrayView path);
    /// "/audio/<uuid>.wav"
    [[nodiscard]] static QString pathOf(const QUuid& messageId);

private:
    explicit AudioStore(QString directory)
        : m_directory(std::move(directory))
    {
    }

    QString m_directory;
};

} // namespace voxtrack::server
