// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"
#include "core/error.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <memory>

class QSqlQuery;

namespace voxtrack::store {

using Backend = DatabaseUrl::Backend;

/// One open database connection, owned. A QSqlDatabase may only be used in the thread that
/// opened it: create a Connection in the thread that will use it. The connection is closed
/// and its name removed from QSqlDatabase's registry when the Connection is destroyed.
class Connection {
public:
    enum class Access { ReadWrite, ReadOnly };

    /// Opens url. SQLite: WAL journal, foreign_keys=ON, a busy timeout; a read-only open of a
    /// file that does not exist fails instead of creating it. PostgreSQL: a connect timeout
    /// (10 s unless the URL sets one); ReadOnly makes every transaction read-only.
    /// Error codes: db.driver, db.unreachable, db.auth, db.not_found, db.tls, db.open.
    [[nodiscard]] static Expected<std::unique_ptr<Connection>> open(
        const DatabaseUrl& url, Access access = Access::ReadWrite);

    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    [[nodiscard]] QSqlDatabase database() const { return m_database; }
    [[nodiscard]] Backend backend() const { return m_url.backend(); }
    [[nodiscard]] bool isSqlite() const { return m_url.isSqlite(); }
    [[nodiscard]] bool isPostgreSql() const { return m_url.isPostgreSql(); }
    [[nodiscard]] const DatabaseUrl& url() const { return m_url; }
    [[nodiscard]] Access access() const { return m_access; }

    /// Runs one statement; a failure is an Error with code "db.query" naming the statement's
    /// start and the server's words.
    Status exec(const QString& sql);
    /// Runs one prepared statement with positional bound values.
    Status exec(const QString& sql, const QVariantList& values);
    /// The first column of the first row of a query, or an invalid QVariant when no row.
    [[nodiscard]] Expected<QVariant> scalar(const QString& sql, const QVariantList& values = {});

    Status beginTransaction();
    Status commit();
    void rollback();

private:
    Connection(const QSqlDatabase& database, DatabaseUrl url, Access access);

    QSqlDatabase m_database;
    DatabaseUrl m_url;
    Access m_access;
};

/// The Error for a failed statement: code "db.query" (or "db.constraint" when the database
/// rejected a row: check, foreign key, NOT NULL or unique), with the statement's first words.
[[nodiscard]] Error queryError(const QSqlQuery& query, const QString& sql);

/// Prepares and executes sql with values on database; returns the failure as queryError().
Status execQuery(QSqlQuery& query, const QString& sql, const QVariantList& values = {});

/// Runs sql (forward-only, so no driver pulls the whole result first) and hands each row to
/// row(const QSqlQuery&). A failure of the statement, or while reading its rows, is queryError().
template <typename RowFunction>
Status forEachRow(Connection& connection, const QString& sql, const QVariantList& values, RowFunction&& row)
{
    QSqlQuery query(connection.database());
    query.setForwardOnly(true);
    if (Status status = execQuery(query, sql, values); !status.isNull())
        return status;
    while (query.next())
        row(std::as_const(query));
    if (query.lastError().isValid())
        return queryError(query, sql);
    return {};
}

} // namespace voxtrack::store
