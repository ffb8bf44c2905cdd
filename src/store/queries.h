// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"

#include <QDateTime>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>

#include <optional>

namespace voxtrack::store {

class Connection;

/// Which sessions a listing or an export covers. The default matches every session.
struct SessionFilter {
    enum class State { Any, Active, Ended };

    QString userId; ///< empty: every user
    State state = State::Any; ///< by is_active
    QDateTime since; ///< invalid: no lower bound; otherwise started_at >= since
};

/// A conversation_sessions row as the inspection commands show it. Timestamps are UTC whatever the
/// backend stores; messageCount is the number of stored message rows, not the column.
struct SessionRow {
    QString sessionId;
    QString userId;
    QDateTime startedAt;
    QDateTime endedAt; ///< invalid while the session has no end
    std::optional<double> durationSeconds;
    bool active = false;
    QJsonObject metadata;
    qint64 messageCount = 0;
    QString endReason; ///< empty when NULL or when the column is missing
};

/// A conversation_messages row. Text columns are read as stored: a role outside the allowed set
/// shows as it is, so a bad database can be looked at.
struct MessageRow {
    qint64 id = 0;
    QString sessionId;
    QString userId;
    QString role;
    QString content;
    QString audioUrl;
    QJsonValue metadata; ///< an object, or null
    QDateTime createdAt;
    QString messageId; ///< empty when NULL or when the column is missing
    std::optional<qint64> seq;
};

/// Sessions matching filter, newest first (started_at, then id, descending), at most limit of them
/// (limit < 0: all). When total is given it receives how many match in all.
/// Error codes: inspect.not_conversation_db, inspect.legacy_shape, db.query.
[[nodiscard]] Expected<QList<SessionRow>> listSessions(
    Connection& connection, const SessionFilter& filter, int limit, qint64* total = nullptr);

/// One session, or the Error session.not_found.
[[nodiscard]] Expected<SessionRow> findSession(Connection& connection, const QString& sessionId);

/// The messages of one session in seq order (NULL seq last), then created_at, then id. A session
/// that does not exist is the Error session.not_found.
[[nodiscard]] Expected<QList<MessageRow>> listMessages(Connection& connection, const QString& sessionId);

/// The messages of every session filter matches, grouped by session in listSessions() order and in
/// listMessages() order within a session: one query for an export.
[[nodiscard]] Expected<QList<MessageRow>> listMessages(Connection& connection, const SessionFilter& filter);

/// Reads a timestamp column portably: QPSQL gives a QDateTime, SQLite ISO 8601 text (a missing
/// offset is taken as UTC). Returns an invalid QDateTime for NULL or unreadable text; otherwise UTC.
[[nodiscard]] QDateTime readTimestamp(const QVariant& value);

} // namespace voxtrack::store
