// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"
#include "store/connection.h"

#include <QStringList>
#include <QTemporaryDir>

#include <memory>

namespace voxtrack::test {

/// The backend a test executable runs against, from VOXTRACK_TEST_BACKEND ("sqlite" when unset).
[[nodiscard]] store::Backend testBackend();
[[nodiscard]] QString testBackendName();

/// SQL for a timestamp column as whole milliseconds since the epoch, on either backend.
[[nodiscard]] QString sqlEpochMs(store::Backend backend, const QString& column);
/// SQL for a column read as text (PostgreSQL casts; SQLite stores text already).
[[nodiscard]] QString sqlText(store::Backend backend, const QString& column);

/// A fresh, empty database that exists for the lifetime of this object: a file in a temporary
/// directory for SQLite; for PostgreSQL a new database on the cluster VOXTRACK_TEST_PG_URL points
/// at (scripts/test starts one), dropped again at the end.
class TestDatabase {
public:
    /// Creates one, or returns an Error saying why not (for PostgreSQL: no cluster configured or
    /// reachable). Tests turn that into a failure, never a skip.
    [[nodiscard]] static Expected<std::unique_ptr<TestDatabase>> create(store::Backend backend = testBackend());
    ~TestDatabase();

    [[nodiscard]] const DatabaseUrl& url() const { return m_url; }
    [[nodiscard]] store::Backend backend() const { return m_url.backend(); }
    [[nodiscard]] bool isPostgreSql() const { return m_url.isPostgreSql(); }

    /// A new read-write connection; fails the calling test when it cannot open.
    [[nodiscard]] std::unique_ptr<store::Connection> connect() const;
    /// connect(), then the schema brought to the current version; fails the calling test when
    /// either does not work.
    [[nodiscard]] std::unique_ptr<store::Connection> connectMigrated() const;

    /// Runs statements in order on connection; returns the first failure.
    static Status execAll(store::Connection& connection, const QStringList& statements);

private:
    TestDatabase() = default;

    DatabaseUrl m_url;
    DatabaseUrl m_adminUrl;
    QString m_postgresName;
    std::unique_ptr<QTemporaryDir> m_directory;
};

} // namespace voxtrack::test

/// Declares `name` as a fresh TestDatabase, or fails the test with the reason.
#define VOXTRACK_TEST_DATABASE(name)                                                                                   \
    auto name##Created = ::voxtrack::test::TestDatabase::create();                                                     \
    QVERIFY2(name##Created.hasValue(), qPrintable(name##Created.errorText()));                                         \
    std::unique_ptr<::voxtrack::test::TestDatabase> name = std::move(*name##Created)

/// Verifies a Status is success, printing its message otherwise.
#define VOXTRACK_VERIFY_OK(statusExpression)                                                                           \
    do {                                                                                                               \
        const ::voxtrack::Status voxtrackStatus_ = (statusExpression);                                                 \
        QVERIFY2(voxtrackStatus_.isNull(), qPrintable(voxtrackStatus_.toString()));                                    \
    } while (false)
