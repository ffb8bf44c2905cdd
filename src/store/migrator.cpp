// SPDX-License-Identifier: MIT
#include "store/migrator.h"

#include "store/logging.h"
#include "store/schema.h"
#include "store/sqlscript.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QSqlQuery>

#include <map>

namespace voxtrack::store {

namespace {

QString tr(const char* text)
{
    return QCoreApplication::translate("voxtrack::store::Migrator", text);
}

QString backendDirectory(Backend backend)
{
    return backend == Backend::PostgreSql ? QStringLiteral(":/voxtrack/migrations/postgresql")
                                          : QStringLiteral(":/voxtrack/migrations/sqlite");
}

QString migrationsTableDdl(Backend backend)
{
    if (backend == Backend::PostgreSql)
        return QStringLiteral("CREATE TABLE IF NOT EXISTS voxtrack_schema_migrations ("
                              "version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, "
                              "applied_at timestamptz NOT NULL DEFAULT now())");
    return QStringLiteral("CREATE TABLE IF NOT EXISTS voxtrack_schema_migrations ("
                          "version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, "
                          "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))");
}

Status runScript(Connection& connection, const QString& script)
{
    for (const QString& statement : splitSqlScript(script)) {
        if (Status status = connection.exec(statement); !status.isNull())
            return status;
    }
    return {};
}

/// Counts rows a query selects; used to explain why legacy data cannot move.
Expected<qint64> count(Connection& connection, const QString& sql)
{
    const auto value = connection.scalar(sql);
    if (!value)
        return value.error();
    return value->toLongLong();
}

} // namespace

Migrator::Migrator(Connection& connection)
    : m_connection(connection)
{
}

QList<Migration> Migrator::available(Backend backend)
{
    static const QRegularExpression fileName(QStringLiteral(R"(^(\d{4})_(\w+)\.sql$)"));
    QList<Migration> migrations;
    const QDir directory(backendDirectory(backend));
    for (const QString& entry : directory.entryList({QStringLiteral("*.sql")}, QDir::Files, QDir::Name)) {
        const auto match = fileName.match(entry);
        if (!match.hasMatch())
            continue;
        QFile file(directory.filePath(entry));
        if (!file.open(QIODevice::ReadOnly))
            continue;
        const QByteArray bytes = file.readAll();
        migrations.append({match.captured(1).toInt(), match.captured(2), QString::fromUtf8(bytes),
            QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex())});
    }
    return migrations;
}

int Migrator::latestVersion(Backend backend)
{
    const QList<Migration> all = available(backend);
    return all.isEmpty() ? 0 : all.constLast().version;
}

