// SPDX-License-Identifier: MIT
#include "store/doctor.h"

#include "core/role.h"
#include "store/connection.h"
#include "store/logging.h"
#include "store/schema.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QSqlQuery>

#include <functional>
#include <span>
#include <tuple>

namespace voxtrack::store {

namespace {

const char* const context = "voxtrack::store::Doctor";

struct CheckDefinition {
    const char* id;
    Severity severity;
    const char* title;
    const char* hint;
};

// The report order. Titles and hints are translated when a report is made.
const CheckDefinition definitions[] = {
    {"schema.legacy_shape", Severity::Error,
        QT_TRANSLATE_NOOP(
            "voxtrack::store::Doctor", "conversation_sessions has no session_id column (the old shape keyed by id)"),
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor",
            "Run voxtrack-cli migrate: it adds session_id, fills it from id and makes it NOT NULL and UNIQUE.")},
    {"schema.missing_columns", Severity::Error,
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "tables or columns of the conversation schema are missing"),
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "Run voxtrack-cli migrate, or add the listed columns.")},
    {"schema.role_check_missing", Severity::Error,
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "conversation_messages.role has no check constraint"),
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor",
            "Add CONSTRAINT conversation_messages_role_check CHECK (role IN ('user', 'agent', 'system')).")},
    {"schema.role_check_mismatch", Severity::Error,
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "the role check does not allow exactly user, agent and system"),
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor",
            "Replace the constraint with CHECK (role IN ('user', 'agent', 'system')); agent replies are "
            "'agent', never 'assistant'.")},
    {"schema.role_check_not_validated", Severity::Warning,
        QT_TRANSLATE_NOOP(
            "voxtrack::store::Doctor", "the role check was added NOT VALID: existing rows were never checked"),
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor",
            "Fix the rows data.role_invalid lists, then ALTER TABLE conversation_messages VALIDATE "
            "CONSTRAINT <name>.")},
    {"schema.session_fk_missing", Severity::Error,
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor",
            "conversation_messages.session_id has no foreign key to conversation_sessions(session_id)"),
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor",
            "Add CONSTRAINT conversation_messages_session_id_fkey FOREIGN KEY (session_id) REFERENCES "
            "conversation_sessions (session_id), after removing orphan messages.")},
    {"schema.session_id_nullable", Severity::Error,
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "a session_id column accepts NULL"),
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor",
            "Fill the NULLs (from id for sessions), then ALTER COLUMN session_id SET NOT NULL.")},
    {"schema.session_id_not_unique", Severity::Error,
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "conversation_sessions.session_id is not unique"),
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor",
            "Add CONSTRAINT conversation_sessions_session_id_key UNIQUE (session_id); the foreign key "
            "from messages needs it.")},
    {"schema.not_null_missing", Severity::Warning,
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "required columns accept NULL"),
        QT_TRANSLATE_NOOP(
            "voxtrack::store::Doctor", "Make the listed columns NOT NULL once data.null_required is clean.")},
    {"schema.message_id_not_unique", Severity::Warning,
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "conversation_messages.message_id is not unique"),
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor",
            "Create a unique index on message_id: it is the key that keeps retried writes from doubling "
            "messages.")},
    {"schema.message_index_missing", Severity::Warning,
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor",
            "no index on conversation_messages (session_id, created_at) or (session_id, seq)"),
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor",
            "CREATE INDEX ON conversation_messages (session_id, created_at): reading a conversation "
            "scans the table without it.")},
    {"schema.tracking_columns_missing", Severity::Info,
        QT_TRANSLATE_NOOP(
            "voxtrack::store::Doctor", "the tracking columns (message_count, end_reason, message_id, seq) are missing"),
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor",
            "Run voxtrack-cli migrate to add them; until then the checks that need them are not run.")},
    {"data.role_invalid", Severity::Error,
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "messages with a role other than user, agent or system"),
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor",
            "UPDATE conversation_messages SET role = 'agent' WHERE role = 'assistant'; find the writer "
            "that sends the wrong role.")},
    {"data.orphan_messages", Severity::Error,
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "messages whose session does not exist"),
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor",
            "The session insert failed or came after its messages: write the session first (one ordered "
            "queue), then delete or re-parent these messages.")},
    {"data.null_session_id", Severity::Error,
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "rows with a NULL or empty session_id"),
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor",
            "Fill session_id (sessions: from id, as voxtrack-cli migrate does) or delete the rows.")},
    {"data.null_required", Severity::Error,
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "rows with NULL in a required column"),
        QT_TRANSLATE_NOOP(
            "voxtrack::store::Doctor", "Fill the missing user_id, role, content or created_at, or delete the rows.")},
    {"data.duplicate_session_id", Severity::Error,
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "session_id values used by more than one session"),
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "Merge or delete the duplicates, then make session_id UNIQUE.")},
    {"data.duplicate_message_id", Severity::Error,
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "message_id values stored more than once"),
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor",
            "A retried write was stored twice: delete the extra copies and make message_id UNIQUE.")},
    {"data.ended_but_active", Severity::Error,
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "sessions with an end time that are still marked active"),
        QT_TRANSLATE_NOOP(
            "voxtrack::store::Doctor", "The session end must set is_active = false in the same update as ended_at.")},
    {"data.inactive_without_end", Severity::Warning,
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "inactive sessions without an end time"),
        QT_TRANSLATE_NOOP(
            "voxtrack::store::Doctor", "The session end must set ended_at and session_end with is_active = false.")},
    {"data.stale_active", Severity::Warning,
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "sessions still active long after they started (never ended)"),
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor",
            "End sessions when the socket goes (close, error or ping timeout); a server start closes "
            "leftovers with end_reason 'recovered'.")},
    {"data.duration_mismatch", Severity::Error,
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor",
            "ended sessions whose duration_seconds is missing or disagrees with ended_at - started_at"),
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor",
            "Compute duration_seconds from the stored started_at and ended_at, in the same update.")},
    {"data.start_columns_diverge", Severity::Warning,
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "session_start and started_at disagree"),
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "Write both columns from one timestamp.")},
    {"data.end_columns_diverge", Severity::Warning,
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "session_end and ended_at disagree"),
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "Write both columns from one timestamp.")},
    {"data.message_outside_session", Severity::Warning,
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "messages created outside their session's start and end"),
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor",
            "Stamp messages with the server's clock when they arrive, and end the session after its "
            "last message.")},
    {"data.message_count_mismatch", Severity::Warning,
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor", "sessions whose message_count differs from their stored messages"),
        QT_TRANSLATE_NOOP("voxtrack::store::Doctor",
            "Messages were lost or written after the session ended: compare the server's journal, then "
            "recount.")},
};

