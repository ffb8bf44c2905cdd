// SPDX-License-Identifier: MIT
#include "store/queries.h"

#include "store/connection.h"
#include "store/schema.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlQuery>
#include <QStringList>
#include <QTimeZone>

#include <algorithm>

namespace voxtrack::store {

namespace {

QString tr(const char* text)
{
    return QCoreApplication::translate("voxtrack::store::Queries", text);
}

/// The optional columns the inspection reads when they are there (migration 0002 adds them).
struct Columns {
    bool postgres = false;
    bool endReason = false;
    bool messageId = false;
    bool seq = false;
};

Expected<Columns> inspect(Connection& connection)
{
    const auto schema = inspectConversationSchema(connection);
    if (!schema)
        return schema.error();
    if (schema->isLegacyShape()) {
        return Error {QStringLiteral("inspect.legacy_shape"),
            tr("%1 keeps sessions in the old shape without a session_id column: upgrade it with voxtrack-cli "
               "migrate.")
                .arg(connection.url().toDisplayString())};
    }
    Columns columns;
    columns.postgres = connection.isPostgreSql();
    columns.endReason = schema->sessions.hasColumn(u"end_reason");
    columns.messageId = schema->messages.hasColumn(u"message_id");
    columns.seq = schema->messages.hasColumn(u"seq");
    return columns;
}

struct Where {
    QString sql;
    QVariantList values;
};

Where whereClause(const SessionFilter& filter, bool postgres)
{
    QStringList parts;
    Where where;
    if (!filter.userId.isEmpty()) {
        parts << QStringLiteral("s.user_id = ?");
        where.values << filter.userId;
    }
    if (filter.state == SessionFilter::State::Active)
        parts << (postgres ? QStringLiteral("s.is_active IS TRUE") : QStringLiteral("s.is_active <> 0"));
    else if (filter.state == SessionFilter::State::Ended)
        parts << (postgres ? QStringLiteral("s.is_active IS FALSE") : QStringLiteral("s.is_active = 0"));
    if (filter.since.isValid()) {
        // SQLite keeps ISO 8601 UTC text with milliseconds, which orders as text.
        parts << (postgres ? QStringLiteral("s.started_at >= CAST(? AS timestamptz)")
                           : QStringLiteral("s.started_at >= ?"));
        where.values << filter.since.toUTC().toString(Qt::ISODateWithMs);
    }
    if (filter.until.isValid()) {
        parts << (postgres ? QStringLiteral("s.started_at < CAST(? AS timestamptz)")
                           : QStringLiteral("s.started_at < ?"));
        where.values << filter.until.toUTC().toString(Qt::ISODateWithMs);
    }
    if (!filter.contentText.isEmpty()) {
        QString pattern = filter.contentText;
        pattern.replace(u'\\', QStringLiteral("\\\\"))
            .replace(u'%', QStringLiteral("\\%"))
            .replace(u'_', QStringLiteral("\\_"));
        // IN rather than EXISTS: the planner may then read the messages once (a hash semi-join)
        // instead of probing them session by session.
        parts << (postgres ? QStringLiteral("s.session_id IN (SELECT mf.session_id FROM conversation_messages mf "
                                            "WHERE mf.content ILIKE ? ESCAPE '\\')")
                           : QStringLiteral("s.session_id IN (SELECT mf.session_id FROM conversation_messages mf "
                                            "WHERE mf.content LIKE ? ESCAPE '\\')"));
        where.values << QString(u'%' + pattern + u'%');
    }
    if (filter.upToId > 0) {
        parts << QStringLiteral("s.id <= ?");
        where.values << filter.upToId;
    }
    if (!filter.metadataKey.isEmpty()) {
        if (postgres) {
            parts << QStringLiteral("s.metadata ->> ? = ?");
            where.values << filter.metadataKey;
        } else {
            QString key = filter.metadataKey;
            key.replace(u'"', QStringLiteral("\\\""));
            parts << QStringLiteral("CAST(json_extract(s.metadata, ?) AS TEXT) = ?");
            where.values << QString(QStringLiteral("$.\"") + key + u'"');
        }
        where.values << filter.metadataValue;
    }
    if (!parts.isEmpty())
        where.sql = QStringLiteral(" WHERE ") + parts.join(QStringLiteral(" AND "));
    return where;
}

QString sessionSelect(const Columns& columns)
{
    return QStringLiteral("SELECT s.session_id, s.user_id, s.started_at, s.ended_at, s.duration_seconds, "
                          "CASE WHEN %1 THEN 1 ELSE 0 END, %2, %3, "
                          "(SELECT count(*) FROM conversation_messages m WHERE m.session_id = s.session_id) "
                          "FROM conversation_sessions s")
        .arg(columns.postgres ? QStringLiteral("s.is_active IS TRUE") : QStringLiteral("s.is_active <> 0"),
            columns.postgres ? QStringLiteral("s.metadata::text") : QStringLiteral("s.metadata"),
            columns.endReason ? QStringLiteral("s.end_reason") : QStringLiteral("NULL"));
}

const QString sessionOrder = QStringLiteral(" ORDER BY s.started_at DESC, s.id DESC");

QJsonValue parseJson(const QVariant& value)
{
    if (value.isNull())
        return QJsonValue::Null;
    const QString text = value.toString();
    const QJsonDocument document = QJsonDocument::fromJson(text.toUtf8());
    if (document.isObject())
        return document.object();
    if (document.isArray())
        return document.array();
    return text; // scalars and text that is not JSON are shown as they are
}

SessionRow readSession(const QSqlQuery& query)
{
    SessionRow row;
    row.sessionId = query.value(0).toString();
    row.userId = query.value(1).toString();
    row.startedAt = readTimestamp(query.value(2));
    row.endedAt = readTimestamp(query.value(3));
    if (!query.value(4).isNull())
        row.durationSeconds = query.value(4).toDouble();
    row.active = query.value(5).toInt() != 0;
    row.metadata = parseJson(query.value(6)).toObject();
    row.endReason = query.value(7).toString();
    row.messageCount = query.value(8).toLongLong();
    return row;
}

Expected<QList<SessionRow>> readSessions(Connection& connection, const QString& sql, const QVariantList& values)
{
    QList<SessionRow> rows;
    if (const Status status
        = forEachRow(connection, sql, values, [&](const QSqlQuery& query) { rows.append(readSession(query)); });
        !status.isNull())
        return status;
    return rows;
}

QString messageSelect(const Columns& columns)
{
    return QStringLiteral("SELECT m.id, m.session_id, m.user_id, m.role, m.content, m.audio_url, %1, m.created_at, "
                          "%2, %3 FROM conversation_messages m")
        .arg(columns.postgres ? QStringLiteral("m.metadata::text") : QStringLiteral("m.metadata"),
            columns.messageId
                ? (columns.postgres ? QStringLiteral("m.message_id::text") : QStringLiteral("m.message_id"))
                : QStringLiteral("NULL"),
            columns.seq ? QStringLiteral("m.seq") : QStringLiteral("NULL"));
}

QString messageOrder(const Columns& columns)
{
    return columns.seq ? QStringLiteral("(m.seq IS NULL), m.seq, m.created_at, m.id")
                       : QStringLiteral("m.created_at, m.id");
}

Expected<QList<MessageRow>> readMessages(Connection& connection, const QString& sql, const QVariantList& values)
{
    QList<MessageRow> rows;
    const Status status = forEachRow(connection, sql, values, [&](const QSqlQuery& query) {
        MessageRow row;
        row.id = query.value(0).toLongLong();
        row.sessionId = query.value(1).toString();
        row.userId = query.value(2).toString();
        row.role = query.value(3).toString();
        row.content = query.value(4).toString();
        row.audioUrl = query.value(5).toString();
        row.metadata = parseJson(query.value(6));
        row.createdAt = readTimestamp(query.value(7));
        row.messageId = query.value(8).toString();
        if (!query.value(9).isNull())
            row.seq = query.value(9).toLongLong();
        rows.append(row);
    });
    if (!status.isNull())
        return status;
    return rows;
}

Error sessionNotFound(Connection& connection, const QString& sessionId)
{
    return {QStringLiteral("session.not_found"),
        tr("There is no session \"%1\" in %2: list the sessions with voxtrack-cli sessions.")
            .arg(sessionId, connection.url().toDisplayString())};
}

} // namespace

QDateTime readTimestamp(const QVariant& value)
{
    if (value.isNull() || !value.isValid())
        return {};
    if (value.metaType().id() == QMetaType::QDateTime)
        return value.toDateTime().toUTC();
    QString text = value.toString().trimmed();
    if (text.size() > 10 && text.at(10) == u' ')
        text[10] = u'T'; // "2025-10-18 09:30:00", as SQLite's datetime() writes it
    QDateTime time = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!time.isValid())
        return {};
    if (time.timeSpec() == Qt::LocalTime)
        time.setTimeZone(QTimeZone::utc()); // no offset in the text: the schema stores UTC
    return time.toUTC();
}

