// SPDX-License-Identifier: MIT
// voxtrack-cli seed: appends realistic conversations to a migrated database, fast, in one
// transaction.
#include "cli/commands.h"
#include "cli/support.h"
#include "store/connection.h"
#include "tracker/seeder.h"

#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>

#include <cmath>

namespace voxtrack::cli {

namespace {

Error usage(const QString& sentence)
{
    return {QStringLiteral("usage"), sentence};
}

QString duration(double seconds)
{
    const auto whole = qint64(std::ceil(seconds));
    return whole >= 3600 ? QStringLiteral("%1:%2:%3")
                               .arg(whole / 3600)
                               .arg(whole / 60 % 60, 2, 10, QChar(u'0'))
                               .arg(whole % 60, 2, 10, QChar(u'0'))
                         : QStringLiteral("%1:%2").arg(whole / 60).arg(whole % 60, 2, 10, QChar(u'0'));
}

QString progressText(const tracker::SeedProgress& p)
{
    const QLocale locale;
    if (p.committing)
        return tr("%1 rows written, committing…").arg(locale.toString(p.rowsWritten));
    const double rate = p.elapsedSeconds > 0 ? double(p.rowsWritten) / p.elapsedSeconds : 0.0;
    const int percent = p.rowsTotal > 0 ? int(100 * p.rowsWritten / p.rowsTotal) : 0;
    return tr("%1 / %2 rows (%3%), %4 rows/s, ETA %5")
        .arg(locale.toString(p.rowsWritten), locale.toString(p.rowsTotal))
        .arg(percent)
        .arg(locale.toString(qint64(rate)))
        .arg(rate > 0 ? duration(double(p.rowsTotal - p.rowsWritten) / rate) : QStringLiteral("-"));
}

} // namespace

int seed(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        tr("Appends realistic conversations to a migrated database: sessions spread over the last days (ended ones "
           "with durations from seconds to half an hour, a share still open), each with a system prompt and "
           "alternating user and agent messages with metadata and audio URLs. The rows pass voxtrack-cli doctor. "
           "Everything is written in one transaction: on failure or Ctrl+C nothing is left behind. Exit code 0: "
           "done; 2: could not seed."));
    parser.addOptions({
        databaseOption(),
        {QStringLiteral("sessions"), tr("How many sessions to write (1 to 10,000,000)."), tr("n")},
        {QStringLiteral("messages-per-session"),
            tr("Messages in every session, the system prompt included (0 to 1,000)."), tr("m")},
        {QStringLiteral("users"), tr("How many users the sessions belong to (default: sessions / 20, at least 1)."),
            tr("n")},
        {QStringLiteral("days"), tr("Ended sessions start within this many days back from now (default 30)."), tr("n")},
        {QStringLiteral("active"), tr("Percentage of sessions still open, started within the last hour (default 1)."),
            tr("percent")},
        {QStringLiteral("seed"),
            tr("Repeat the content of an earlier run (users, texts, metadata, times relative to now); random when "
               "not given. Session and message ids are always fresh."),
            tr("n")},
        {QStringLiteral("no-audio-urls"),
            tr("Leave audio_url NULL on every message (by default most agent messages get an example URL that "
               "serves nothing: use this for data a player will open).")},
        jsonOption(),
    });
    const bool json = arguments.contains(QStringLiteral("--json"));
    int exitCode = ExitOk;
    if (!parse(parser, arguments, json, exitCode))
        return exitCode;

