// SPDX-License-Identifier: MIT
#include "cli/commands.h"

#include "cli/support.h"
#include "core/databaseurl.h"
#include "core/jsontext.h"
#include "store/connection.h"
#include "store/doctor.h"
#include "store/migrator.h"
#include "store/queries.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSaveFile>
#include <QTextStream>
#include <QTimeZone>

#include <algorithm>
#include <cstdio>

#ifdef Q_OS_UNIX
#include <sys/ioctl.h>
#include <unistd.h>
#endif

namespace voxtrack::cli {

namespace {

int migrate(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        tr("Creates the conversation tables, or brings them to the current schema version. An old database whose "
           "sessions are keyed by id only is upgraded: session_id is added and filled from id. Everything runs in "
           "one transaction: on failure nothing is changed."));
    parser.addOption(databaseOption());
    parser.addOption(jsonOption());
    const bool json = arguments.contains(QStringLiteral("--json"));
    int exitCode = ExitOk;
    if (!parse(parser, arguments, json, exitCode))
        return exitCode;

    const auto url = databaseUrl(parser, true);
    if (!url)
        return fail(url.error(), json);
    auto connection = store::Connection::open(*url);
    if (!connection)
        return fail(connection.error(), json);
    store::Migrator migrator(**connection);
    const auto result = migrator.migrate();
    if (!result)
        return fail(result.error(), json);

    QStringList applied;
    for (const store::Migration& migration : result->applied)
        applied << QStringLiteral("%1 %2").arg(migration.version, 4, 10, QLatin1Char('0')).arg(migration.name);
    if (json) {
        const QJsonObject object {{QStringLiteral("database"), url->toDisplayString()},
            {QStringLiteral("version_before"), result->versionBefore},
            {QStringLiteral("version_after"), result->versionAfter},
            {QStringLiteral("legacy_upgraded"), result->legacyUpgraded},
            {QStringLiteral("applied"), QJsonArray::fromStringList(applied)}};
        out() << QJsonDocument(object).toJson(QJsonDocument::Indented);
    } else if (applied.isEmpty() && !result->legacyUpgraded) {
        out()
            << tr("%1 is at schema version %2: nothing to do.\n").arg(url->toDisplayString()).arg(result->versionAfter);
    } else {
        if (result->legacyUpgraded)
            out() << tr("Upgraded the old table shape: session_id filled from id, NOT NULL and UNIQUE.\n");
        out() << tr("Migrated %1 from schema version %2 to %3 (applied: %4).\n")
                     .arg(url->toDisplayString())
                     .arg(result->versionBefore)
                     .arg(result->versionAfter)
                     .arg(applied.isEmpty() ? tr("none") : applied.join(QStringLiteral(", ")));
    }
    out().flush();
    return ExitOk;
}

int doctor(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        tr("Checks a conversation database, read-only, for the faults that break conversation tracking: a role "
           "outside user/agent/system, messages without their session, NULL session ids, sessions never ended, "
           "wrong durations and more. Exit code 0: no errors; 1: errors found; 2: could not run."));
    parser.addOption(databaseOption());
    parser.addOption(jsonOption());
    const QCommandLineOption staleOption(QStringLiteral("stale-after"),
        tr("An active session older than this many hours is stale (default 24)."), tr("hours"), QStringLiteral("24"));
    parser.addOption(staleOption);
    const QCommandLineOption toleranceOption(QStringLiteral("tolerance"),
        tr("Seconds two timestamps or a duration may disagree by (default 1)."), tr("seconds"), QStringLiteral("1"));
    parser.addOption(toleranceOption);
    const bool json = arguments.contains(QStringLiteral("--json"));
    int exitCode = ExitOk;
    if (!parse(parser, arguments, json, exitCode))
        return exitCode;

    store::DoctorOptions options;
    bool ok = false;
    const double hours = parser.value(staleOption).toDouble(&ok);
    if (!ok || hours <= 0)
        return fail(
            {QStringLiteral("usage"),
                tr("--stale-after takes a positive number of hours, not \"%1\".").arg(parser.value(staleOption))},
            json);
    options.staleAfterSeconds = qint64(hours * 3600);
    options.toleranceSeconds = parser.value(toleranceOption).toDouble(&ok);
    if (!ok || options.toleranceSeconds < 0)
        return fail({QStringLiteral("usage"),
                        tr("--tolerance takes a number of seconds of 0 or more, not \"%1\".")
                            .arg(parser.value(toleranceOption))},
            json);

