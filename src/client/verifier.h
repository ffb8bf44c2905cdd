// SPDX-License-Identifier: MIT
#pragma once

#include "client/report.h"
#include "core/error.h"
#include "core/records.h"
#include "core/role.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QUuid>

namespace voxtrack::store {
class Connection;
}

namespace voxtrack::client {

class VoiceClient;

/// One message as the database should hold it.
struct ExpectedMessage {
    qint64 seq = 0;
    QUuid messageId;
    Role role = Role::User;
    QString content;
    QString audioUrl; ///< empty matches NULL
    /// Compared as an object. For an agent reply only these keys are compared (the server adds
    /// others, such as reply_latency_ms); for any other message the object must be equal.
    QJsonObject metadata;
    bool spoken = false; ///< sent as audio: audio_url must serve a WAV of audioSeconds (audioUrl is not compared)
    double audioSeconds = 0; ///< the duration of the PCM sent
};

/// One conversation as the database should hold it.
struct ExpectedSession {
    QString sessionId;
    QString userId;
    QJsonObject metadata;
    QDateTime startedAt;
    double durationSeconds = -1; ///< the duration session.ended reported, -1 if none
    double observedDurationSeconds = -1; ///< the client's wall time, -1 if not measured
    int messageCount = -1; ///< session.ended's message count, -1 if none
    EndReason endReason = EndReason::ClientClosed;
    bool ended = false; ///< the client received session.ended
    QList<ExpectedMessage> messages; ///< in seq order
};

/// What a VoiceClient exchanged, as the database should hold it: its messages (acked ones,
/// with their seq and message_id; the role it sent) and the agent replies (role agent, seq,
/// content, audio_url, metadata.reply_to = the client id). The server's system message (seq 1)
/// is not seen by the client: the Verifier allows it, and nothing else unexpected.
[[nodiscard]] ExpectedSession expectedFrom(const VoiceClient& client, const QJsonObject& sessionMetadata);

struct VerifyOptions {
    double durationToleranceSeconds = 1.0;
    double audioToleranceSeconds = 0.020; ///< a stored utterance's duration against the PCM sent
    int audioTimeoutMs = 10000; ///< for fetching one audio_url
};

/// Checks the stored audio of a message sent as voice: audio_url is set (audio.url_missing),
/// answers 200 (audio.fetch), holds a 16 kHz mono 16-bit WAV file (audio.invalid) as long as the
/// PCM sent within options.audioToleranceSeconds (audio.duration). Fetches with its own
/// QNetworkAccessManager and a local event loop, so it blocks the calling thread (any thread)
/// for at most options.audioTimeoutMs; events of that thread are processed meanwhile.
[[nodiscard]] QList<Finding> checkAudio(const QString& sessionId, const QString& messageId, const QString& audioUrl,
    double expectedSeconds, const VerifyOptions& options = {});

/// Compares the rows of one session in conversation_sessions / conversation_messages with
/// what a client exchanged. Each difference is a Finding with a stable check id:
/// session.missing, session.user_id, session.metadata, session.not_ended, session.still_active,
/// session.duration, session.message_count, session.end_reason, message.missing, message.role,
/// message.content, message.metadata, message.audio_url, message.seq, message.unexpected,
/// message.duplicate, and for messages sent as voice those of checkAudio(). Use it in the thread
/// that opened the connection.
class Verifier {
public:
    explicit Verifier(store::Connection& connection, VerifyOptions options = {});

    /// The findings (none: the database holds the conversation), or an Error when the
    /// database could not be read (code db.query and the like).
    [[nodiscard]] Expected<QList<Finding>> verify(const ExpectedSession& expected) const;

private:
    store::Connection& m_connection;
    VerifyOptions m_options;
};

} // namespace voxtrack::client
