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
    QDateTime until; ///< invalid: no upper bound; otherwise started_at < until
    QString contentText; ///< empty: any; else a message of the session contains it (case-insensitive)
    QString metadataKey; ///< empty: any; else the session's metadata has this key…
    QString metadataValue; ///< …with this value (compared as text)
    qint64 upToId = 0; ///< 0: any; else only rows with id ≤ this (a paged view's snapshot)

    friend bool operator==(const SessionFilter&, const SessionFilter&) = default;
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

/// The orders sessions can be listed in: each is served by an index, and each key ends in a
/// unique column, so keyset paging (rows after or before a key) is exact.
enum class SessionSort {
    StartedAt, ///< (started_at, id)
    UserId, ///< (user_id, started_at, id)
    SessionId, ///< (session_id)
};

struct SessionOrder {
    SessionSort column = SessionSort::StartedAt;
    bool descending = true;
    friend bool operator==(const SessionOrder&, const SessionOrder&) = default;
};

/// A session with what paging needs: its id and its sort key as the database compares it.
struct KeyedSession {
    qint64 id = 0;
    QVariantList key; ///< the order's key columns, as text the database casts back exactly
    SessionRow row;
};

/// Where a page starts. At most one of after, before, fromEnd and offset is used, in that order.
struct PageAnchor {
    QVariantList after; ///< rows following this key in the order
    QVariantList before; ///< rows preceding this key (the page still comes in order)
    bool fromEnd = false; ///< the last rows of the order
    qint64 offset = 0; ///< otherwise: skip this many rows from the start
};

/// Pages of sessions for a live, paged view. Reads the schema once; every query is one indexed
/// statement with LIMIT, so nothing ever reads a whole table into memory. Use it in the thread
/// that opened the connection.
class SessionPager {
public:
    /// Error codes: inspect.not_conversation_db, inspect.legacy_shape, db.query.
    [[nodiscard]] static Expected<SessionPager> create(Connection& connection);

    [[nodiscard]] Expected<qint64> count(const SessionFilter& filter) const;
    [[nodiscard]] Expected<QList<KeyedSession>> page(
        const SessionFilter& filter, const SessionOrder& order, const PageAnchor& anchor, int limit) const;
    /// How many matching rows come before key in the order: a new row's position.
    [[nodiscard]] Expected<qint64> countBefore(
        const SessionFilter& filter, const SessionOrder& order, const QVariantList& key) const;
    /// The matching sessions with ids in [firstId, lastId], in order.
    [[nodiscard]] Expected<QList<KeyedSession>> idRange(
        const SessionFilter& filter, const SessionOrder& order, qint64 firstId, qint64 lastId) const;
    /// The matching sessions among ids (rows that no longer match are absent), in order.
    [[nodiscard]] Expected<QList<KeyedSession>> byIds(
        const SessionFilter& filter, const SessionOrder& order, const QList<qint64>& ids) const;
    /// One session by its session_id, or the Error session.not_found.
    [[nodiscard]] Expected<SessionRow> session(const QString& sessionId) const;
    /// The highest session id there is (0 for none).
    [[nodiscard]] Expected<qint64> maxId() const;

    /// Messages of one session in seq order after the (seq, id) key afterKey (empty: from the
    /// start), at most limit.
    [[nodiscard]] Expected<QList<MessageRow>> messages(
        const QString& sessionId, const QVariantList& afterKey, int limit) const;
    /// Messages of one session with ids in [firstId, lastId], in seq order.
    [[nodiscard]] Expected<QList<MessageRow>> messageIdRange(
        const QString& sessionId, qint64 firstId, qint64 lastId) const;
    /// Messages of any session with ids in [firstId, lastId], in id order, at most limit.
    [[nodiscard]] Expected<QList<MessageRow>> messagesById(qint64 firstId, qint64 lastId, int limit) const;
    /// The highest message id there is (0 for none).
    [[nodiscard]] Expected<qint64> maxMessageId() const;

private:
    SessionPager(Connection& connection, bool postgres, bool endReason, bool messageId, bool seq);
    [[nodiscard]] Expected<QList<KeyedSession>> select(const SessionFilter& filter, const SessionOrder& order,
        const QString& extraWhere, const QVariantList& extraValues, bool reverse, const QString& tail) const;

    Connection* m_connection;
    bool m_postgres;
    bool m_endReason;
    bool m_messageId;
    bool m_seq;
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
