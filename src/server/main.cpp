// SPDX-License-Identifier: MIT
#include "speech/synthesizer.h"

#include "core/databaseurl.h"
#include "core/i18n.h"
#include "core/process.h"
#include "server/agent.h"
#include "server/conversationserver.h"
#include "store/connection.h"
#include "store/migrator.h"
#include "tracker/conversationtracker.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QLoggingCategory>
#include <QSocketNotifier>
#include <QStandardPaths>
#include <QTextStream>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

using namespace voxtrack;

namespace {

int signalPipe[2] = {-1, -1};

void onSignal(int number)
{
    const char byte = char(number);
    (void)!::write(signalPipe[1], &byte, 1);
}

int fail(const Error& error)
{
    QTextStream(stderr) << "voxtrackd: " << error.message << " [" << error.code << "]\n";
    return 2;
}

/// The translation context of this file's texts.
struct Text {
    Q_DECLARE_TR_FUNCTIONS(voxtrackd)
};

} // namespace

int main(int argc, char* argv[])
{
    qSetMessagePattern(QStringLiteral("%{time yyyy-MM-ddThh:mm:ss.zzz} %{if-category}%{category}: %{endif}%{message}"));
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("voxtrack"));
    QCoreApplication::setApplicationVersion(QStringLiteral(VOXTRACK_VERSION));
    installTranslators(app);

    const QString dataDirectory = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    QCommandLineParser parser;
    parser.setApplicationDescription(
        Text::tr("voxtrackd: the reference conversation-tracking server. Clients speak WebSocket protocol v1 on "
                 "/v1/conversation; every session and message is journaled, then written to the database in batches; "
                 "/healthz and /metrics are served on the same port."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption dbOption(QStringLiteral("db"),
        Text::tr("Database URL (default: %1).").arg(DatabaseUrl::defaultLocation()), Text::tr("url"),
        DatabaseUrl::defaultLocation());
    const QCommandLineOption listenOption(QStringLiteral("listen"),
        Text::tr("Address and port to listen on (default 127.0.0.1:8787; port 0 picks a "
                 "free one)."),
        Text::tr("host:port"), QStringLiteral("127.0.0.1:8787"));
    const QCommandLineOption secretOption(QStringLiteral("token-secret"),
        Text::tr("HS256 secret that signs client tokens (or $VOXTRACK_TOKEN_SECRET)."), Text::tr("secret"));
    const QCommandLineOption noAuthOption(
        QStringLiteral("no-auth"), Text::tr("No authentication: clients name themselves with ?user_id=."));
    const QCommandLineOption frameOption(QStringLiteral("max-frame-bytes"),
        Text::tr("Largest text frame accepted (default 65536)."), Text::tr("bytes"), QStringLiteral("65536"));
    const QCommandLineOption sessionsOption(QStringLiteral("max-sessions"),
        Text::tr("Most sessions open at once (default 10000)."), Text::tr("count"), QStringLiteral("10000"));
    const QCommandLineOption rulesOption(QStringLiteral("rules"),
        Text::tr("The simulated agent's rules file (JSON; see "
                 "docs/agent-rules.md). Default: built-in rules."),
        Text::tr("file"));
    const QCommandLineOption silentOption(QStringLiteral("silent-agent"),
        Text::tr("No simulated replies: an external agent relays its replies with role "
                 "\"agent\"."));
    const QCommandLineOption journalOption(QStringLiteral("journal"),
        Text::tr("Journal directory (default %1/journal; \"none\" to run without one).").arg(dataDirectory),
        Text::tr("dir"), QDir(dataDirectory).filePath(QStringLiteral("journal")));
    const QCommandLineOption audioDirOption(QStringLiteral("audio-dir"),
        Text::tr("Directory of stored utterances, served as /audio/<message_id>.wav (default %1/audio; \"none\" "
                 "to refuse audio).")
            .arg(dataDirectory),
        Text::tr("dir"), QDir(dataDirectory).filePath(QStringLiteral("audio")));
    const QCommandLineOption maxAudioOption(QStringLiteral("max-audio-seconds"),
        Text::tr("Longest utterance kept; longer ones are dropped with audio.too_long (default 60)."),
        Text::tr("seconds"), QStringLiteral("60"));
    const QCommandLineOption speakOption(QStringLiteral("speak-replies"),
        Text::tr("Speak the agent's replies with espeak-ng in this voice (en-us, en-gb, de, …; espeak-ng --voices "
                 "lists them): each reply is stored as a WAV file and sent with its audio_url. Needs --audio-dir."),
        Text::tr("voice"));
    const QCommandLineOption logOption(QStringLiteral("log-level"),
        Text::tr("debug, info (default), warning or error."), Text::tr("level"), QStringLiteral("info"));
    const QCommandLineOption idleOption(QStringLiteral("idle-timeout"),
        Text::tr("Milliseconds of silence (no frame, no pong) after which a connection is "
                 "dropped and its session ended with reason timeout (default 45000)."),
        Text::tr("ms"), QStringLiteral("45000"));
    const QCommandLineOption shutdownOption(QStringLiteral("shutdown-timeout"),
        Text::tr("Milliseconds a stop may take to drain the queue (default 10000)."), Text::tr("ms"),
        QStringLiteral("10000"));
    const QCommandLineOption faultOption(QStringLiteral("test-fault"),
        Text::tr("For testing a harness only: make the server misbehave on purpose. agent-role (store replies as "
                 "role user), drop-every=N (acknowledge every N-th user message but never store it), never-end (leave "
                 "ended sessions active in the database). May be given more than once."),
        Text::tr("fault"));
    parser.addOption(faultOption);
    parser.addOptions(
        {dbOption, listenOption, secretOption, noAuthOption, frameOption, sessionsOption, rulesOption, silentOption,
            journalOption, audioDirOption, maxAudioOption, speakOption, logOption, idleOption, shutdownOption});
    parser.process(app);

    auto positiveInt = [&](const QCommandLineOption& option, int minimum, int& value) -> Status {
        bool ok = false;
        value = parser.value(option).toInt(&ok);
        if (!ok || value < minimum)
            return {QStringLiteral("usage"),
                Text::tr("--%1 takes a whole number of at least %2, not \"%3\".")
                    .arg(option.names().constFirst())
                    .arg(minimum)
                    .arg(parser.value(option))};
        return {};
    };

    const QString level = parser.value(logOption);
    static const QStringList levels {
        QStringLiteral("debug"), QStringLiteral("info"), QStringLiteral("warning"), QStringLiteral("error")};
    if (!levels.contains(level))
        return fail({QStringLiteral("usage"),
            Text::tr("--log-level takes debug, info, warning or error, not \"%1\".").arg(level)});
    QString rules = QStringLiteral("voxtrack.*.debug=%1\n").arg(level == u"debug" ? u"true" : u"false");
    if (level == u"warning" || level == u"error")
        rules += QStringLiteral("voxtrack.*.info=false\n");
    if (level == u"error")
        rules += QStringLiteral("voxtrack.*.warning=false\n");
    QLoggingCategory::setFilterRules(rules);

    server::ServerOptions serverOptions;
    const QString listen = parser.value(listenOption);
    const qsizetype colon = listen.lastIndexOf(u':');
    bool portOk = false;
    const int port = colon > 0 ? listen.mid(colon + 1).toInt(&portOk) : -1;
    QString host = colon > 0 ? listen.left(colon) : QString();
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1, host.size() - 2);
    if (!portOk || port < 0 || port > 65535 || !serverOptions.address.setAddress(host)) {
        return fail({QStringLiteral("usage"),
            Text::tr("--listen takes an address and port such as 127.0.0.1:8787 or [::1]:8787, not \"%1\".")
                .arg(listen)});
    }
    serverOptions.port = quint16(port);
    serverOptions.noAuth = parser.isSet(noAuthOption);
    serverOptions.tokenSecret
        = parser.isSet(secretOption) ? parser.value(secretOption).toUtf8() : qgetenv("VOXTRACK_TOKEN_SECRET");
    if (serverOptions.noAuth == !serverOptions.tokenSecret.isEmpty()) {
        return fail({QStringLiteral("usage"),
            serverOptions.noAuth
                ? Text::tr("--no-auth and a token secret exclude each other: choose one.")
                : Text::tr("Choose how clients prove who they are: --token-secret SECRET (HS256 tokens whose sub is "
                           "the user id, as Supabase issues them) or --no-auth (identity from ?user_id=).")});
    }
    int maxFrameBytes = 0;
    int shutdownTimeout = 0;
    for (const auto& [option, minimum, target] :
        {std::tuple {&frameOption, 256, &maxFrameBytes}, std::tuple {&sessionsOption, 1, &serverOptions.maxSessions},
            std::tuple {&idleOption, 100, &serverOptions.idleTimeoutMs},
            std::tuple {&shutdownOption, 0, &shutdownTimeout},
            std::tuple {&maxAudioOption, 1, &serverOptions.maxAudioSeconds}}) {
        if (Status status = positiveInt(*option, minimum, *target); !status.isNull())
            return fail(status);
    }
    serverOptions.maxFrameBytes = maxFrameBytes;
    const QString audioDirectory = parser.value(audioDirOption);
    serverOptions.audioDirectory = audioDirectory == u"none" ? QString() : audioDirectory;
    // Before the database is touched: a directory that cannot take audio stops the start at once.
    if (!serverOptions.audioDirectory.isEmpty()) {
        if (auto store = server::AudioStore::open(serverOptions.audioDirectory); !store)
            return fail(store.error());
    }
    if (parser.isSet(speakOption)) {
        if (serverOptions.audioDirectory.isEmpty()) {
            return fail({QStringLiteral("usage"),
                Text::tr("--speak-replies stores the spoken replies: give an --audio-dir other than none.")});
        }
        const speech::Voice voice {parser.value(speakOption), speech::defaultRate};
        if (Status checked = speech::checkVoice(voice); !checked.isNull())
            return fail(checked);
        serverOptions.speaker = [voice](const QString& text) { return speech::synthesize(text, voice); };
    }
    serverOptions.pingIntervalMs = std::max(50, serverOptions.idleTimeoutMs / 3);

    for (const QString& fault : parser.values(faultOption)) {
        if (!serverOptions.faults.enable(fault)) {
            return fail({QStringLiteral("usage"),
                Text::tr("--test-fault takes agent-role, drop-every=N (N ≥ 1) or never-end, not \"%1\".").arg(fault)});
        }
        qWarning().noquote() << "test fault on:" << fault << "- this server stores wrong data on purpose";
    }

    // Each session is a socket: a shell's soft limit of 1024 open files would refuse connections
    // long before --max-sessions.
    if (const long files = raiseOpenFileLimit(); files > 0 && files < serverOptions.maxSessions + 64) {
        qWarning().noquote() << Text::tr(
            "This process may open only %1 files, fewer than --max-sessions %2 needs: raise "
            "the limit (ulimit -n) or lower --max-sessions.")
                                    .arg(files)
                                    .arg(serverOptions.maxSessions);
    }

    std::shared_ptr<const server::Agent> agent;
    if (parser.isSet(silentOption)) {
        agent = std::make_shared<server::SilentAgent>();
    } else if (parser.isSet(rulesOption)) {
        auto loaded = server::RulesAgent::load(parser.value(rulesOption));
        if (!loaded)
            return fail(loaded.error());
        agent = std::shared_ptr<const server::Agent>(std::move(*loaded));
    } else {
        agent = server::RulesAgent::defaultRules();
    }

    tracker::TrackerOptions trackerOptions;
    auto url = DatabaseUrl::parse(parser.value(dbOption));
    if (!url)
        return fail(url.error());
    if (url->isSqlite() && !url->isInMemory() && !parser.isSet(dbOption))
        QDir().mkpath(QFileInfo(url->sqlitePath()).path());
    trackerOptions.database = *url;
    const QString journal = parser.value(journalOption);
    trackerOptions.journalDirectory = journal == u"none" ? QString() : journal;

    // Migrate now when the database answers, so a schema problem stops the start with its reason;
    // an unreachable database is not fatal: the tracker journals and connects when it can.
    if (auto connection = store::Connection::open(*url)) {
        const auto migrated = store::Migrator(**connection).migrate();
        if (!migrated)
            return fail(migrated.error());
    } else if (connection.error().code != u"db.unreachable") {
        return fail(connection.error());
    } else {
        qWarning().noquote() << connection.error().message << "- accepting conversations into the journal meanwhile";
    }

    tracker::ConversationTracker tracker(trackerOptions);
    if (Status status = tracker.start(); !status.isNull())
        return fail(status);
    server::ConversationServer server(serverOptions, &tracker, agent);
    if (Status status = server.listen(); !status.isNull()) {
        tracker.stop(shutdownTimeout);
        return fail(status);
    }
    QTextStream(stdout) << "voxtrackd " << VOXTRACK_VERSION << " listening on " << server.conversationUrl().toString()
                        << Qt::endl;

    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, signalPipe) != 0)
        qFatal("socketpair failed");
    QSocketNotifier notifier(signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, &app, [&] {
        char number = 0;
        (void)!::read(signalPipe[0], &number, 1);
        notifier.setEnabled(false);
        qInfo().noquote() << "signal" << int(number) << "received: ending open sessions and draining the queue";
        server.shutdown(shutdownTimeout);
        const bool drained = tracker.stop(shutdownTimeout);
        qInfo().noquote() << (drained ? "everything is in the database; bye" : "the journal keeps what is left; bye");
        QCoreApplication::exit(0);
    });
    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
    return QCoreApplication::exec();
}
