// SPDX-License-Identifier: MIT
#include "client/verifier.h"

#include "client/voiceclient.h"
#include "core/protocol.h"
#include "core/wav.h"
#include "store/connection.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QHash>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSet>
#include <QSqlQuery>

#include <algorithm>
#include <cmath>

namespace voxtrack::client {

namespace {

QString tr(const char* text)
{
    return QCoreApplication::translate("voxtrack::client::Verifier", text);
}

QJsonObject parseObject(const QString& text)
{
    if (text.isEmpty())
        return {};
    return QJsonDocument::fromJson(text.toUtf8()).object();
}

QString compact(const QJsonObject& object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

QString seconds(double value)
{
    return QString::number(value, 'f', 3);
}

/// Every key of expected is in actual with the same value.
bool contains(const QJsonObject& actual, const QJsonObject& expected)
{
    for (auto it = expected.constBegin(); it != expected.constEnd(); ++it) {
        if (actual.value(it.key()) != it.value())
            return false;
    }
    return true;
}

struct SessionRow {
    QString userId;
    QJsonObject metadata;
    bool active = true;
    bool ended = false;
    bool hasDuration = false;
    double durationSeconds = 0;
    qint64 messageCount = 0;
    QString endReason;
    bool hasSpan = false;
    double spanSeconds = 0; ///< ended_at − started_at, computed by the database
};

struct MessageRow {
    qint64 id = 0;
    QString role;
    QString content;
    QString audioUrl;
    QJsonObject metadata;
    QUuid messageId;
    qint64 seq = 0;
    bool hasSeq = false;
};

} // namespace

ExpectedSession expectedFrom(const VoiceClient& client, const QJsonObject& sessionMetadata)
{
    ExpectedSession session;
    session.sessionId = client.sessionId();
    session.userId = client.userId();
    session.metadata = sessionMetadata;
    session.startedAt = client.startedAt();
    session.observedDurationSeconds = client.observedDurationSeconds();
    if (const auto& ended = client.ended()) {
        session.ended = true;
        session.durationSeconds = ended->durationSeconds;
        session.messageCount = ended->messages;
        session.endReason = ended->reason;
    }
    for (const Exchange& exchange : client.exchanges()) {
        if (exchange.ackUs < 0 || exchange.seq <= 0)
            continue; // never acknowledged: the server owes nothing
        session.messages.append({exchange.seq, exchange.messageId, exchange.role, exchange.text, QString(),
            exchange.metadata, exchange.spoken, exchange.audioSeconds()});
    }
    for (const protocol::AgentMessage& reply : client.agentMessages()) {
        QJsonObject metadata;
        if (!reply.replyTo.isEmpty())
            metadata.insert(QStringLiteral("reply_to"), reply.replyTo);
        session.messages.append({reply.seq, protocol::messageIdFor(session.sessionId, reply.id), Role::Agent,
            reply.content, reply.audioUrl, metadata});
    }
    std::stable_sort(session.messages.begin(), session.messages.end(),
        [](const ExpectedMessage& a, const ExpectedMessage& b) { return a.seq < b.seq; });
    return session;
}

QList<Finding> checkAudio(const QString& sessionId, const QString& messageId, const QString& audioUrl,
    double expectedSeconds, const VerifyOptions& options)
{
    QList<Finding> findings;
    auto add = [&](const QString& check, const QString& wanted, const QString& actual, const QString& message) {
        findings.append({check, sessionId, QStringLiteral("audio_url"), wanted, actual, message});
    };
    if (audioUrl.isEmpty()) {
        add(QStringLiteral("audio.url_missing"), tr("set"), QString(),
            tr("The message %1 was sent as voice, but its audio_url is NULL: the server did not store the audio.")
                .arg(messageId));
        return findings;
    }
    const QUrl url(audioUrl);
    if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https")) {
        add(QStringLiteral("audio.fetch"), tr("an http URL"), audioUrl,
            tr("The audio_url of the message %1 is not an http URL (%2): the server must store where it serves the "
               "audio.")
                .arg(messageId, audioUrl));
        return findings;
    }

    QNetworkAccessManager network;
    QNetworkRequest request(url);
    request.setTransferTimeout(options.audioTimeoutMs);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);
    QNetworkReply* reply = network.get(request);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    if (!reply->isFinished())
        loop.exec(QEventLoop::ExcludeUserInputEvents);
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray body = reply->readAll();
    const QString errorString = reply->errorString();
    delete reply;

