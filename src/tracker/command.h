// SPDX-License-Identifier: MIT
#pragma once

#include "core/records.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QString>

#include <variant>

namespace voxtrack::tracker {

/// A session row to insert. Written before any of its messages.
struct StartSession {
    QString sessionId;
    QString userId;
    QDateTime startedAt;
    QJsonObject metadata;
};

/// A message row to insert; message.messageId makes the insert idempotent.
struct TrackMessage {
    MessageRecord message;
};

/// The update that closes a session: end time, duration, count and reason, all at once.
struct EndSession {
    QString sessionId;
    QDateTime startedAt;
    QDateTime endedAt;
    int messageCount = 0;
    EndReason reason = EndReason::ClientClosed;

    /// ended_at − started_at with the millisecond precision both timestamps are stored with.
    [[nodiscard]] double durationSeconds() const { return double(startedAt.msecsTo(endedAt)) / 1000.0; }
};

using Command = std::variant<StartSession, TrackMessage, EndSession>;

/// A command with its place in the tracker's order: tickets increase by one per command.
struct Entry {
    quint64 ticket = 0;
    Command command;
};

/// Compact binary (CBOR) form of a command, as the journal stores it.
[[nodiscard]] QByteArray encodeCommand(const Command& command);
[[nodiscard]] Expected<Command> decodeCommand(QByteArrayView bytes);

} // namespace voxtrack::tracker
