// SPDX-License-Identifier: MIT
#include "support/testdatabase.h"

#include "store/migrator.h"

#include <QCoreApplication>
#include <QTest>

#include <atomic>

namespace voxtrack::test {

store::Backend testBackend()
{
    return qEnvironmentVariable("VOXTRACK_TEST_BACKEND") == u"postgres" ? store::Backend::PostgreSql
                                                                        : store::Backend::Sqlite;
}

QString testBackendName()
{
    return testBackend() == store::Backend::PostgreSql ? QStringLiteral("postgres") : QStringLiteral("sqlite");
}

QString sqlEpochMs(store::Backend backend, const QString& column)
{
    if (backend == store::Backend::PostgreSql)
        return QStringLiteral("CAST(round(EXTRACT(EPOCH FROM %1) * 1000) AS bigint)").arg(column);
    return QStringLiteral(
        "(CAST(strftime('%s', %1) AS INTEGER) * 1000 + CAST(substr(strftime('%f', %1), 4) AS INTEGER))")
        .arg(column);
}

QString sqlText(store::Backend backend, const QString& column)
{
    return backend == store::Backend::PostgreSql ? column + QStringLiteral("::text") : column;
}

Expected<std::unique_ptr<TestDatabase>> TestDatabase::create(store::Backend backend)
{
    std::unique_ptr<TestDatabase> database(new TestDatabase);
    if (backend == store::Backend::Sqlite) {
        database->m_directory = std::make_unique<QTemporaryDir>();
        if (!database->m_directory->isValid())
            return Error {QStringLiteral("test.tmp"), QStringLiteral("Could not create a temporary directory.")};
        auto url = DatabaseUrl::parse(
            QStringLiteral("sqlite://") + database->m_directory->filePath(QStringLiteral("test.db")));
        if (!url)
            return url.error();
        database->m_url = *url;
        return database;
    }

    const QString adminText = qEnvironmentVariable("VOXTRACK_TEST_PG_URL");
    if (adminText.isEmpty()) {
        return Error {QStringLiteral("test.no_postgres"),
            QStringLiteral("VOXTRACK_TEST_PG_URL is not set: run the tests through scripts/test, which starts "
                           "a throwaway PostgreSQL cluster, or point it at a server where you may create "
                           "databases.")};
    }
    auto admin = DatabaseUrl::parse(adminText);
    if (!admin)
        return admin.error();
    static std::atomic<int> counter {0};
    database->m_postgresName = QStringLiteral("vt_%1_%2_%3")
                                   .arg(QCoreApplication::applicationName().remove(QStringLiteral("tst_")).left(20))
                                   .arg(QCoreApplication::applicationPid())
                                   .arg(++counter)
                                   .toLower();
    database->m_adminUrl = *admin;
    auto connection = store::Connection::open(*admin);
    if (!connection)
        return connection.error();
    if (Status status = (*connection)->exec(QStringLiteral("CREATE DATABASE \"%1\"").arg(database->m_postgresName));
        !status.isNull())
        return status;
    database->m_url = admin->withDatabaseName(database->m_postgresName);
    return database;
}

TestDatabase::~TestDatabase()
{
    if (m_postgresName.isEmpty())
        return;
    auto connection = store::Connection::open(m_adminUrl);
    if (connection)
        (void)(*connection)->exec(QStringLiteral("DROP DATABASE IF EXISTS \"%1\" WITH (FORCE)").arg(m_postgresName));
}

std::unique_ptr<store::Connection> TestDatabase::connect() const
{
    auto connection = store::Connection::open(m_url);
    if (!connection) {
        QTest::qFail(qPrintable(connection.error().toString()), __FILE__, __LINE__);
        return nullptr;
    }
    return std::move(*connection);
}

std::unique_ptr<store::Connection> TestDatabase::connectMigrated() const
{
    auto connection = connect();
    if (!connection)
        return nullptr;
    if (const auto migrated = store::Migrator(*connection).migrate(); !migrated) {
        QTest::qFail(qPrintable(migrated.errorText()), __FILE__, __LINE__);
        return nullptr;
    }
    return connection;
}

Status TestDatabase::execAll(store::Connection& connection, const QStringList& statements)
{
    for (const QString& statement : statements) {
        if (Status status = connection.exec(statement); !status.isNull())
            return status;
    }
    return {};
}

} // namespace voxtrack::test