    const auto url = databaseUrl(parser, false);
    if (!url)
        return fail(url.error(), json);
    auto connection = store::Connection::open(*url, store::Connection::Access::ReadOnly);
    if (!connection)
        return fail(connection.error(), json);
    store::Doctor doctor(**connection, options);
    const auto report = doctor.run();
    if (!report)
        return fail(report.error(), json);
    if (json)
        out() << QJsonDocument(report->toJson()).toJson(QJsonDocument::Indented);
    else
        out() << report->toText();
    out().flush();
    return report->hasErrors() ? ExitFindings : ExitOk;
}

// ---- inspection: sessions, messages, export ----

/// The session filter options sessions and export share.
struct FilterOptions {
    QCommandLineOption user {QStringLiteral("user"), tr("Only the sessions of this user_id."), tr("id")};
    QCommandLineOption active {QStringLiteral("active"), tr("Only sessions still active.")};
    QCommandLineOption ended {QStringLiteral("ended"), tr("Only sessions that have ended.")};
    QCommandLineOption since {QStringLiteral("since"),
        tr("Only sessions started at or after this time: ISO 8601 (2025-10-18T09:30:00Z; UTC when no offset is "
           "given) or a span back from now (30m, 2h, 3d, 1w)."),
        tr("time")};

    void addTo(QCommandLineParser& parser) const
    {
        parser.addOption(user);
        parser.addOption(active);
        parser.addOption(ended);
        parser.addOption(since);
    }
};

/// "2h", "3d", an ISO 8601 date or date-time (UTC when no offset is given); invalid when unreadable.
QDateTime parseSince(const QString& text, const QDateTime& now)
{
    static const QRegularExpression span(QStringLiteral("^(\\d+(?:\\.\\d+)?)\\s*([smhdw])$"));
    const QString trimmed = text.trimmed();
    if (const QRegularExpressionMatch match = span.match(trimmed); match.hasMatch()) {
        static const QHash<QChar, qint64> unit {{u's', 1}, {u'm', 60}, {u'h', 3600}, {u'd', 86400}, {u'w', 604800}};
        const double seconds = match.captured(1).toDouble() * double(unit.value(match.captured(2).at(0)));
        return now.addMSecs(-qint64(seconds * 1000.0));
    }
    if (trimmed.size() == 10) { // a date alone; QDate would also take the date part of a date-time
        const QDate date = QDate::fromString(trimmed, Qt::ISODate);
        return date.isValid() ? date.startOfDay(QTimeZone::utc()).toUTC() : QDateTime();
    }
    QString iso = trimmed;
    if (iso.size() > 10 && iso.at(10) == u' ')
        iso[10] = u'T';
    QDateTime time = QDateTime::fromString(iso, Qt::ISODateWithMs);
    if (time.isValid() && time.timeSpec() == Qt::LocalTime)
        time.setTimeZone(QTimeZone::utc());
    return time.toUTC();
}

Expected<store::SessionFilter> readFilter(const QCommandLineParser& parser, const FilterOptions& options)
{
    store::SessionFilter filter;
    filter.userId = parser.value(options.user);
    if (parser.isSet(options.user) && filter.userId.isEmpty())
        return Error {QStringLiteral("usage"), tr("--user takes a user_id, not an empty string.")};
    if (parser.isSet(options.active) && parser.isSet(options.ended))
        return Error {QStringLiteral("usage"), tr("--active and --ended exclude each other: give one of them.")};
    if (parser.isSet(options.active))
        filter.state = store::SessionFilter::State::Active;
    else if (parser.isSet(options.ended))
        filter.state = store::SessionFilter::State::Ended;
    if (parser.isSet(options.since)) {
        filter.since = parseSince(parser.value(options.since), QDateTime::currentDateTimeUtc());
        if (!filter.since.isValid()) {
            return Error {QStringLiteral("usage"),
                tr("--since takes a time like 2h, 3d or 2025-10-18T09:30:00Z, not \"%1\".")
                    .arg(parser.value(options.since))};
        }
    }
    return filter;
}

