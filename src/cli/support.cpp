// SPDX-License-Identifier: MIT
#include "cli/support.h"

#include "cli/commands.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

namespace voxtrack::cli {

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

bool parse(QCommandLineParser& parser, const QStringList& arguments, bool json, int& exitCode, qsizetype maxPositional)
{
    parser.addHelpOption();
    if (!parser.parse(arguments)) {
        exitCode = fail({QStringLiteral("usage"), parser.errorText() + tr(": see --help.")}, json);
        return false;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        // The usage line names the command ("voxtrack-cli drive"), not the path the binary was run by.
        QString help = parser.helpText();
        const QString program = QCoreApplication::arguments().value(0);
        if (!program.isEmpty() && !arguments.isEmpty())
            help.replace(QStringLiteral("Usage: ") + program, QStringLiteral("Usage: ") + arguments.constFirst());
        out() << help;
        out().flush();
        exitCode = ExitOk;
        return false;
    }
    if (parser.positionalArguments().size() > maxPositional) {
        exitCode = fail(
            {QStringLiteral("usage"),
                tr("Unexpected argument \"%1\": see --help.").arg(parser.positionalArguments().at(maxPositional))},
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

} // namespace voxtrack::cli
