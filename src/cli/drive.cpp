// SPDX-License-Identifier: MIT
// voxtrack-cli drive: runs a scenario's conversations against a server, verifies the database
// and writes the reports.
#include "cli/commands.h"
#include "cli/support.h"
#include "client/loadrunner.h"
#include "core/process.h"

#include <QEventLoop>
#include <QJsonDocument>
#include <QTimer>

namespace voxtrack::cli {

namespace {

QString progressText(const client::RunProgress& p)
{
    const int seconds = int(p.elapsedSeconds);
    QString line
        = QStringLiteral("[%1:%2] ").arg(seconds / 60, 2, 10, QChar(u'0')).arg(seconds % 60, 2, 10, QChar(u'0'));
    line += tr("%1/%2 sessions done, %3 open, %4 msg/s, reply p95 %5, %6 error(s)")
                .arg(p.finished)
                .arg(p.planned)
                .arg(p.open)
                .arg(p.messagesPerSecond, 0, 'f', 0)
                .arg(p.replyP95Ms > 0 ? QString::number(p.replyP95Ms, 'f', 1) + QStringLiteral(" ms")
                                      : QStringLiteral("-"))
                .arg(p.errors);
    if (p.verifying > 0)
        line += tr(", verifying %1").arg(p.verifying);
    if (p.stopping)
        line += tr(" (stopping)");
    return line;
}

} // namespace

int drive(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        tr("Runs the conversations of a scenario file (docs/scenarios.md) against a server speaking protocol v1: "
           "from one session to thousands at once, with think times, expectations on each reply and captured "
           "values. With --verify, each finished session is compared with the database: the session row and every "
           "message, role, content and duration, and the stored audio of every spoken turn. Thresholds in the scenario "
           "decide the exit code: 0 every threshold "
           "holds and verification is clean, 1 otherwise, 2 the run could not take place. Ctrl+C stops the run "
           "gracefully and still writes the report; a second Ctrl+C aborts the open connections."));
    parser.addPositionalArgument(QStringLiteral("scenario"), tr("The scenario file (JSON)."));
    const QString defaultUrl
        = qEnvironmentVariable("VOXTRACK_URL", QStringLiteral("ws://127.0.0.1:8787/v1/conversation"));
    parser.addOptions({
        {{QStringLiteral("u"), QStringLiteral("url")},
            tr("The server's WebSocket URL. Default: $VOXTRACK_URL, else %1.").arg(defaultUrl), tr("url"), defaultUrl},
        {QStringLiteral("token"),
            tr("Bearer token every session sends (default: $VOXTRACK_TOKEN). Without one, sessions name their user "
               "with ?user_id= (a server run with --no-auth)."),
            tr("token")},
        {QStringLiteral("verify"), tr("Compare the database (--db) with every session once it ended.")},
        databaseOption(),
        {QStringLiteral("report-dir"),
            tr("Write summary.json, junit.xml and turns.csv into this directory (created if needed)."), tr("dir")},
        {QStringLiteral("sessions"), tr("Run this many sessions instead of the scenario's."), tr("n")},
        {QStringLiteral("concurrency"), tr("At most this many sessions at once instead of the scenario's."), tr("n")},
        {QStringLiteral("threads"), tr("Threads holding the connections (default: one per core)."), tr("n")},
        {QStringLiteral("reply-timeout"),
            tr("Milliseconds to wait for a connection, an acknowledgement or a reply before it counts as an error "
               "(default 10000)."),
            tr("ms")},
        {QStringLiteral("settle"),
            tr("Milliseconds a session's rows may take to reach the database after it ended; verification looks "
               "again until then before it reports a difference (default 5000)."),
            tr("ms")},
        {QStringLiteral("tolerance"),
            tr("Seconds duration_seconds may differ from the duration the client saw (default 1)."), tr("seconds")},
        {QStringLiteral("no-persisted"),
            tr("Do not ask the server for message.persisted frames (no persisted latency without --verify).")},
        {QStringLiteral("pacing"),
            tr("How spoken turns send their audio: realtime (one 20 ms frame every 20 ms) or fast (all at once), "
               "instead of the scenario's \"audio\".\"pacing\"."),
            tr("mode")},
        {QStringLiteral("seed"), tr("Seed for the random think times, to repeat a run exactly."), tr("n")},
        {QStringLiteral("no-progress"), tr("No progress line, even on a terminal.")},
        jsonOption(),
    });
    int exitCode = ExitOk;
    const bool json = arguments.contains(QStringLiteral("--json"));
    if (!parse(parser, arguments, json, exitCode, 1))
        return exitCode;
    if (parser.positionalArguments().isEmpty())
        return fail({QStringLiteral("usage"), tr("Name the scenario file to run: see --help.")}, json);

    auto scenario = client::Scenario::load(parser.positionalArguments().constFirst());
    if (!scenario)
        return fail(scenario.error(), json);