QString translated(const char* text)
{
    return QCoreApplication::translate(context, text);
}

/// Backend-specific SQL fragments.
struct Dialect {
    bool postgres;

    [[nodiscard]] QString seconds(const QString& later, const QString& earlier) const
    {
        return postgres ? QStringLiteral("EXTRACT(EPOCH FROM (%1 - %2))").arg(later, earlier)
                        : QStringLiteral("((julianday(%1) - julianday(%2)) * 86400.0)").arg(later, earlier);
    }
    [[nodiscard]] QString isTrue(const QString& column) const
    {
        return postgres ? QStringLiteral("%1 IS TRUE").arg(column) : QStringLiteral("%1 <> 0").arg(column);
    }
    [[nodiscard]] QString isFalse(const QString& column) const
    {
        return postgres ? QStringLiteral("%1 IS FALSE").arg(column) : QStringLiteral("%1 = 0").arg(column);
    }
    [[nodiscard]] QString secondsSince(const QString& column) const
    {
        return postgres ? QStringLiteral("EXTRACT(EPOCH FROM (now() - %1))").arg(column)
                        : QStringLiteral("((julianday('now') - julianday(%1)) * 86400.0)").arg(column);
    }
    [[nodiscard]] QString text(const QString& expression) const
    {
        return postgres ? QStringLiteral("(%1)::text").arg(expression)
                        : QStringLiteral("CAST(%1 AS TEXT)").arg(expression);
    }
};

} // namespace

QString severityName(Severity severity)
{
    switch (severity) {
    case Severity::Error:
        return QStringLiteral("error");
    case Severity::Warning:
        return QStringLiteral("warning");
    case Severity::Info:
        return QStringLiteral("info");
    }
    Q_UNREACHABLE();
    return {};
}

