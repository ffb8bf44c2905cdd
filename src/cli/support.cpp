// SPDX-License-Identifier: MIT
#include "cli/support.h"

#include "cli/commands.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>

#include <csignal>

#ifdef Q_OS_UNIX
#include <unistd.h>
#endif

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

Expected<qint64> wholeNumber(
    const QCommandLineParser& parser, const QString& name, qint64 low, qint64 high, std::optional<qint64> fallback)
{
    if (!parser.isSet(name)) {
        if (fallback)
            return *fallback;
        return Error {QStringLiteral("usage"),
            tr("Say how many with --%1 (a whole number from %2 to %3): see --help.")
                .arg(name, QLocale().toString(low), QLocale().toString(high))};
    }
    bool ok = false;
    const QString text = parser.value(name).trimmed();
    const qint64 value = text.toLongLong(&ok);
    if (!ok || value < low || value > high) {
        return Error {QStringLiteral("usage"),
            tr("--%1 expects a whole number from %2 to %3, not \"%4\": see --help.")
                .arg(name, QLocale().toString(low), QLocale().toString(high), parser.value(name))};
    }
    return value;
}

namespace {

bool stderrIsTerminal()
{
#ifdef Q_OS_UNIX
    return ::isatty(STDERR_FILENO) != 0;
#else
    return false;
#endif
}

std::atomic<int> interruptions {0};
std::atomic<bool> interruptedOnce {false};
static_assert(
    std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free, "changed from a signal handler");

extern "C" void countInterruption(int)
{
    interruptions.fetch_add(1);
    interruptedOnce.store(true);
}

} // namespace

ProgressLine::ProgressLine(bool wanted)
    : m_shown(wanted && stderrIsTerminal())
{
}

void ProgressLine::show(const QString& text)
{
    if (!m_shown)
        return;
    err() << "\r\033[K" << text;
    err().flush();
    m_dirty = true;
}

void ProgressLine::clear()
{
    if (!m_dirty)
        return;
    err() << "\r\033[K";
    err().flush();
    m_dirty = false;
}

InterruptCounter::InterruptCounter()
{
    interruptions = 0;
    interruptedOnce = false;
    m_previousInt = std::signal(SIGINT, countInterruption);
    m_previousTerm = std::signal(SIGTERM, countInterruption);
}

InterruptCounter::~InterruptCounter()
{
    std::signal(SIGINT, m_previousInt);
    std::signal(SIGTERM, m_previousTerm);
}

int InterruptCounter::count() const
{
    return interruptions.load();
}

const std::atomic<bool>& InterruptCounter::interrupted() const
{
    return interruptedOnce;
}

} // namespace voxtrack::cli