Expected<MigrationResult> Migrator::migrate()
{
    if (m_connection.access() == Connection::Access::ReadOnly || m_connection.url().isReadOnly()) {
        return Error {QStringLiteral("migrate.read_only"),
            tr("The database %1 is open read-only: migrations need write access; drop ?mode=ro from the URL.")
                .arg(m_connection.url().toDisplayString())};
    }
    const QList<Migration> migrations = available(m_connection.backend());
    Q_ASSERT(!migrations.isEmpty());

    if (Status status = m_connection.beginTransaction(); !status.isNull())
        return status;
    auto fail = [this](Error error) -> Expected<MigrationResult> {
        m_connection.rollback();
        qCWarning(lcMigrations).noquote() << error.message;
        return error;
    };

    if (m_connection.isPostgreSql()) {
        // One migrating process at a time; the lock is released at commit or rollback.
        if (Status status = m_connection.exec(QStringLiteral("SELECT pg_advisory_xact_lock(80872)")); !status.isNull())
            return fail(status);
    }

    const auto schema = inspectSchema(m_connection);
    if (!schema)
        return fail(schema.error());

    MigrationResult result;
    result.versionBefore = schema->schemaVersion;

    if (Status status = m_connection.exec(migrationsTableDdl(m_connection.backend())); !status.isNull())
        return fail(status);

    if (schema->isLegacyShape()) {
        if (Status status = upgradeLegacy(*schema); !status.isNull())
            return fail(status);
        result.legacyUpgraded = true;
    }

    std::map<int, QString> appliedChecksums;
    {
        QSqlQuery query(m_connection.database());
        query.setForwardOnly(true);
        const QString sql = QStringLiteral("SELECT version, checksum FROM voxtrack_schema_migrations");
        if (Status status = execQuery(query, sql); !status.isNull())
            return fail(status);
        while (query.next())
            appliedChecksums[query.value(0).toInt()] = query.value(1).toString();
    }

    const int latest = migrations.constLast().version;
    if (!appliedChecksums.empty() && appliedChecksums.rbegin()->first > latest) {
        return fail({QStringLiteral("migrate.newer"),
            tr("The database is at schema version %1, newer than this program's %2: use a newer Voxtrack.")
                .arg(appliedChecksums.rbegin()->first)
                .arg(latest)});
    }

    for (const Migration& migration : migrations) {
        const auto applied = appliedChecksums.find(migration.version);
        if (applied != appliedChecksums.end()) {
            if (applied->second != migration.checksum) {
                return fail({QStringLiteral("migrate.checksum"),
                    tr("Migration %1 (%2) differs from the one applied to this database: migrations are "
                       "never edited once released; restore the file or add a new migration.")
                        .arg(migration.version)
                        .arg(migration.name)});
            }
            continue;
        }
        qCInfo(lcMigrations).noquote() << "applying migration" << migration.version << migration.name;
        if (Status status = runScript(m_connection, migration.sql); !status.isNull()) {
            status.message = tr("Migration %1 (%2) failed, nothing was changed: %3")
                                 .arg(migration.version)
                                 .arg(migration.name, status.message);
            return fail(status);
        }
        if (Status status = m_connection.exec(
                QStringLiteral("INSERT INTO voxtrack_schema_migrations (version, name, checksum) VALUES (?, ?, ?)"),
                {migration.version, migration.name, migration.checksum});
            !status.isNull())
            return fail(status);
        result.applied.append(migration);
    }

    if (Status status = m_connection.commit(); !status.isNull())
        return status;
    result.versionAfter = latest;
    return result;
}

Status Migrator::upgradeLegacy(const SchemaInfo& schema)
{
    qCInfo(lcMigrations) << "upgrading the legacy shape: session_id from id";
    return m_connection.isPostgreSql() ? upgradeLegacyPostgres(schema) : upgradeLegacySqlite(schema);
}

