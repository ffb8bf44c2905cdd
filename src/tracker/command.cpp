// SPDX-License-Identifier: MIT
#include "tracker/command.h"

#include <QCborMap>
#include <QCborValue>
#include <QJsonDocument>
#include <QTimeZone>

namespace voxtrack::tracker {

namespace {

// Keys are small integers: the journal holds every command.
enum Key : int {
    KeyKind = 0,
    KeySessionId,
    KeyUserId,
    KeyStartedAt,
    KeyMetadata,
    KeyRole,
    KeyContent,
    KeyAudioUrl,
    KeyCreatedAt,
    KeyMessageId,
    KeySeq,
    KeyEndedAt,
    KeyMessageCount,
    KeyReason,
};

enum Kind : int { KindStart = 1, KindMessage = 2, KindEnd = 3 };

qint64 ms(const QDateTime& time)
{
    return time.toMSecsSinceEpoch();
}

QDateTime fromMs(const QCborValue& value)
{
    return QDateTime::fromMSecsSinceEpoch(value.toInteger(), Qt::UTC);
}

Error corrupt(const char* what)
{
    return {QStringLiteral("journal.corrupt"),
        QStringLiteral("A journal record is damaged (%1): the journal file was changed or truncated.")
            .arg(QLatin1String(what))};
}

} // namespace

QByteArray encodeCommand(const Command& command)
{
    QCborMap map;
    std::visit(
        [&](const auto& c) {
            using T = std::decay_t<decltype(c)>;
            if constexpr (std::is_same_v<T, StartSession>) {
                map.insert(KeyKind, KindStart);
                map.insert(KeySessionId, c.sessionId);
                map.insert(KeyUserId, c.userId);
                map.insert(KeyStartedAt, ms(c.startedAt));
                if (!c.metadata.isEmpty())
                    map.insert(KeyMetadata, QCborMap::fromJsonObject(c.metadata));
            } else if constexpr (std::is_same_v<T, TrackMessage>) {
                const MessageRecord& m = c.message;
                map.insert(KeyKind, KindMessage);
                map.insert(KeySessionId, m.sessionId);
                map.insert(KeyUserId, m.userId);
                map.insert(KeyRole, int(m.role));
                map.insert(KeyContent, m.content);
                if (!m.audioUrl.isEmpty())
                    map.insert(KeyAudioUrl, m.audioUrl);
                if (!m.metadata.isEmpty())
                    map.insert(KeyMetadata, QCborMap::fromJsonObject(m.metadata));
                map.insert(KeyCreatedAt, ms(m.createdAt));
                map.insert(KeyMessageId, QCborValue(m.messageId));
                map.insert(KeySeq, m.seq);
            } else {
                map.insert(KeyKind, KindEnd);
                map.insert(KeySessionId, c.sessionId);
                map.insert(KeyStartedAt, ms(c.startedAt));
                map.insert(KeyEndedAt, ms(c.endedAt));
                map.insert(KeyMessageCount, c.messageCount);
                map.insert(KeyReason, int(c.reason));
            }
        },
        command);
    return map.toCborValue().toCbor();
}

Expected<Command> decodeCommand(QByteArrayView bytes)
{
    QCborParserError parseError;
    const QCborValue value = QCborValue::fromCbor(bytes.toByteArray(), &parseError);
    if (parseError.error != QCborError::NoError || !value.isMap())
        return corrupt("not a CBOR map");
    const QCborMap map = value.toMap();
    switch (map.value(KeyKind).toInteger()) {
    case KindStart:
        return Command(StartSession {map.value(KeySessionId).toString(), map.value(KeyUserId).toString(),
            fromMs(map.value(KeyStartedAt)), map.value(KeyMetadata).toMap().toJsonObject()});
    case KindMessage: {
        MessageRecord m;
        m.sessionId = map.value(KeySessionId).toString();
        m.userId = map.value(KeyUserId).toString();
        const qint64 role = map.value(KeyRole).toInteger(-1);
        if (role < 0 || role > int(Role::System))
            return corrupt("role");
        m.role = Role(role);
        m.content = map.value(KeyContent).toString();
        m.audioUrl = map.value(KeyAudioUrl).toString();
        m.metadata = map.value(KeyMetadata).toMap().toJsonObject();
        m.createdAt = fromMs(map.value(KeyCreatedAt));
        m.messageId = map.value(KeyMessageId).toUuid();
        m.seq = map.value(KeySeq).toInteger();
        if (m.sessionId.isEmpty() || m.messageId.isNull())
            return corrupt("message keys");
        return Command(TrackMessage {m});
    }
    case KindEnd: {
        const qint64 reason = map.value(KeyReason).toInteger(-1);
        if (reason < 0 || reason > int(EndReason::Recovered))
            return corrupt("end reason");
        return Command(EndSession {map.value(KeySessionId).toString(), fromMs(map.value(KeyStartedAt)),
            fromMs(map.value(KeyEndedAt)), int(map.value(KeyMessageCount).toInteger()), EndReason(reason)});
    }
    default:
        return corrupt("kind");
    }
}

} // namespace voxtrack::tracker