Expected<QList<SessionRow>> listSessions(Connection& connection, const SessionFilter& filter, int limit, qint64* total)
{
    const auto columns = inspect(connection);
    if (!columns)
        return columns.error();
    const Where where = whereClause(filter, columns->postgres);
    if (total) {
        const QString countSql = QStringLiteral("SELECT count(*) FROM conversation_sessions s") + where.sql;
        const auto counted = connection.scalar(countSql, where.values);
        if (!counted)
            return counted.error();
        *total = counted->toLongLong();
    }
    QString sql = sessionSelect(*columns) + where.sql + sessionOrder;
    if (limit >= 0)
        sql += QStringLiteral(" LIMIT %1").arg(limit);
    return readSessions(connection, sql, where.values);
}

Expected<SessionRow> findSession(Connection& connection, const QString& sessionId)
{
    const auto columns = inspect(connection);
    if (!columns)
        return columns.error();
    const auto rows
        = readSessions(connection, sessionSelect(*columns) + QStringLiteral(" WHERE s.session_id = ?"), {sessionId});
    if (!rows)
        return rows.error();
    if (rows->isEmpty())
        return sessionNotFound(connection, sessionId);
    return rows->constFirst();
}

Expected<QList<MessageRow>> listMessages(Connection& connection, const QString& sessionId)
{
    const auto columns = inspect(connection);
    if (!columns)
        return columns.error();
    const auto exists
        = connection.scalar(QStringLiteral("SELECT 1 FROM conversation_sessions WHERE session_id = ?"), {sessionId});
    if (!exists)
        return exists.error();
    if (!exists->isValid())
        return sessionNotFound(connection, sessionId);
    return readMessages(connection,
        messageSelect(*columns) + QStringLiteral(" WHERE m.session_id = ? ORDER BY ") + messageOrder(*columns),
        {sessionId});
}

