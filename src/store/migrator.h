// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"
#include "store/connection.h"

#include <QList>
#include <QString>

namespace voxtrack::store {

/// One versioned SQL file from resources/migrations/<backend>/NNNN_name.sql.
struct Migration {
    int version = 0;
    QString name;
    QString sql;
    QString checksum; ///< SHA-256 of the file, recorded when applied
};

struct MigrationResult {
    int versionBefore = 0;
    int versionAfter = 0;
    bool legacyUpgraded = false; ///< the seed's first shape was upgraded (session_id from id)
    QList<Migration> applied;
};

/// Brings a database to the current schema. Everything (the legacy upgrade and all pending
/// migrations) runs in one transaction: on any failure nothing is changed. Applying twice
/// changes nothing the second time. On PostgreSQL an advisory lock keeps two processes from
/// migrating at once.
class Migrator {
public:
    explicit Migrator(Connection& connection);

    /// The migrations shipped for a backend, in version order.
    [[nodiscard]] static QList<Migration> available(Backend backend);
    [[nodiscard]] static int latestVersion(Backend backend);

    /// Error codes: migrate.read_only, migrate.checksum (an applied migration was edited),
    /// migrate.newer (the database is newer than this program), migrate.legacy_data (the old
    /// shape holds rows the new constraints reject), db.query.
    [[nodiscard]] Expected<MigrationResult> migrate();

private:
    Status upgradeLegacy(const struct SchemaInfo& schema);
    Status upgradeLegacySqlite(const struct SchemaInfo& schema);
    Status upgradeLegacyPostgres(const struct SchemaInfo& schema);

    Connection& m_connection;
};

} // namespace voxtrack::store