/// Opens url read-only for one consistent read: every query of a command sees the same data.
Expected<std::unique_ptr<store::Connection>> openForReading(const DatabaseUrl& url)
{
    auto connection = store::Connection::open(url, store::Connection::Access::ReadOnly);
    if (!connection)
        return connection.error();
    if (Status status = (*connection)->beginTransaction(); !status.isNull())
        return status;
    if ((*connection)->isPostgreSql()) {
        if (Status status = (*connection)->exec(QStringLiteral("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
            !status.isNull())
            return status;
    }
    return connection;
}

QJsonValue jsonTime(const QDateTime& time)
{
    return time.isValid() ? QJsonValue(time.toUTC().toString(Qt::ISODateWithMs)) : QJsonValue(QJsonValue::Null);
}

QJsonValue jsonText(const QString& text)
{
    return text.isNull() ? QJsonValue(QJsonValue::Null) : QJsonValue(text);
}

QJsonObject sessionJson(const store::SessionRow& row)
{
    return {{QStringLiteral("session_id"), row.sessionId}, {QStringLiteral("user_id"), row.userId},
        {QStringLiteral("started_at"), jsonTime(row.startedAt)}, {QStringLiteral("ended_at"), jsonTime(row.endedAt)},
        {QStringLiteral("duration_seconds"),
            row.durationSeconds ? QJsonValue(*row.durationSeconds) : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("is_active"), row.active}, {QStringLiteral("message_count"), row.messageCount},
        {QStringLiteral("end_reason"), jsonText(row.endReason)}, {QStringLiteral("metadata"), row.metadata}};
}

QJsonObject messageJson(const store::MessageRow& row)
{
    return {{QStringLiteral("id"), row.id}, {QStringLiteral("session_id"), row.sessionId},
        {QStringLiteral("seq"), row.seq ? QJsonValue(*row.seq) : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("created_at"), jsonTime(row.createdAt)}, {QStringLiteral("role"), row.role},
        {QStringLiteral("content"), row.content}, {QStringLiteral("audio_url"), jsonText(row.audioUrl)},
        {QStringLiteral("user_id"), jsonText(row.userId)}, {QStringLiteral("message_id"), jsonText(row.messageId)},
        {QStringLiteral("metadata"), row.metadata}};
}

/// UTC to the second, as the tables show times.
QString tableTime(const QDateTime& time)
{
    return time.isValid() ? time.toUTC().toString(Qt::ISODate) : QStringLiteral("-");
}

/// Columns padded to their widest cell, two spaces apart; rightAligned columns are numbers.
QString table(const QStringList& headers, const QList<QStringList>& rows, const QList<int>& rightAligned = {})
{
    QList<qsizetype> widths;
    for (const QString& header : headers)
        widths << header.size();
    for (const QStringList& row : rows) {
        for (qsizetype i = 0; i < row.size() && i < widths.size(); ++i)
            widths[i] = std::max(widths[i], row.at(i).size());
    }
    QString text;
    auto line = [&](const QStringList& cells) {
        QString joined;
        for (qsizetype i = 0; i < cells.size(); ++i) {
            if (i > 0)
                joined += QStringLiteral("  ");
            const bool last = i == cells.size() - 1;
            if (rightAligned.contains(int(i)))
                joined += cells.at(i).rightJustified(widths.at(i));
            else
                joined += last ? cells.at(i) : cells.at(i).leftJustified(widths.at(i));
        }
        text += joined + u'\n';
    };
    line(headers);
    for (const QStringList& row : rows)
        line(row);
    return text;
}

/// The width of the terminal stdout writes to, or 0 when it is not a terminal.
int terminalColumns()
{
#ifdef Q_OS_UNIX
    winsize size {};
    if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0)
        return size.ws_col;
#endif
    return 0;
}

int sessions(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        tr("Lists conversation sessions, newest first, read-only: who, when, how long, how many stored messages and "
           "why it ended."));
    parser.addOption(databaseOption());
    parser.addOption(jsonOption());
    const FilterOptions filterOptions;
    filterOptions.addTo(parser);
    const QCommandLineOption limitOption(
        QStringLiteral("limit"), tr("Show at most this many sessions (default 50)."), tr("n"), QStringLiteral("50"));
    parser.addOption(limitOption);
    const bool json = arguments.contains(QStringLiteral("--json"));
    int exitCode = ExitOk;
    if (!parse(parser, arguments, json, exitCode))
        return exitCode;

    const auto filter = readFilter(parser, filterOptions);
    if (!filter)
        return fail(filter.error(), json);
    bool ok = false;
    const int limit = parser.value(limitOption).toInt(&ok);
    if (!ok || limit < 1)
        return fail({QStringLiteral("usage"),
                        tr("--limit takes a whole number of 1 or more, not \"%1\".").arg(parser.value(limitOption))},
            json);

    const auto url = databaseUrl(parser, false);
    if (!url)
        return fail(url.error(), json);
    auto connection = openForReading(*url);
    if (!connection)
        return fail(connection.error(), json);
    qint64 total = 0;
    const auto rows = store::listSessions(**connection, *filter, limit, &total);
    if (!rows)
        return fail(rows.error(), json);

    if (json) {
        QJsonArray array;
        for (const store::SessionRow& row : *rows)
            array.append(sessionJson(row));
        out() << QJsonDocument(array).toJson(QJsonDocument::Indented);
    } else {
        if (!rows->isEmpty()) {
            QList<QStringList> cells;
            for (const store::SessionRow& row : *rows) {
                const QString duration = row.active ? tr("active")
                    : row.durationSeconds           ? QString::number(*row.durationSeconds, 'f', 1) + u's'
                                                    : QStringLiteral("-");
                cells << QStringList {row.sessionId, row.userId, tableTime(row.startedAt), duration,
                    QString::number(row.messageCount), row.endReason.isEmpty() ? QStringLiteral("-") : row.endReason};
            }
            out() << table(
                {tr("SESSION"), tr("USER"), tr("STARTED"), tr("DURATION"), tr("MESSAGES"), tr("END")}, cells, {3, 4});
            out() << '\n';
        }
        out() << QCoreApplication::translate(
            "voxtrack::cli", "%n session(s) shown (of %1 matching).\n", nullptr, int(rows->size()))
                     .arg(total);
    }
    out().flush();
    return ExitOk;
}

