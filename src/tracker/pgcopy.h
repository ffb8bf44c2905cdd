// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

struct pg_conn;
struct pg_result;

namespace voxtrack::store {
class Connection;
}

/// libpq on the connection QPSQL opened: the fast paths that Qt's SQL API has no words for
/// (COPY … FROM STDIN, array parameters), shared by the tracker's writer and the seeder. Every
/// function here runs on the thread that owns the Connection.
namespace voxtrack::tracker::pg {

/// The PGconn under a PostgreSQL Connection. The Connection keeps ownership.
/// Error code: db.driver (the QPSQL driver does not hand out its libpq connection).
[[nodiscard]] Expected<pg_conn*> nativeHandle(store::Connection& connection);

/// result as a Status: null for a successful command, query or COPY start (result stays the
/// caller's to clear); otherwise the failure, with result cleared. what names the step in the
/// sentence. Error codes: db.constraint (the data broke a constraint), db.connection (the server
/// went away), db.query (anything else).
[[nodiscard]] Status resultStatus(pg_conn* connection, pg_result* result, const char* what);

/// Runs one statement without parameters; what names it in an error (the statement itself when null).
Status exec(pg_conn* connection, const char* sql, const char* what = nullptr);

/// Runs one statement with text-format parameters.
Status execParams(pg_conn* connection, const char* sql, const QList<QByteArray>& params, const char* what);

/// Ends the transaction left open by a failure, if there is one.
void rollbackOpenTransaction(pg_conn* connection);

/// A UTC time with milliseconds, formatted without allocating: "2025-10-18 09:30:00.123+00" as
/// PostgreSQL reads a timestamptz, or in Iso style "2025-10-18T09:30:00.123Z" as the SQLite
/// schema stores it.
struct TimeText {
    enum class Style { Postgres, Iso };
    char text[32];
    int size = 0;

    TimeText(qint64 msecsSinceEpoch, Style style);
    [[nodiscard]] QByteArrayView view() const { return {text, size}; }
    [[nodiscard]] QByteArray bytes() const { return {text, size}; }
};

/// One COPY … FROM STDIN in text format, streamed: rows are formatted into a buffer that goes to
/// the server whenever a chunk is full, so the server checks and stores rows while the next ones
/// are being formatted. Use: begin(), then field()/null() for every column and endRow() per row,
/// sendIfFull() now and then, finish() (or abort()). Destroying a CopyIn that was begun but not
/// finished aborts it.
class CopyIn {
public:
    static constexpr qsizetype chunkBytes = 128 * 1024;

    /// what names the step in errors ("copy messages").
    CopyIn(pg_conn* connection, const char* what);
    ~CopyIn();
    CopyIn(const CopyIn&) = delete;
    CopyIn& operator=(const CopyIn&) = delete;

    /// Sends the COPY statement (… FROM STDIN, text format).
    Status begin(const char* sql);

    /// A text field, escaped as COPY's text format needs (backslash, tab, newline, return).
    void field(QByteArrayView value)
    {
        separate();
        for (const char c : value) {
            switch (c) {
            case '\\':
                m_buffer += "\\\\";
                break;
            case '\t':
                m_buffer += "\\t";
                break;
            case '\n':
                m_buffer += "\\n";
                break;
            case '\r':
                m_buffer += "\\r";
                break;
            default:
                m_buffer += c;
            }
        }
    }
    /// A field known to hold none of the characters COPY escapes (numbers, UUIDs, times).
    void plainField(QByteArrayView value)
    {
        separate();
        m_buffer.append(value);
    }
    void null()
    {
        separate();
        m_buffer += "\\N";
    }
    void endRow()
    {
        m_buffer += '\n';
        m_rowStarted = false;
    }

    /// Hands the buffer to the server once it holds a chunk.
    Status sendIfFull() { return m_buffer.size() >= chunkBytes ? send() : Status {}; }
    /// Sends what is left, ends the COPY and reads its outcome.
    Status finish();
    /// Ends the COPY with an error, so the server discards its rows (the transaction is then
    /// failed: roll it back).
    void abort(const char* reason);

private:
    void separate()
    {
        if (m_rowStarted)
            m_buffer += '\t';
        m_rowStarted = true;
    }
    Status send();
    Status drainResults();

    pg_conn* m_connection;
    const char* m_what;
    QByteArray m_buffer;
    bool m_active = false;
    bool m_rowStarted = false;
};

} // namespace voxtrack::tracker::pg