Expected<QList<MessageRow>> listMessages(Connection& connection, const SessionFilter& filter)
{
    const auto columns = inspect(connection);
    if (!columns)
        return columns.error();
    const Where where = whereClause(filter, columns->postgres);
    const QString sql = messageSelect(*columns)
        + QStringLiteral(" JOIN conversation_sessions s ON s.session_id = m.session_id") + where.sql + sessionOrder
        + QStringLiteral(", ") + messageOrder(*columns);
    return readMessages(connection, sql, where.values);
}

} // namespace voxtrack::store

// ---- SessionPager -------------------------------------------------------------------------------

namespace voxtrack::store {

namespace {

struct KeyColumns {
    QStringList select; ///< the key as text the database casts back exactly
    QStringList compare; ///< the key columns as compared
    QStringList casts; ///< how a bound key value is cast back
};

KeyColumns keyColumns(SessionSort sort, bool postgres)
{
    const QString startedText = postgres ? QStringLiteral("s.started_at::text") : QStringLiteral("s.started_at");
    const QString startedCast = postgres ? QStringLiteral("CAST(? AS timestamptz)") : QStringLiteral("?");
    const QString idCast = postgres ? QStringLiteral("CAST(? AS bigint)") : QStringLiteral("?");
    switch (sort) {
    case SessionSort::StartedAt:
        return {{startedText, QStringLiteral("s.id")}, {QStringLiteral("s.started_at"), QStringLiteral("s.id")},
            {startedCast, idCast}};
    case SessionSort::UserId:
        return {{QStringLiteral("s.user_id"), startedText, QStringLiteral("s.id")},
            {QStringLiteral("s.user_id"), QStringLiteral("s.started_at"), QStringLiteral("s.id")},
            {QStringLiteral("?"), startedCast, idCast}};
    case SessionSort::SessionId:
        return {{QStringLiteral("s.session_id")}, {QStringLiteral("s.session_id")}, {QStringLiteral("?")}};
    }
    return {};
}

/// "(a, b) < (?, ?)": rows after the key in the order (or before it with before = true).
QString keyCondition(const KeyColumns& key, const SessionOrder& order, bool before)
{
    const bool less = order.descending != before;
    return QStringLiteral("(%1) %2 (%3)")
        .arg(key.compare.join(QStringLiteral(", ")), less ? QStringLiteral("<") : QStringLiteral(">"),
            key.casts.join(QStringLiteral(", ")));
}

QString orderBy(const KeyColumns& key, bool descending)
{
    QStringList parts;
    for (const QString& column : key.compare)
        parts << column + (descending ? QStringLiteral(" DESC") : QStringLiteral(" ASC"));
    return QStringLiteral(" ORDER BY ") + parts.join(QStringLiteral(", "));
}

} // namespace

SessionPager::SessionPager(Connection& connection, bool postgres, bool endReason, bool messageId, bool seq)
    : m_connection(&connection)
    , m_postgres(postgres)
    , m_endReason(endReason)
    , m_messageId(messageId)
    , m_seq(seq)
{
}

Expected<SessionPager> SessionPager::create(Connection& connection)
{
    const auto columns = inspect(connection);
    if (!columns)
        return columns.error();
    return SessionPager(connection, columns->postgres, columns->endReason, columns->messageId, columns->seq);
}

Expected<qint64> SessionPager::count(const SessionFilter& filter) const
{
    const Where where = whereClause(filter, m_postgres);
    const auto counted = m_connection->scalar(
        QStringLiteral("SELECT count(*) FROM conversation_sessions s") + where.sql, where.values);
    if (!counted)
        return counted.error();
    return counted->toLongLong();
}

Expected<QList<KeyedSession>> SessionPager::select(const SessionFilter& filter, const SessionOrder& order,
    const QString& extraWhere, const QVariantList& extraValues, bool reverse, const QString& tail) const
{
    const Columns columns {m_postgres, m_endReason, m_messageId, m_seq};
    const KeyColumns key = keyColumns(order.column, m_postgres);
    Where where = whereClause(filter, m_postgres);
    if (!extraWhere.isEmpty()) {
        where.sql += (where.sql.isEmpty() ? QStringLiteral(" WHERE ") : QStringLiteral(" AND ")) + extraWhere;
        where.values += extraValues;
    }
    // The page's ids first (narrow, index-only where it can be), then its rows: skipped rows of
    // an OFFSET and rows filtered out never have their columns (message counts) computed.
    const QString ordering = orderBy(key, order.descending != reverse);
    QString sql = sessionSelect(columns);
    sql.replace(QStringLiteral(" FROM conversation_sessions s"),
        QStringLiteral(", s.id, ") + key.select.join(QStringLiteral(", "))
            + QStringLiteral(" FROM conversation_sessions s"));
    sql += QStringLiteral(" JOIN (SELECT s.id FROM conversation_sessions s") + where.sql + ordering + tail
        + QStringLiteral(") page ON page.id = s.id") + ordering;

    QList<KeyedSession> rows;
    const Status status = forEachRow(*m_connection, sql, where.values, [&](const QSqlQuery& query) {
        KeyedSession keyed;
        keyed.row = readSession(query);
        keyed.id = query.value(9).toLongLong();
        for (qsizetype i = 0; i < key.select.size(); ++i)
            keyed.key << query.value(int(10 + i)).toString();
        rows.append(std::move(keyed));
    });
    if (!status.isNull())
        return status;
    if (reverse)
        std::reverse(rows.begin(), rows.end());
    return rows;
}

Expected<QList<KeyedSession>> SessionPager::page(
    const SessionFilter& filter, const SessionOrder& order, const PageAnchor& anchor, int limit) const
{
    const KeyColumns key = keyColumns(order.column, m_postgres);
    const QString limitSql = QStringLiteral(" LIMIT %1").arg(std::max(0, limit));
    if (!anchor.after.isEmpty())
        return select(filter, order, keyCondition(key, order, false), anchor.after, false, limitSql);
    if (!anchor.before.isEmpty())
        return select(filter, order, keyCondition(key, order, true), anchor.before, true, limitSql);
    if (anchor.fromEnd)
        return select(filter, order, {}, {}, true, limitSql);
    return select(filter, order, {}, {}, false,
        limitSql + (anchor.offset > 0 ? QStringLiteral(" OFFSET %1").arg(anchor.offset) : QString()));
}

Expected<qint64> SessionPager::countBefore(
    const SessionFilter& filter, const SessionOrder& order, const QVariantList& key) const
{
    Where where = whereClause(filter, m_postgres);
    where.sql += (where.sql.isEmpty() ? QStringLiteral(" WHERE ") : QStringLiteral(" AND "))
        + keyCondition(keyColumns(order.column, m_postgres), order, true);
    where.values += key;
    const auto counted = m_connection->scalar(
        QStringLiteral("SELECT count(*) FROM conversation_sessions s") + where.sql, where.values);
    if (!counted)
        return counted.error();
    return counted->toLongLong();
}

Expected<QList<KeyedSession>> SessionPager::idRange(
    const SessionFilter& filter, const SessionOrder& order, qint64 firstId, qint64 lastId) const
{
    return select(filter, order, QStringLiteral("s.id BETWEEN ? AND ?"), {firstId, lastId}, false, {});
}

Expected<QList<KeyedSession>> SessionPager::byIds(
    const SessionFilter& filter, const SessionOrder& order, const QList<qint64>& ids) const
{
    if (ids.isEmpty())
        return QList<KeyedSession> {};
    QStringList numbers;
    numbers.reserve(ids.size());
    for (const qint64 id : ids)
        numbers << QString::number(id);
    return select(filter, order, QStringLiteral("s.id IN (") + numbers.join(u',') + u')', {}, false, {});
}

Expected<qint64> SessionPager::maxId() const
{
    const auto value = m_connection->scalar(QStringLiteral("SELECT coalesce(max(id), 0) FROM conversation_sessions"));
    if (!value)
        return value.error();
    return value->toLongLong();
}

Expected<SessionRow> SessionPager::session(const QString& sessionId) const
{
    const Columns columns {m_postgres, m_endReason, m_messageId, m_seq};
    const auto rows
        = readSessions(*m_connection, sessionSelect(columns) + QStringLiteral(" WHERE s.session_id = ?"), {sessionId});
    if (!rows)
        return rows.error();
    if (rows->isEmpty())
        return sessionNotFound(*m_connection, sessionId);
    return rows->constFirst();
}

Expected<QList<MessageRow>> SessionPager::messages(
    const QString& sessionId, const QVariantList& afterKey, int limit) const
{
    const Columns columns {m_postgres, m_endReason, m_messageId, m_seq};
    QString sql = messageSelect(columns) + QStringLiteral(" WHERE m.session_id = ?");
    QVariantList values {sessionId};
    if (afterKey.size() == 2) {
        if (m_seq) {
            sql += QStringLiteral(" AND (m.seq, m.id) > (?, ?)");
        } else {
            sql += m_postgres ? QStringLiteral(" AND (m.created_at, m.id) > (CAST(? AS timestamptz), ?)")
                              : QStringLiteral(" AND (m.created_at, m.id) > (?, ?)");
        }
        values += afterKey;
    }
    sql += m_seq ? QStringLiteral(" ORDER BY m.seq, m.id") : QStringLiteral(" ORDER BY m.created_at, m.id");
    sql += QStringLiteral(" LIMIT %1").arg(std::max(0, limit));
    return readMessages(*m_connection, sql, values);
}

Expected<QList<MessageRow>> SessionPager::messageIdRange(const QString& sessionId, qint64 firstId, qint64 lastId) const
{
    const Columns columns {m_postgres, m_endReason, m_messageId, m_seq};
    return readMessages(*m_connection,
        messageSelect(columns) + QStringLiteral(" WHERE m.session_id = ? AND m.id BETWEEN ? AND ? ORDER BY ")
            + messageOrder(columns),
        {sessionId, firstId, lastId});
}

Expected<QList<MessageRow>> SessionPager::messagesById(qint64 firstId, qint64 lastId, int limit) const
{
    const Columns columns {m_postgres, m_endReason, m_messageId, m_seq};
    return readMessages(*m_connection,
        messageSelect(columns) + QStringLiteral(" WHERE m.id BETWEEN ? AND ? ORDER BY m.id LIMIT ?"),
        {firstId, lastId, limit});
}

Expected<qint64> SessionPager::maxMessageId() const
{
    const auto value = m_connection->scalar(QStringLiteral("SELECT coalesce(max(id), 0) FROM conversation_messages"));
    if (!value)
        return value.error();
    return value->toLongLong();
}

} // namespace voxtrack::store