int messages(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        tr("Shows one session's stored messages in order (seq, then created_at), read-only."));
    parser.addPositionalArgument(QStringLiteral("session_id"), tr("The session to show."));
    parser.addOption(databaseOption());
    parser.addOption(jsonOption());
    const bool json = arguments.contains(QStringLiteral("--json"));
    int exitCode = ExitOk;
    if (!parse(parser, arguments, json, exitCode, 1))
        return exitCode;
    if (parser.positionalArguments().isEmpty())
        return fail(
            {QStringLiteral("usage"), tr("Name the session: voxtrack-cli messages SESSION_ID --db URL.")}, json);
    const QString sessionId = parser.positionalArguments().constFirst();

    const auto url = databaseUrl(parser, false);
    if (!url)
        return fail(url.error(), json);
    auto connection = openForReading(*url);
    if (!connection)
        return fail(connection.error(), json);
    const auto rows = store::listMessages(**connection, sessionId);
    if (!rows)
        return fail(rows.error(), json);

    if (json) {
        QJsonArray array;
        for (const store::MessageRow& row : *rows)
            array.append(messageJson(row));
        out() << QJsonDocument(array).toJson(QJsonDocument::Indented);
        out().flush();
        return ExitOk;
    }
    if (rows->isEmpty()) {
        out() << tr("The session %1 has no stored messages.\n").arg(sessionId);
        out().flush();
        return ExitOk;
    }
    const QStringList headers {tr("SEQ"), tr("TIME"), tr("ROLE"), tr("CONTENT"), tr("AUDIO")};
    QList<QStringList> cells;
    for (const store::MessageRow& row : *rows) {
        cells << QStringList {row.seq ? QString::number(*row.seq) : QStringLiteral("-"), tableTime(row.createdAt),
            row.role, row.content, row.audioUrl.isEmpty() ? QStringLiteral("-") : tr("yes")};
    }
    // CONTENT gets what the other columns leave of the terminal's width; 100 characters when piped.
    qsizetype limit = 100;
    if (const int columns = terminalColumns(); columns > 0) {
        qsizetype others = headers.size() - 1; // the gaps, two spaces each, counted below
        others *= 2;
        for (const int i : {0, 1, 2, 4}) {
            qsizetype width = headers.at(i).size();
            for (const QStringList& row : cells)
                width = std::max(width, row.at(i).size());
            others += width;
        }
        limit = std::max<qsizetype>(columns - others, 20);
    }
    for (QStringList& row : cells)
        row[3] = json::oneLine(row.at(3), limit);
    out() << table(headers, cells, {0});
    out() << '\n'
          << QCoreApplication::translate("voxtrack::cli", "%n message(s) in session %1.\n", nullptr, int(rows->size()))
                 .arg(sessionId);
    out().flush();
    return ExitOk;
}