    tracker::SeedOptions options;
    const auto sessions = wholeNumber(parser, QStringLiteral("sessions"), 1, tracker::SeedOptions::maxSessions);
    if (!sessions)
        return fail(sessions.error(), json);
    const auto messages
        = wholeNumber(parser, QStringLiteral("messages-per-session"), 0, tracker::SeedOptions::maxMessagesPerSession);
    if (!messages)
        return fail(messages.error(), json);
    const auto users = wholeNumber(parser, QStringLiteral("users"), 1, tracker::SeedOptions::maxUsers, 0);
    if (!users)
        return fail(users.error(), json);
    const auto days = wholeNumber(parser, QStringLiteral("days"), 1, tracker::SeedOptions::maxDays, 30);
    if (!days)
        return fail(days.error(), json);
    options.sessions = *sessions;
    options.messagesPerSession = int(*messages);
    options.users = *users;
    options.days = int(*days);
    options.audioUrls = !parser.isSet(QStringLiteral("no-audio-urls"));
    if (parser.isSet(QStringLiteral("active"))) {
        QString text = parser.value(QStringLiteral("active")).trimmed();
        if (text.endsWith(u'%'))
            text.chop(1);
        bool ok = false;
        options.activePercent = text.toDouble(&ok);
        if (!ok || !(options.activePercent >= 0 && options.activePercent <= 100)) {
            return fail(usage(tr("--active expects a percentage from 0 to 100, not \"%1\": see --help.")
                                  .arg(parser.value(QStringLiteral("active")))),
                json);
        }
    }
    if (parser.isSet(QStringLiteral("seed"))) {
        bool ok = false;
        const quint64 value = parser.value(QStringLiteral("seed")).trimmed().toULongLong(&ok);
        if (!ok || value > tracker::SeedOptions::maxSeed) {
            return fail(usage(tr("--seed expects a whole number from 0 to %1, not \"%2\": see --help.")
                                  .arg(tracker::SeedOptions::maxSeed)
                                  .arg(parser.value(QStringLiteral("seed")))),
                json);
        }
        options.seed = value;
    }

    const auto url = databaseUrl(parser, false);
    if (!url)
        return fail(url.error(), json);
    // Opening a SQLite file that is not there would create an empty one: say what to do instead.
    if (url->isSqlite() && !url->isInMemory() && !QFileInfo::exists(url->sqlitePath())) {
        return fail({QStringLiteral("seed.not_migrated"),
                        tr("There is no SQLite database at %1: create it with voxtrack-cli migrate --db %2, then "
                           "seed it.")
                            .arg(url->sqlitePath(), url->toDisplayString())},
            json);
    }
    auto connection = store::Connection::open(*url);
    if (!connection)
        return fail(connection.error(), json);

    ProgressLine progressLine;
    if (progressLine.isShown())
        options.progress = [&](const tracker::SeedProgress& progress) { progressLine.show(progressText(progress)); };
    InterruptCounter interruptions;
    options.cancel = &interruptions.interrupted();
    tracker::Seeder seeder(**connection, options);
    const auto result = seeder.run();
    progressLine.clear();
    if (!result)
        return fail(result.error(), json);

    if (json) {
        const QJsonObject object {{QStringLiteral("database"), url->toDisplayString()},
            {QStringLiteral("sessions"), result->sessions}, {QStringLiteral("open_sessions"), result->openSessions},
            {QStringLiteral("messages"), result->messages}, {QStringLiteral("rows"), result->rows()},
            {QStringLiteral("users"), result->users}, {QStringLiteral("seed"), qint64(result->seed)},
            {QStringLiteral("now"), result->now.toString(Qt::ISODateWithMs)},
            {QStringLiteral("seconds"), result->seconds}, {QStringLiteral("commit_seconds"), result->commitSeconds},
            {QStringLiteral("rows_per_second"), std::round(result->rowsPerSecond())}};
        out() << QJsonDocument(object).toJson(QJsonDocument::Indented);
    } else {
        const QLocale locale;
        out() << tr("Seeded %1: %2 sessions (%3 open) with %4 messages for %5 users.\n")
                     .arg(url->toDisplayString(), locale.toString(result->sessions),
                         locale.toString(result->openSessions), locale.toString(result->messages),
                         locale.toString(result->users))
              << tr("%1 rows in %2 s: %3 rows/s. Seed %4 repeats this content.\n")
                     .arg(locale.toString(result->rows()), locale.toString(result->seconds, 'f', 2),
                         locale.toString(qint64(std::llround(result->rowsPerSecond()))))
                     .arg(result->seed);
    }
    out().flush();
    return ExitOk;
}

} // namespace voxtrack::cli