Status Migrator::upgradeLegacyPostgres(const SchemaInfo& schema)
{
    // In place, so grants, policies and other columns of a real deployment stay.
    QStringList script {
        QStringLiteral("ALTER TABLE conversation_sessions ADD COLUMN session_id text"),
        QStringLiteral("UPDATE conversation_sessions SET session_id = id::text"),
        QStringLiteral("ALTER TABLE conversation_sessions ALTER COLUMN session_id SET NOT NULL"),
        QStringLiteral("ALTER TABLE conversation_sessions ADD CONSTRAINT conversation_sessions_session_id_key "
                       "UNIQUE (session_id)"),
    };
    const std::pair<const char*, const char*> pairs[] = {{"session_start", "started_at"}, {"session_end", "ended_at"}};
    for (const auto& [column, twin] : pairs) {
        const QString name = QString::fromLatin1(column);
        const QString other = QString::fromLatin1(twin);
        if (!schema.sessions.hasColumn(name)) {
            script << QStringLiteral("ALTER TABLE conversation_sessions ADD COLUMN %1 timestamptz").arg(name);
            if (schema.sessions.hasColumn(other))
                script << QStringLiteral("UPDATE conversation_sessions SET %1 = %2").arg(name, other);
            if (name == u"session_start") {
                script << QStringLiteral("UPDATE conversation_sessions SET session_start = now() "
                                         "WHERE session_start IS NULL")
                       << QStringLiteral("ALTER TABLE conversation_sessions ALTER COLUMN session_start "
                                         "SET DEFAULT now()")
                       << QStringLiteral("ALTER TABLE conversation_sessions ALTER COLUMN session_start SET NOT NULL");
            }
        }
    }
    if (schema.messages.exists && schema.messages.hasColumn(u"session_id")) {
        for (const ForeignKeyInfo& key : schema.messages.foreignKeys) {
            if (key.column == u"session_id")
                script << QStringLiteral("ALTER TABLE conversation_messages DROP CONSTRAINT \"%1\"").arg(key.name);
        }
        script << QStringLiteral("ALTER TABLE conversation_messages ALTER COLUMN session_id TYPE text "
                                 "USING session_id::text")
               << QStringLiteral("ALTER TABLE conversation_messages ALTER COLUMN session_id SET NOT NULL")
               << QStringLiteral("ALTER TABLE conversation_messages ADD CONSTRAINT "
                                 "conversation_messages_session_id_fkey FOREIGN KEY (session_id) "
                                 "REFERENCES conversation_sessions (session_id) ON DELETE CASCADE");
        // The first shape often had no role check: that is how 'assistant' rows got in. The
        // upgrade adds it (validated, so such rows stop the upgrade with a clear error).
        if (schema.messages.hasColumn(u"role") && !schema.roleCheck())
            script << QStringLiteral("ALTER TABLE conversation_messages ADD CONSTRAINT "
                                     "conversation_messages_role_check CHECK (role IN ('user', 'agent', 'system'))");
    }
    for (const QString& statement : std::as_const(script)) {
        if (Status status = m_connection.exec(statement); !status.isNull()) {
            return {QStringLiteral("migrate.legacy_data"),
                tr("The upgrade of the old table shape (sessions keyed by id) failed, nothing was changed: %1 "
                   "Run voxtrack-cli doctor on the database to see the rows at fault.")
                    .arg(status.message)};
        }
    }
    return {};
}

