// SPDX-License-Identifier: MIT
#include "cli/commands.h"

#include "core/databaseurl.h"
#include "store/connection.h"
#include "store/doctor.h"
#include "store/migrator.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <cstdio>

namespace voxtrack::cli {

namespace {

QString tr(const char* text)
{
    return QCoreApplication::translate("voxtrack::cli", text);
}

QTextStream& out()
{
    static QTextStream stream(stdout);
    return stream;
}

QTextStream& err()
{
    static QTextStream stream(stderr);
    return stream;
}

/// Prints an error the one way every command does: a sentence on stderr, and with --json the
/// same as {"error": {code, message}} on stdout for programs.
int fail(const Error& error, bool json)
{
    err() << "voxtrack-cli: " << error.message << " [" << error.code << "]\n";
    err().flush();
    if (json) {
        const QJsonObject object {{QStringLiteral("error"),
            QJsonObject {{QStringLiteral("code"), error.code}, {QStringLiteral("message"), error.message}}}};
        out() << QJsonDocument(object).toJson(QJsonDocument::Indented);
        out().flush();
    }
    return ExitCannotRun;
}

QCommandLineOption databaseOption()
{
    return {{QStringLiteral("d"), QStringLiteral("db")},
        tr("Database URL: postgresql://user:pass@host:5432/db?sslmode=require, sqlite:///path.db or "
           "sqlite:relative.db. Default: $VOXTRACK_DB, else %1.")
            .arg(DatabaseUrl::defaultLocation()),
        tr("url"), DatabaseUrl::defaultLocation()};
}

QCommandLineOption jsonOption()
{
    return {QStringLiteral("json"), tr("Print the result as JSON for programs.")};
}

/// Parses a command's options; on a usage error prints it and returns false.
bool parse(QCommandLineParser& parser, const QStringList& arguments, bool json, int& exitCode)
{
    parser.addHelpOption();
    if (!parser.parse(arguments)) {
        exitCode = fail({QStringLiteral("usage"), parser.errorText() + tr(": see --help.")}, json);
        return false;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        out() << parser.helpText();
        out().flush();
        exitCode = ExitOk;
        return false;
    }
    if (!parser.positionalArguments().isEmpty()) {
        exitCode
            = fail({QStringLiteral("usage"),
                       tr("Unexpected argument \"%1\": see --help.").arg(parser.positionalArguments().constFirst())},
                json);
        return false;
    }
    return true;
}

Expected<DatabaseUrl> databaseUrl(const QCommandLineParser& parser, bool createDefaultDirectory)
{
    const QString text = parser.value(QStringLiteral("db"));
    auto url = DatabaseUrl::parse(text);
    if (url && createDefaultDirectory && !parser.isSet(QStringLiteral("db")) && url->isSqlite() && !url->isInMemory())
        QDir().mkpath(QFileInfo(url->sqlitePath()).path());
    return url;
}

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

struct Command {
    const char* name;
    const char* summary;
    int (*run)(const QStringList&);
};

const Command commands[] = {
    {"migrate", QT_TRANSLATE_NOOP("voxtrack::cli", "Create or upgrade the conversation tables"), migrate},
    {"doctor", QT_TRANSLATE_NOOP("voxtrack::cli", "Check a database for conversation-tracking faults"), doctor},
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
