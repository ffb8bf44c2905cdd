// SPDX-License-Identifier: MIT
#include "tracker/batchwriter.h"

#include "store/connection.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QSqlDriver>
#include <QSqlQuery>

#include <libpq-fe.h>

namespace voxtrack::tracker {

namespace {

QString tr(const char* text)
{
    return QCoreApplication::translate("voxtrack::tracker::BatchWriter", text);
}

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

/// A UTC timestamp with milliseconds, written without QDateTime's general formatter (the
/// writer formats one per row): "2025-10-18T09:30:00.123Z", or with sqlStyle
/// "2025-10-18 09:30:00.123+00" as PostgreSQL reads it.
QByteArray formatTime(const QDateTime& time, bool sqlStyle)
{
    const qint64 ms = time.toMSecsSinceEpoch();
    qint64 days = ms >= 0 ? ms / 86'400'000 : (ms - 86'399'999) / 86'400'000;
    qint64 dayMs = ms - days * 86'400'000;
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    days += 719'468;
    const qint64 era = (days >= 0 ? days : days - 146'096) / 146'097;
    const qint64 dayOfEra = days - era * 146'097;
    const qint64 yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36'524 - dayOfEra / 146'096) / 365;
    const qint64 dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
    const qint64 monthIndex = (5 * dayOfYear + 2) / 153;
    const int day = int(dayOfYear - (153 * monthIndex + 2) / 5 + 1);
    const int month = int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9);
    const qint64 year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
    const int hour = int(dayMs / 3'600'000);
    dayMs %= 3'600'000;
    const int minute = int(dayMs / 60'000);
    dayMs %= 60'000;
    const int second = int(dayMs / 1000);
    const int milli = int(dayMs % 1000);

    char text[32];
    auto put = [&text](int at, qint64 value, int width) {
        for (int i = width - 1; i >= 0; --i, value /= 10)
            text[at + i] = char('0' + value % 10);
    };
    put(0, year, 4);
    text[4] = '-';
    put(5, month, 2);
    text[7] = '-';
    put(8, day, 2);
    text[10] = sqlStyle ? ' ' : 'T';
    put(11, hour, 2);
    text[13] = ':';
    put(14, minute, 2);
    text[16] = ':';
    put(17, second, 2);
    text[19] = '.';
    put(20, milli, 3);
    if (sqlStyle) {
        text[23] = '+';
        text[24] = '0';
        text[25] = '0';
        return QByteArray(text, 26);
    }
    text[23] = 'Z';
    return QByteArray(text, 24);
}

QString sqliteTime(const QDateTime& time)
{
    return QString::fromLatin1(formatTime(time, false));
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
    return formatTime(time, true);
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

/// Appends one field of COPY's text format: backslash escapes, \N for NULL.
void appendCopyField(QByteArray& buffer, QByteArrayView value, bool last)
{
    for (const char c : value) {
        switch (c) {
        case '\\':
            buffer += "\\\\";
            break;
        case '\t':
            buffer += "\\t";
            break;
        case '\n':
            buffer += "\\n";
            break;
        case '\r':
            buffer += "\\r";
            break;
        default:
            buffer += c;
        }
    }
    buffer += last ? '\n' : '\t';
}

void appendCopyNull(QByteArray& buffer, bool last)
{
    buffer += "\\N";
    buffer += last ? '\n' : '\t';
}

class PostgresBatchWriter final : public BatchWriter {
public:
    PostgresBatchWriter(store::Connection& connection, PGconn* handle, PostgresPath path)
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
        if (!status.isNull() && PQtransactionStatus(m_pg) != PQTRANS_IDLE) {
            PGresult* result = PQexec(m_pg, "ROLLBACK");
            PQclear(result);
        }
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
        if (Status status = check(result, "recover open sessions"); !status.isNull())
            return status;
        QStringList ids;
        for (int row = 0; row < PQntuples(result); ++row)
            ids << QString::fromUtf8(PQgetvalue(result, row, 0));
        PQclear(result);
        return ids;
    }

private:
    /// Turns a result into a Status and frees it on failure.
    Status check(PGresult* result, const char* what)
    {
        const ExecStatusType status = PQresultStatus(result);
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_IN)
            return {};
        const QByteArray state = result ? QByteArray(PQresultErrorField(result, PG_DIAG_SQLSTATE)) : QByteArray();
        QString message = QString::fromUtf8(result ? PQresultErrorMessage(result) : PQerrorMessage(m_pg)).trimmed();
        if (message.isEmpty())
            message = QString::fromUtf8(PQerrorMessage(m_pg)).trimmed();
        if (message.startsWith(u"ERROR:  "))
            message.remove(0, 8);
        message = message.section(u'\n', 0, 0);
        PQclear(result);
        QString code = QStringLiteral("db.query");
        if (state.startsWith("23"))
            code = QStringLiteral("db.constraint");
        else if (PQstatus(m_pg) != CONNECTION_OK || state.startsWith("08") || state.startsWith("57P"))
            code = QStringLiteral("db.connection");
        return {code, tr("Writing to PostgreSQL failed (%1): %2.").arg(QLatin1String(what), message)};
    }