Status Migrator::upgradeLegacySqlite(const SchemaInfo& schema)
{
    // SQLite cannot add NOT NULL or re-point a foreign key in place: the tables are rebuilt
    // from migration 0001 and the rows copied, after checking they fit the constraints.
    const bool hasMessages = schema.messages.exists;
    struct Problem {
        const char* what;
        QString sql;
    };
    QList<Problem> problems {
        {QT_TRANSLATE_NOOP("voxtrack::store::Migrator", "%n session(s) without user_id"),
            QStringLiteral("SELECT count(*) FROM conversation_sessions WHERE user_id IS NULL")},
        {QT_TRANSLATE_NOOP("voxtrack::store::Migrator", "%n session(s) with a NULL id"),
            QStringLiteral("SELECT count(*) FROM conversation_sessions WHERE id IS NULL")},
    };
    if (hasMessages) {
        const QString roles = QStringLiteral("'user', 'agent', 'system'");
        problems.append({QT_TRANSLATE_NOOP("voxtrack::store::Migrator", "%n message(s) belonging to no session"),
            QStringLiteral("SELECT count(*) FROM conversation_messages m WHERE m.session_id IS NULL "
                           "OR NOT EXISTS (SELECT 1 FROM conversation_sessions s "
                           "WHERE CAST(s.id AS TEXT) = CAST(m.session_id AS TEXT))")});
        problems.append({QT_TRANSLATE_NOOP(
                             "voxtrack::store::Migrator", "%n message(s) with a role other than user, agent or system"),
            QStringLiteral("SELECT count(*) FROM conversation_messages WHERE role IS NULL "
                           "OR role NOT IN (%1)")
                .arg(roles)});
        problems.append({QT_TRANSLATE_NOOP("voxtrack::store::Migrator", "%n message(s) without content"),
            QStringLiteral("SELECT count(*) FROM conversation_messages WHERE content IS NULL")});
    }
    QStringList found;
    for (const Problem& problem : std::as_const(problems)) {
        const auto n = count(m_connection, problem.sql);
        if (!n)
            return n.error();
        if (*n > 0)
            found << QCoreApplication::translate("voxtrack::store::Migrator", problem.what, nullptr, int(*n));
    }
    if (!found.isEmpty()) {
        return {QStringLiteral("migrate.legacy_data"),
            tr("The old table shape (sessions keyed by id) cannot be upgraded, nothing was changed: it holds %1. "
               "Run voxtrack-cli doctor on it to see them, fix or delete them, then migrate again.")
                .arg(found.join(QStringLiteral("; ")))};
    }

    auto has = [](const TableInfo& table, const char* column) { return table.hasColumn(QString::fromLatin1(column)); };
    const TableInfo& s = schema.sessions;
    auto either = [&](const char* first, const char* second) {
        QStringList present;
        for (const char* column : {first, second}) {
            if (has(s, column))
                present << QString::fromLatin1(column);
        }
        present << QStringLiteral("strftime('%Y-%m-%dT%H:%M:%fZ', 'now')");
        return QStringLiteral("COALESCE(%1)").arg(present.join(QStringLiteral(", ")));
    };
    auto optional = [&](const TableInfo& table, const char* column, const char* fallback) {
        return has(table, column) ? QString::fromLatin1(column) : QString::fromLatin1(fallback);
    };

    QStringList script {
        QStringLiteral("ALTER TABLE conversation_sessions RENAME TO voxtrack_legacy_sessions"),
    };
    if (hasMessages)
        script << QStringLiteral("ALTER TABLE conversation_messages RENAME TO voxtrack_legacy_messages");
    for (const Migration& migration : available(Backend::Sqlite)) {
        if (migration.version == 1)
            script << splitSqlScript(migration.sql);
    }
    const QString endedAt = has(s, "ended_at") ? QStringLiteral("ended_at")
        : has(s, "session_end")                ? QStringLiteral("session_end")
                                               : QStringLiteral("NULL");
    script << QStringLiteral(
        "INSERT INTO conversation_sessions (session_id, user_id, session_start, started_at, session_end, "
        "ended_at, duration_seconds, is_active, metadata) "
        "SELECT CAST(id AS TEXT), user_id, %1, %2, %3, %4, %5, %6, %7 FROM voxtrack_legacy_sessions "
        "ORDER BY rowid")
                  .arg(either("session_start", "started_at"), either("started_at", "session_start"),
                      has(s, "session_end") ? QStringLiteral("session_end") : endedAt, endedAt,
                      optional(s, "duration_seconds", "NULL"),
                      has(s, "is_active") ? QStringLiteral("COALESCE(is_active, %1 IS NULL)").arg(endedAt)
                                          : QStringLiteral("%1 IS NULL").arg(endedAt),
                      has(s, "metadata") ? QStringLiteral("COALESCE(metadata, '{}')") : QStringLiteral("'{}'"));
    if (hasMessages) {
        const TableInfo& m = schema.messages;
        script << QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, audio_url, "
                                 "metadata, created_at) SELECT CAST(session_id AS TEXT), %1, role, content, %2, %3, %4 "
                                 "FROM voxtrack_legacy_messages ORDER BY rowid")
                      .arg(optional(m, "user_id", "NULL"), optional(m, "audio_url", "NULL"),
                          optional(m, "metadata", "NULL"),
                          has(m, "created_at") ? QStringLiteral("COALESCE(created_at, strftime('%Y-%m-%dT%H:%M:%fZ', "
                                                                "'now'))")
                                               : QStringLiteral("strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"));
        script << QStringLiteral("DROP TABLE voxtrack_legacy_messages");
    }
    script << QStringLiteral("DROP TABLE voxtrack_legacy_sessions");

    for (const QString& statement : std::as_const(script)) {
        if (Status status = m_connection.exec(statement); !status.isNull()) {
            return {QStringLiteral("migrate.legacy_data"),
                tr("The upgrade of the old table shape (sessions keyed by id) failed, nothing was changed: %1")
                    .arg(status.message)};
        }
    }
    return {};
}

} // namespace voxtrack::store
