// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace voxtrack::store {

class Connection;

inline constexpr auto sessionsTable = "conversation_sessions";
inline constexpr auto messagesTable = "conversation_messages";
inline constexpr auto migrationsTable = "voxtrack_schema_migrations";

struct ColumnInfo {
    QString name;
    QString type; ///< as the database declares it, lower case
    bool notNull = false;
    bool primaryKey = false;
};

struct IndexInfo {
    QString name;
    QStringList columns;
    bool unique = false;
    bool partial = false;
};

struct CheckInfo {
    QString name; ///< may be empty on SQLite when the constraint is unnamed
    QString definition;
    bool validated = true; ///< PostgreSQL NOT VALID constraints are not validated
};

struct ForeignKeyInfo {
    QString name; ///< may be empty on SQLite when the constraint is unnamed
    QString column;
    QString referencedTable;
    QString referencedColumn;
};

struct TableInfo {
    bool exists = false;
    QList<ColumnInfo> columns;
    QList<IndexInfo> indexes;
    QList<CheckInfo> checks;
    QList<ForeignKeyInfo> foreignKeys;

    [[nodiscard]] const ColumnInfo* column(QStringView name) const;
    [[nodiscard]] bool hasColumn(QStringView name) const { return column(name) != nullptr; }
    /// True when a unique index (or primary key) covers exactly these columns.
    [[nodiscard]] bool isUnique(const QStringList& columns) const;
    /// True when some index starts with these columns, in this order.
    [[nodiscard]] bool hasIndexStartingWith(const QStringList& columns) const;
};

/// What the conversation tables look like in a database, read from its catalogue only.
struct SchemaInfo {
    TableInfo sessions;
    TableInfo messages;
    bool hasMigrationsTable = false;
    int schemaVersion = 0; ///< highest applied Voxtrack migration, 0 when none

    /// The seed's first shape: sessions keyed by id, with no session_id column.
    [[nodiscard]] bool isLegacyShape() const { return sessions.exists && !sessions.hasColumn(u"session_id"); }
    [[nodiscard]] bool isConversationDatabase() const { return sessions.exists || messages.exists; }

    /// The check constraint on conversation_messages.role, if any.
    [[nodiscard]] std::optional<CheckInfo> roleCheck() const;
    /// The string literals a check constraint's definition allows ('user', 'agent', …).
    [[nodiscard]] static QStringList checkLiterals(const QString& definition);
    /// The foreign key from conversation_messages.session_id, if any.
    [[nodiscard]] std::optional<ForeignKeyInfo> sessionForeignKey() const;
};

/// Reads the catalogue (information_schema/pg_catalog on PostgreSQL, PRAGMAs and
/// sqlite_master on SQLite). Read-only.
[[nodiscard]] Expected<SchemaInfo> inspectSchema(Connection& connection);

/// inspectSchema() of a database that has both conversation tables; otherwise the Error
/// inspect.not_conversation_db, naming the database and what to do.
[[nodiscard]] Expected<SchemaInfo> inspectConversationSchema(Connection& connection);

} // namespace voxtrack::store