/// A CSV field as RFC 4180 writes it: quoted when it holds a comma, a quote or a line break.
QString csvField(const QString& value)
{
    static const QRegularExpression special(QStringLiteral("[,\"\\r\\n]"));
    if (!value.contains(special))
        return value;
    QString quoted = value;
    quoted.replace(u'"', QStringLiteral("\"\""));
    return u'"' + quoted + u'"';
}

QString compactJson(const QJsonValue& value)
{
    if (value.isObject())
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    if (value.isArray())
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    return value.isString() ? value.toString() : QString();
}

QByteArray exportCsv(const QList<store::SessionRow>& sessions, const QHash<QString, QList<store::MessageRow>>& messages)
{
    const QStringList header {QStringLiteral("session_id"), QStringLiteral("user_id"), QStringLiteral("started_at"),
        QStringLiteral("ended_at"), QStringLiteral("duration_seconds"), QStringLiteral("is_active"),
        QStringLiteral("message_count"), QStringLiteral("end_reason"), QStringLiteral("session_metadata"),
        QStringLiteral("seq"), QStringLiteral("message_id"), QStringLiteral("created_at"), QStringLiteral("role"),
        QStringLiteral("content"), QStringLiteral("audio_url"), QStringLiteral("message_metadata")};
    auto time = [](const QDateTime& t) { return t.isValid() ? t.toUTC().toString(Qt::ISODateWithMs) : QString(); };
    QString text = header.join(u',') + QStringLiteral("\r\n");
    for (const store::SessionRow& session : sessions) {
        const QStringList sessionCells {session.sessionId, session.userId, time(session.startedAt),
            time(session.endedAt),
            session.durationSeconds ? QString::number(*session.durationSeconds, 'g', 15) : QString(),
            session.active ? QStringLiteral("true") : QStringLiteral("false"), QString::number(session.messageCount),
            session.endReason, compactJson(session.metadata)};
        const QList<store::MessageRow> rows = messages.value(session.sessionId);
        // A session without messages still gets its row, with the message columns empty.
        const qsizetype lines = std::max<qsizetype>(rows.size(), 1);
        for (qsizetype i = 0; i < lines; ++i) {
            QStringList cells = sessionCells;
            if (i < rows.size()) {
                const store::MessageRow& m = rows.at(i);
                cells << (m.seq ? QString::number(*m.seq) : QString()) << m.messageId << time(m.createdAt) << m.role
                      << m.content << m.audioUrl << compactJson(m.metadata);
            } else {
                cells << QString() << QString() << QString() << QString() << QString() << QString() << QString();
            }
            for (QString& cell : cells)
                cell = csvField(cell);
            text += cells.join(u',') + QStringLiteral("\r\n");
        }
    }
    return text.toUtf8();
}

QByteArray exportJson(
    const QList<store::SessionRow>& sessions, const QHash<QString, QList<store::MessageRow>>& messages)
{
    QJsonArray array;
    for (const store::SessionRow& session : sessions) {
        QJsonObject object = sessionJson(session);
        QJsonArray list;
        for (const store::MessageRow& message : messages.value(session.sessionId))
            list.append(messageJson(message));
        object.insert(QStringLiteral("messages"), list);
        array.append(object);
    }
    return QJsonDocument(array).toJson(QJsonDocument::Indented);
}