    if (status != 200) {
        const QString reason = status > 0 ? QStringLiteral("HTTP %1").arg(status) : errorString;
        add(QStringLiteral("audio.fetch"), QStringLiteral("200"), status > 0 ? QString::number(status) : errorString,
            tr("Fetching the audio of the message %1 from %2 failed (%3): check that the server serves the audio it "
               "stored.")
                .arg(messageId, audioUrl, reason));
        return findings;
    }
    const auto format = wav::parse(body);
    if (!format) {
        add(QStringLiteral("audio.invalid"), tr("a WAV file"),
            QCoreApplication::translate("voxtrack::client::Verifier", "%n byte(s)", nullptr, int(body.size())),
            tr("The audio of the message %1 is not a valid WAV file: %2").arg(messageId, format.error().message));
        return findings;
    }
    if (format->sampleRate != 16000 || format->channels != 1 || format->bitsPerSample != 16) {
        add(QStringLiteral("audio.invalid"), tr("16000 Hz, 1 channel, 16 bits"),
            tr("%1 Hz, %2 channel(s), %3 bits")
                .arg(format->sampleRate)
                .arg(format->channels)
                .arg(format->bitsPerSample),
            tr("The audio of the message %1 is %2 Hz, %3 channel(s), %4 bits, but 16000 Hz mono 16-bit audio was "
               "sent: the server must store the PCM as it arrived.")
                .arg(messageId)
                .arg(format->sampleRate)
                .arg(format->channels)
                .arg(format->bitsPerSample));
        return findings;
    }
    const double stored = format->durationSeconds();
    if (std::abs(stored - expectedSeconds) > options.audioToleranceSeconds) {
        add(QStringLiteral("audio.duration"), seconds(expectedSeconds), seconds(stored),
            tr("The audio of the message %1 lasts %2 s, but %3 s were sent: audio was lost or added on the way.")
                .arg(messageId, seconds(stored), seconds(expectedSeconds)));
    }
    return findings;
}

Verifier::Verifier(store::Connection& connection, VerifyOptions options)
    : m_connection(connection)
    , m_options(options)
{
}

