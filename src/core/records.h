// SPDX-License-Identifier: MIT
#pragma once

#include "core/role.h"

#include <QDateTime>
#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <QUuid>

#include <optional>

namespace voxtrack {

/// Why a session ended: the values of conversation_sessions.end_reason.
enum class EndReason { ClientClosed, Timeout, ServerShutdown, Recovered };

[[nodiscard]] QString endReasonName(EndReason reason);
[[nodiscard]] Expected<EndReason> parseEndReason(QStringView text);

/// One row of conversation_sessions. session_start/started_at and session_end/ended_at are
/// the seed's duplicated columns; a record carries one value for each pair and the store
/// writes both.
struct SessionRecord {
    QString sessionId;
    QString userId;
    QDateTime startedAt;
    std::optional<QDateTime> endedAt;
    std::optional<double> durationSeconds;
    bool active = true;
    QJsonObject metadata;
    int messageCount = 0;
    std::optional<EndReason> endReason;
};

/// One row of conversation_messages.
struct MessageRecord {
    qint64 id = 0;
    QString sessionId;
    QString userId;
    Role role = Role::User;
    QString content;
    QString audioUrl;
    QJsonObject metadata;
    QDateTime createdAt;
    QUuid messageId; ///< the idempotency key: a message is written at most once
    qint64 seq = 0; ///< order within its session, from 1
};

} // namespace voxtrack

Q_DECLARE_METATYPE(voxtrack::SessionRecord)
Q_DECLARE_METATYPE(voxtrack::MessageRecord)
