// SPDX-License-Identifier: MIT
#include "store/schema.h"

#include "store/connection.h"

#include <QCoreApplication>
#include <QRegularExpression>
#include <QSqlQuery>

namespace voxtrack::store {

namespace {

QString quotedIdentifier(const QString& name)
{
    return u'"' + QString(name).replace(u'"', QStringLiteral("\"\"")) + u'"';
}

Status inspectPostgresTable(Connection& connection, const QString& table, TableInfo& info)
{
    const auto exists = connection.scalar(QStringLiteral("SELECT to_regclass(?) IS NOT NULL"), {table});
    if (!exists)
        return exists.error();
    info.exists = exists->toBool();
    if (!info.exists)
        return {};

    Status status = forEachRow(connection,
        QStringLiteral("SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull "
                       "FROM pg_attribute a WHERE a.attrelid = to_regclass(?) "
                       "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"),
        {table}, [&](const QSqlQuery& q) {
            info.columns.append({q.value(0).toString(), q.value(1).toString().toLower(), q.value(2).toBool()});
        });
    if (!status.isNull())
        return status;

    status = forEachRow(connection,
        QStringLiteral("SELECT c.relname, i.indisunique, i.indisprimary, i.indpred IS NOT NULL, "
                       "  (SELECT string_agg(a.attname, ',' ORDER BY k.ord) "
                       "   FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
                       "   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) "
                       "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                       "WHERE i.indrelid = to_regclass(?) ORDER BY c.relname"),
        {table}, [&](const QSqlQuery& q) {
            IndexInfo index {q.value(0).toString(), q.value(4).toString().split(u',', Qt::SkipEmptyParts),
                q.value(1).toBool(), q.value(3).toBool()};
            if (q.value(2).toBool()) {
                for (ColumnInfo& column : info.columns) {
                    if (index.columns.contains(column.name))
                        column.primaryKey = true;
                }
            }
            info.indexes.append(index);
        });
    if (!status.isNull())
        return status;

    status = forEachRow(connection,
        QStringLiteral("SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
                       "WHERE conrelid = to_regclass(?) AND contype = 'c' ORDER BY conname"),
        {table}, [&](const QSqlQuery& q) {
            info.checks.append({q.value(0).toString(), q.value(1).toString(), q.value(2).toBool()});
        });
    if (!status.isNull())
        return status;

    return forEachRow(connection,
        QStringLiteral("SELECT c.conname, a.attname, c.confrelid::regclass::text, fa.attname "
                       "FROM pg_constraint c "
                       "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
                       "JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1] "
                       "WHERE c.conrelid = to_regclass(?) AND c.contype = 'f' ORDER BY c.conname"),
        {table}, [&](const QSqlQuery& q) {
            info.foreignKeys.append(
                {q.value(0).toString(), q.value(1).toString(), q.value(2).toString(), q.value(3).toString()});
        });
}

/// The CHECK constraints written in a CREATE TABLE statement, with their names when given.
QList<CheckInfo> sqliteChecks(const QString& createSql)
{
    QList<CheckInfo> checks;
    static const QRegularExpression check(
        QStringLiteral(R"re((?:\bCONSTRAINT\s+(?:"([^"]+)"|`([^`]+)`|\[([^\]]+)\]|(\w+))\s+)?\bCHECK\s*\()re"),
        QRegularExpression::CaseInsensitiveOption);
    auto it = check.globalMatch(createSql);
    while (it.hasNext()) {
        const auto match = it.next();
        QString name;
        for (int group = 1; group <= 4 && name.isEmpty(); ++group)
            name = match.captured(group);
        // Scan to the parenthesis that closes the CHECK's, honouring quotes.
        qsizetype depth = 1;
        qsizetype i = match.capturedEnd();
        const qsizetype begin = i;
        QChar quote;
        for (; i < createSql.size() && depth > 0; ++i) {
            const QChar c = createSql.at(i);
            if (!quote.isNull()) {
                if (c == quote)
                    quote = QChar();
            } else if (c == u'\'' || c == u'"') {
                quote = c;
            } else if (c == u'(') {
                ++depth;
            } else if (c == u')') {
                --depth;
            }
        }
        checks.append({name, QStringLiteral("CHECK (") + createSql.mid(begin, i - begin - 1).trimmed() + u')', true});
    }
    return checks;
}

QString sqliteForeignKeyName(const QString& createSql, const QString& column)
{
    const QRegularExpression named(
        QStringLiteral(R"(\bCONSTRAINT\s+["`\[]?(\w+)["`\]]?\s+FOREIGN\s+KEY\s*\(\s*["`\[]?%1["`\]]?\s*\))")
            .arg(QRegularExpression::escape(column)),
        QRegularExpression::CaseInsensitiveOption);
    return named.match(createSql).captured(1);
}

Status inspectSqliteTable(Connection& connection, const QString& table, TableInfo& info)
{
    const auto createSql
        = connection.scalar(QStringLiteral("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?"), {table});
    if (!createSql)
        return createSql.error();
    info.exists = createSql->isValid();
    if (!info.exists)
        return {};
    const QString sql = createSql->toString();
    const QString quoted = quotedIdentifier(table);

    QStringList primaryKey;
    Status status
        = forEachRow(connection, QStringLiteral("PRAGMA table_info(%1)").arg(quoted), {}, [&](const QSqlQuery& q) {
              const bool pk = q.value(5).toInt() > 0;
              info.columns.append({q.value(1).toString(), q.value(2).toString().toLower(), q.value(3).toBool(), pk});
              if (pk)
                  primaryKey << q.value(1).toString();
          });
    if (!status.isNull())
        return status;

    QList<IndexInfo> indexes;
    status = forEachRow(connection, QStringLiteral("PRAGMA index_list(%1)").arg(quoted), {}, [&](const QSqlQuery& q) {
        indexes.append({q.value(1).toString(), {}, q.value(2).toBool(), q.value(4).toBool()});
    });
    if (!status.isNull())
        return status;
    for (IndexInfo& index : indexes) {
        status = forEachRow(connection, QStringLiteral("PRAGMA index_info(%1)").arg(quotedIdentifier(index.name)), {},
            [&](const QSqlQuery& q) { index.columns << q.value(2).toString(); });
        if (!status.isNull())
            return status;
    }
    // An INTEGER PRIMARY KEY is the rowid and has no index of its own.
    const bool pkIndexed = std::any_of(
        indexes.cbegin(), indexes.cend(), [&](const IndexInfo& index) { return index.columns == primaryKey; });
    if (!primaryKey.isEmpty() && !pkIndexed)
        indexes.prepend({QStringLiteral("(primary key)"), primaryKey, true, false});
    info.indexes = indexes;
    info.checks = sqliteChecks(sql);

    return forEachRow(
        connection, QStringLiteral("PRAGMA foreign_key_list(%1)").arg(quoted), {}, [&](const QSqlQuery& q) {
            const QString column = q.value(3).toString();
            info.foreignKeys.append(
                {sqliteForeignKeyName(sql, column), column, q.value(2).toString(), q.value(4).toString()});
        });
}

} // namespace