    Status exec(const char* sql)
    {
        PGresult* result = PQexec(m_pg, sql);
        Status status = check(result, sql);
        if (status.isNull())
            PQclear(result);
        return status;
    }

    Status execParams(const char* sql, const QList<QByteArray>& params, const char* what)
    {
        QVarLengthArray<const char*, 12> values;
        for (const QByteArray& param : params)
            values.append(param.constData());
        PGresult* result
            = PQexecParams(m_pg, sql, int(values.size()), nullptr, values.constData(), nullptr, nullptr, 0);
        Status status = check(result, what);
        if (status.isNull())
            PQclear(result);
        return status;
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
        PGresult* result = PQexec(m_pg,
            "COPY conversation_messages (session_id, user_id, role, content, audio_url, "
            "metadata, created_at, message_id, seq) FROM STDIN");
        if (Status status = check(result, "copy messages"); !status.isNull())
            return status;
        PQclear(result);
        constexpr qsizetype copyChunkBytes = 128 * 1024;
        QByteArray buffer;
        buffer.reserve(copyChunkBytes + 4096);
        for (const MessageRecord* m : messages) {
            appendCopyField(buffer, m->sessionId.toUtf8(), false);
            if (m->userId.isEmpty())
                appendCopyNull(buffer, false);
            else
                appendCopyField(buffer, m->userId.toUtf8(), false);
            appendCopyField(buffer, roleName(m->role).toLatin1(), false);
            appendCopyField(buffer, m->content.toUtf8(), false);
            if (m->audioUrl.isEmpty())
                appendCopyNull(buffer, false);
            else
                appendCopyField(buffer, m->audioUrl.toUtf8(), false);
            if (m->metadata.isEmpty())
                appendCopyNull(buffer, false);
            else
                appendCopyField(buffer, compactJson(m->metadata), false);
            appendCopyField(buffer, postgresTime(m->createdAt), false);
            appendCopyField(buffer, m->messageId.toByteArray(QUuid::WithoutBraces), false);
            appendCopyField(buffer, QByteArray::number(m->seq), true);
            // Hand rows to the server while the rest are formatted: its work and ours overlap.
            if (buffer.size() >= copyChunkBytes) {
                if (PQputCopyData(m_pg, buffer.constData(), int(buffer.size())) != 1)
                    break;
                buffer.clear();
            }
        }
        if ((!buffer.isEmpty() && PQputCopyData(m_pg, buffer.constData(), int(buffer.size())) != 1)
            || PQputCopyEnd(m_pg, nullptr) != 1) {
            return {QStringLiteral("db.connection"),
                tr("Writing to PostgreSQL failed (copy messages): %1.")
                    .arg(QString::fromUtf8(PQerrorMessage(m_pg)).trimmed())};
        }
        Status status;
        while (PGresult* end = PQgetResult(m_pg)) {
            Status step = check(end, "copy messages");
            if (step.isNull())
                PQclear(end);
            else if (status.isNull())
                status = step;
        }
        return status;
    }

    store::Connection& m_connection;
    PGconn* m_pg;
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
    const QVariant handle = connection.database().driver()->handle();
    // QPSQL hands out its PGconn* (a typedef of pg_conn*; the meta type may carry either name).
    const char* type = handle.typeName();
    if (!handle.isValid() || (qstrcmp(type, "PGconn*") != 0 && qstrcmp(type, "pg_conn*") != 0)) {
        return Error {QStringLiteral("db.driver"),
            tr("The PostgreSQL driver does not expose its libpq connection (it hands out \"%1\"): Voxtrack "
               "needs Qt's QPSQL driver built against libpq.")
                .arg(QLatin1String(type ? type : "nothing"))};
    }
    PGconn* pg = *static_cast<PGconn* const*>(handle.constData());
    return std::unique_ptr<BatchWriter>(std::make_unique<PostgresBatchWriter>(connection, pg, path));
}

} // namespace voxtrack::tracker
