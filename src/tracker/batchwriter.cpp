// SPDX-License-Identifier: MIT
#include "tracker/batchwriter.h"

#include "store/connection.h"
#include "tracker/pgcopy.h"

#include <QJsonDocument>
#include <QSqlQuery>

#include <libpq-fe.h>

namespace voxtrack::tracker {

namespace {

/// The three groups of a batch, in the order they are written.
struct Groups {
    QList<const StartSession*> starts;
    QList<const MessageRecord*> messages;
    QList<const EndSession*> ends;
};

Groups group(std::span<const Command> commands)
{
    Groups groups;
    for (const Command& command : commands) {
        if (const auto* start = std::get_if<StartSession>(&command))
            groups.starts.append(start);
        else if (const auto* message = std::get_if<TrackMessage>(&command))
            groups.messages.append(&message->message);
        else
            groups.ends.append(&std::get<EndSession>(command));
    }
    return groups;
}

QByteArray compactJson(const QJsonObject& object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

// ---------------------------------------------------------------- SQLite

QString sqliteTime(const QDateTime& time)
{
    const pg::TimeText text(time.toMSecsSinceEpoch(), pg::TimeText::Style::Iso);
    return QString::fromLatin1(text.text, text.size);
}

QVariant nullableText(const QString& text)
{
    return text.isEmpty() ? QVariant(QMetaType(QMetaType::QString)) : QVariant(text);
}

class SqliteBatchWriter final : public BatchWriter {
public:
    explicit SqliteBatchWriter(store::Connection& connection)
        : m_connection(connection)
        , m_insertSession(connection.database())
        , m_insertMessage(connection.database())
        , m_endSession(connection.database())
    {
    }

    Status prepare()
    {
        const std::pair<QSqlQuery*, QString> statements[] = {
            {&m_insertSession,
                QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, session_start, started_at, "
                               "is_active, metadata) VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT (session_id) DO NOTHING")},
            {&m_insertMessage,
                QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, audio_url, "
                               "metadata, created_at, message_id, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                               "ON CONFLICT (message_id) DO NOTHING")},
            {&m_endSession,
                QStringLiteral("UPDATE conversation_sessions SET session_end = ?, ended_at = ?, duration_seconds = ?, "
                               "is_active = 0, message_count = ?, end_reason = ? WHERE session_id = ?")},
        };
        for (const auto& [query, sql] : statements) {
            if (!query->prepare(sql))
                return store::queryError(*query, sql);
        }
        return {};
    }

    Status write(std::span<const Command> commands, bool /*idempotent: always, ON CONFLICT is cheap here*/) override
    {
        const Groups groups = group(commands);
        if (Status status = m_connection.beginTransaction(); !status.isNull())
            return status;
        Status status = run(groups);
        if (!status.isNull()) {
            m_connection.rollback();
            return status;
        }
        return m_connection.commit();
    }

    Expected<QStringList> recoverOpenSessions() override
    {
        QSqlQuery query(m_connection.database());
        const QString sql = QStringLiteral(
            "UPDATE conversation_sessions SET session_end = o.t, ended_at = o.t, "
            "duration_seconds = round((julianday(o.t) - julianday(o.started_at)) * 86400.0, 3), is_active = 0, "
            "message_count = o.n, end_reason = 'recovered' "
            "FROM (SELECT s.session_id, s.started_at, COALESCE(max(m.created_at), s.started_at) AS t, "
            "count(m.id) AS n FROM conversation_sessions s LEFT JOIN conversation_messages m "
            "ON m.session_id = s.session_id WHERE s.is_active = 1 GROUP BY s.session_id) AS o "
            "WHERE conversation_sessions.session_id = o.session_id RETURNING conversation_sessions.session_id");
        if (Status status = store::execQuery(query, sql); !status.isNull())
            return status;
        QStringList ids;
        while (query.next())
            ids << query.value(0).toString();
        return ids;
    }

private:
    Status exec(QSqlQuery& query, const QVariantList& values)
    {
        for (int i = 0; i < values.size(); ++i)
            query.bindValue(i, values.at(i));
        if (!query.exec())
            return store::queryError(query, query.lastQuery());
        return {};
    }

    Status run(const Groups& groups)
    {
        for (const StartSession* s : groups.starts) {
            const QString time = sqliteTime(s->startedAt);
            if (Status status = exec(m_insertSession,
                    {s->sessionId, s->userId, time, time, QString::fromUtf8(compactJson(s->metadata))});
                !status.isNull())
                return status;
        }
        for (const MessageRecord* m : groups.messages) {
            if (Status status = exec(m_insertMessage,
                    {m->sessionId, nullableText(m->userId), roleName(m->role), m->content, nullableText(m->audioUrl),
                        m->metadata.isEmpty() ? QVariant(QMetaType(QMetaType::QString))
                                              : QVariant(QString::fromUtf8(compactJson(m->metadata))),
                        sqliteTime(m->createdAt), m->messageId.toString(QUuid::WithoutBraces), m->seq});
                !status.isNull())
                return status;
        }
        for (const EndSession* e : groups.ends) {
            const QString time = sqliteTime(e->endedAt);
            if (Status status = exec(m_endSession,
                    {time, time, e->durationSeconds(), e->messageCount, endReasonName(e->reason), e->sessionId});
                !status.isNull())
                return status;
        }
        return {};
    }

    store::Connection& m_connection;
    QSqlQuery m_insertSession;
    QSqlQuery m_insertMessage;
    QSqlQuery m_endSession;
};

// ---------------------------------------------------------------- PostgreSQL

QByteArray postgresTime(const QDateTime& time)
{
    return pg::TimeText(time.toMSecsSinceEpoch(), pg::TimeText::Style::Postgres).bytes();
}

/// Builds a one-dimensional array literal ({"a","b",NULL}) for a text-format parameter.
class ArrayLiteral {
public:
    void append(const QByteArray& value)
    {
        m_text += m_text.isEmpty() ? '{' : ',';
        m_text += '"';
        for (const char c : value) {
            if (c == '"' || c == '\\')
                m_text += '\\';
            m_text += c;
        }
        m_text += '"';
    }
    void append(const QString& value) { append(value.toUtf8()); }
    void appendNull()
    {
        m_text += m_text.isEmpty() ? '{' : ',';
        m_text += "NULL";
    }
    [[nodiscard]] QByteArray finish() const { return m_text.isEmpty() ? QByteArray("{}") : m_text + '}'; }

private:
    QByteArray m_text;
};

class PostgresBatchWriter final : public BatchWriter {
public:
    PostgresBatchWriter(store::Connection& connection, pg_conn* handle, PostgresPath path)
        : m_connection(connection)
        , m_pg(handle)
        , m_path(path)
    {
    }

    Status write(std::span<const Command> commands, bool idempotent) override
    {
        const Groups groups = group(commands);
        if (Status status = exec("BEGIN"); !status.isNull())
            return status;
        Status status = run(groups, idempotent);
        if (status.isNull())
            status = exec("COMMIT");
        if (!status.isNull())
            pg::rollbackOpenTransaction(m_pg);
        return status;
    }

    Expected<QStringList> recoverOpenSessions() override
    {
        PGresult* result = PQexec(m_pg,
            "WITH open AS (SELECT s.session_id, s.started_at, COALESCE(max(m.created_at), s.started_at) AS t, "
            "count(m.id) AS n FROM conversation_sessions s LEFT JOIN conversation_messages m "
            "ON m.session_id = s.session_id WHERE s.is_active GROUP BY s.session_id, s.started_at) "
            "UPDATE conversation_sessions s SET session_end = o.t, ended_at = o.t, "
            "duration_seconds = EXTRACT(EPOCH FROM (o.t - o.started_at)), is_active = false, message_count = o.n, "
            "end_reason = 'recovered' FROM open o WHERE s.session_id = o.session_id RETURNING s.session_id");
        if (Status status = pg::resultStatus(m_pg, result, "recover open sessions"); !status.isNull())
            return status;
        QStringList ids;
        for (int row = 0; row < PQntuples(result); ++row)
            ids << QString::fromUtf8(PQgetvalue(result, row, 0));
        PQclear(result);
        return ids;
    }

private:
    Status exec(const char* sql) { return pg::exec(m_pg, sql); }

    Status execParams(const char* sql, const QList<QByteArray>& params, const char* what)
    {
        return pg::execParams(m_pg, sql, params, what);
    }

    Status run(const Groups& groups, bool idempotent)
    {
        if (!groups.starts.isEmpty()) {
            ArrayLiteral ids, users, times, metadata;
            for (const StartSession* s : groups.starts) {
                ids.append(s->sessionId);
                users.append(s->userId);
                times.append(postgresTime(s->startedAt));
                metadata.append(compactJson(s->metadata));
            }
            if (Status status = execParams(
                    "INSERT INTO conversation_sessions (session_id, user_id, session_start, started_at, is_active, "
                    "metadata) SELECT s, u, t, t, true, m FROM unnest($1::text[], $2::text[], $3::timestamptz[], "
                    "$4::jsonb[]) AS v(s, u, t, m) ON CONFLICT (session_id) DO NOTHING",
                    {ids.finish(), users.finish(), times.finish(), metadata.finish()}, "insert sessions");
                !status.isNull())
                return status;
        }
        if (!groups.messages.isEmpty()) {
            const bool copy = m_path == PostgresPath::Copy && !idempotent;
            if (Status status = copy ? copyMessages(groups.messages) : insertMessages(groups.messages);
                !status.isNull())
                return status;
        }
        if (!groups.ends.isEmpty()) {
            ArrayLiteral ids, times, durations, counts, reasons;
            for (const EndSession* e : groups.ends) {
                ids.append(e->sessionId);
                times.append(postgresTime(e->endedAt));
                durations.append(QByteArray::number(e->durationSeconds(), 'f', 3));
                counts.append(QByteArray::number(e->messageCount));
                reasons.append(endReasonName(e->reason));
            }
            if (Status status = execParams(
                    "UPDATE conversation_sessions AS s SET session_end = v.e, ended_at = v.e, duration_seconds = v.d, "
                    "is_active = false, message_count = v.n, end_reason = v.r FROM unnest($1::text[], "
                    "$2::timestamptz[], $3::float8[], $4::int[], $5::text[]) AS v(id, e, d, n, r) "
                    "WHERE s.session_id = v.id",
                    {ids.finish(), times.finish(), durations.finish(), counts.finish(), reasons.finish()},
                    "end sessions");
                !status.isNull())
                return status;
        }
        return {};
    }

    Status insertMessages(const QList<const MessageRecord*>& messages)
    {
        ArrayLiteral sessions, users, roles, contents, audio, metadata, times, ids, seqs;
        for (const MessageRecord* m : messages) {
            sessions.append(m->sessionId);
            if (m->userId.isEmpty())
                users.appendNull();
            else
                users.append(m->userId);
            roles.append(roleName(m->role));
            contents.append(m->content);
            if (m->audioUrl.isEmpty())
                audio.appendNull();
            else
                audio.append(m->audioUrl);
            if (m->metadata.isEmpty())
                metadata.appendNull();
            else
                metadata.append(compactJson(m->metadata));
            times.append(postgresTime(m->createdAt));
            ids.append(m->messageId.toByteArray(QUuid::WithoutBraces));
            seqs.append(QByteArray::number(m->seq));
        }
        return execParams("INSERT INTO conversation_messages (session_id, user_id, role, content, audio_url, "
                          "metadata, created_at, message_id, seq) SELECT * FROM unnest($1::text[], $2::text[], "
                          "$3::text[], $4::text[], $5::text[], $6::jsonb[], $7::timestamptz[], $8::uuid[], "
                          "$9::int[]) ON CONFLICT (message_id) DO NOTHING",
            {sessions.finish(), users.finish(), roles.finish(), contents.finish(), audio.finish(), metadata.finish(),
                times.finish(), ids.finish(), seqs.finish()},
            "insert messages");
    }

    Status copyMessages(const QList<const MessageRecord*>& messages)
    {
        pg::CopyIn copy(m_pg, "copy messages");
        if (Status status = copy.begin("COPY conversation_messages (session_id, user_id, role, content, audio_url, "
                                       "metadata, created_at, message_id, seq) FROM STDIN");
            !status.isNull())
            return status;
        for (const MessageRecord* m : messages) {
            copy.field(m->sessionId.toUtf8());
            if (m->userId.isEmpty())
                copy.null();
            else
                copy.field(m->userId.toUtf8());
            copy.plainField(roleName(m->role).toLatin1());
            copy.field(m->content.toUtf8());
            if (m->audioUrl.isEmpty())
                copy.null();
            else
                copy.field(m->audioUrl.toUtf8());
            if (m->metadata.isEmpty())
                copy.null();
            else
                copy.field(compactJson(m->metadata));
            copy.plainField(postgresTime(m->createdAt));
            copy.plainField(m->messageId.toByteArray(QUuid::WithoutBraces));
            copy.plainField(QByteArray::number(m->seq));
            copy.endRow();
            // Hand rows to the server while the rest are formatted: its work and ours overlap.
            if (Status status = copy.sendIfFull(); !status.isNull())
                return status;
        }
        return copy.finish();
    }

    store::Connection& m_connection;
    pg_conn* m_pg;
    PostgresPath m_path;
};

} // namespace

Expected<std::unique_ptr<BatchWriter>> BatchWriter::create(store::Connection& connection, PostgresPath path)
{
    if (connection.isSqlite()) {
        auto writer = std::make_unique<SqliteBatchWriter>(connection);
        if (Status status = writer->prepare(); !status.isNull())
            return status;
        return std::unique_ptr<BatchWriter>(std::move(writer));
    }
    const auto handle = pg::nativeHandle(connection);
    if (!handle)
        return handle.error();
    return std::unique_ptr<BatchWriter>(std::make_unique<PostgresBatchWriter>(connection, *handle, path));
}

} // namespace voxtrack::tracker