Expected<QList<Finding>> Verifier::verify(const ExpectedSession& expected) const
{
    const bool postgres = m_connection.isPostgreSql();
    QList<Finding> findings;
    auto add = [&](const QString& check, const QString& field, const QString& wanted, const QString& actual,
                   const QString& message) {
        findings.append({check, expected.sessionId, field, wanted, actual, message});
    };

    // ---- the session row ----
    const QString sessionSql = postgres
        ? QStringLiteral("SELECT user_id, metadata::text, CASE WHEN is_active THEN 1 ELSE 0 END, "
                         "CASE WHEN ended_at IS NULL THEN 0 ELSE 1 END, duration_seconds, message_count, end_reason, "
                         "EXTRACT(EPOCH FROM (ended_at - started_at))::double precision "
                         "FROM conversation_sessions WHERE session_id = ?")
        : QStringLiteral("SELECT user_id, metadata, is_active, CASE WHEN ended_at IS NULL THEN 0 ELSE 1 END, "
                         "duration_seconds, message_count, end_reason, "
                         "((julianday(ended_at) - julianday(started_at)) * 86400.0) "
                         "FROM conversation_sessions WHERE session_id = ?");
    QSqlQuery sessionQuery(m_connection.database());
    sessionQuery.setForwardOnly(true);
    if (const Status status = store::execQuery(sessionQuery, sessionSql, {expected.sessionId}); !status.isNull())
        return status;
    if (!sessionQuery.next()) {
        add(QStringLiteral("session.missing"), QStringLiteral("session_id"), expected.sessionId, QString(),
            tr("The session %1 is not in conversation_sessions: the session start was never stored.")
                .arg(expected.sessionId));
        return findings;
    }
    SessionRow session;
    session.userId = sessionQuery.value(0).toString();
    session.metadata = parseObject(sessionQuery.value(1).toString());
    session.active = sessionQuery.value(2).toInt() != 0;
    session.ended = sessionQuery.value(3).toInt() != 0;
    session.hasDuration = !sessionQuery.value(4).isNull();
    session.durationSeconds = sessionQuery.value(4).toDouble();
    session.messageCount = sessionQuery.value(5).toLongLong();
    session.endReason = sessionQuery.value(6).toString();
    session.hasSpan = !sessionQuery.value(7).isNull();
    session.spanSeconds = sessionQuery.value(7).toDouble();
    sessionQuery.finish();

    if (session.userId != expected.userId) {
        add(QStringLiteral("session.user_id"), QStringLiteral("user_id"), expected.userId, session.userId,
            tr("The session is stored for user %1, but the server told the client %2.")
                .arg(session.userId, expected.userId));
    }
    if (session.metadata != expected.metadata) {
        add(QStringLiteral("session.metadata"), QStringLiteral("metadata"), compact(expected.metadata),
            compact(session.metadata), tr("The session's metadata is not what the client sent."));
    }
    if (expected.ended) {
        if (!session.ended) {
            add(QStringLiteral("session.not_ended"), QStringLiteral("ended_at"), tr("set"), QString(),
                tr("The client received session.ended, but the session has no ended_at."));
        }
        if (session.active) {
            add(QStringLiteral("session.still_active"), QStringLiteral("is_active"), QStringLiteral("false"),
                QStringLiteral("true"), tr("The client received session.ended, but the session is still active."));
        }
    }
    if (expected.ended && session.ended) {
        const double tolerance = m_options.durationToleranceSeconds;
        if (!session.hasDuration) {
            add(QStringLiteral("session.duration"), QStringLiteral("duration_seconds"),
                seconds(expected.durationSeconds), QString(), tr("The ended session has no duration_seconds."));
        } else {
            if (expected.durationSeconds >= 0
                && std::abs(session.durationSeconds - expected.durationSeconds) > tolerance) {
                add(QStringLiteral("session.duration"), QStringLiteral("duration_seconds"),
                    seconds(expected.durationSeconds), seconds(session.durationSeconds),
                    tr("duration_seconds differs from the duration session.ended reported by more than %1 s.")
                        .arg(tolerance));
            }
            if (expected.observedDurationSeconds >= 0
                && std::abs(session.durationSeconds - expected.observedDurationSeconds) > tolerance) {
                add(QStringLiteral("session.duration"), QStringLiteral("duration_seconds"),
                    seconds(expected.observedDurationSeconds), seconds(session.durationSeconds),
                    tr("duration_seconds differs from the duration the client observed by more than %1 s.")
                        .arg(tolerance));
            }
            if (session.hasSpan && std::abs(session.durationSeconds - session.spanSeconds) > tolerance) {
                add(QStringLiteral("session.duration"), QStringLiteral("duration_seconds"),
                    seconds(session.spanSeconds), seconds(session.durationSeconds),
                    tr("duration_seconds differs from ended_at - started_at by more than %1 s.").arg(tolerance));
            }
        }
        if (expected.messageCount >= 0 && session.messageCount != expected.messageCount) {
            add(QStringLiteral("session.message_count"), QStringLiteral("message_count"),
                QString::number(expected.messageCount), QString::number(session.messageCount),
                tr("message_count is %1, but session.ended reported %2 messages.")
                    .arg(session.messageCount)
                    .arg(expected.messageCount));
        }
        const QString reason = endReasonName(expected.endReason);
        if (session.endReason != reason) {
            add(QStringLiteral("session.end_reason"), QStringLiteral("end_reason"), reason, session.endReason,
                tr("end_reason is \"%1\", but session.ended reported \"%2\".").arg(session.endReason, reason));
        }
    }

    // ---- the message rows ----
    const QString messageSql = postgres
        ? QStringLiteral("SELECT id, role, content, audio_url, metadata::text, message_id::text, seq "
                         "FROM conversation_messages WHERE session_id = ? ORDER BY seq, id")
        : QStringLiteral("SELECT id, role, content, audio_url, metadata, message_id, seq "
                         "FROM conversation_messages WHERE session_id = ? ORDER BY seq, id");
    QSqlQuery messageQuery(m_connection.database());
    messageQuery.setForwardOnly(true);
    if (const Status status = store::execQuery(messageQuery, messageSql, {expected.sessionId}); !status.isNull())
        return status;
    QList<MessageRow> rows;
    while (messageQuery.next()) {
        MessageRow row;
        row.id = messageQuery.value(0).toLongLong();
        row.role = messageQuery.value(1).toString();
        row.content = messageQuery.value(2).toString();
        row.audioUrl = messageQuery.value(3).toString();
        row.metadata = parseObject(messageQuery.value(4).toString());
        row.messageId = QUuid::fromString(messageQuery.value(5).toString());
        row.hasSeq = !messageQuery.value(6).isNull();
        row.seq = messageQuery.value(6).toLongLong();
        rows.append(row);
    }
    if (messageQuery.lastError().isValid())
        return store::queryError(messageQuery, messageSql);
    messageQuery.finish();

    QHash<QUuid, QList<qsizetype>> byMessageId;
    for (qsizetype i = 0; i < rows.size(); ++i) {
        if (!rows.at(i).messageId.isNull())
            byMessageId[rows.at(i).messageId].append(i);
    }
    for (auto it = byMessageId.cbegin(); it != byMessageId.cend(); ++it) {
        if (it.value().size() > 1) {
            add(QStringLiteral("message.duplicate"), QStringLiteral("message_id"), QStringLiteral("1"),
                QString::number(it.value().size()),
                tr("The message %1 is stored %2 times: a retried write was not deduplicated.")
                    .arg(it.key().toString(QUuid::WithoutBraces))
                    .arg(it.value().size()));
        }
    }

    QSet<qsizetype> matched;
    for (const ExpectedMessage& message : expected.messages) {
        const QString id = message.messageId.toString(QUuid::WithoutBraces);
        const auto found = byMessageId.constFind(message.messageId);
        if (message.messageId.isNull() || found == byMessageId.cend()) {
            add(QStringLiteral("message.missing"), QStringLiteral("message_id"), id, QString(),
                tr("The message at seq %1 (%2) was acknowledged but is not in conversation_messages.")
                    .arg(message.seq)
                    .arg(id));
            continue;
        }
        for (const qsizetype index : *found)
            matched.insert(index);
        const MessageRow& row = rows.at(found->constFirst());
        const QString role = roleName(message.role);
        if (row.role != role) {
            add(QStringLiteral("message.role"), QStringLiteral("role"), role, row.role,
                row.role == u"assistant"
                    ? tr("The message %1 is stored with role \"assistant\": agent replies must be stored as \"agent\".")
                          .arg(id)
                    : tr("The message %1 is stored with role \"%2\" instead of \"%3\".").arg(id, row.role, role));
        }
        if (row.content != message.content) {
            add(QStringLiteral("message.content"), QStringLiteral("content"), message.content, row.content,
                tr("The content of the message %1 is not what was exchanged.").arg(id));
        }
        const bool metadataMatches
            = message.role == Role::Agent ? contains(row.metadata, message.metadata) : row.metadata == message.metadata;
        if (!metadataMatches) {
            add(QStringLiteral("message.metadata"), QStringLiteral("metadata"), compact(message.metadata),
                compact(row.metadata), tr("The metadata of the message %1 is not what was exchanged.").arg(id));
        }
        if (message.spoken) {
            findings.append(checkAudio(expected.sessionId, id, row.audioUrl, message.audioSeconds, m_options));
        } else if (row.audioUrl != message.audioUrl) {
            add(QStringLiteral("message.audio_url"), QStringLiteral("audio_url"), message.audioUrl, row.audioUrl,
                tr("The audio_url of the message %1 is not what was exchanged.").arg(id));
        }
        if (!row.hasSeq || row.seq != message.seq) {
            add(QStringLiteral("message.seq"), QStringLiteral("seq"), QString::number(message.seq),
                row.hasSeq ? QString::number(row.seq) : QString(),
                tr("The message %1 is stored at seq %2, but was exchanged at seq %3.")
                    .arg(id, row.hasSeq ? QString::number(row.seq) : QStringLiteral("NULL"))
                    .arg(message.seq));
        }
    }

    bool systemSeen = false;
    for (qsizetype i = 0; i < rows.size(); ++i) {
        if (matched.contains(i))
            continue;
        const MessageRow& row = rows.at(i);
        if (!systemSeen && row.role == u"system" && row.hasSeq && row.seq == 1) {
            systemSeen = true; // the server's system prompt, which the client never sees
            continue;
        }
        add(QStringLiteral("message.unexpected"), QStringLiteral("id"), QString(), QString::number(row.id),
            tr("The message row %1 (seq %2, role \"%3\") was never exchanged with the client.")
                .arg(row.id)
                .arg(row.hasSeq ? QString::number(row.seq) : QStringLiteral("NULL"), row.role));
    }
    return findings;
}

} // namespace voxtrack::client