const ColumnInfo* TableInfo::column(QStringView name) const
{
    for (const ColumnInfo& c : columns) {
        if (c.name.compare(name, Qt::CaseInsensitive) == 0)
            return &c;
    }
    return nullptr;
}

bool TableInfo::isUnique(const QStringList& wanted) const
{
    return std::any_of(indexes.cbegin(), indexes.cend(),
        [&](const IndexInfo& index) { return index.unique && !index.partial && index.columns == wanted; });
}

bool TableInfo::hasIndexStartingWith(const QStringList& wanted) const
{
    return std::any_of(indexes.cbegin(), indexes.cend(), [&](const IndexInfo& index) {
        return !index.partial && index.columns.size() >= wanted.size() && index.columns.mid(0, wanted.size()) == wanted;
    });
}

std::optional<CheckInfo> SchemaInfo::roleCheck() const
{
    static const QRegularExpression roleWord(QStringLiteral(R"(\brole\b)"), QRegularExpression::CaseInsensitiveOption);
    for (const CheckInfo& check : messages.checks) {
        if (roleWord.match(check.definition).hasMatch())
            return check;
    }
    return std::nullopt;
}

QStringList SchemaInfo::checkLiterals(const QString& definition)
{
    static const QRegularExpression literal(QStringLiteral(R"('((?:[^']|'')*)')"));
    QStringList values;
    auto it = literal.globalMatch(definition);
    while (it.hasNext()) {
        const QString value = it.next().captured(1).replace(QStringLiteral("''"), QStringLiteral("'"));
        if (!values.contains(value))
            values << value;
    }
    return values;
}

std::optional<ForeignKeyInfo> SchemaInfo::sessionForeignKey() const
{
    for (const ForeignKeyInfo& key : messages.foreignKeys) {
        if (key.column == u"session_id")
            return key;
    }
    return std::nullopt;
}

Expected<SchemaInfo> inspectSchema(Connection& connection)
{
    SchemaInfo info;
    const QString sessions = QString::fromLatin1(sessionsTable);
    const QString messages = QString::fromLatin1(messagesTable);
    const QString migrations = QString::fromLatin1(migrationsTable);
    auto inspect = connection.isPostgreSql() ? inspectPostgresTable : inspectSqliteTable;
    if (Status status = inspect(connection, sessions, info.sessions); !status.isNull())
        return status;
    if (Status status = inspect(connection, messages, info.messages); !status.isNull())
        return status;

    const auto hasMigrations = connection.isPostgreSql()
        ? connection.scalar(QStringLiteral("SELECT to_regclass(?) IS NOT NULL"), {migrations})
        : connection.scalar(
            QStringLiteral("SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?"), {migrations});
    if (!hasMigrations)
        return hasMigrations.error();
    info.hasMigrationsTable = hasMigrations->toBool();
    if (info.hasMigrationsTable) {
        const auto version = connection.scalar(QStringLiteral("SELECT max(version) FROM %1").arg(migrations));
        if (!version)
            return version.error();
        info.schemaVersion = version->toInt();
    }
    return info;
}

Expected<SchemaInfo> inspectConversationSchema(Connection& connection)
{
    auto schema = inspectSchema(connection);
    if (schema && (!schema->sessions.exists || !schema->messages.exists)) {
        return Error {QStringLiteral("inspect.not_conversation_db"),
            QCoreApplication::translate("voxtrack::store::Schema",
                "%1 does not have both conversation_sessions and conversation_messages: use a conversation "
                "database, or create the tables with voxtrack-cli migrate.")
                .arg(connection.url().toDisplayString())};
    }
    return schema;
}

} // namespace voxtrack::store