QString CheckResult::statusName() const
{
    switch (status) {
    case Status::Passed:
        return QStringLiteral("passed");
    case Status::Failed:
        return QStringLiteral("failed");
    case Status::NotChecked:
        return QStringLiteral("not_checked");
    }
    Q_UNREACHABLE();
    return {};
}

int DoctorReport::count(Severity severity) const
{
    return int(std::count_if(
        checks.cbegin(), checks.cend(), [&](const CheckResult& c) { return c.failed() && c.severity == severity; }));
}

int DoctorReport::notChecked() const
{
    return int(std::count_if(checks.cbegin(), checks.cend(),
        [](const CheckResult& c) { return c.status == CheckResult::Status::NotChecked; }));
}

const CheckResult* DoctorReport::check(QStringView id) const
{
    for (const CheckResult& c : checks) {
        if (c.id == id)
            return &c;
    }
    return nullptr;
}

QStringList DoctorReport::failedIds() const
{
    QStringList ids;
    for (const CheckResult& c : checks) {
        if (c.failed())
            ids << c.id;
    }
    return ids;
}

QJsonObject DoctorReport::toJson() const
{
    QJsonArray array;
    for (const CheckResult& c : checks) {
        QJsonObject object {{QStringLiteral("id"), c.id}, {QStringLiteral("severity"), severityName(c.severity)},
            {QStringLiteral("status"), c.statusName()}, {QStringLiteral("title"), c.title},
            {QStringLiteral("count"), c.count}, {QStringLiteral("samples"), QJsonArray::fromStringList(c.samples)},
            {QStringLiteral("hint"), c.hint}};
        if (!c.reason.isEmpty())
            object.insert(QStringLiteral("reason"), c.reason);
        array.append(object);
    }
    return {{QStringLiteral("database"), database}, {QStringLiteral("backend"), backend},
        {QStringLiteral("schema_version"), schemaVersion},
        {QStringLiteral("summary"),
            QJsonObject {{QStringLiteral("errors"), count(Severity::Error)},
                {QStringLiteral("warnings"), count(Severity::Warning)},
                {QStringLiteral("infos"), count(Severity::Info)}, {QStringLiteral("not_checked"), notChecked()},
                {QStringLiteral("checks"), int(checks.size())}}},
        {QStringLiteral("checks"), array}};
}

QString DoctorReport::toText() const
{
    QString out;
    out += QCoreApplication::translate(context, "Doctor report for %1 (%2, schema version %3)\n")
               .arg(database, backend)
               .arg(schemaVersion);
    qsizetype idWidth = 2;
    for (const CheckResult& c : checks)
        idWidth = std::max(idWidth, c.id.size());
    const QString header = QStringLiteral("%1  %2  %3  %4\n")
                               .arg(QCoreApplication::translate(context, "SEVERITY"), -8)
                               .arg(QCoreApplication::translate(context, "CHECK"), -int(idWidth))
                               .arg(QCoreApplication::translate(context, "COUNT"), 7)
                               .arg(QCoreApplication::translate(context, "FINDING"));
    bool any = false;
    for (const CheckResult& c : checks) {
        if (c.status == CheckResult::Status::Passed)
            continue;
        if (!any)
            out += u'\n' + header;
        any = true;
        const bool skipped = c.status == CheckResult::Status::NotChecked;
        out += QStringLiteral("%1  %2  %3  %4\n")
                   .arg(skipped ? QCoreApplication::translate(context, "skipped") : severityName(c.severity), -8)
                   .arg(c.id, -int(idWidth))
                   .arg(skipped ? QStringLiteral("-") : QString::number(c.count), 7)
                   .arg(c.title);
        const QString indent(8 + 2 + idWidth + 2 + 7 + 2, u' ');
        if (skipped) {
            out += indent + QCoreApplication::translate(context, "not checked: %1").arg(c.reason) + u'\n';
            continue;
        }
        if (!c.samples.isEmpty())
            out += indent + QCoreApplication::translate(context, "e.g. %1").arg(c.samples.join(QStringLiteral(", ")))
                + u'\n';
        out += indent + QCoreApplication::translate(context, "hint: %1").arg(c.hint) + u'\n';
    }
    if (!any)
        out += QCoreApplication::translate(context, "\nAll %n check(s) passed.\n", nullptr, int(checks.size()));
    out += QCoreApplication::translate(context, "\n%1 error(s), %2 warning(s), %3 note(s), %4 not checked.\n")
               .arg(count(Severity::Error))
               .arg(count(Severity::Warning))
               .arg(count(Severity::Info))
               .arg(notChecked());
    return out;
}

