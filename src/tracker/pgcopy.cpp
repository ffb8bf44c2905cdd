// SPDX-License-Identifier: MIT
#include "tracker/pgcopy.h"

#include "store/connection.h"

#include <QCoreApplication>
#include <QSqlDriver>
#include <QVarLengthArray>

#include <libpq-fe.h>

namespace voxtrack::tracker::pg {

namespace {

QString tr(const char* text)
{
    return QCoreApplication::translate("voxtrack::tracker::pg", text);
}

Error writeFailed(const char* what, const QString& words)
{
    return {
        QStringLiteral("db.connection"), tr("Writing to PostgreSQL failed (%1): %2.").arg(QLatin1String(what), words)};
}

} // namespace

Expected<pg_conn*> nativeHandle(store::Connection& connection)
{
    const QVariant handle = connection.database().driver()->handle();
    // QPSQL hands out its PGconn* (a typedef of pg_conn*; the meta type may carry either name).
    const char* type = handle.typeName();
    if (!handle.isValid() || (qstrcmp(type, "PGconn*") != 0 && qstrcmp(type, "pg_conn*") != 0)) {
        return Error {QStringLiteral("db.driver"),
            tr("The PostgreSQL driver does not expose its libpq connection (it hands out \"%1\"): Voxtrack "
               "needs Qt's QPSQL driver built against libpq.")
                .arg(QLatin1String(type ? type : "nothing"))};
    }
    return *static_cast<PGconn* const*>(handle.constData());
}

Status resultStatus(pg_conn* connection, pg_result* result, const char* what)
{
    const ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_IN)
        return {};
    const QByteArray state = result ? QByteArray(PQresultErrorField(result, PG_DIAG_SQLSTATE)) : QByteArray();
    QString message = QString::fromUtf8(result ? PQresultErrorMessage(result) : PQerrorMessage(connection)).trimmed();
    if (message.isEmpty())
        message = QString::fromUtf8(PQerrorMessage(connection)).trimmed();
    if (message.startsWith(u"ERROR:  "))
        message.remove(0, 8);
    message = message.section(u'\n', 0, 0);
    PQclear(result);
    QString code = QStringLiteral("db.query");
    if (state.startsWith("23"))
        code = QStringLiteral("db.constraint");
    else if (PQstatus(connection) != CONNECTION_OK || state.startsWith("08") || state.startsWith("57P"))
        code = QStringLiteral("db.connection");
    return {code, tr("Writing to PostgreSQL failed (%1): %2.").arg(QLatin1String(what), message)};
}

Status exec(pg_conn* connection, const char* sql, const char* what)
{
    PGresult* result = PQexec(connection, sql);
    Status status = resultStatus(connection, result, what ? what : sql);
    if (status.isNull())
        PQclear(result);
    return status;
}

Status execParams(pg_conn* connection, const char* sql, const QList<QByteArray>& params, const char* what)
{
    QVarLengthArray<const char*, 12> values;
    for (const QByteArray& param : params)
        values.append(param.constData());
    PGresult* result
        = PQexecParams(connection, sql, int(values.size()), nullptr, values.constData(), nullptr, nullptr, 0);
    Status status = resultStatus(connection, result, what);
    if (status.isNull())
        PQclear(result);
    return status;
}

void rollbackOpenTransaction(pg_conn* connection)
{
    if (PQtransactionStatus(connection) != PQTRANS_IDLE)
        PQclear(PQexec(connection, "ROLLBACK"));
}

TimeText::TimeText(qint64 msecsSinceEpoch, Style style)
{
    const qint64 ms = msecsSinceEpoch;
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

    auto put = [this](int at, qint64 value, int width) {
        for (int i = width - 1; i >= 0; --i, value /= 10)
            text[at + i] = char('0' + value % 10);
    };
    const bool postgres = style == Style::Postgres;
    put(0, year, 4);
    text[4] = '-';
    put(5, month, 2);
    text[7] = '-';
    put(8, day, 2);
    text[10] = postgres ? ' ' : 'T';
    put(11, hour, 2);
    text[13] = ':';
    put(14, minute, 2);
    text[16] = ':';
    put(17, second, 2);
    text[19] = '.';
    put(20, milli, 3);
    if (postgres) {
        text[23] = '+';
        text[24] = '0';
        text[25] = '0';
        size = 26;
    } else {
        text[23] = 'Z';
        size = 24;
    }
}

CopyIn::CopyIn(pg_conn* connection, const char* what)
    : m_connection(connection)
    , m_what(what)
{
}

CopyIn::~CopyIn()
{
    if (m_active)
        abort("abandoned");
}

Status CopyIn::begin(const char* sql)
{
    PGresult* result = PQexec(m_connection, sql);
    if (Status status = resultStatus(m_connection, result, m_what); !status.isNull())
        return status;
    if (PQresultStatus(result) != PGRES_COPY_IN) {
        PQclear(result);
        return {QStringLiteral("db.query"),
            tr("Writing to PostgreSQL failed (%1): the statement did not start a COPY FROM STDIN.")
                .arg(QLatin1String(m_what))};
    }
    PQclear(result);
    m_active = true;
    m_rowStarted = false;
    m_buffer.clear();
    m_buffer.reserve(chunkBytes + 4096);
    return {};
}

Status CopyIn::send()
{
    if (!m_buffer.isEmpty()) {
        if (PQputCopyData(m_connection, m_buffer.constData(), int(m_buffer.size())) != 1)
            return writeFailed(m_what, QString::fromUtf8(PQerrorMessage(m_connection)).trimmed());
        m_buffer.resize(0);
    }
    return {};
}

Status CopyIn::finish()
{
    Status status = send();
    m_active = false;
    if (status.isNull() && PQputCopyEnd(m_connection, nullptr) == 1)
        return drainResults();
    if (status.isNull())
        status = writeFailed(m_what, QString::fromUtf8(PQerrorMessage(m_connection)).trimmed());
    else
        PQputCopyEnd(m_connection, "the rows could not be sent");
    drainResults();
    return status;
}

void CopyIn::abort(const char* reason)
{
    if (!m_active)
        return;
    m_active = false;
    m_buffer.resize(0);
    PQputCopyEnd(m_connection, reason);
    drainResults();
}

Status CopyIn::drainResults()
{
    Status status;
    while (PGresult* result = PQgetResult(m_connection)) {
        const ExecStatusType type = PQresultStatus(result);
        if (type == PGRES_COPY_IN || type == PGRES_COPY_OUT || type == PGRES_COPY_BOTH) {
            // The COPY could not be ended (the connection failed): there is no outcome to wait for.
            PQclear(result);
            if (status.isNull())
                status = writeFailed(m_what, QString::fromUtf8(PQerrorMessage(m_connection)).trimmed());
            break;
        }
        Status step = resultStatus(m_connection, result, m_what);
        if (step.isNull())
            PQclear(result);
        else if (status.isNull())
            status = step;
    }
    return status;
}

} // namespace voxtrack::tracker::pg
