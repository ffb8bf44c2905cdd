// SPDX-License-Identifier: MIT
#include "store/connection.h"

#include "store/logging.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QSqlQuery>

#include <atomic>
#include <string>

namespace voxtrack::store {

namespace {

QString tr(const char* text)
{
    return QCoreApplication::translate("voxtrack::store::Connection", text);
}

QString nextConnectionName()
{
    static std::atomic<quint64> counter {0};
    return QStringLiteral("voxtrack-%1").arg(++counter);
}

/// First line of the server's message, without libpq's trailing newline and "FATAL:" prefixes.
QString serverWords(const QSqlError& error)
{
    QString text = error.databaseText().trimmed();
    if (text.isEmpty())
        text = error.driverText().trimmed();
    // libpq: 'connection to server at "h", port p failed: FATAL:  the reason\n…'
    for (const auto marker : {u"FATAL:  ", u"ERROR:  "}) {
        const qsizetype at = text.indexOf(marker);
        if (at >= 0) {
            text.remove(0, at + qsizetype(std::char_traits<char16_t>::length(marker)));
            break;
        }
    }
    const qsizetype newline = text.indexOf(u'\n');
    if (newline > 0)
        text.truncate(newline);
    text = text.trimmed();
    while (text.endsWith(u'.'))
        text.chop(1);
    return text;
}

Error postgresConnectError(const QSqlError& error, const DatabaseUrl& url)
{
    const QString words = serverWords(error);
    const QString all = error.databaseText();
    const QString where = url.host().isEmpty()
        ? tr("the local socket")
        : QStringLiteral("%1:%2").arg(url.host()).arg(url.port() ? url.port() : 5432);
    if (all.contains(u"password authentication failed") || all.contains(u"no password supplied")
        || all.contains(u"authentication failed"))
        return {QStringLiteral("db.auth"),
            tr("PostgreSQL at %1 refused the login of user \"%2\" (%3): check the user and password in the URL, "
               "PGPASSWORD or ~/.pgpass.")
                .arg(where, url.userName(), words)};
    if (all.contains(u"does not exist") && all.contains(u"database"))
        return {QStringLiteral("db.not_found"),
            tr("PostgreSQL at %1 has no database \"%2\": create it (createdb %2) or fix the database name in the URL.")
                .arg(where, url.databaseName())};
    if (all.contains(u"SSL") || all.contains(u"certificate"))
        return {QStringLiteral("db.tls"),
            tr("The TLS connection to PostgreSQL at %1 failed (%2): check sslmode and the certificates in the URL.")
                .arg(where, words)};
    if (all.contains(u"Connection refused") || all.contains(u"could not connect") || all.contains(u"timeout expired")
        || all.contains(u"could not translate host name") || all.contains(u"No such file or directory")
        || all.contains(u"Network is unreachable") || all.contains(u"No route to host"))
        return {QStringLiteral("db.unreachable"),
            tr("Could not reach PostgreSQL at %1 (%2): start the server, or check the host and port in the URL.")
                .arg(where, words)};
    return {QStringLiteral("db.open"), tr("Could not connect to PostgreSQL at %1: %2.").arg(where, words)};
}

bool isConstraintViolation(const QSqlError& error)
{
    const QString code = error.nativeErrorCode();
    // PostgreSQL SQLSTATE class 23 (integrity constraint violation); SQLite's extended codes
    // arrive as the primary code 19 (SQLITE_CONSTRAINT).
    if (code.startsWith(u"23") && code.size() == 5)
        return true;
    if (code == u"19")
        return true;
    const QString text = error.databaseText();
    return text.contains(u"constraint failed") || text.contains(u"violates");
}

} // namespace

Expected<std::unique_ptr<Connection>> Connection::open(const DatabaseUrl& url, Access access)
{
    const QString driver = url.isSqlite() ? QStringLiteral("QSQLITE") : QStringLiteral("QPSQL");
    if (!QSqlDatabase::isDriverAvailable(driver)) {
        return Error {QStringLiteral("db.driver"),
            tr("The Qt SQL driver %1 is not installed: install the package %2 (scripts/setup does).")
                .arg(driver, url.isSqlite() ? QStringLiteral("libqt6sql6-sqlite") : QStringLiteral("libqt6sql6-psql"))};
    }

    const QString name = nextConnectionName();
    QSqlDatabase db = QSqlDatabase::addDatabase(driver, name);
    auto fail = [&](Error error) -> Expected<std::unique_ptr<Connection>> {
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(name);
        return error;
    };

    if (url.isSqlite()) {
        const bool readOnly = access == Access::ReadOnly || url.isReadOnly();
        if (!url.isInMemory()) {
            const QFileInfo file(url.sqlitePath());
            if (readOnly && !file.exists()) {
                return fail({QStringLiteral("db.not_found"),
                    tr("There is no SQLite database at %1: check the path, or create one with "
                       "voxtrack-cli migrate --db %2.")
                        .arg(url.sqlitePath(), url.toDisplayString())});
            }
            if (!file.dir().exists()) {
                return fail({QStringLiteral("db.open"),
                    tr("The directory %1 for the SQLite database does not exist: create it or choose "
                       "another path.")
                        .arg(file.dir().path())});
            }
        }
        db.setDatabaseName(url.sqlitePath());
        QStringList options {QStringLiteral("QSQLITE_BUSY_TIMEOUT=10000")};
        if (readOnly)
            options << QStringLiteral("QSQLITE_OPEN_READONLY");
        db.setConnectOptions(options.join(u';'));
        if (!db.open()) {
            return fail({QStringLiteral("db.open"),
                tr("Could not open the SQLite database %1 (%2): check that the file is a SQLite database "
                   "and that you may read%3 it.")
                    .arg(url.sqlitePath(), serverWords(db.lastError()), readOnly ? QString() : tr(" and write"))});
        }
        QSqlQuery pragma(db);
        // journal_mode=WAL is persistent in the file; a read-only connection cannot set it.
        const QStringList pragmas = readOnly
            ? QStringList {QStringLiteral("PRAGMA foreign_keys=ON")}
            : QStringList {QStringLiteral("PRAGMA foreign_keys=ON"), QStringLiteral("PRAGMA journal_mode=WAL"),
                QStringLiteral("PRAGMA synchronous=NORMAL")};
        for (const QString& statement : pragmas) {
            if (!pragma.exec(statement)) {
                return fail({QStringLiteral("db.open"),
                    tr("The file %1 is not a usable SQLite database (%2): check the path.")
                        .arg(url.sqlitePath(), serverWords(pragma.lastError()))});
            }
        }
    } else {
        DatabaseUrl resolved = url;
        resolved.resolveDefaults();
        if (!resolved.host().isEmpty())
            db.setHostName(resolved.host());
        if (resolved.port() > 0)
            db.setPort(resolved.port());
        db.setUserName(resolved.userName());
        if (!resolved.password().isEmpty())
            db.setPassword(resolved.password());
        db.setDatabaseName(resolved.databaseName());
        if (resolved.option(QStringLiteral("connect_timeout")).isEmpty())
            resolved = resolved.withOption(QStringLiteral("connect_timeout"), QStringLiteral("10"));
        if (resolved.option(QStringLiteral("application_name")).isEmpty())
            resolved = resolved.withOption(QStringLiteral("application_name"), QStringLiteral("voxtrack"));
        db.setConnectOptions(resolved.qpsqlConnectOptions());
        if (!db.open())
            return fail(postgresConnectError(db.lastError(), resolved));
        QSqlQuery setup(db);
        if (!setup.exec(QStringLiteral("SET TIME ZONE 'UTC'"))
            || !setup.exec(QStringLiteral("SET client_min_messages = warning"))) {
            return fail({QStringLiteral("db.open"),
                tr("PostgreSQL refused the session settings (%1).").arg(serverWords(setup.lastError()))});
        }
        if (access == Access::ReadOnly
            && !setup.exec(QStringLiteral("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"))) {
            return fail({QStringLiteral("db.open"),
                tr("PostgreSQL refused a read-only session (%1).").arg(serverWords(setup.lastError()))});
        }
    }
    qCDebug(lcStore) << "opened" << url.toDisplayString() << (access == Access::ReadOnly ? "read-only" : "read-write")
                     << "as" << name;
    return std::unique_ptr<Connection>(new Connection(db, url, access));
}

Connection::Connection(const QSqlDatabase& database, DatabaseUrl url, Access access)
    : m_database(database)
    , m_url(std::move(url))
    , m_access(access)
{
}

Connection::~Connection()
{
    const QString name = m_database.connectionName();
    m_database.close();
    m_database = QSqlDatabase();
    QSqlDatabase::removeDatabase(name);
}

Error queryError(const QSqlQuery& query, const QString& sql)
{
    QString statement = sql.simplified();
    if (statement.size() > 80)
        statement = statement.left(77) + QStringLiteral("...");
    const QSqlError error = query.lastError();
    const bool constraint = isConstraintViolation(error);
    return {constraint ? QStringLiteral("db.constraint") : QStringLiteral("db.query"),
        QCoreApplication::translate("voxtrack::store::Connection", "The database rejected \"%1\": %2.")
            .arg(statement, serverWords(error))};
}

Status execQuery(QSqlQuery& query, const QString& sql, const QVariantList& values)
{
    bool ok = false;
    if (values.isEmpty()) {
        ok = query.exec(sql);
    } else {
        ok = query.prepare(sql);
        if (ok) {
            for (const QVariant& value : values)
                query.addBindValue(value);
            ok = query.exec();
        }
    }
    return ok ? Status {} : queryError(query, sql);
}

Status Connection::exec(const QString& sql)
{
    QSqlQuery query(m_database);
    return execQuery(query, sql);
}

Status Connection::exec(const QString& sql, const QVariantList& values)
{
    QSqlQuery query(m_database);
    return execQuery(query, sql, values);
}

Expected<QVariant> Connection::scalar(const QString& sql, const QVariantList& values)
{
    QSqlQuery query(m_database);
    query.setForwardOnly(true);
    if (Status status = execQuery(query, sql, values); !status.isNull())
        return status;
    return query.next() ? query.value(0) : QVariant();
}

Status Connection::beginTransaction()
{
    if (!m_database.transaction()) {
        return {QStringLiteral("db.query"),
            tr("Could not begin a transaction: %1.").arg(serverWords(m_database.lastError()))};
    }
    return {};
}

Status Connection::commit()
{
    if (!m_database.commit()) {
        Error error {QStringLiteral("db.query"),
            tr("Could not commit the transaction: %1.").arg(serverWords(m_database.lastError()))};
        m_database.rollback();
        return error;
    }
    return {};
}

void Connection::rollback()
{
    m_database.rollback();
}

} // namespace voxtrack::store