Doctor::Doctor(Connection& connection, DoctorOptions options)
    : m_connection(connection)
    , m_options(options)
{
}

QList<CheckResult> Doctor::catalogue()
{
    QList<CheckResult> checks;
    for (const CheckDefinition& d : definitions) {
        CheckResult c;
        c.id = QString::fromLatin1(d.id);
        c.severity = d.severity;
        c.title = translated(d.title);
        c.hint = translated(d.hint);
        checks.append(c);
    }
    return checks;
}

Expected<DoctorReport> Doctor::run()
{
    const auto inspected = inspectSchema(m_connection);
    if (!inspected)
        return inspected.error();
    const SchemaInfo& schema = *inspected;
    if (!schema.isConversationDatabase()) {
        return Error {QStringLiteral("doctor.not_conversation_db"),
            QCoreApplication::translate(context,
                "%1 has neither conversation_sessions nor conversation_messages: "
                "point --db at a conversation database, or create the tables with "
                "voxtrack-cli migrate.")
                .arg(m_connection.url().toDisplayString())};
    }

    DoctorReport report;
    report.database = m_connection.url().toDisplayString();
    report.backend = m_connection.isPostgreSql() ? QStringLiteral("postgresql") : QStringLiteral("sqlite");
    report.schemaVersion = schema.schemaVersion;
    report.checks = catalogue();

    const Dialect sql {m_connection.isPostgreSql()};
    const TableInfo& sessions = schema.sessions;
    const TableInfo& messages = schema.messages;
    auto result = [&](const char* id) -> CheckResult& {
        for (CheckResult& c : report.checks) {
            if (c.id == QLatin1String(id))
                return c;
        }
        Q_UNREACHABLE();
        return report.checks.first();
    };
    auto fail = [&](const char* id, const QStringList& objects) {
        CheckResult& c = result(id);
        if (objects.isEmpty())
            return;
        c.status = CheckResult::Status::Failed;
        c.count = objects.size();
        c.samples = objects.mid(0, m_options.sampleLimit);
    };
    auto skip = [&](const char* id, const QString& reason) {
        CheckResult& c = result(id);
        c.status = CheckResult::Status::NotChecked;
        c.reason = reason;
    };
    auto needColumns = [&](const char* id, std::initializer_list<std::pair<const TableInfo*, const char*>> columns) {
        QStringList missing;
        for (const auto& [table, column] : columns) {
            if (!table->exists || !table->hasColumn(QString::fromLatin1(column)))
                missing << QStringLiteral("%1.%2").arg(
                    QLatin1String(table == &sessions ? sessionsTable : messagesTable), QLatin1String(column));
        }
        if (missing.isEmpty())
            return true;
        skip(id, QCoreApplication::translate(context, "needs %1").arg(missing.join(QStringLiteral(", "))));
        return false;
    };

    // ---- schema ----
    if (schema.isLegacyShape())
        fail("schema.legacy_shape", {QStringLiteral("conversation_sessions.session_id")});

    const char* const sessionColumns[] = {"session_id", "user_id", "session_start", "started_at", "session_end",
        "ended_at", "duration_seconds", "is_active", "metadata"};
    const char* const messageColumns[]
        = {"session_id", "user_id", "role", "content", "audio_url", "metadata", "created_at"};
    {
        QStringList missing;
        for (const auto& [table, name, columns] :
            {std::tuple {&sessions, sessionsTable, std::span<const char* const>(sessionColumns)},
                std::tuple {&messages, messagesTable, std::span<const char* const>(messageColumns)}}) {
            if (!table->exists) {
                missing << QString::fromLatin1(name);
                continue;
            }
            for (const char* column : columns) {
                // The legacy shape's missing session_id has a finding of its own.
                if (table == &sessions && schema.isLegacyShape() && qstrcmp(column, "session_id") == 0)
                    continue;
                if (!table->hasColumn(QString::fromLatin1(column)))
                    missing << QStringLiteral("%1.%2").arg(QLatin1String(name), QLatin1String(column));
            }
        }
        fail("schema.missing_columns", missing);
    }

    if (messages.exists && messages.hasColumn(u"role")) {
        const auto check = schema.roleCheck();
        if (!check) {
            fail("schema.role_check_missing", {QStringLiteral("conversation_messages.role")});
            skip("schema.role_check_mismatch", QCoreApplication::translate(context, "there is no role check"));
            skip("schema.role_check_not_validated", QCoreApplication::translate(context, "there is no role check"));
        } else {
            const QStringList allowed = SchemaInfo::checkLiterals(check->definition);
            QStringList wrong;
            for (const QString& value : allowed) {
                if (!roleNames().contains(value))
                    wrong << QCoreApplication::translate(context, "'%1' allowed").arg(value);
            }
            for (const QString& value : roleNames()) {
                if (!allowed.contains(value))
                    wrong << QCoreApplication::translate(context, "'%1' not allowed").arg(value);
            }
            fail("schema.role_check_mismatch", wrong);
            if (!check->validated)
                fail("schema.role_check_not_validated", {check->name});
        }
    } else {
        const QString reason = QCoreApplication::translate(context, "needs conversation_messages.role");
        skip("schema.role_check_missing", reason);
        skip("schema.role_check_mismatch", reason);
        skip("schema.role_check_not_validated", reason);
    }

    if (messages.exists && messages.hasColumn(u"session_id")) {
        const auto key = schema.sessionForeignKey();
        if (!key) {
            fail("schema.session_fk_missing", {QStringLiteral("conversation_messages.session_id")});
        } else if (key->referencedTable != QLatin1String(sessionsTable) || key->referencedColumn != u"session_id") {
            fail("schema.session_fk_missing",
                {QCoreApplication::translate(context, "references %1(%2)")
                        .arg(key->referencedTable, key->referencedColumn)});
        }
    } else {
        skip("schema.session_fk_missing",
            QCoreApplication::translate(context, "needs conversation_messages.session_id"));
    }

    {
        QStringList nullable;
        for (const auto& [table, name] : {std::pair {&sessions, sessionsTable}, std::pair {&messages, messagesTable}}) {
            if (const ColumnInfo* column = table->column(u"session_id"); column && !column->notNull)
                nullable << QStringLiteral("%1.session_id").arg(QLatin1String(name));
        }
        fail("schema.session_id_nullable", nullable);
    }

    if (sessions.hasColumn(u"session_id")) {
        if (!sessions.isUnique({QStringLiteral("session_id")}))
            fail("schema.session_id_not_unique", {QStringLiteral("conversation_sessions.session_id")});
    } else {
        skip("schema.session_id_not_unique",
            QCoreApplication::translate(context, "needs conversation_sessions.session_id"));
    }

    {
        QStringList nullable;
        const std::pair<const TableInfo*, const char*> required[] = {
            {&sessions, "user_id"},
            {&sessions, "started_at"},
            {&sessions, "is_active"},
            {&sessions, "metadata"},
            {&messages, "role"},
            {&messages, "content"},
            {&messages, "created_at"},
        };
        for (const auto& [table, columnName] : required) {
            const ColumnInfo* column = table->column(QString::fromLatin1(columnName));
            if (column && !column->notNull && !column->primaryKey)
                nullable << QStringLiteral("%1.%2").arg(
                    QLatin1String(table == &sessions ? sessionsTable : messagesTable), QLatin1String(columnName));
        }
        fail("schema.not_null_missing", nullable);
    }

    if (messages.hasColumn(u"message_id")) {
        if (!messages.isUnique({QStringLiteral("message_id")}))
            fail("schema.message_id_not_unique", {QStringLiteral("conversation_messages.message_id")});
    } else {
        skip("schema.message_id_not_unique",
            QCoreApplication::translate(context, "needs conversation_messages.message_id"));
    }

    if (messages.exists) {
        if (!messages.hasIndexStartingWith({QStringLiteral("session_id"), QStringLiteral("created_at")})
            && !messages.hasIndexStartingWith({QStringLiteral("session_id"), QStringLiteral("seq")}))
            fail("schema.message_index_missing", {QStringLiteral("conversation_messages")});
    } else {
        skip("schema.message_index_missing", QCoreApplication::translate(context, "needs conversation_messages"));
    }

    {
        QStringList missing;
        for (const auto& [table, name, column] : {std::tuple {&sessions, sessionsTable, "message_count"},
                 std::tuple {&sessions, sessionsTable, "end_reason"},
                 std::tuple {&messages, messagesTable, "message_id"}, std::tuple {&messages, messagesTable, "seq"}}) {
            if (table->exists && !table->hasColumn(QString::fromLatin1(column)))
                missing << QStringLiteral("%1.%2").arg(QLatin1String(name), QLatin1String(column));
        }
        fail("schema.tracking_columns_missing", missing);
    }

    // ---- data ----
    // Each data check is a query selecting k (a key to show) and o (its order).
    auto runDataCheck = [&](const char* id, const QString& rows) -> Status {
        CheckResult& c = result(id);
        const auto n = m_connection.scalar(QStringLiteral("SELECT count(*) FROM (%1) AS offending").arg(rows));
        if (!n)
            return n.error();
        c.count = n->toLongLong();
        if (c.count == 0)
            return {};
        c.status = CheckResult::Status::Failed;
        QSqlQuery query(m_connection.database());
        query.setForwardOnly(true);
        const QString sampleSql = QStringLiteral("SELECT k FROM (%1) AS offending ORDER BY o LIMIT %2")
                                      .arg(rows)
                                      .arg(m_options.sampleLimit);
        if (Status status = execQuery(query, sampleSql); !status.isNull())
            return status;
        while (query.next())
            c.samples << query.value(0).toString();
        return {};
    };

    // Sessions are found by session_id, or by id in the legacy shape.
    const QString sessionKey = sessions.hasColumn(u"session_id") ? QStringLiteral("session_id") : QStringLiteral("id");
    const QString sessionLabel = sql.text(sessionKey);
    // A message's session. The columns compared as they are, so that the index on session_id
    // serves the join (a cast on both sides would compare every message with every session);
    // only the legacy shape's id needs the cast to text.
    const QString sameSession = sessionKey == u"session_id"
        ? QStringLiteral("s.session_id = m.session_id")
        : QStringLiteral("%1 = %2").arg(sql.text(QStringLiteral("s.id")), sql.text(QStringLiteral("m.session_id")));
    const QString tolerance = QString::number(m_options.toleranceSeconds, 'f', 3);
    QList<std::pair<const char*, std::function<QString()>>> dataChecks;

    if (needColumns("data.role_invalid", {{&messages, "role"}, {&messages, "id"}})) {
        dataChecks.append({"data.role_invalid", [&] {
                               return QStringLiteral(
                                   "SELECT %1 || ' (' || role || ', session ' || COALESCE(%2, 'NULL') || ')' AS k, "
                                   "id AS o FROM conversation_messages WHERE role NOT IN ('user', 'agent', 'system')")
                                   .arg(sql.text(QStringLiteral("id")), sql.text(QStringLiteral("session_id")));
                           }});
    }
    if (needColumns("data.orphan_messages", {{&messages, "session_id"}, {&messages, "id"}, {&sessions, "id"}})) {
        dataChecks.append(
            {"data.orphan_messages", [&] {
                 return QStringLiteral("SELECT %1 || ' (session ' || %2 || ')' AS k, m.id AS o "
                                       "FROM conversation_messages m WHERE m.session_id IS NOT NULL AND %2 <> '' "
                                       "AND NOT EXISTS (SELECT 1 FROM conversation_sessions s WHERE %3)")
                     .arg(sql.text(QStringLiteral("m.id")), sql.text(QStringLiteral("m.session_id")), sameSession);
             }});
    }
    if (needColumns("data.null_session_id",
            {{&messages, "session_id"}, {&messages, "id"}, {&sessions, "session_id"}, {&sessions, "id"}})) {
        dataChecks.append({"data.null_session_id", [&] {
                               return QStringLiteral(
                                   "SELECT 'conversation_sessions ' || %1 AS k, 's' || %1 AS o "
                                   "FROM conversation_sessions WHERE session_id IS NULL OR session_id = '' "
                                   "UNION ALL SELECT 'conversation_messages ' || %1 AS k, 'm' || %1 AS o "
                                   "FROM conversation_messages WHERE session_id IS NULL OR %2 = ''")
                                   .arg(sql.text(QStringLiteral("id")), sql.text(QStringLiteral("session_id")));
                           }});
    }
    if (needColumns("data.null_required",
            {{&sessions, "user_id"}, {&sessions, "id"}, {&messages, "role"}, {&messages, "content"},
                {&messages, "created_at"}, {&messages, "id"}})) {
        dataChecks.append({"data.null_required", [&] {
                               return QStringLiteral(
                                   "SELECT 'conversation_sessions ' || %1 || ' user_id' AS k, 's' || %1 AS o "
                                   "FROM conversation_sessions WHERE user_id IS NULL "
                                   "UNION ALL SELECT 'conversation_messages ' || %1 || ' ' || "
                                   "CASE WHEN role IS NULL THEN 'role' WHEN content IS NULL THEN 'content' "
                                   "ELSE 'created_at' END AS k, 'm' || %1 AS o FROM conversation_messages "
                                   "WHERE role IS NULL OR content IS NULL OR created_at IS NULL")
                                   .arg(sql.text(QStringLiteral("id")));
                           }});
    }
    if (needColumns("data.duplicate_session_id", {{&sessions, "session_id"}})) {
        dataChecks.append({"data.duplicate_session_id", [&] {
                               return QStringLiteral("SELECT session_id || ' (x' || %1 || ')' AS k, session_id AS o "
                                                     "FROM conversation_sessions WHERE session_id IS NOT NULL "
                                                     "GROUP BY session_id HAVING count(*) > 1")
                                   .arg(sql.text(QStringLiteral("count(*)")));
                           }});
    }
    if (needColumns("data.duplicate_message_id", {{&messages, "message_id"}})) {
        dataChecks.append({"data.duplicate_message_id", [&] {
                               return QStringLiteral("SELECT %1 || ' (x' || %2 || ')' AS k, %1 AS o "
                                                     "FROM conversation_messages WHERE message_id IS NOT NULL "
                                                     "GROUP BY message_id HAVING count(*) > 1")
                                   .arg(sql.text(QStringLiteral("message_id")), sql.text(QStringLiteral("count(*)")));
                           }});
    }
    if (needColumns("data.ended_but_active", {{&sessions, "is_active"}, {&sessions, "ended_at"}})) {
        dataChecks.append({"data.ended_but_active", [&] {
                               const QString session_end = sessions.hasColumn(u"session_end")
                                   ? QStringLiteral(" OR session_end IS NOT NULL")
                                   : QString();
                               return QStringLiteral("SELECT %1 AS k, id AS o FROM conversation_sessions "
                                                     "WHERE %2 AND (ended_at IS NOT NULL%3)")
                                   .arg(sessionLabel, sql.isTrue(QStringLiteral("is_active")), session_end);
                           }});
    }
    if (needColumns("data.inactive_without_end", {{&sessions, "is_active"}, {&sessions, "ended_at"}})) {
        dataChecks.append({"data.inactive_without_end", [&] {
                               return QStringLiteral("SELECT %1 AS k, id AS o FROM conversation_sessions "
                                                     "WHERE %2 AND ended_at IS NULL")
                                   .arg(sessionLabel, sql.isFalse(QStringLiteral("is_active")));
                           }});
    }
    if (needColumns("data.stale_active", {{&sessions, "is_active"}, {&sessions, "started_at"}})) {
        dataChecks.append({"data.stale_active", [&] {
                               return QStringLiteral("SELECT %1 AS k, id AS o FROM conversation_sessions "
                                                     "WHERE %2 AND %3 > %4")
                                   .arg(sessionLabel, sql.isTrue(QStringLiteral("is_active")),
                                       sql.secondsSince(QStringLiteral("started_at")))
                                   .arg(m_options.staleAfterSeconds);
                           }});
    }
    if (needColumns("data.duration_mismatch",
            {{&sessions, "duration_seconds"}, {&sessions, "started_at"}, {&sessions, "ended_at"}})) {
        dataChecks.append(
            {"data.duration_mismatch", [&] {
                 const QString elapsed = sql.seconds(QStringLiteral("ended_at"), QStringLiteral("started_at"));
                 return QStringLiteral("SELECT %1 || ' (' || COALESCE(%2, 'NULL') || ' s stored)' AS k, id AS o "
                                       "FROM conversation_sessions WHERE ended_at IS NOT NULL "
                                       "AND started_at IS NOT NULL AND (duration_seconds IS NULL "
                                       "OR abs(duration_seconds - %3) > %4)")
                     .arg(sessionLabel, sql.text(QStringLiteral("round(duration_seconds)")), elapsed, tolerance);
             }});
    }
    auto divergence = [&](const char* id, const char* first, const char* second) {
        if (!needColumns(id, {{&sessions, first}, {&sessions, second}}))
            return;
        dataChecks.append({id, [&, first, second] {
                               const QString a = QString::fromLatin1(first);
                               const QString b = QString::fromLatin1(second);
                               return QStringLiteral("SELECT %1 AS k, id AS o FROM conversation_sessions "
                                                     "WHERE (%2 IS NULL) <> (%3 IS NULL) OR abs(%4) > %5")
                                   .arg(sessionLabel, a, b, sql.seconds(a, b), tolerance);
                           }});
    };
    divergence("data.start_columns_diverge", "session_start", "started_at");
    divergence("data.end_columns_diverge", "session_end", "ended_at");
    if (needColumns("data.message_outside_session",
            {{&messages, "created_at"}, {&messages, "session_id"}, {&sessions, "started_at"},
                {&sessions, "ended_at"}})) {
        dataChecks.append(
            {"data.message_outside_session", [&] {
                 return QStringLiteral("SELECT %1 || ' (session ' || %2 || ')' AS k, m.id AS o "
                                       "FROM conversation_messages m JOIN conversation_sessions s ON %3 "
                                       "WHERE %4 > %6 OR (s.ended_at IS NOT NULL AND %5 > %6)")
                     .arg(sql.text(QStringLiteral("m.id")), sql.text(QStringLiteral("m.session_id")), sameSession,
                         sql.seconds(QStringLiteral("s.started_at"), QStringLiteral("m.created_at")),
                         sql.seconds(QStringLiteral("m.created_at"), QStringLiteral("s.ended_at")), tolerance);
             }});
    }
    if (needColumns("data.message_count_mismatch",
            {{&sessions, "message_count"}, {&sessions, "session_id"}, {&messages, "session_id"}})) {
        dataChecks.append({"data.message_count_mismatch", [&] {
                               // Active sessions are still being written; only ended ones must agree.
                               const QString ended = sessions.hasColumn(u"is_active")
                                   ? QStringLiteral(" AND NOT (%1)").arg(sql.isTrue(QStringLiteral("s.is_active")))
                                   : QString();
                               return QStringLiteral(
                                   "SELECT s.session_id || ' (' || %1 || ' counted, ' || %2 || ' stored)' AS k, "
                                   "s.id AS o FROM conversation_sessions s "
                                   "LEFT JOIN (SELECT session_id, count(*) AS n FROM conversation_messages "
                                   "GROUP BY session_id) c ON c.session_id = s.session_id "
                                   "WHERE s.message_count <> COALESCE(c.n, 0)%3")
                                   .arg(sql.text(QStringLiteral("s.message_count")),
                                       sql.text(QStringLiteral("COALESCE(c.n, 0)")), ended);
                           }});
    }

    for (const auto& [id, rows] : std::as_const(dataChecks)) {
        if (Status status = runDataCheck(id, rows()); !status.isNull()) {
            qCWarning(lcDoctor).noquote() << id << status.message;
            skip(id, QCoreApplication::translate(context, "the query failed: %1").arg(status.message));
        }
    }
    return report;
}

} // namespace voxtrack::store