    const auto sessions
        = wholeNumber(parser, QStringLiteral("sessions"), 1, client::Scenario::maxSessions, scenario->sessions);
    if (!sessions)
        return fail(sessions.error(), json);
    scenario->sessions = int(*sessions);
    const auto concurrency = wholeNumber(parser, QStringLiteral("concurrency"), 1, client::Scenario::maxConcurrency,
        std::min(scenario->concurrency, scenario->sessions));
    if (!concurrency)
        return fail(concurrency.error(), json);
    scenario->concurrency = int(std::min<qint64>(*concurrency, scenario->sessions));
    if (parser.isSet(QStringLiteral("pacing"))) {
        const QString pacing = parser.value(QStringLiteral("pacing"));
        if (pacing == u"realtime") {
            scenario->audio.pacing = client::Pacing::RealTime;
        } else if (pacing == u"fast") {
            scenario->audio.pacing = client::Pacing::Fast;
        } else {
            return fail(
                {QStringLiteral("usage"), tr("--pacing expects realtime or fast, not \"%1\": see --help.").arg(pacing)},
                json);
        }
    }
    const auto threads = wholeNumber(parser, QStringLiteral("threads"), 1, 256, 0);
    const auto replyTimeout = wholeNumber(parser, QStringLiteral("reply-timeout"), 1, client::Scenario::maxMs, 10'000);
    const auto settle = wholeNumber(parser, QStringLiteral("settle"), 0, client::Scenario::maxMs, 5'000);
    for (const auto* value : {&threads, &replyTimeout, &settle}) {
        if (!*value)
            return fail(value->error(), json);
    }

    client::RunOptions options;
    options.url = QUrl(parser.value(QStringLiteral("url")));
    if (!options.url.isValid() || (options.url.scheme() != u"ws" && options.url.scheme() != u"wss")
        || options.url.host().isEmpty()) {
        return fail({QStringLiteral("usage"),
                        tr("The server URL \"%1\" is not a WebSocket URL: use ws://host:port/v1/conversation.")
                            .arg(parser.value(QStringLiteral("url")))},
            json);
    }
    options.bearerToken = parser.isSet(QStringLiteral("token")) ? parser.value(QStringLiteral("token")).toUtf8()
                                                                : qgetenv("VOXTRACK_TOKEN");
    options.threads = int(*threads);
    options.replyTimeoutMs = int(*replyTimeout);
    options.endTimeoutMs = int(*replyTimeout);
    options.settleMs = int(*settle);
    options.askPersisted = !parser.isSet(QStringLiteral("no-persisted"));
    if (parser.isSet(QStringLiteral("tolerance"))) {
        bool ok = false;
        const double tolerance = parser.value(QStringLiteral("tolerance")).toDouble(&ok);
        if (!ok || tolerance < 0 || tolerance > 3600) {
            return fail({QStringLiteral("usage"),
                            tr("--tolerance expects seconds from 0 to 3600, not \"%1\": see --help.")
                                .arg(parser.value(QStringLiteral("tolerance")))},
                json);
        }
        options.verify.durationToleranceSeconds = tolerance;
    }
    if (parser.isSet(QStringLiteral("seed"))) {
        bool ok = false;
        options.seed = parser.value(QStringLiteral("seed")).toULongLong(&ok);
        if (!ok || options.seed == 0) {
            return fail({QStringLiteral("usage"),
                            tr("--seed expects a whole number above 0, not \"%1\": see --help.")
                                .arg(parser.value(QStringLiteral("seed")))},
                json);
        }
    }
    if (parser.isSet(QStringLiteral("verify")) || parser.isSet(QStringLiteral("db"))) {
        auto url = databaseUrl(parser, false);
        if (!url)
            return fail(url.error(), json);
        options.verifyDatabase = *url;
    }
    if (scenario->thresholds.minPersistedRatio && !options.verifyDatabase && !options.askPersisted) {
        return fail({QStringLiteral("usage"),
                        tr("The scenario's min_persisted_ratio needs --verify or message.persisted frames: drop "
                           "--no-persisted or add --verify.")},
            json);
    }
    const QString reportDir = parser.value(QStringLiteral("report-dir"));

    // Every open session is a socket: make sure the process may hold that many, with room for
    // the database, the reports and the threads' own descriptors.
    constexpr long spareDescriptors = 64;
    if (const long limit = raiseOpenFileLimit(); limit > 0 && scenario->concurrency + spareDescriptors > limit) {
        return fail({QStringLiteral("drive.file_limit"),
                        tr("%1 sessions at once need as many open files, but this process may open only %2: raise "
                           "the limit (ulimit -n %3) or lower the concurrency.")
                            .arg(scenario->concurrency)
                            .arg(limit)
                            .arg(scenario->concurrency + spareDescriptors)},
            json);
    }

    client::LoadRunner runner(*scenario, options);
    if (const Status started = runner.start(); !started.isNull())
        return fail(started, json);

    ProgressLine progressLine(!parser.isSet(QStringLiteral("no-progress")));
    InterruptCounter interruptions;
    int seenInterruptions = 0;
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &runner, [&] {
        for (const int now = interruptions.count(); seenInterruptions < now; ++seenInterruptions) {
            progressLine.clear();
            err() << (seenInterruptions == 0
                    ? tr("Stopping: no new sessions; open ones finish their turn and end (Ctrl+C again to abort).")
                    : tr("Aborting the open connections."))
                  << '\n';
            err().flush();
            runner.stop();
        }
    });
    poll.start(100);
    QTimer progress;
    if (progressLine.isShown()) {
        QObject::connect(
            &progress, &QTimer::timeout, &runner, [&] { progressLine.show(progressText(runner.progress())); });
        progress.start(250);
    }
    QEventLoop loop;
    QObject::connect(&runner, &client::LoadRunner::finished, &loop, &QEventLoop::quit);
    if (!runner.isFinished())
        loop.exec();
    poll.stop();
    progress.stop();
    progressLine.clear();

    if (const auto& fatal = runner.fatalError())
        return fail(*fatal, json);
    const client::RunReport& report = runner.report();
    if (!reportDir.isEmpty()) {
        if (const Status written = client::writeReports(report, runner.turns(), reportDir); !written.isNull())
            return fail(written, json);
    }
    if (json)
        out() << QJsonDocument(report.toJson()).toJson(QJsonDocument::Indented);
    else
        out() << report.toText();
    out().flush();
    return report.exitCode();
}

} // namespace voxtrack::cli