int exportSessions(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        tr("Exports every matching session with its messages, read-only. csv: one row per message with the "
           "session's columns repeated (a session without messages gets one row), RFC 4180 quoting, a header row. "
           "json: an array of sessions, each with a \"messages\" array."));
    parser.addOption(databaseOption());
    const QCommandLineOption formatOption(QStringLiteral("format"), tr("csv or json."), tr("format"));
    parser.addOption(formatOption);
    const QCommandLineOption outputOption(QStringLiteral("output"),
        tr("Write to this file (replaced whole, or not at all) instead of stdout."), tr("file"));
    parser.addOption(outputOption);
    const FilterOptions filterOptions;
    filterOptions.addTo(parser);
    int exitCode = ExitOk;
    if (!parse(parser, arguments, false, exitCode))
        return exitCode;

    const QString format = parser.value(formatOption).toLower();
    if (format != u"csv" && format != u"json") {
        return fail({QStringLiteral("usage"),
                        parser.isSet(formatOption)
                            ? tr("--format takes csv or json, not \"%1\".").arg(parser.value(formatOption))
                            : tr("Say which format to export: --format csv or --format json.")},
            false);
    }
    if (parser.isSet(outputOption) && parser.value(outputOption).isEmpty())
        return fail({QStringLiteral("usage"), tr("--output takes a file name, not an empty string.")}, false);
    const auto filter = readFilter(parser, filterOptions);
    if (!filter)
        return fail(filter.error(), false);

    const auto url = databaseUrl(parser, false);
    if (!url)
        return fail(url.error(), false);
    auto connection = openForReading(*url);
    if (!connection)
        return fail(connection.error(), false);
    const auto sessionRows = store::listSessions(**connection, *filter, -1);
    if (!sessionRows)
        return fail(sessionRows.error(), false);
    const auto messageRows = store::listMessages(**connection, *filter);
    if (!messageRows)
        return fail(messageRows.error(), false);
    QHash<QString, QList<store::MessageRow>> bySession;
    for (const store::MessageRow& row : *messageRows)
        bySession[row.sessionId].append(row);

    const QByteArray data = format == u"csv" ? exportCsv(*sessionRows, bySession) : exportJson(*sessionRows, bySession);
    if (!parser.isSet(outputOption)) {
        out().flush();
        std::fwrite(data.constData(), 1, size_t(data.size()), stdout);
        std::fflush(stdout);
        return ExitOk;
    }
    const QString path = parser.value(outputOption);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size() || !file.commit()) {
        return fail({QStringLiteral("export.write"),
                        tr("Could not write %1: %2: check the directory exists and is writable.")
                            .arg(QDir::toNativeSeparators(path), file.errorString())},
            false);
    }
    out() << QCoreApplication::translate(
        "voxtrack::cli", "Exported %n session(s) with %1 message(s) to %2.\n", nullptr, int(sessionRows->size()))
                 .arg(messageRows->size())
                 .arg(QDir::toNativeSeparators(path));
    out().flush();
    return ExitOk;
}

struct Command {
    const char* name;
    const char* summary;
    int (*run)(const QStringList&);
};

const Command commands[] = {
    {"migrate", QT_TRANSLATE_NOOP("voxtrack::cli", "Create or upgrade the conversation tables"), migrate},
    {"doctor", QT_TRANSLATE_NOOP("voxtrack::cli", "Check a database for conversation-tracking faults"), doctor},
    {"sessions", QT_TRANSLATE_NOOP("voxtrack::cli", "List sessions, newest first"), sessions},
    {"messages", QT_TRANSLATE_NOOP("voxtrack::cli", "Show one session's messages in order"), messages},
    {"export", QT_TRANSLATE_NOOP("voxtrack::cli", "Export sessions with their messages as CSV or JSON"),
        exportSessions},
    {"drive", QT_TRANSLATE_NOOP("voxtrack::cli", "Run a scenario's conversations against a server and verify them"),
        drive},
    {"seed", QT_TRANSLATE_NOOP("voxtrack::cli", "Append realistic conversations to a database, fast"), seed},
};

QString usage()
{
    QString text = tr("Usage: voxtrack-cli <command> [options]\n\n"
                      "The headless harness for conversation-tracking backends.\n\nCommands:\n");
    for (const Command& command : commands)
        text += QStringLiteral("  %1  %2\n").arg(QLatin1String(command.name), -8).arg(tr(command.summary));
    text += tr("\nRun voxtrack-cli <command> --help for a command's options.\n"
               "Exit codes: 0 done, 1 errors found, 2 could not run.\n");
    return text;
}

} // namespace

int run(const QStringList& arguments)
{
    const QString first = arguments.value(1);
    if (first.isEmpty() || first == u"-h" || first == u"--help" || first == u"help") {
        (first.isEmpty() ? err() : out()) << usage();
        return first.isEmpty() ? ExitCannotRun : ExitOk;
    }
    if (first == u"-v" || first == u"--version" || first == u"version") {
        out() << "voxtrack-cli " << QCoreApplication::applicationVersion() << '\n';
        return ExitOk;
    }
    for (const Command& command : commands) {
        if (first == QLatin1String(command.name)) {
            QStringList rest = arguments;
            rest.removeAt(1);
            rest[0] = QStringLiteral("voxtrack-cli ") + first;
            return command.run(rest);
        }
    }
    err() << "voxtrack-cli: " << tr("Unknown command \"%1\": run voxtrack-cli --help for the list.").arg(first)
          << " [usage]\n";
    return ExitCannotRun;
}

} // namespace voxtrack::cli
